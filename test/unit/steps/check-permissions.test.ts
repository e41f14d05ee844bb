/**
 * `check-permissions` derives the ACLs of a runbook from its steps' own declarations and judges them on what the
 * clusters answer (KIP-430, faked faithfully by MemoryKafka: prefixed/literal/`*` bindings, implied DESCRIBE, refused
 * DESCRIBE, cluster operations only with DESCRIBE on the cluster). The sandbox's least-privilege grant
 * (src/rehearsal/sandbox/acls.ts) is checked against the derivation for runbooks/planned-failover.yaml and
 * runbooks/failback.yaml here, and against real brokers in test/integration/secured-sasl-ssl.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { literalAlternatives } from '../../../src/engine/permissions.js';
import { lookAheadView } from '../../../src/engine/step-context.js';
import type { StepContext } from '../../../src/engine/step.js';
import type { GateResult } from '../../../src/engine/events.js';
import type { AuthorizedOperations } from '../../../src/kafka/authorized-operations.js';
import { failbackAcls, leastPrivilegeAcls, type SandboxAcl } from '../../../src/rehearsal/sandbox/acls.js';
import { type CheckedAcl, checkPermissions, judge } from '../../../src/steps/check-permissions.js';
import { builtinRegistry } from '../../../src/steps/index.js';
import { MemoryKafka } from '../mm2/memory-kafka.js';

const flowOf = (source: string, target: string) =>
  ({ source, target, replicationPolicy: 'default', separator: '.', offsetSyncsTopicLocation: 'source' }) as unknown as FlowConfig;
const flow = flowOf('primary', 'dr');
/** Failback: runbooks/failback.yaml's flow, dr -> primary. */
const back = { file: 'runbooks/failback.yaml', flow: flowOf('dr', 'primary') };

/** Both clusters as they stand after a failover and a DR period (both flows' topics exist). */
function clusters(acls: SandboxAcl[]) {
  const primary = new MemoryKafka('primary');
  const dr = new MemoryKafka('dr');
  for (const t of ['orders-1', 'payments-1', 'mm2-offset-syncs.dr.internal', 'dr.orders-1', 'dr.payments-1', 'dr.checkpoints.internal', 'heartbeats'])
    primary.topic(t);
  for (const t of [
    'primary.orders-1',
    'primary.payments-1',
    'primary.checkpoints.internal',
    'heartbeats',
    'orders-1',
    'payments-1',
    'mm2-offset-syncs.primary.internal',
  ])
    dr.topic(t);
  for (const c of [primary, dr]) for (const g of ['billing-1', 'shipping-1']) c.commit(g, 'x', 0, 1);
  for (const [c, alias] of [
    [primary, 'primary'],
    [dr, 'dr'],
  ] as const)
    c.acls = acls
      .filter((a) => a.cluster === alias)
      .map((a) => ({ resource: a.resource as 'topic', name: a.name, pattern: a.pattern, operation: a.operation }));
  return { primary, dr };
}

async function run(acls: SandboxAcl[], up = { primary: true, dr: true }, runbook = { file: 'runbooks/planned-failover.yaml', flow }) {
  const { primary, dr } = clusters(acls);
  const registry = builtinRegistry();
  const loaded = await loadRunbook(runbook.file, registry, { groups: 'billing-1|shipping-1|analytics-1', topics: 'orders-1|payments-1' });
  const ports = { primary: primary.port(), dr: dr.port() };
  const notes: string[] = [];
  const ctx = {
    stepId: 'permissions',
    flow: runbook.flow,
    kafka: (a: 'primary' | 'dr') => ports[a],
    reachable: async (a: 'primary' | 'dr') => up[a],
    note: (m: string) => notes.push(m),
    runbook: lookAheadView(loaded, registry, runbook.flow),
  } as unknown as StepContext;
  const step = loaded.runbook.steps.find((s) => s.kind === 'check-permissions')!;
  const r = await checkPermissions.check(
    ctx,
    checkPermissions.input.parse(step.with && { groups: 'billing-1|shipping-1|analytics-1', topics: 'orders-1|payments-1' }),
  );
  const gate = (id: string) => r.gates!.find((g: GateResult) => g.id === id)!;
  return { granted: gate('acls-granted'), known: gate('acls-known'), acls: (r.outputs as { acls: CheckedAcl[] }).acls, notes };
}

