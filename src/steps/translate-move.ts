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
 */
import { z } from 'zod';
import type { FlowConfig } from '../clusters/schema.js';
import { defineStep, type CheckResult } from '../engine/step.js';
import type { GateResult } from '../engine/events.js';
import { upstreamTopic } from '../mm2/naming.js';
import { planOutputs, type OffsetPlanRow } from '../mm2/plan.js';
import { regexString } from './shared.js';
import { planBack, type PlanContext } from './translate-back.js';

const name = (f: Pick<FlowConfig, 'source' | 'target'>) => `${f.source}->${f.target}`;

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

const input = z.strictObject({
  groups: regexString.default('.*'),
  /** `record-match` (default: each row made exact on Y) or `mm2` (checkpoints and offset syncs alone, conservative). */
  method: z.enum(['mm2', 'record-match']).default('record-match'),
  /** Longest wait (ms) for the X->Y checkpoints to catch up with the groups' last commits. */
  checkpointWaitMs: z.number().int().min(0).default(15_000),
});

export const translateMove = defineStep({
  kind: 'translate-move',
  description:
    "active-active move offset plan: the source cluster's own topics through the flow's checkpoints, copies of the target's topics through the opposite flow's offset syncs read backwards; the path of every partition",
  writes: false,
  output: planOutputs,
  input,
  async check(ctx, input) {
    return planMove(ctx, ctx.flow, ctx.flows ?? [ctx.flow], input);
  },
});

/** Input of `translate-move` (parsed). */
export type TranslateMoveInput = z.output<typeof input>;

/**
 * The plan of a move `flow.source` → `flow.target` in the graph `flows` (the clusters file's): gates `move-graph`,
 * `stop-covers-writers` and the plan gates; outputs `plan` (rows with `path`), `writerFlows` and translate-back's.
 * Used by the step and by `kafka-failover offsets move`.
 */
export async function planMove(ctx: PlanContext, flow: FlowConfig, flows: readonly FlowConfig[], input: TranslateMoveInput): Promise<CheckResult> {
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

  const r = await planBack(ctx, { ...input, topics: '.*', forwardOffsetSyncsLocation: opposite.offsetSyncsTopicLocation }, flow, opposite);
  const plan = (r.outputs?.plan ?? []) as OffsetPlanRow[];
  for (const row of plan) row.path = movePath(row, flow, opposite);

  // Which flows write into the topics the groups read on Y after the move: they must stop before the reset.
  const writers = new Map<string, string[]>();
  for (const row of plan) for (const f of writersOf(flows, flow.target, row.topic)) writers.set(name(f), [...(writers.get(name(f)) ?? []), row.topic]);
  const others = [...writers.keys()].filter((w) => w !== name(flow));
  const returning = plan.filter((p) => upstreamTopic(opposite, p.sourceTopic) === p.topic).length;
  ctx.note(
    `move ${flow.source} → ${flow.target}: ${plan.length - returning} partition(s) of ${flow.source}'s own topics via ${name(flow)}, ${returning} of copies of ${flow.target}'s topics via ${name(opposite)}${found ? '' : ` (no ${name(opposite)} flow in the clusters file)`}; flows writing the moved topics on ${flow.target}: ${[...writers.keys()].join(', ') || 'none'}`,
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
    description: `the flows writing into the moved groups' topics on ${flow.target} are the runbook's flow ${name(flow)} only (the one stop-replication stops)`,
    ok: others.length === 0,
    observed: { writerFlows: Object.fromEntries([...writers].map(([k, v]) => [k, [...new Set(v)]])) },
    expected: others.length
      ? `also stop ${others.join(', ')} before the reset (a checkpoint or offset sync write from them would move the groups)`
      : name(flow),
  };
  return { ...r, gates: [graphGate, stopGate, ...(r.gates ?? [])], outputs: { ...r.outputs, plan, writerFlows: [...writers.keys()] } };
}
