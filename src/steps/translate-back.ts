/**
 * `translate-back`: the offset plan of a failback, run on the reverse flow (source = the DR cluster, target = the
 * old primary). A group on the DR cluster reads two kinds of topics:
 * - **returning topics**: remote topics of the forward flow (`primary.orders` on dr), which map back to the
 *   original name on the old primary (`orders`). MM2 does not replicate them back (cycle detection), so there is no
 *   reverse checkpoint: the step maps the group's dr offset D through the *forward* flow's offset syncs read
 *   backwards — the newest sync (U, Dₛ) with Dₛ ≤ D gives primary offset U + (D − Dₛ). Upstream offsets only ever
 *   skip ahead of downstream ones (transaction markers, compaction), so that value is at or before the record the
 *   group was about to read: records may be re-read, never skipped (exact when the topic has no gaps).
 * - **DR-local topics** written during the DR period (`orders` on dr), replicated by the reverse flow to
 *   `dr.orders` on the old primary: translated through the reverse flow's own checkpoints (src/mm2/translate.ts).
 *
 * It also reports the records that were written to the old primary but never replicated to dr (the tail an
 * emergency failover left behind): per partition, the old primary's records after the last one that reached dr —
 * count, offset range, and optionally every such record exported to a JSON-lines file (by `apply`, through
 * `ctx.write`: `plan` and a dry-run write no file). They are never silently dropped: the groups, reset at or before
 * them, will read them after the failback. The plan rows are the offset plan of src/mm2/plan.ts.
 */
import { type AclNeed, type AclScope, needs } from '../engine/permissions.js';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { FlowConfig } from '../clusters/schema.js';
import type { KafkaPort, PartitionOffsets } from '../kafka/port.js';
import { defineStep, type CheckResult, type StepContext } from '../engine/step.js';
import { positions } from './reset-consumer-groups.js';
import { groupsFoundGate, groupsTranslatedGate, offsetsInRangeGate } from '../gates/offset-plan.js';
import { checkpointsTopicCandidates, offsetSyncsTopicCandidates, pickExisting, remoteTopic, upstreamTopic } from '../mm2/naming.js';
import { OffsetSyncIndex } from '../mm2/offset-sync-index.js';
import { planOutputs, withBoundsProblem, type OffsetPlanRow } from '../mm2/plan.js';
import { readOffsetSyncs } from '../mm2/read-internal.js';
import { matchPlanRows } from '../mm2/record-match.js';
import { translateOffsets } from '../mm2/translate.js';
import { regexString } from './shared.js';

/** Records of one partition of the old primary that never reached dr: offsets [fromOffset, toOffset). */
interface NeverReplicated {
  topic: string;
  partition: number;
  fromOffset: number;
  toOffset: number;
  records: number;
}

/** What `apply` writes: the never-replicated records, exported to `file` as JSON lines. */
export interface ExportPlan {
  file: string;
  ranges: NeverReplicated[];
  /** Records to export (sum over the ranges). */
  records: number;
}

const input = z.strictObject({
  groups: regexString.default('.*'),
  /** Original topic names on the old primary to report never-replicated records for (regex, whole name). */
  topics: regexString.default('.*'),
  /** Where the forward flow kept its offset syncs: on its source (the old primary, MM2's default) or its target. */
  forwardOffsetSyncsLocation: z.enum(['source', 'target']).default('source'),
  /**
   * `record-match` (default): each row then made exact by finding, on the old primary, the record the group reads next
   * on dr (src/mm2/record-match.ts; for returning topics the forward offset syncs serve reversed as its bounds), or
   * `mm2`: the forward syncs read backwards and the reverse checkpoints alone (conservative).
   */
  method: z.enum(['mm2', 'record-match']).default('record-match'),
  /** Longest wait (ms) for the reverse checkpoints to catch up with the groups' last commits and to cover every partition they commit on (fewer re-reads). */
  checkpointWaitMs: z.number().int().min(0).default(15_000),
  /** Write every never-replicated record (topic, partition, offset, timestamp, key and value in base64) here as JSON lines (in `apply`: not by `plan` or a dry-run). */
  exportFile: z.string().min(1).optional(),
});

