/**
 * `translate-move`: the offset plan of a workload move in an active-active pair — consumer groups on cluster X (the
 * runbook flow's source) move to cluster Y (its target), where the clusters file also has the opposite flow Y->X.
 * A group on X reads two kinds of topics, and each has its own path to Y (docs/design/topologies.md):
 * - **X's own topic `T`** → Y's remote copy `X.T`, through the X->Y flow: its checkpoints (or offset syncs), made
 *   exact by record match — exactly as a planned failover translates (src/mm2/translate.ts);
 * - **a copy `Y.T` of Y's topic** → the original `T` on Y, through the Y->X flow's offset syncs read backwards (the
 *   failback's returning topics), made exact by record match.
 * Both are the two halves of {@link planBack} (translate-back.ts), run with the opposite flow taken from the clusters
 * file. Every plan row gets a `path` naming the two topics and the evidence; a partition with no path (a topic the
 * X->Y flow does not replicate, no offset sync) blocks through the plan gates (exit 3).
 *
 * Gates of its own:
 * - `move-graph`: the two flows are not an identity-policy loop (records would circle; copies cannot be told from
 *   originals), and the Y->X flow exists when a group reads a copy of Y's topics.
 * - `stop-covers-writers`: the flows of the clusters file that write into a topic the moved groups will read on Y are
 *   exactly the runbook's flow X->Y (the one its `stop-replication` stops); the Y->X flow writes nothing on Y that the
 *   groups read and keeps running. Output `writerFlows` lists them.
 * - `source-writes-frozen` (real runs, when `frozenTopics` is given): X's topics that only the moved producers write
 *   did not grow during the conflict window — the move's producers are frozen when the offsets are computed.
 *
 * The conflict report (output `conflicts`, and a note in the audit log): for each topic name the groups read (X's own
 * `T`, and `T` of a copy `Y.T`), the records appended to X's local `T` and to Y's local `T` during a window of
 * `conflictWindowMs` — both > 0 is the seeds' active-active conflict hazard, one key written on both sides while the
 * workload moves (docs/design/topologies.md, "Conflicts").
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FlowConfig } from '../clusters/schema.js';
import { type AclNeed, type AclScope, needs, thirdClusterCopies } from '../engine/permissions.js';
import { defineStep, type CheckResult } from '../engine/step.js';
import type { GateResult } from '../engine/events.js';
import type { KafkaPort } from '../kafka/port.js';
import { offsetSyncsTopicCandidates, upstreamTopic } from '../mm2/naming.js';
import { planOutputs, type OffsetPlanRow } from '../mm2/plan.js';
import { groupsFoundGate, groupsTranslatedGate, offsetsInRangeGate } from '../gates/offset-plan.js';
import { highWatermarks, regexString, selectTopics } from './shared.js';
import { planBack, planBackAcls, type PlanContext } from './translate-back.js';
import { planViaOrigin } from './translate-via-origin.js';

const name = (f: Pick<FlowConfig, 'source' | 'target'>) => `${f.source}->${f.target}`;

/** The partitions a `groups-translated` gate of planBack left out (its observed lines). */
const untranslatedOf = (gates: readonly GateResult[]): string[] =>
  (gates.find((g) => g.id === 'groups-translated')?.observed as { untranslatable?: string[] } | undefined)?.untranslatable ?? [];

/** The flows (of `flows`) that write `topic` on `cluster`: those with that target whose remote-topic naming produced it. */
export function writersOf(flows: readonly FlowConfig[], cluster: string, topic: string): FlowConfig[] {
  return flows.filter((f) => f.kind !== 'stretch' && f.target === cluster && f.replicationPolicy === 'default' && upstreamTopic(f, topic) !== undefined);
}

/**
 * The row's path: `X:<source topic> → Y:<target topic> (<which flow's evidence>)`.
 * @param opposite the Y->X flow (a row whose source topic is its remote copy is a returning topic).
 */