const sandbox = leastPrivilegeAcls((t) => `primary.${t}`);
const failback = failbackAcls((t) => `dr.${t}`);
const missingOf = (g: GateResult) => (g.observed as { missing: string[] }).missing;

/** The planned failover with the failover set; the failback (flow dr->primary) with the DR cycle's whole grant. */
const cases = [
  { name: 'the planned failover', grant: sandbox, own: sandbox, runbook: { file: 'runbooks/planned-failover.yaml', flow } },
  { name: 'the failback', grant: [...sandbox, ...failback], own: failback, runbook: back },
];

describe('check-permissions', () => {
  for (const c of cases) {
    it(`is the first step of ${c.name} and passes with exactly the sandbox's least-privilege grant; every ACL of its own set is used`, async () => {
      const r = await run(c.grant, undefined, c.runbook);
      expect(missingOf(r.granted)).toEqual([]);
      expect(r.known.ok).toBe(true);
      expect(r.granted.ok).toBe(true);
      // Every ACL of the runbook's own set is used by some step: none is superfluous.
      const used = r.acls.filter((a) => a.verdict === 'granted');
      for (const a of c.own) {
        const hit = used.some(
          (u) =>
            u.cluster === a.cluster &&
            u.resource === a.resource &&
            u.operation === a.operation &&
            (a.pattern === 'prefixed' ? u.name.startsWith(a.name) : u.name === a.name),
        );
        expect({ acl: a, used: hit }).toEqual({ acl: a, used: true });
      }
    });

    it(`${c.name}: removing any one ACL of its own set blocks, naming it (resource, name, operation, principal, cluster): missing, or unknown for CREATE`, async () => {
      for (const a of c.own) {
        const r = await run(
          c.grant.filter((g) => g !== a),
          undefined,
          c.runbook,
        );
        // CREATE of a topic that does not exist yet: without CREATE on the name, only CREATE on the cluster could allow
        // it, which Kafka does not show to a principal without DESCRIBE on the cluster: unknown, and the run blocks.
        const gate = a.operation === 'CREATE' ? r.known : r.granted;
        const listed = (gate.observed as { missing?: string[]; unknown?: string[] })[a.operation === 'CREATE' ? 'unknown' : 'missing']!;
        const named = listed.some(
          (m) => m.startsWith(`${a.cluster}: ${a.resource.toUpperCase()} "${a.name}`) && m.includes(`" ${a.operation} for User:failover`),
        );
        expect({ acl: a, ok: gate.ok, named, listed }).toMatchObject({ acl: a, ok: false, named: true });
        // Nothing else is reported: every line is about the removed binding's resource (DESCRIBE, implied by the
        // removed READ, may be named beside it).
        const all = [...missingOf(r.granted), ...(r.known.observed as { unknown: string[] }).unknown];
        for (const m of all) expect(m.startsWith(`${a.cluster}: ${a.resource.toUpperCase()} "${a.name}`), m).toBe(true);
      }
    });
  }

  it("the active-active move's translate step declares both paths: the flow's checkpoints, the opposite flow's offset syncs, the target's topics' copies on the source", async () => {
    const r = await run([], undefined, { file: 'runbooks/active-active-move.yaml', flow });
    const translate = (cluster: string, name: string) =>
      r.acls.some((a) => a.cluster === cluster && a.name === name && a.operation === 'READ' && a.steps.includes('translate'));
    expect({
      checkpoints: translate('dr', 'primary.checkpoints.internal'),
      oppositeSyncs: translate('dr', 'mm2-offset-syncs.primary.internal'),
      copiesOnSource: translate('primary', 'dr.orders-1'),
      ownOnTarget: translate('dr', 'orders-1'),
    }).toEqual({ checkpoints: true, oppositeSyncs: true, copiesOnSource: true, ownOnTarget: true });
    expect(r.granted.ok).toBe(false);
  });

  it('the emergency failover (target only) passes with the planned failover set alone', async () => {
    const r = await run(sandbox, undefined, { file: 'runbooks/emergency-failover.yaml', flow });
    expect(missingOf(r.granted)).toEqual([]);
    expect(r.known.ok).toBe(true);
  });

  it('a source that does not answer leaves its ACLs unknown (acls-known fails), never granted', async () => {
    const r = await run(sandbox, { primary: false, dr: true });
    expect(r.known.ok).toBe(false);
    expect((r.known.observed as { unknown: string[] }).unknown.some((u) => u.startsWith('primary: GROUP "billing-1" DESCRIBE'))).toBe(true);
  });
});