/**
 * Returning topics by record matching: the record a group reads next on dr's copy (`primary.orders`) is found in the
 * original topic on the old primary. The forward flow's offset syncs, reversed (dr offset as "upstream", primary
 * offset as "downstream"), give the bounds: the floor sync's primary offset (+1) is never after the original — upstream
 * offsets only skip ahead of downstream ones — and the next sync's is after it. Rows are replaced in `plan` when a
 * match is confirmed (basis `record-match`, 0 re-reads). A group that consumed dr's whole copy resumes right after the
 * original of its last record: before the old primary's never-replicated tail, which it then reads.
 * @returns the number of rows made exact.
 */
async function matchReturning(o: {
  dr: KafkaPort;
  primary: KafkaPort;
  forward: FlowConfig;
  forwardSyncs: OffsetSyncIndex;
  plan: OffsetPlanRow[];
}): Promise<number> {
  const reversed = OffsetSyncIndex.from(
    o.forwardSyncs.all().map((s) => ({ ...s, topic: remoteTopic(o.forward, s.topic), upstreamOffset: s.downstreamOffset, downstreamOffset: s.upstreamOffset })),
  );
  const drBounds = new Map<string, PartitionOffsets[]>();
  // The source here is the copy and the target its original, which is never behind it — but only when the original's
  // bounds are read after the copy's. The plan's bounds (planBack's boundsOf) were read before: with MM2 still copying, the copy
  // could then hold records past the original's stale end, and R's copy or its successor fell outside the searched
  // span (no match; seen in the hub-and-spoke test on 3 of 6 partitions). So the original's bounds are read again,
  // after the copy's (matchPlanRows asks for a partition's source bounds first).
  const primaryBounds = new Map<string, PartitionOffsets[]>();
  const { matches } = await matchPlanRows({
    source: o.dr,
    target: o.primary,
    syncs: reversed,
    rows: o.plan,
    eligible: (i) => o.plan[i]!.basis === 'forward-offset-sync-reversed' && !o.plan[i]!.problem,
    sourceBounds: async (topic, partition) => {
      if (!drBounds.has(topic)) drBounds.set(topic, await o.dr.partitionOffsets(topic));
      return drBounds.get(topic)!.find((b) => b.partition === partition);
    },
    targetBounds: async (topic, partition) => {
      if (!primaryBounds.has(topic)) primaryBounds.set(topic, await o.primary.partitionOffsets(topic));
      return primaryBounds.get(topic)!.find((b) => b.partition === partition);
    },
  });
  let matched = 0;
  for (const [i, m] of matches) {
    if (!m) continue;
    matched++;
    const row = o.plan[i]!;
    const fresh = primaryBounds.get(row.topic)?.find((b) => b.partition === row.partition);
    o.plan[i] = withBoundsProblem({
      ...row,
      // The bounds the match was made within (read after the copy's), so the range check sees what it found.
      ...(fresh ? { logStartOffset: fresh.logStartOffset, highWatermark: fresh.highWatermark } : {}),
      // Both are at or before the original of the next record: the larger is exact.
      targetOffset: Math.max(row.targetOffset, m.targetOffset),
      basis: 'record-match',
      reReadRecords: 0,
      reReadNote: `record match: ${m.how}`,
    });
  }
  return matched;
}

/**
 * What {@link planBack} reads, as ACL needs (src/engine/permissions.ts), with `s.flow` its `reverse` flow (X->Y: the
 * groups move from X to Y) and the flipped flow Y->X its `forward` one, whose offset syncs live on `forwardSyncsLocation`
 * of that flow. Two parts, each declared when its flow exists:
 * - `checkpoints` (X's own topics through X->Y's checkpoints and offset syncs): the checkpoints and offset syncs, the
 *   topics on X and their copies on Y;
 * - `returning` (copies of Y's topics on X through Y->X's offset syncs read backwards): those syncs, the copies on X and
 *   the originals on Y.
 * The groups' committed offsets on X are read either way. Pure.
 */