export function movePath(row: Pick<OffsetPlanRow, 'sourceTopic' | 'topic' | 'basis'>, flow: FlowConfig, opposite: FlowConfig): string {
  const returning = opposite.replicationPolicy === 'default' && upstreamTopic(opposite, row.sourceTopic) === row.topic;
  const how = returning
    ? `copy of ${flow.target}'s topic: ${name(opposite)} offset syncs read backwards${row.basis === 'record-match' ? ', then record match' : ''}`
    : `${flow.source}'s own topic: ${name(flow)} ${row.basis === 'checkpoint' ? 'checkpoint' : row.basis === 'record-match' ? 'checkpoint, then record match' : 'offset syncs'}`;
  return `${flow.source}:${row.sourceTopic} → ${flow.target}:${row.topic} (${how})`;
}

/**
 * What path 3 of a move X->Y reads (src/steps/translate-via-origin.ts), for the scope's topics' copies of third
 * clusters' topics ({@link thirdClusterCopies}): per flow Z->X with a flow Z->Y, both flows' offset syncs where each
 * keeps them, X's copy, `t` on Z and Y's copy (bounds and records: READ); and `stop-covers-writers`' listing of the
 * moved groups on each such Z (ListGroups shows only the groups the principal may DESCRIBE: without it the gate
 * would see none and pass). Pure.
 */
export function viaOriginAcls(s: AclScope): AclNeed[] {
  const copies = thirdClusterCopies(s);
  const syncsOn = (f: FlowConfig) => (f.offsetSyncsTopicLocation === 'target' ? f.target : f.source);
  const flowsOf = (pick: (c: (typeof copies)[number]) => FlowConfig) => [...new Map(copies.map((c) => [name(pick(c)), pick(c)])).values()];
  return [
    ...flowsOf((c) => c.inbound).flatMap((f) =>
      needs(
        syncsOn(f),
        'topic',
        [offsetSyncsTopicCandidates(f)],
        ['READ'],
        `translate move: ${name(f)} offset syncs, read backwards to the third cluster's offsets`,
      ),
    ),
    ...flowsOf((c) => c.outbound).flatMap((f) =>
      needs(syncsOn(f), 'topic', [offsetSyncsTopicCandidates(f)], ['READ'], `translate move: ${name(f)} offset syncs, forward to the target's copy`),
    ),
    ...needs(
      s.flow.source,
      'topic',
      [...new Set(copies.map((c) => c.onSource))],
      ['READ'],
      "translate move: bounds and records of third clusters' topics' copies on the source",
    ),
    ...copies.flatMap((c) =>
      needs(c.inbound.source, 'topic', [c.origin], ['READ'], "translate move: bounds and records of the third cluster's original topic"),
    ),
    ...needs(
      s.flow.target,
      'topic',
      [...new Set(copies.map((c) => c.onTarget))],
      ['READ'],
      "translate move: bounds and records of third clusters' topics' copies on the target",
    ),
    ...flowsOf((c) => c.outbound).flatMap((f) =>
      needs(
        f.source,
        'group',
        s.groups,
        ['DESCRIBE'],
        `stop-covers-writers: the moved groups listed on ${f.source}, the source of ${name(f)} writing into the target`,
      ),
    ),
  ];
}

const input = z.strictObject({
  groups: regexString.default('.*'),
  /** `record-match` (default: each row made exact on Y) or `mm2` (checkpoints and offset syncs alone, conservative). */
  method: z.enum(['mm2', 'record-match']).default('record-match'),
  /** Longest wait (ms) for the X->Y checkpoints to catch up with the groups' last commits. */
  checkpointWaitMs: z.number().int().min(0).default(15_000),
  /** Length (ms) of the window over which both sides' log-end offsets are sampled for the conflict report; 0: none. */
  conflictWindowMs: z.number().int().min(0).default(3000),
  /**
   * X's topics that only the moved producers write (regular expression, whole name; the runbook's `quietTopics`).
   * Empty: none (a site that keeps producers of its own, e.g. on the return) — the report is made, no gate.
   */
  frozenTopics: z.union([z.literal(''), regexString]).default(''),
});

