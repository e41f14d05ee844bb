/**
 * The offset plan: the one contract between the steps that compute target offsets (`translate-offsets`,
 * `translate-back`: their output `plan`) and the steps that act on them (`reset-consumer-groups`, `validate`: their
 * input `plan`). A runbook passes it along as `${steps.<id>.outputs.plan}`.
 *
 * One group offset, top-down, always called `targetOffset` once it leaves MM2's records:
 * 1. MM2 writes a checkpoint `{ group, topic, partition, upstreamOffset, downstreamOffset }` to the target
 *    (MC/Checkpoint.java; decoded by `records.ts` under MM2's own field names);
 * 2. `translate.ts` takes the checkpoint's `downstreamOffset` as the row's {@link OffsetPlanRow.targetOffset}
 *    (or, for a group rewound below it / with no checkpoint, the offset-sync translation; `translate-back` maps
 *    returning topics through the forward offset syncs read backwards: `OffsetSyncIndex.upstreamOf`);
 * 3. `reset-consumer-groups` commits `targetOffset` unchanged as the OffsetCommit offset (admin API), then reads it
 *    back; `validate` checks the groups' committed offsets are at or beyond `targetOffset` afterwards.
 */
import { z } from 'zod';

/** Where a row's `targetOffset` comes from. */
export const PLAN_BASES = [
  /** The latest MM2 checkpoint's downstream offset. */
  'checkpoint',
  /** MM2's conservative offset-sync translation (no usable checkpoint, or the group rewound below it). */
  'offset-sync-fallback',
  /** Failback of a returning topic: the forward flow's offset syncs read backwards (downstream → upstream). */
  'forward-offset-sync-reversed',
  /** The record the group reads next on the source, found on the target (src/mm2/record-match.ts): exact. */
  'record-match',
  /**
   * A move's copy of a third cluster's topic (src/steps/translate-via-origin.ts): that cluster's offset reached through
   * the offset syncs of its flow into the source (read backwards), then its flow into the target (forward).
   */
  'origin-offset-syncs',
] as const;

const offset = z.number().int().min(0);

/**
 * What a row's `targetOffset` is set as on the target: a committed offset (OffsetCommit, admin semantics: classic,
 * consumer and streams groups) or a share-partition start offset (AlterShareGroupOffsets: share groups, KIP-932).
 */
export const OFFSET_KINDS = ['committed-offset', 'share-start-offset'] as const;

/** The checkpoint a row was computed from (or seen), as evidence. Offsets in records; times epoch ms / ms. */
export const checkpointEvidence = z.object({ upstreamOffset: offset, downstreamOffset: offset, timestamp: z.number(), ageMs: z.number().min(0) });

/** One row of an offset plan: one group's committed offset to set on one target partition. */
export const offsetPlanRow = z.object({
  group: z.string().min(1),
  /** Target-side topic (e.g. `primary.orders` on dr; `orders` on the old primary in a failback). */
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  /** The committed offset to set on the target: the next record the group reads there. */
  targetOffset: offset,
  /** Metadata to commit with it (the source commit's metadata as MM2 carried it). */
  metadata: z.string().default(''),
  basis: z.enum(PLAN_BASES),
  /** How the offset is set on the target (default: a committed offset). */
  offsetKind: z.enum(OFFSET_KINDS).default('committed-offset'),
  /** The group's type on the source (ListGroups v5), when known: `streams` and `share` groups are never checkpointed by MM2. */
  groupType: z.enum(['classic', 'consumer', 'streams', 'share', 'unknown']).optional(),
  /** Source-side topic the group committed on. */
  sourceTopic: z.string().min(1),
  /** The group's committed offset on the source when the plan was made, or null when the source was unreachable. */
  sourceCommittedOffset: z.number().int().nullable(),
  /** Records the group will re-read on the target (≥ 0), or null when it cannot be known. */
  reReadRecords: z.number().int().min(0).nullable(),
  /** Why `reReadRecords` is null, or how it was estimated. */
  reReadNote: z.string(),
  /** Target partition bounds when planned (0/0 when the partition does not exist there: then `problem` says so). */
  logStartOffset: offset,
  highWatermark: offset,
  /** Source committed offset − checkpoint upstream offset: records consumed since the checkpoint; null when unknown. */
  commitsSinceCheckpoint: z.number().int().nullable(),
  /** The checkpoint used or seen (absent when none was). */
  checkpoint: checkpointEvidence.optional(),
  /** Set when the offset must not be written (outside the target log, a rewound group without a sync…). */
  problem: z.string().optional(),
  /**
   * Where the records live on the target and which flow's evidence maps the offset (a workload move in a replication
   * graph, `translate-move`), e.g. `primary:dr.orders → dr:orders (copy of dr's topic: dr->primary offset syncs read backwards)`.
   */
  path: z.string().optional(),
});

/** One row of an offset plan (see {@link offsetPlanRow}). */
export type OffsetPlanRow = z.output<typeof offsetPlanRow>;

/** An offset plan: the `plan` output of the translating steps and the `plan` input of reset and validate. */
export const offsetPlan = z.array(offsetPlanRow);

/** Why an offset must not be written to a target partition with these bounds, or undefined when it may. */
export function boundsProblem(targetOffset: number, b: { logStartOffset: number; highWatermark: number }, where: string): string | undefined {
  if (targetOffset < b.logStartOffset)
    return `target offset ${targetOffset} is below the log start ${b.logStartOffset} of ${where} (records deleted: the group would skip them)`;
  if (targetOffset > b.highWatermark)
    return `target offset ${targetOffset} is above the high watermark ${b.highWatermark} of ${where} (a truncated or recreated topic)`;
  return undefined;
}

/** The row with its bounds problem, if any, added (an earlier problem is kept). */
export function withBoundsProblem(row: OffsetPlanRow): OffsetPlanRow {
  const problem = row.problem ?? boundsProblem(row.targetOffset, row, `${row.topic}/${row.partition}`);
  return problem ? { ...row, problem } : row;
}

/** Per-group totals of a plan. */
export interface GroupTranslation {
  group: string;
  partitions: number;
  /** Sum of re-read records, or null when any partition's is unknown. */
  reReadRecords: number | null;
  problems: number;
}

/** Per-group totals, in the order groups first appear. */
export function summarizePlan(rows: readonly OffsetPlanRow[]): GroupTranslation[] {
  const by = new Map<string, GroupTranslation>();
  for (const p of rows) {
    const g = by.get(p.group) ?? { group: p.group, partitions: 0, reReadRecords: 0, problems: 0 };
    g.partitions++;
    g.reReadRecords = g.reReadRecords === null || p.reReadRecords === null ? null : g.reReadRecords + p.reReadRecords;
    if (p.problem) g.problems++;
    by.set(p.group, g);
  }
  return [...by.values()];
}

/** The rows of each group, in plan order (one pass: callers of thousands of groups must not filter per group). */
export function rowsByGroup<T extends { group: string }>(rows: readonly T[]): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const r of rows) {
    const list = by.get(r.group);
    if (list) list.push(r);
    else by.set(r.group, [r]);
  }
  return by;
}

/** The outputs of a translating step: `plan` is the offset plan; other outputs pass through unchecked. */
export const planOutputs = z.looseObject({ plan: offsetPlan });