export function planBackAcls(s: AclScope, forwardSyncsLocation: 'source' | 'target', paths: { checkpoints: boolean; returning: boolean }): AclNeed[] {
  const forward = { ...s.flow, source: s.flow.target, target: s.flow.source };
  const forwardSyncs = forwardSyncsLocation === 'target' ? s.flow.source : s.flow.target;
  const reverseSyncs = s.flow.offsetSyncsTopicLocation === 'target' ? s.flow.target : s.flow.source;
  // Copies under another name only (the identity policy keeps the name: the same topic, already named).
  const copies = (names: string[]) => names.filter((n) => !s.topics.includes(n));
  const { checkpoints, returning } = paths;
  return [
    ...needs(s.flow.source, 'group', s.groups, ['DESCRIBE'], "translate back: the groups' committed offsets on the failover target"),
    ...(returning
      ? needs(forwardSyncs, 'topic', [offsetSyncsTopicCandidates(forward)], ['READ'], 'translate back: the forward flow offset syncs, read backwards')
      : []),
    ...(checkpoints ? needs(s.flow.target, 'topic', [checkpointsTopicCandidates(s.flow)], ['READ'], 'translate back: the reverse flow checkpoints') : []),
    ...(checkpoints ? needs(reverseSyncs, 'topic', [offsetSyncsTopicCandidates(s.flow)], ['READ'], 'translate back: the reverse flow offset syncs') : []),
    ...(checkpoints ? needs(s.flow.source, 'topic', s.topics, ['READ'], 'translate back: records written after the failover') : []),
    ...(returning
      ? needs(
          s.flow.source,
          'topic',
          copies(s.topics.map((t) => remoteTopic(forward, t))),
          ['READ'],
          'translate back: records of the returning topics on the failover target',
        )
      : []),
    ...(returning ? needs(s.flow.target, 'topic', s.topics, ['READ'], 'translate back: bounds and records on the original cluster') : []),
    ...(checkpoints
      ? needs(
          s.flow.target,
          'topic',
          copies(s.topics.map(s.remote)),
          ['READ'],
          'translate back: bounds and records of the failover target topics on the original cluster',
        )
      : []),
  ];
}

export const translateBack = defineStep<typeof input, ExportPlan>({
  kind: 'translate-back',
  description:
    "failback offset plan: returning topics through the forward flow's offset syncs, DR-local topics through reverse checkpoints; never-replicated records reported (and exported)",
  // The export file is a write (through ctx.write in apply: audited, a "would" record in a dry-run); no cluster is written.
  writes: true,
  // Failback (flow dr->primary): the forward flow's offset syncs and the groups on dr; bounds and records on primary.
  // What planBack reads (flow dr->primary): returning topics through the forward flow's offset syncs (on primary by
  // default) and record match on both copies; DR-local topics through the reverse flow's checkpoints and offset syncs,
  // and record match on dr's topic and its copy on primary.
  acls: (s) => planBackAcls(s, s.with.forwardOffsetSyncsLocation === 'target' ? 'target' : 'source', { checkpoints: true, returning: true }),
  output: planOutputs,
  input,
  async check(ctx, input) {
    const reverse = ctx.flow;
    const forward: FlowConfig = { ...reverse, source: reverse.target, target: reverse.source, offsetSyncsTopicLocation: input.forwardOffsetSyncsLocation };
    return planBack(ctx, input, reverse, forward);
  },
  async apply(ctx, _input, exp) {
    if (!exp) return;
    await exportNeverReplicated(ctx, exp);
  },
});

/** What {@link planBack} needs of a step context (the CLI's `offsets move` gives it the same from opened ports). */
export type PlanContext = Pick<StepContext, 'kafka' | 'note' | 'now' | 'sleep'>;

/** Input of `translate-back` (parsed). */
export type TranslateBackInput = z.output<typeof input>;

/**
 * The plan of groups moving from `reverse.source` to `reverse.target`: topics that came from `reverse.target` (remote
 * topics of `forward`, the flow reverse.target → reverse.source) through `forward`'s offset syncs read backwards (or
 * record match), every other topic through `reverse`'s checkpoints. `translate-back` runs it with `forward` the flipped
 * runbook flow; `translate-move` (an active-active move) with the opposite flow of the clusters file.
 */