export const translateMove = defineStep({
  kind: 'translate-move',
  description:
    "active-active move offset plan: the source cluster's own topics through the flow's checkpoints, copies of the target's topics through the opposite flow's offset syncs read backwards; the path of every partition",
  writes: false,
  flowless: true,
  // What planMove reads. Paths 1 and 2 are planBack's reads with the move's flow as its "reverse" one (translate-back's
  // declaration, each half only when its flow is in the clusters file: a move pair has no X->Y checkpoints or offset
  // syncs, a file without Y->X no offset syncs to read backwards); they cover the conflict window's end offsets on both
  // sides (READ implies DESCRIBE). Path 3 and stop-covers-writers: {@link viaOriginAcls}.
  acls: (s) => {
    const opposite = s.flows.find((f) => f.source === s.flow.target && f.target === s.flow.source && f.kind !== 'stretch' && f.kind !== 'move');
    return [
      ...planBackAcls(s, opposite?.offsetSyncsTopicLocation ?? s.flow.offsetSyncsTopicLocation, {
        checkpoints: s.flow.kind !== 'move',
        returning: opposite !== undefined,
      }),
      ...viaOriginAcls(s),
    ];
  },
  output: planOutputs,
  input,
  async check(ctx, input) {
    // The freeze is a write (its hook): in a dry run it did not happen, so the gate would only report the plan's own
    // premise. The conflict report is made either way (docs/design/topologies.md, "Conflicts").
    return planMove(ctx, ctx.flow, ctx.flows ?? [ctx.flow], input, { enforceFreeze: !ctx.dryRun });
  },
});

/** Input of `translate-move` (parsed). */
export type TranslateMoveInput = z.output<typeof input>;

/**
 * The plan of a move `flow.source` → `flow.target` in the graph `flows` (the clusters file's): gates `move-graph`,
 * `stop-covers-writers` and the plan gates; outputs `plan` (rows with `path`), `writerFlows` and translate-back's.
 * Used by the step and by `kafka-failover offsets move`.
 */