describe('judge', () => {
  const answer = (o: Partial<AuthorizedOperations>): AuthorizedOperations => ({ cluster: null, topics: new Map(), groups: new Map(), ...o });
  const need = { cluster: 'dr', resource: 'topic' as const, name: 't', operation: 'CREATE' as const, ifMissing: true };

  it('CREATE of a missing topic: granted by CREATE on the topic or the cluster; unknown when the cluster cannot be seen', () => {
    const t = (ops: string[], exists: boolean) => new Map([['t', { operations: ops as never, describeDenied: false, exists }]]);
    expect(judge(need, answer({ topics: t(['DESCRIBE'], true) })).verdict).toBe('not-needed');
    expect(judge(need, answer({ topics: t(['CREATE', 'DESCRIBE'], false) })).verdict).toBe('granted');
    expect(judge(need, answer({ topics: t(['DESCRIBE'], false), cluster: ['CREATE', 'DESCRIBE'] })).verdict).toBe('granted');
    expect(judge(need, answer({ topics: t(['DESCRIBE'], false), cluster: ['DESCRIBE'] })).verdict).toBe('missing');
    expect(judge(need, answer({ topics: t(['DESCRIBE'], false) }))).toMatchObject({
      verdict: 'unknown',
      reason: expect.stringContaining('DESCRIBE on the cluster'),
    });
  });

  it('a resource the cluster refuses to describe: operations implying DESCRIBE are missing, others unknown', () => {
    const denied = answer({ groups: new Map([['g', { operations: null, describeDenied: true, exists: null }]]) });
    expect(judge({ cluster: 'dr', resource: 'group', name: 'g', operation: 'READ' }, denied).verdict).toBe('missing');
    expect(judge({ cluster: 'dr', resource: 'group', name: 'g', operation: 'DESCRIBE_CONFIGS' }, denied).verdict).toBe('unknown');
  });
});

describe('literalAlternatives', () => {
  it('names only a plain alternation of literal names', () => {
    expect(literalAlternatives('billing|shipping')).toEqual(['billing', 'shipping']);
    expect(literalAlternatives('^(a\\.b|c-1)$')).toEqual(['a.b', 'c-1']);
    expect(literalAlternatives('billing-.*')).toBeNull();
    expect(literalAlternatives('(a)|(b)')).toBeNull();
  });
});

describe("check's failover-acls-missing finding", () => {
  it('none with the sandbox grant; one naming each missing ACL when a binding is taken away', async () => {
    const { checkFailoverAcls } = await import('../../../src/check/acl-checks.js');
    const grant = sandbox;
    const ok = clusters(grant);
    expect((await checkFailoverAcls(flow, ok.primary.port(), ok.dr.port(), /.*/)).findings).toEqual([]);
    const without = clusters(grant.filter((a) => !(a.cluster === 'dr' && a.resource === 'group' && a.name === 'billing')));
    const r = await checkFailoverAcls(flow, without.primary.port(), without.dr.port(), /.*/);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ id: 'failover-acls-missing', severity: 'high', where: 'primary->dr' });
    expect((r.findings[0]!.evidence as { missing: string[] }).missing).toEqual([
      'dr: GROUP "billing-1" DESCRIBE for User:failover (steps check-target-groups, validate) — the cluster refuses even to describe it',
      'dr: GROUP "billing-1" READ for User:failover (step reset-consumer-groups) — the cluster refuses even to describe it',
    ]);
  });
});
