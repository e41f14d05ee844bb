/**
 * `check-permissions`: preflight before any write — the tool's principal holds every ACL the runbook's steps will
 * use, on each cluster. The requirements are the step kinds' own declarations (`StepKind.acls`,
 * src/engine/permissions.ts), plus the run lock's lease and audit-anchor topics on the target (a real run writes them
 * before its first step); the answers are the clusters' own (KIP-430 authorized operations, src/kafka/port.ts
 * `authorizedOperations`), so nothing needs admin rights and nothing is written. Design note: docs/design/permissions.md.
 *
 * Gates: `acls-granted` fails naming each missing ACL as `<cluster>: <RESOURCE> "<name>" <OPERATION> for <principal>`
 * (and the steps that need it); `acls-known` fails naming each ACL the clusters could not answer for (e.g. CREATE
 * on the cluster, which Kafka reports only to a principal that may DESCRIBE the cluster; a source that does not
 * answer): unknown is never passed as granted.
 */
import { z } from 'zod';
import { anchorAcls } from '../engine/audit-anchor.js';
import { leaseAcls } from '../engine/lease.js';
import { type AclNeed, type AclScope, type CheckedAcl, judge, literalAlternatives } from '../engine/permissions.js';

export { type CheckedAcl, judge } from '../engine/permissions.js';
import { defineStep, type StepContext, type StepKind } from '../engine/step.js';
import type { FlowConfig } from '../clusters/schema.js';
import type { KafkaPort } from '../kafka/port.js';
import type { AuthorizedOperations } from '../kafka/authorized-operations.js';
import { isInternalTopic, remoteTopic } from '../mm2/naming.js';
import { regexString } from './shared.js';

/** One line naming an ACL: `dr: TOPIC "primary.orders" READ for User:failover (steps translate, reset)`. */
export function aclLine(c: CheckedAcl, principal: string | undefined): string {
  const what = c.resource === 'cluster' ? 'CLUSTER' : `${c.resource.toUpperCase()} "${c.name}"`;
  return `${c.cluster}: ${what} ${c.operation} for ${principal ?? "this client's principal"} (step${c.steps.length > 1 ? 's' : ''} ${c.steps.join(', ')})${c.reason ? ` — ${c.reason}` : ''}`;
}

async function selectedNames(ctx: StepContext, regex: string, clusters: string[], kind: 'groups' | 'topics'): Promise<{ names: string[]; listed: boolean }> {
  const literal = literalAlternatives(regex);
  if (literal) return { names: literal, listed: false };
  const re = new RegExp(`^(?:${regex})$`);
  const out = new Set<string>();
  for (const alias of clusters) {
    const port = ctx.kafka(alias);
    const names = kind === 'groups' ? (await port.listGroups()).map((g) => g.groupId) : (await port.listTopics()).filter((t) => !isInternalTopic(t));
    for (const n of names) if (re.test(n)) out.add(n);
  }
  return { names: [...out].sort(), listed: true };
}

/**
 * Judges the ACLs `steps` declare (and the run lock's, with `runLock`) on the clusters of `asked` that answer
 * (`reachable`); ACLs on the others are unknown. Shared by the step and by `check`'s `failover-acls` finding.
 * @param o.asked the clusters whose ACLs are judged: a list, or `named` — the flow's two clusters and every other
 *   cluster a declaration names (a move's third clusters: their offset syncs, topics and groups).
 * @returns every ACL with its verdict, the clusters asked and those that answered, and the principal each answering
 *   cluster's client authenticates as (when known).
 */