export async function planMove(
  ctx: PlanContext,
  flow: FlowConfig,
  flows: readonly FlowConfig[],
  input: TranslateMoveInput,
  opts: { enforceFreeze?: boolean } = {},
): Promise<CheckResult> {
  const found = flows.find((f) => f.source === flow.target && f.target === flow.source && f.kind !== 'stretch');
  const opposite: FlowConfig = found ?? { ...flow, source: flow.target, target: flow.source };
  const loop = found && (found.replicationPolicy === 'identity' || flow.replicationPolicy === 'identity');
  const graphGate: GateResult = {
    id: 'move-graph',
    description: `${name(flow)} and ${name(opposite)} form an active-active pair MM2 can keep apart (prefixed remote topics)`,
    ok: !loop,
    observed: { flow: name(flow), opposite: found ? name(found) : null, policies: [flow.replicationPolicy, found?.replicationPolicy ?? null] },
    expected: 'no identity-policy loop: under IdentityReplicationPolicy in both directions records circle and copies cannot be told from originals',
  };
  if (loop) return { gates: [graphGate] };

  // Path 3 first: the groups' commits on X's copies of a third cluster's topics (through that cluster's offsets).
  const via = await planViaOrigin(ctx, flow, flows, { groups: input.groups, method: input.method, waitMs: input.checkpointWaitMs });
  const r = await planBack(ctx, { ...input, topics: '.*', forwardOffsetSyncsLocation: opposite.offsetSyncsTopicLocation }, flow, opposite, (topic) =>
    via.topics.has(topic),
  );
  const own = (r.outputs?.plan ?? []) as OffsetPlanRow[];
  for (const row of own) row.path = movePath(row, flow, opposite);
  const plan = [...own, ...via.rows];
  if (via.rows.length || via.untranslatable.length)
    ctx.note(`record match: ${via.exact} of ${via.rows.length} partition(s) of third clusters' topics made exact on both hops`);

  // Which flows write into the topics the groups read on Y after the move. The runbook's flow X->Y is stopped by the
  // runbook; any other must not be able to write the moved groups: MM2's checkpoint task of a flow W->Y translates
  // (and with sync.group.offsets.enabled commits on Y) only groups that have committed offsets on W.
  const writers = new Map<string, string[]>();
  for (const row of plan) for (const f of writersOf(flows, flow.target, row.topic)) writers.set(name(f), [...(writers.get(name(f)) ?? []), row.topic]);
  const moved = new Set(plan.map((p) => p.group));
  const writerSources = [...new Set(flows.filter((f) => writers.has(name(f)) && name(f) !== name(flow)).map((f) => f.source))];
  const groupsOnWriterSource = new Map<string, string[] | string>();
  for (const w of writerSources) {
    groupsOnWriterSource.set(
      w,
      await ctx
        .kafka(w)
        .listGroups()
        .then((gs) => gs.map((g) => g.groupId).filter((g) => moved.has(g)))
        .catch((e: Error) => `unreadable: ${e.message}`),
    );
  }
  const others = flows
    .filter((f) => writers.has(name(f)) && name(f) !== name(flow))
    .filter((f) => {
      const g = groupsOnWriterSource.get(f.source);
      return typeof g === 'string' || (g?.length ?? 0) > 0;
    })
    .map(name);
  const returning = own.filter((p) => upstreamTopic(opposite, p.sourceTopic) === p.topic).length;
  ctx.note(
    `move ${flow.source} → ${flow.target}: ${own.length - returning} partition(s) of ${flow.source}'s own topics via ${name(flow)}, ${returning} of copies of ${flow.target}'s topics via ${name(opposite)}${found ? '' : ` (no ${name(opposite)} flow in the clusters file)`}, ${via.rows.length} of copies of third clusters' topics via their offsets; flows writing the moved topics on ${flow.target}: ${[...writers.keys()].join(', ') || 'none'}`,
    {
      paths: plan.map((p) => ({
        group: p.group,
        partition: p.partition,
        path: p.path,
        basis: p.basis,
        targetOffset: p.targetOffset,
        reReadRecords: p.reReadRecords,
      })),
    },
  );
  const stopGate: GateResult = {
    id: 'stop-covers-writers',
    description: `the flows writing into the moved groups' topics on ${flow.target} are the runbook's flow ${name(flow)} (the one stop-replication stops) or flows whose source has none of the moved groups (their checkpoints cannot write them)`,
    ok: others.length === 0,
    observed: {
      writerFlows: Object.fromEntries([...writers].map(([k, v]) => [k, [...new Set(v)]])),
      movedGroupsOnWriterSources: Object.fromEntries(groupsOnWriterSource),
    },
    expected: others.length
      ? `also stop ${others.join(', ')} before the reset (their source holds moved groups: a checkpoint or offset sync write from them would move the groups)`
      : `${name(flow)}${writerSources.length ? `; no moved group on ${writerSources.join(', ')}` : ''}`,
  };
  // The conflict window: both sides' local topics of the moved names, and X's frozen topics, sampled twice. Copies of
  // third clusters' topics are written by MM2 alone on both sides: not a conflict of the move.
  const names = [...new Set(own.map((p) => (upstreamTopic(opposite, p.sourceTopic) === p.topic ? p.topic : p.sourceTopic)))].sort();
  const window = await conflictWindow(ctx, flow, names, input.conflictWindowMs, input.frozenTopics);
  // The plan gates over all rows (planBack's saw its own rows only).
  const gates = [
    graphGate,
    stopGate,
    offsetsInRangeGate(plan, flow.target),
    groupsTranslatedGate([...untranslatedOf(r.gates ?? []), ...via.untranslatable]),
    groupsFoundGate(plan),
  ];
  if (input.frozenTopics && opts.enforceFreeze) gates.push(sourceFrozenGate(flow.source, input.frozenTopics, window));
  if (window) {
    const both = window.conflicts.filter((c) => c.bothWritten);
    ctx.note(
      `conflict window ${window.windowMs} ms: ${both.length ? `written on both ${flow.source} and ${flow.target}: ${both.map((c) => `${c.topic} (${c.source.appendedRecords} + ${c.target.appendedRecords} records, ${c.keys ? `${c.keys.onBoth} key(s) written on both` : `keys not compared: more than ${MAX_CONFLICT_RECORDS} records on a side`})`).join(', ')}` : `no topic name written on both ${flow.source} and ${flow.target}`}`,
      { windowMs: window.windowMs, conflicts: window.conflicts },
    );
  }
  return { ...r, gates, outputs: { ...r.outputs, plan, writerFlows: [...writers.keys()], ...(window ? { conflicts: window.conflicts } : {}) } };
}