export async function planBack(
  ctx: PlanContext,
  input: TranslateBackInput,
  reverse: FlowConfig,
  forward: FlowConfig,
  /** Topics on `reverse.source` whose commits the caller plans itself (a move's copies of a third cluster's topics). */
  leave: (topic: string) => boolean = () => false,
): Promise<CheckResult<ExportPlan>> {
  const dr = ctx.kafka(reverse.source);
  const primary = ctx.kafka(reverse.target);
  const groupRe = new RegExp(`^(?:${input.groups})$`);
  const topicRe = new RegExp(`^(?:${input.topics})$`);

  // Forward offset syncs, all of them (not only the newest): D → U needs the one just below D.
  const syncPort = forward.offsetSyncsTopicLocation === 'source' ? primary : dr;
  const syncTopic = pickExisting(offsetSyncsTopicCandidates(forward), await syncPort.listTopics());
  const forwardSyncs = OffsetSyncIndex.from(syncTopic ? (await readOffsetSyncs(syncPort, syncTopic)).records : []);

  // Returning topics: every selected group's commits on forward remote topics.
  const plan: OffsetPlanRow[] = [];
  const untranslatable: string[] = [];
  const listed = (await dr.listGroups()).filter((g) => groupRe.test(g.groupId));
  const groups = listed.map((g) => g.groupId);
  const typeOf = new Map(listed.map((g) => [g.groupId, g.type]));
  // A share group's position comes from its share-partition start offsets (OffsetFetch answers nothing for it).
  const positionsOf = (group: string) => positions(dr, group, typeOf.get(group) === 'share' ? 'share-start-offset' : 'committed-offset');
  const bounds = new Map<string, PartitionOffsets[]>();
  const boundsOf = async (topic: string) => {
    if (!bounds.has(topic)) bounds.set(topic, await primary.partitionOffsets(topic).catch(() => []));
    return bounds.get(topic)!;
  };
  const localCommits: { group: string; topic: string; partition: number }[] = [];
  for (const group of groups) {
    for (const c of await positionsOf(group)) {
      if (leave(c.topic)) continue;
      const origin = upstreamTopic(forward, c.topic);
      if (origin === undefined || forward.replicationPolicy === 'identity') {
        localCommits.push({ group, topic: c.topic, partition: c.partition }); // DR-local topic: below
        continue;
      }
      const targetOffset = forwardSyncs.upstreamOf(origin, c.partition, c.offset);
      if (targetOffset === undefined) {
        untranslatable.push(`${group} ${c.topic}/${c.partition}@${c.offset}: no forward offset sync at or below it`);
        continue;
      }
      const b = (await boundsOf(origin)).find((x) => x.partition === c.partition);
      plan.push(
        withBoundsProblem({
          group,
          offsetKind: typeOf.get(group) === 'share' ? 'share-start-offset' : 'committed-offset',
          groupType: typeOf.get(group),
          topic: origin,
          partition: c.partition,
          targetOffset,
          metadata: c.metadata,
          basis: 'forward-offset-sync-reversed',
          sourceTopic: c.topic,
          sourceCommittedOffset: c.offset,
          reReadRecords: null,
          reReadNote: 'not counted: the forward offset syncs do not say how many upstream offsets were gaps',
          logStartOffset: b?.logStartOffset ?? 0,
          highWatermark: b?.highWatermark ?? 0,
          commitsSinceCheckpoint: null,
          ...(b ? {} : { problem: `${origin}/${c.partition} does not exist on ${reverse.target}` }),
        }),
      );
    }
  }

  if (input.method === 'record-match') {
    const matched = await matchReturning({ dr, primary, forward, forwardSyncs, plan });
    ctx.note(`record match: ${matched} of ${plan.length} returning partition(s) made exact on ${reverse.target}`);
  }

  // DR-local topics: the reverse flow's checkpoints (MM2 wrote them into `<dr>.checkpoints.internal` on primary).
  // The groups' last commits (consumers just stopped) reach the reverse checkpoints within an emit interval or two,
  // and a partition MM2 has not checkpointed yet gets the coarser offset-sync fallback: wait up to checkpointWaitMs
  // for both, so the plan re-reads as little as possible (it never skips either way). This loop stays in the step:
  // the engine's `wait` re-runs a check until its gates hold or it fails, and cannot express "wait a while, then
  // accept the fallback" — here the fallback is a correct plan, only a less exact one.
  const behind = (t: Awaited<ReturnType<typeof reverseTranslation>>) =>
    t.partitions.some((p) => (p.commitsSinceCheckpoint ?? 0) > 0) || t.untranslated.some((u) => u.reason === 'not-yet-checkpointed');
  let reverseError: string | undefined;
  const reverseTranslation = () =>
    translateOffsets({ flow: reverse, target: primary, source: dr, include: [groupRe], method: input.method }).catch((e: Error) => {
      reverseError = e.message;
      return { partitions: [], untranslated: [] };
    });
  // No DR-local commit (a move whose groups read only copies, e.g. between two aggregate clusters): nothing to read —
  // the runbook's pair may have no flow, hence no checkpoints, at all.
  const none = { partitions: [], untranslated: [] } as Awaited<ReturnType<typeof reverseTranslation>>;
  let reverseCheckpointed = localCommits.length ? await reverseTranslation() : none;
  for (const deadline = ctx.now() + input.checkpointWaitMs; localCommits.length && ctx.now() < deadline && behind(reverseCheckpointed); ) {
    await ctx.sleep(1000);
    reverseCheckpointed = await reverseTranslation();
  }
  plan.push(...reverseCheckpointed.partitions.filter((p) => !leave(p.sourceTopic)));
  // Fail closed: every DR-local partition a selected group commits on must be in the plan.
  for (const c of localCommits) {
    if (plan.some((p) => p.group === c.group && p.sourceTopic === c.topic && p.partition === c.partition)) continue;
    const why = reverseCheckpointed.untranslated.find((u) => u.group === c.group && u.sourceTopic === c.topic && u.partition === c.partition);
    // A Kafka Streams application's own (drained) repartition topic on dr: it recreates it on primary, nothing to move.
    if (why?.reason === 'streams-internal-topic') continue;
    untranslatable.push(
      `${c.group} ${c.topic}/${c.partition}: ${why ? why.reason : reverseError ? `reverse checkpoints unreadable (${reverseError})` : 'no reverse checkpoint'}`,
    );
  }

  // Records on the old primary that never reached dr: after the replicated end of each returning partition.
  const neverReplicated: NeverReplicated[] = [];
  for (const t of (await dr.listTopics()).filter((x) => upstreamTopic(forward, x) !== undefined && forward.replicationPolicy !== 'identity')) {
    const origin = upstreamTopic(forward, t)!;
    if (!topicRe.test(origin) || origin === 'heartbeats') continue;
    const onPrimary = await boundsOf(origin);
    for (const d of await dr.partitionOffsets(t)) {
      const end = forwardSyncs.upstreamOf(origin, d.partition, d.highWatermark);
      const e = onPrimary.find((x) => x.partition === d.partition)?.highWatermark;
      if (end === undefined || e === undefined || e <= end) continue;
      neverReplicated.push({ topic: origin, partition: d.partition, fromOffset: end, toOffset: e, records: e - end });
    }
  }
  const lost = neverReplicated.reduce((s, r) => s + r.records, 0);
  ctx.note(
    `${new Set(plan.map((p) => p.group)).size} group(s), ${plan.length} partition(s) planned on ${reverse.target}; ${lost} record(s) on ${reverse.target} never reached ${reverse.source} (${neverReplicated.map((r) => `${r.topic}/${r.partition} [${r.fromOffset}, ${r.toOffset})`).join(', ') || 'none'})`,
    { neverReplicated },
  );
  return {
    gates: [offsetsInRangeGate(plan, reverse.target), groupsTranslatedGate(untranslatable), groupsFoundGate(plan)],
    outputs: { plan, neverReplicated, neverReplicatedRecords: lost, reReadRecords: null },
    ...(input.exportFile && lost > 0 ? { plan: { file: input.exportFile, ranges: neverReplicated, records: lost } } : {}),
  };
}

/** Exports the never-replicated records (the `apply` of `translate-back`), through `ctx.write`. */
async function exportNeverReplicated(ctx: StepContext, exp: ExportPlan): Promise<void> {
  const primary = ctx.kafka(ctx.flow.target);
  const ranges = exp.ranges.map((r) => `${r.topic}/${r.partition} [${r.fromOffset}, ${r.toOffset})`);
  const done = await ctx.write({ action: 'export never-replicated records', details: { file: exp.file, records: exp.records, ranges } }, async () => {
    const lines: string[] = [];
    for (const r of exp.ranges) {
      await primary.readRange(r.topic, r.partition, r.fromOffset, r.toOffset, (rec) =>
        lines.push(
          JSON.stringify({
            topic: r.topic,
            partition: r.partition,
            offset: rec.offset,
            timestamp: rec.timestamp,
            key: rec.key?.toString('base64') ?? null,
            value: rec.value?.toString('base64') ?? null,
          }),
        ),
      );
    }
    writeFileSync(exp.file, lines.join('\n') + '\n', { mode: 0o600 });
    return { file: exp.file, records: lines.length };
  });
  if (done) ctx.note(`${done.records} never-replicated record(s) of ${ctx.flow.target} exported to ${done.file}`);
}