export async function judgeRunbookAcls(o: {
  flow: FlowConfig;
  /** The clusters file's flows (the scope's `flows`). */
  flows: readonly FlowConfig[];
  kafka(alias: string): KafkaPort;
  steps: { id: string; kind: StepKind | undefined; with: Record<string, unknown> }[];
  groups: string[];
  topics: string[];
  asked: string[] | 'named';
  reachable(alias: string): Promise<boolean>;
  runLock: boolean;
}): Promise<{ checked: CheckedAcl[]; principals: Map<string, string | undefined>; asked: string[]; answering: string[] }> {
  const scopeBase = { flow: o.flow, flows: o.flows, groups: o.groups, topics: o.topics, remote: (t: string) => remoteTopic(o.flow, t) };
  const tagged: (AclNeed & { step: string })[] = [];
  for (const st of o.steps) {
    if (!st.kind?.acls) continue;
    const scope: AclScope = { ...scopeBase, with: st.with };
    for (const n of st.kind.acls(scope)) tagged.push({ ...n, step: st.id });
  }
  if (o.runLock) for (const n of [...leaseAcls(o.flow.target), ...anchorAcls(o.flow.target)]) tagged.push({ ...n, step: '(run lock)' });
  const asked = o.asked === 'named' ? [...new Set([o.flow.source, o.flow.target, ...tagged.map((n) => n.cluster)])] : o.asked;
  // A cluster that does not answer leaves its ACLs unknown (the acls-known gate), never granted.
  const answering: string[] = [];
  for (const alias of asked) if (await o.reachable(alias)) answering.push(alias);

  // Names as the clusters know them (a list of candidates: the first that exists), then one entry per ACL.
  const listed = new Map<string, Set<string>>();
  const existing = async (alias: string) => {
    if (!listed.has(alias)) listed.set(alias, new Set(await o.kafka(alias).listTopics()));
    return listed.get(alias)!;
  };
  const merged = new Map<string, CheckedAcl & { ifMissing?: boolean }>();
  for (const n of tagged) {
    if (!asked.includes(n.cluster)) continue;
    let name = Array.isArray(n.name) ? n.name[0]! : n.name;
    if (Array.isArray(n.name) && answering.includes(n.cluster)) {
      const have = await existing(n.cluster);
      name = n.name.find((c) => have.has(c)) ?? name;
    }
    if (n.resource === 'cluster') name = 'kafka-cluster';
    const key = `${n.cluster}\u0000${n.resource}\u0000${name}\u0000${n.operation}`;
    const m = merged.get(key) ?? { cluster: n.cluster, resource: n.resource, name, operation: n.operation, steps: [], verdict: 'unknown' as const };
    // CREATE needed unconditionally by one step outweighs "only when missing" of another.
    m.ifMissing = m.steps.length === 0 ? n.ifMissing === true : Boolean(m.ifMissing && n.ifMissing);
    if (!m.steps.includes(n.step)) m.steps.push(n.step);
    merged.set(key, m);
  }

  const answers = new Map<string, AuthorizedOperations>();
  for (const alias of answering) {
    const mine = [...merged.values()].filter((m) => m.cluster === alias);
    answers.set(
      alias,
      await o.kafka(alias).authorizedOperations({
        topics: [...new Set(mine.filter((m) => m.resource === 'topic').map((m) => m.name))],
        groups: [...new Set(mine.filter((m) => m.resource === 'group').map((m) => m.name))],
      }),
    );
  }
  const checked: CheckedAcl[] = [...merged.values()].map(({ ifMissing, ...m }) => {
    const a = answers.get(m.cluster);
    const v = a ? judge({ ...m, ...(ifMissing ? { ifMissing } : {}) }, a) : { verdict: 'unknown' as const, reason: `${m.cluster} does not answer` };
    return { ...m, ...v };
  });
  return { checked, principals: new Map([...answers].map(([k, v]) => [k, v.principal])), asked, answering };
}

export const checkPermissions = defineStep({
  kind: 'check-permissions',
  description: "preflight: the tool's principal holds every ACL the runbook's steps need (asked of each cluster, nothing written)",
  writes: false,
  // On a move pair (requireFlow: false) it asks the pair's clusters and the third clusters the steps' ACLs name.
  flowless: true,
  input: z.strictObject({
    /** The consumer groups the runbook moves (regex, whole name; an alternation of literal names is checked by name). */
    groups: regexString.default('.*'),
    /** The source topics the runbook acts on (regex, whole name). */
    topics: regexString.default('.*'),
    /**
     * Which clusters to ask: `both` — the source, the target and every other cluster a step's ACLs name (a move's
     * third clusters) — or only the target (an emergency: the source is down, its ACLs do not matter).
     */
    clusters: z.enum(['both', 'target']).default('both'),
    /** Check the run lock's lease and audit-anchor topics on the target (a real run writes them before its first step). */
    runLock: z.boolean().default(true),
  }),
  async check(ctx, input) {
    const { source, target } = ctx.flow;
    // Groups and topics given as a pattern are listed where they live: the groups on the flow's two clusters, the
    // topics on its source.
    const near: string[] = [];
    for (const alias of input.clusters === 'both' ? [source, target] : [target]) if (await ctx.reachable(alias)) near.push(alias);
    const groups = await selectedNames(ctx, input.groups, near, 'groups');
    const topics = await selectedNames(ctx, input.topics, near.includes(source) ? [source] : [], 'topics');
    const { checked, principals, asked } = await judgeRunbookAcls({
      flow: ctx.flow,
      flows: ctx.flows ?? [ctx.flow],
      kafka: (alias) => ctx.kafka(alias),
      steps: (ctx.runbook?.steps ?? []).filter((st) => st.id !== ctx.stepId),
      groups: groups.names,
      topics: topics.names,
      asked: input.clusters === 'both' ? 'named' : [target],
      reachable: (alias) => ctx.reachable(alias),
      runLock: input.runLock,
    });
    const line = (c: CheckedAcl) => aclLine(c, principals.get(c.cluster));
    const missing = checked.filter((c) => c.verdict === 'missing').map(line);
    const unknown = checked.filter((c) => c.verdict === 'unknown').map(line);
    const granted = checked.filter((c) => c.verdict === 'granted').length;
    ctx.note(
      `permissions: ${checked.length} ACL(s) needed on ${asked.join(', ')} — ${granted} granted, ${missing.length} missing, ${unknown.length} unknown` +
        `${groups.listed ? ' (groups found by listing: a group this principal may not DESCRIBE is not listed, so name groups literally to check them)' : ''}` +
        [...missing.map((m) => `\n  MISSING ${m}`), ...unknown.map((u) => `\n  UNKNOWN ${u}`)].join(''),
      { checked },
    );
    return {
      gates: [
        {
          id: 'acls-granted',
          description: `the tool's principal holds every ACL the runbook needs on ${asked.join(', ')} (before any write)`,
          observed: { missing, granted, checked: checked.length },
          expected: 'no missing ACL',
          ok: missing.length === 0,
        },
        {
          id: 'acls-known',
          description: 'the clusters answered for every ACL the runbook needs',
          observed: { unknown },
          expected: 'no ACL left unknown',
          ok: unknown.length === 0,
        },
      ],
      outputs: { acls: checked },
    };
  },
});