/** One topic name of a move, as written on each side during the conflict window. */
export interface ConflictRow {
  /** The topic name (X's own `T`, or the `T` whose copy `Y.T` the groups read on X). */
  topic: string;
  /** X's local topic of that name: whether it exists, and the records appended to it during the window. */
  source: { cluster: string; exists: boolean; appendedRecords: number };
  /** Y's local topic of that name, likewise. */
  target: { cluster: string; exists: boolean; appendedRecords: number };
  /** Both sides appended records: the same topic (and possibly the same keys) written on both sides. */
  bothWritten: boolean;
  /**
   * When both sides appended records: the keys written on both sides during the window — the seeds' conflict proper
   * (two versions of one key; which one a reader of both copies keeps depends on replication order, not time).
   * `null` when not compared (more than {@link MAX_CONFLICT_RECORDS} records appended on a side); absent when only one
   * side (or none) was written.
   */
  keys?: {
    /** Distinct non-null keys appended on X's and on Y's topic during the window. */
    source: number;
    target: number;
    /** Distinct keys appended on both sides. */
    onBoth: number;
    /** Up to 5 of them, as the first 16 hex digits of the key's SHA-256 (keys are data: never printed as such). */
    examples: string[];
  } | null;
}

/** Most records read per side and topic name to compare keys written during the conflict window. */
export const MAX_CONFLICT_RECORDS = 50_000;

/**
 * The distinct keys (SHA-256, hex) of the records appended to `topic` on `port` between two high-watermark samples
 * (keys `topic/partition`), or null when more than {@link MAX_CONFLICT_RECORDS} were appended. Null keys are left out.
 * @throws the port's read errors.
 */
async function keysAppended(port: KafkaPort, topic: string, before: Map<string, number>, after: Map<string, number>): Promise<Set<string> | null> {
  const ranges = [...after]
    .filter(([k]) => k.slice(0, k.lastIndexOf('/')) === topic)
    .map(([k, end]) => ({ partition: Number(k.slice(k.lastIndexOf('/') + 1)), from: before.get(k) ?? 0, to: end }))
    .filter((r) => r.to > r.from);
  if (ranges.reduce((n, r) => n + r.to - r.from, 0) > MAX_CONFLICT_RECORDS) return null;
  const keys = new Set<string>();
  for (const r of ranges)
    await port.readRange(topic, r.partition, r.from, r.to, (rec) => {
      if (rec.key) keys.add(createHash('sha256').update(rec.key).digest('hex'));
    });
  return keys;
}

/** What {@link conflictWindow} measured. */
export interface ConflictWindow {
  /** The window as measured (ms, from the first sample's start to the second's). */
  windowMs: number;
  conflicts: ConflictRow[];
  /** X's topics matching `frozenTopics`, with the records appended to each during the window. */
  frozen: { topic: string; appendedRecords: number }[];
}

/**
 * Samples the log-end offsets (high watermarks, ListOffsets latest) of `names` on X and on Y, and of X's topics that
 * match `frozenTopics` (regular expression, whole name; '' none), twice, `windowMs` apart. Records appended = the sum over partitions of the growth (transaction
 * markers included).
 * @returns undefined when `windowMs` is 0 or there is nothing to sample.
 */
export async function conflictWindow(
  ctx: PlanContext,
  flow: FlowConfig,
  names: readonly string[],
  windowMs: number,
  frozenTopics = '',
): Promise<ConflictWindow | undefined> {
  if (windowMs === 0) return undefined;
  const x = ctx.kafka(flow.source);
  const y = ctx.kafka(flow.target);
  const [onX, onY] = await Promise.all([x.listTopics().then((t) => new Set(t)), y.listTopics().then((t) => new Set(t))]);
  // The same selection as freeze-writes' quiet window (no internal, MM2 or heartbeat topics).
  const frozen = frozenTopics ? await selectTopics(x, frozenTopics) : [];
  const xTopics = [...new Set([...names.filter((n) => onX.has(n)), ...frozen])];
  const yTopics = names.filter((n) => onY.has(n));
  if (xTopics.length + yTopics.length === 0) return undefined;
  const sample = async () => ({ x: await highWatermarks(x, xTopics), y: await highWatermarks(y, yTopics) });
  const started = ctx.now();
  const before = await sample();
  await ctx.sleep(windowMs);
  const after = await sample();
  // Records appended to a topic: the growth of its partitions' high watermarks (keys `topic/partition`).
  const grew = (side: 'x' | 'y', t: string) =>
    [...after[side]].filter(([k]) => k.slice(0, k.lastIndexOf('/')) === t).reduce((n, [k, v]) => n + v - (before[side].get(k) ?? 0), 0);
  const conflicts: ConflictRow[] = [];
  for (const topic of names) {
    const source = { cluster: flow.source, exists: onX.has(topic), appendedRecords: onX.has(topic) ? grew('x', topic) : 0 };
    const target = { cluster: flow.target, exists: onY.has(topic), appendedRecords: onY.has(topic) ? grew('y', topic) : 0 };
    const bothWritten = source.appendedRecords > 0 && target.appendedRecords > 0;
    if (!bothWritten) {
      conflicts.push({ topic, source, target, bothWritten });
      continue;
    }
    // Both sides written: which keys? Read each side's window (the records between the two samples).
    const [kx, ky] = [await keysAppended(x, topic, before.x, after.x), await keysAppended(y, topic, before.y, after.y)];
    const both = kx && ky ? [...kx].filter((k) => ky.has(k)) : [];
    conflicts.push({
      topic,
      source,
      target,
      bothWritten,
      keys: kx && ky ? { source: kx.size, target: ky.size, onBoth: both.length, examples: both.slice(0, 5).map((k) => k.slice(0, 16)) } : null,
    });
  }
  return { windowMs: ctx.now() - started, conflicts, frozen: frozen.map((topic) => ({ topic, appendedRecords: grew('x', topic) })) };
}

/**
 * Gate `source-writes-frozen`: X's topics that only the moved producers write (`pattern`) appended nothing during the
 * conflict window. Fails closed when no topic of X matches (or no window was sampled): the freeze is then unproven.
 */
export function sourceFrozenGate(source: string, pattern: string, w: ConflictWindow | undefined): GateResult {
  const frozen = w?.frozen ?? [];
  const appended = frozen.reduce((n, f) => n + f.appendedRecords, 0);
  return {
    id: 'source-writes-frozen',
    description: `the moved producers on ${source} are frozen: the topics of ${source} they write (${pattern}) take no record during the conflict window`,
    ok: frozen.length > 0 && appended === 0,
    observed: {
      topics: frozen.length,
      appendedRecords: appended,
      windowMs: w?.windowMs ?? 0,
      byTopic: Object.fromEntries(frozen.map((f) => [f.topic, f.appendedRecords])),
    },
    expected: `≥ 1 topic of ${source} matching ${pattern} (conflictWindowMs > 0) and 0 records appended during the window: a producer still writing on ${source} while its groups move writes the same topics (and keys) on both sides`,
  };
}
