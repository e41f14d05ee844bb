/**
 * Translating consumer-group committed offsets from a flow's source cluster to its target through MM2's
 * checkpoints — exact about what MM2 wrote, conservative (a group may re-read records, never skip one), and
 * telling, per partition and per group, how many records each group will re-read.
 *
 * Reads: the checkpoints topic on the target once; the offset-syncs topic once (on the source, or on the target
 * with `offsetSyncsTopicLocation: target`) when reachable; the target partitions' log start and high watermark
 * once per partition; the source groups' committed offsets once per group (source reachable only).
 *
 * Per (group, target partition):
 * - target offset = the latest checkpoint's downstream offset (MM/MirrorCheckpointTask, MC/Checkpoint.java);
 * - checked against the target partition: log start ≤ offset ≤ high watermark, else `problem` (the reset refuses);
 * - staleness: checkpoint age, and (source reachable) source committed offset − checkpoint upstream offset;
 * - re-read records: target position of the source committed offset (estimated from the floor offset sync,
 *   see {@link OffsetSyncIndex.estimatePosition}) − target offset; null when it cannot be known.
 * A source group rewound below its checkpoint's upstream offset is re-translated from offset syncs (MM2 ≥ 3.5
 * rule) because the checkpoint would skip records; without a sync it is a problem.
 * Partitions with source commits but no checkpoint are listed with the reason; when the source is reachable they
 * get the conservative offset-sync translation, marked `basis: 'offset-sync-fallback'`.
 */
import type { FlowConfig } from '../clusters/schema.js';
import { type CommittedOffset, GroupApiUnavailableError, type GroupType, type KafkaPort, type PartitionOffsets, type ShareStartOffset } from '../kafka/port.js';
import {
  checkpointsTopicCandidates,
  isInternalTopic,
  isStreamsInternalTopicOf,
  offsetSyncsTopicCandidates,
  pickExisting,
  remoteTopic,
  upstreamTopic,
} from './naming.js';
import { mapBounded } from '../util/bounded.js';
import { OffsetSyncIndex } from './offset-sync-index.js';
import { type MatchReads, matchPlanRows } from './record-match.js';
import { boundsProblem, summarizePlan, withBoundsProblem, type GroupTranslation, type OffsetPlanRow } from './plan.js';
import { latestCheckpoints, readCheckpoints, readOffsetSyncs, type CheckpointRecord, type CorruptRecord } from './read-internal.js';

/**
 * Why a (group, partition) with source commits has no checkpoint. `group-type-not-checkpointed`: a streams or share
 * group, which MM2's checkpoint connector never lists (it checkpoints classic and consumer groups only).
 */
export type UntranslatedReason =
  | 'excluded-by-mm2-groups-filter'
  | 'topic-not-replicated'
  | 'not-yet-checkpointed'
  | 'group-type-not-checkpointed'
  /** A Kafka Streams application's internal topic, fully consumed on the source: not moved (the application recreates it). */
  | 'streams-internal-topic'
  /** …the same, with records not yet consumed by the application: they would be lost by the move (blocks). */
  | 'streams-repartition-in-flight';

/** One translated partition of one group: a row of the offset plan (src/mm2/plan.ts). */
export type TranslatedPartition = OffsetPlanRow;
export type { GroupTranslation };

/** A (group, source partition) that has source commits but no usable checkpoint. */
export interface UntranslatedPartition {
  group: string;
  sourceTopic: string;
  partition: number;
  sourceCommittedOffset: number;
  reason: UntranslatedReason;
  detail: string;
  /** True when an offset-sync fallback translation was produced for it (see `partitions`). */
  fallback: boolean;
}

/** Options of {@link translateOffsets}. */
export interface TranslateOptions {
  flow: FlowConfig;
  target: KafkaPort;
  /** The source cluster, or undefined when it is unreachable (emergency): translation from checkpoints alone. */
  source?: KafkaPort;
  /** Only groups matching one of these (default: all). */
  include?: RegExp[];
  /**
   * `mm2` (default): MM2's checkpoints, offset syncs where there are none (conservative). `record-match`: then, with
   * the source reachable, each row is made exact by finding on the target the record the group reads next on the
   * source (src/mm2/record-match.ts); rows with no match keep the conservative offset.
   */
  method?: 'mm2' | 'record-match';
  /** Leave out groups matching one of these. */
  exclude?: RegExp[];
  /** Clock (epoch ms); default Date.now. */
  now?: () => number;
}

/** The whole result. */
export interface TranslationResult {
  flow: { source: string; target: string };
  generatedAt: string;
  sourceReachable: boolean;
  checkpointsTopic: string;
  offsetSyncsTopic: string | null;
  partitions: TranslatedPartition[];
  untranslated: UntranslatedPartition[];
  /**
   * Selected source groups whose positions cannot be read at all (e.g. a share group on a cluster without
   * DescribeShareGroupOffsets): not movable, with the reason. `translate-offsets` blocks on them.
   */
  unmovableGroups: { group: string; type: GroupType; reason: string }[];
  groups: GroupTranslation[];
  corrupt: CorruptRecord[];
  /** Records read: MM2's internal topics, and (record-match) the source and target spans. */
  reads: { checkpointRecords: number; offsetSyncRecords: number; recordMatch?: MatchReads };
}

const matchesAny = (s: string, patterns: readonly RegExp[]) => patterns.some((p) => p.test(s));
/** MM2 filters match the whole name (Java `Pattern.matcher(...).matches()`). */
const fullRegex = (p: string) => new RegExp(`^(?:${p})$`);

/** Translates every selected group's offsets. @throws Error when the checkpoints topic does not exist on the target. */
export async function translateOffsets(o: TranslateOptions): Promise<TranslationResult> {
  const now = (o.now ?? Date.now)();
  const { flow, target, source } = o;
  const selected = (g: string) => (!o.include?.length || matchesAny(g, o.include)) && !matchesAny(g, o.exclude ?? []);
  const targetTopics = await target.listTopics();
  const checkpointsTopic = pickExisting(checkpointsTopicCandidates(flow), targetTopics);
  if (!checkpointsTopic) {
    throw new Error(
      `no checkpoints topic (${checkpointsTopicCandidates(flow).join(' or ')}) on ${target.alias}: is MM2's checkpoint connector running for ${flow.source}->${flow.target}?`,
    );
  }

  // The offset-syncs topic: on the source (default) or on the target.
  const syncsPort = flow.offsetSyncsTopicLocation === 'target' ? target : source;
  let syncsTopic: string | undefined;
  let syncIndex = OffsetSyncIndex.from([]);
  let offsetSyncRecords = 0;
  const corrupt: CorruptRecord[] = [];
  if (syncsPort) {
    syncsTopic = pickExisting(offsetSyncsTopicCandidates(flow), syncsPort === target ? targetTopics : await syncsPort.listTopics());
    if (syncsTopic) {
      const syncs = await readOffsetSyncs(syncsPort, syncsTopic);
      syncIndex = OffsetSyncIndex.from(syncs.records);
      offsetSyncRecords = syncs.recordsRead;
      corrupt.push(...syncs.corrupt);
    }
  }

  const ckRead = await readCheckpoints(target, checkpointsTopic, (c) => selected(c.group));
  corrupt.push(...ckRead.corrupt);
  // A Kafka Streams application's internal topics are never moved (handled with the source commits below).
  const latest = [...latestCheckpoints(ckRead.records).values()].filter((c) => {
    const up = upstreamTopic(flow, c.topic);
    return selected(c.group) && up !== undefined && !isStreamsInternalTopicOf(c.group, up);
  });

  // Source positions, once per group (source reachable only): committed offsets, or a share group's share-partition
  // start offsets (DescribeShareGroupOffsets: OffsetFetch answers nothing for a share group).
  const sourceCommits = new Map<string, CommittedOffset[]>();
  const sourceTypes = new Map<string, GroupType>();
  /** Share groups: per `group topic/partition`, how the position was read (see {@link sharePosition}). */
  const shareNotes = new Map<string, SharePosition>();
  const unmovableGroups: TranslationResult['unmovableGroups'] = [];
  // Source high watermarks, read once per topic (share positions, Streams repartition lag, record matching).
  // Promises are kept, so concurrent callers (record matching runs partitions concurrently) share one request.
  const sourceBounds = new Map<string, Promise<PartitionOffsets[]>>();
  const sourceBoundsOf = async (topic: string, partition: number) => {
    if (!source) return undefined;
    if (!sourceBounds.has(topic)) sourceBounds.set(topic, source.partitionOffsets(topic));
    return (await sourceBounds.get(topic)!).find((p) => p.partition === partition);
  };
  const endOf = async (topic: string, partition: number) => (await sourceBoundsOf(topic, partition))?.highWatermark;
  if (source) {
    const listed = (await source.listGroups()).filter((l) => selected(l.groupId));
    for (const g of listed) sourceTypes.set(g.groupId, g.type);
    // Committed offsets of all other groups, a bounded number of OffsetFetch requests in flight (util/bounded.ts).
    const plain = listed.filter((g) => g.type !== 'share');
    const fetched = await mapBounded(plain, (g) => source.committedOffsets(g.groupId));
    for (const [i, g] of plain.entries()) sourceCommits.set(g.groupId, fetched[i]!);
    for (const g of listed.filter((l) => l.type === 'share')) {
      const positions: CommittedOffset[] = [];
      let starts: ShareStartOffset[];
      try {
        starts = await source.shareGroupOffsets(g.groupId);
      } catch (error) {
        if (!(error instanceof GroupApiUnavailableError)) throw error;
        unmovableGroups.push({ group: g.groupId, type: 'share', reason: `its start offsets cannot be read on ${source.alias}: ${error.message}` });
        continue;
      }
      for (const o of starts) {
        const pos = sharePosition(o, await endOf(o.topic, o.partition));
        shareNotes.set(`${g.groupId} ${o.topic}/${o.partition}`, pos);
        positions.push({ topic: o.topic, partition: o.partition, offset: pos.position, metadata: '' });
      }
      sourceCommits.set(g.groupId, positions);
    }
  }
  const kindOf = (group: string) => ({
    offsetKind: sourceTypes.get(group) === 'share' ? ('share-start-offset' as const) : ('committed-offset' as const),
    ...(sourceTypes.has(group) ? { groupType: sourceTypes.get(group) } : {}),
  });
  const committed = (group: string, topic: string, partition: number) => sourceCommits.get(group)?.find((c) => c.topic === topic && c.partition === partition);

  // Target partition bounds, once per topic.
  const bounds = new Map<string, Promise<PartitionOffsets[]>>();
  /** The bounds read so far, for synchronous use once a topic's were awaited. */
  const boundsRead = new Map<string, PartitionOffsets[]>();
  const boundsOf = async (topic: string, partition: number) => {
    if (!bounds.has(topic)) bounds.set(topic, target.partitionOffsets(topic));
    const all = await bounds.get(topic)!;
    boundsRead.set(topic, all);
    return all.find((p) => p.partition === partition);
  };

  let partitions: TranslatedPartition[] = [];
  /** Rows with no MM2 translation at all, kept only when record matching finds the copy (their untranslated entry). */
  const provisional = new Map<TranslatedPartition, UntranslatedPartition>();
  const covered = new Set<string>();
  for (const ck of latest) {
    const sourceTopic = upstreamTopic(flow, ck.topic)!;
    covered.add(JSON.stringify([ck.group, sourceTopic, ck.partition]));
    const c = source ? committed(ck.group, sourceTopic, ck.partition) : undefined;
    partitions.push({
      ...translateOne({
        ck,
        sourceTopic,
        sourceCommitted: c?.offset ?? null,
        syncIndex,
        bounds: await boundsOf(ck.topic, ck.partition),
        now,
        syncsKnown: syncsTopic !== undefined,
      }),
      ...kindOf(ck.group),
    });
  }

  // Source commits without a checkpoint: reasons, and the conservative fallback.
  const untranslated: UntranslatedPartition[] = [];
  const groupsExclude = flow.groupsExclude.map(fullRegex);
  const topicsExclude = flow.topicsExclude.map(fullRegex);
  const targetTopicSet = new Set(targetTopics);
  for (const [group, commits] of sourceCommits) {
    for (const c of commits) {
      if (covered.has(JSON.stringify([group, c.topic, c.partition]))) continue;
      const remote = remoteTopic(flow, c.topic);
      let reason: UntranslatedReason;
      let detail: string;
      if (isStreamsInternalTopicOf(group, c.topic)) {
        // The application recreates its internal topics on the target and reads its own copies there; what it had not
        // consumed yet in the source's repartition topic would never be processed.
        const end = (await endOf(c.topic, c.partition)) ?? c.offset;
        const lag = Math.max(0, end - c.offset);
        reason = lag > 0 ? 'streams-repartition-in-flight' : 'streams-internal-topic';
        detail =
          lag > 0
            ? `internal topic of Kafka Streams application "${group}": ${lag} record(s) not yet processed (committed ${c.offset}, log end ${end}); they would be lost: let the application drain its repartition topics before stopping it`
            : `internal topic of Kafka Streams application "${group}", fully processed (committed ${c.offset} = log end): not moved, the application recreates it on ${target.alias}`;
        untranslated.push({ group, sourceTopic: c.topic, partition: c.partition, sourceCommittedOffset: c.offset, reason, detail, fallback: false });
        continue;
      }
      if (matchesAny(group, groupsExclude)) {
        reason = 'excluded-by-mm2-groups-filter';
        detail = `group matches MM2 groups.exclude (${flow.groupsExclude.join(', ')})`;
      } else if (isInternalTopic(c.topic) || matchesAny(c.topic, topicsExclude) || !targetTopicSet.has(remote)) {
        reason = 'topic-not-replicated';
        detail = targetTopicSet.has(remote) ? `topic ${c.topic} matches MM2 topics.exclude` : `${remote} does not exist on ${target.alias}`;
      } else if (sourceTypes.get(group) === 'streams' || sourceTypes.get(group) === 'share') {
        reason = 'group-type-not-checkpointed';
        detail = `${sourceTypes.get(group)} group: MM2 checkpoints classic and consumer groups only; translated here from MM2's offset syncs`;
      } else {
        reason = 'not-yet-checkpointed';
        const oldest = syncIndex.syncs(c.topic, c.partition)[0];
        detail =
          syncsTopic && oldest && oldest.upstreamOffset > c.offset
            ? `no offset sync at or below committed offset ${c.offset} (oldest retained sync: upstream ${oldest.upstreamOffset}); MM2 cannot translate it either until the group moves past a sync`
            : 'no checkpoint yet (MM2 emits one after the group commits on a replicated partition with an offset sync at or below it)';
      }
      let fallback = false;
      /** A row for this source commit without a checkpoint (offset-sync fallback, or a placeholder record match replaces). */
      const sourceCommitRow = (targetOffset: number, reRead: Pick<TranslatedPartition, 'reReadRecords' | 'reReadNote'>) => {
        const b = boundsRead.get(remote)?.find((x) => x.partition === c.partition) ?? { logStartOffset: 0, highWatermark: 0 };
        return withBoundsProblem({
          group,
          sourceTopic: c.topic,
          topic: remote,
          partition: c.partition,
          targetOffset,
          metadata: c.metadata ?? '',
          basis: 'offset-sync-fallback',
          ...kindOf(group),
          sourceCommittedOffset: c.offset,
          commitsSinceCheckpoint: null,
          logStartOffset: b.logStartOffset,
          highWatermark: b.highWatermark,
          ...reRead,
        });
      };
      if (reason === 'not-yet-checkpointed' || reason === 'group-type-not-checkpointed') {
        const share = shareNotes.get(`${group} ${c.topic}/${c.partition}`);
        const t = syncIndex.translate(c.topic, c.partition, c.offset);
        const b = await boundsOf(remote, c.partition);
        if (t && b) {
          fallback = true;
          const estimate = syncIndex.estimatePosition(c.topic, c.partition, c.offset);
          partitions.push(
            sourceCommitRow(t.targetOffset, {
              reReadRecords:
                estimate === undefined || (share && share.completedAbove === null)
                  ? null
                  : Math.max(0, Math.min(estimate, b.highWatermark) - t.targetOffset) + (share?.completedAbove ?? 0),
              reReadNote: `offset-sync fallback from sync ${t.sync.upstreamOffset}→${t.sync.downstreamOffset}${share ? `; ${share.note}` : ''}`,
            }),
          );
        } else if (!t && b && o.method === 'record-match' && source) {
          // No offset sync at or below the position (MM2 dropped or never wrote one): record matching may still find the
          // next record, searching from the target's log start; kept only if it does (below).
          const row = sourceCommitRow(b.logStartOffset, { reReadRecords: null, reReadNote: 'no offset sync at or below the position: record match only' });
          const u: UntranslatedPartition = { group, sourceTopic: c.topic, partition: c.partition, sourceCommittedOffset: c.offset, reason, detail, fallback };
          partitions.push(row);
          provisional.set(row, u);
          untranslated.push(u);
          continue;
        }
      }
      untranslated.push({ group, sourceTopic: c.topic, partition: c.partition, sourceCommittedOffset: c.offset, reason, detail, fallback });
    }
  }

  let matchReads: MatchReads | undefined;
  if (o.method === 'record-match' && source) {
    // One pass per partition for every group committed on it (record-match.ts `matchPlanRows`).
    const r = await matchPlanRows({
      source,
      target,
      syncs: syncIndex,
      rows: partitions,
      eligible: (i) => !partitions[i]!.problem,
      sourceBounds: sourceBoundsOf,
      targetBounds: boundsOf,
    });
    matchReads = r.reads;
    for (const [i, m] of r.matches) {
      const row = partitions[i]!;
      if (!m) {
        if (!provisional.has(row))
          partitions[i] = { ...row, reReadNote: `${row.reReadNote}; record match: no copy found within bounds, MM2's conservative translation kept` };
        continue;
      }
      const u = provisional.get(row);
      if (u) {
        u.fallback = true;
        u.detail = `${u.detail}; translated by record match`;
      }
      // Both the conservative offset and the match are at or before the copy of the next record: the larger is exact.
      const share = shareNotes.get(`${row.group} ${row.sourceTopic}/${row.partition}`);
      partitions[i] = withBoundsProblem({
        ...row,
        targetOffset: Math.max(row.targetOffset, m.targetOffset),
        basis: 'record-match',
        reReadRecords: share ? share.completedAbove : 0,
        reReadNote: `record match: ${m.how}${share ? `; ${share.note}` : ''}`,
      });
    }
  }

  partitions = partitions.filter((r) => !provisional.has(r));
  partitions.sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.partition - b.partition);
  untranslated.sort((a, b) => a.group.localeCompare(b.group) || a.sourceTopic.localeCompare(b.sourceTopic) || a.partition - b.partition);
  return {
    flow: { source: flow.source, target: flow.target },
    generatedAt: new Date(now).toISOString(),
    sourceReachable: source !== undefined,
    checkpointsTopic,
    offsetSyncsTopic: syncsTopic ?? null,
    partitions,
    untranslated,
    unmovableGroups,
    groups: summarizePlan(partitions),
    corrupt,
    reads: { checkpointRecords: ckRead.recordsRead, offsetSyncRecords, ...(matchReads ? { recordMatch: matchReads } : {}) },
  };
}

function translateOne(a: {
  ck: CheckpointRecord;
  sourceTopic: string;
  sourceCommitted: number | null;
  syncIndex: OffsetSyncIndex;
  bounds: PartitionOffsets | undefined;
  now: number;
  syncsKnown: boolean;
}): OffsetPlanRow {
  const { ck, sourceTopic, sourceCommitted, syncIndex } = a;
  const b = a.bounds ?? { logStartOffset: 0, highWatermark: 0, partition: ck.partition };
  // Step 2 of the offset's path (plan.ts): the checkpoint's downstream offset becomes the row's target offset.
  let targetOffset = ck.downstreamOffset;
  let basis: OffsetPlanRow['basis'] = 'checkpoint';
  let problem = a.bounds ? undefined : `partition ${ck.topic}/${ck.partition} does not exist on the target`;
  let note: string;
  let reRead: number | null = null;
  if (sourceCommitted !== null && sourceCommitted < ck.upstreamOffset) {
    // The group rewound on the source after the checkpoint: the checkpoint would skip what it now wants to re-read.
    const t = syncIndex.translate(sourceTopic, ck.partition, sourceCommitted);
    if (t) {
      targetOffset = t.targetOffset;
      basis = 'offset-sync-fallback';
    } else problem ??= `source group rewound to ${sourceCommitted} below its checkpoint (${ck.upstreamOffset}) and no offset sync can translate it`;
  }
  if (sourceCommitted !== null) {
    const estimate = syncIndex.estimatePosition(sourceTopic, ck.partition, sourceCommitted);
    if (estimate !== undefined) {
      reRead = Math.max(0, Math.min(estimate, b.highWatermark) - targetOffset);
      note = 'estimated from the source committed offset and the nearest offset sync';
    } else note = a.syncsKnown ? 'no offset sync at or below the source committed offset' : 'offset syncs not readable';
  } else {
    note = 'source unreachable: records consumed on the source after the last checkpoint are unknown';
  }
  problem ??= boundsProblem(targetOffset, b, `${ck.topic}/${ck.partition}`);
  return {
    group: ck.group,
    sourceTopic,
    topic: ck.topic,
    partition: ck.partition,
    targetOffset,
    metadata: ck.metadata,
    basis,
    offsetKind: 'committed-offset',
    checkpoint: {
      upstreamOffset: ck.upstreamOffset,
      downstreamOffset: ck.downstreamOffset,
      timestamp: ck.recordTimestamp,
      ageMs: Math.max(0, a.now - ck.recordTimestamp),
    },
    sourceCommittedOffset: sourceCommitted,
    commitsSinceCheckpoint: sourceCommitted === null ? null : sourceCommitted - ck.upstreamOffset,
    logStartOffset: b.logStartOffset,
    highWatermark: b.highWatermark,
    reReadRecords: reRead,
    reReadNote: note,
    ...(problem ? { problem } : {}),
  };
}

/** A share group's position on one source partition, as translated, and what it implies. */
interface SharePosition {
  /** The source offset translated as the group's position. */
  position: number;
  /** Records above the start offset already delivered (acknowledged) on the source, delivered again on the target; null: unknown. */
  completedAbove: number | null;
  note: string;
}

/**
 * The position of a share group on a partition (KIP-932, KIP-1226). The share-partition start offset (SPSO) is the
 * earliest offset still in flight; records above it may already be acknowledged ("some records after the start offset
 * may already have completed delivery", Kafka's ops docs for share groups). DescribeShareGroupOffsets v1 reports
 * `lag` = high watermark − SPSO − records completed above it (GroupCoordinatorService, KAFKA-19800), so:
 * - lag 0: everything up to the high watermark is delivered: the position is the high watermark (exact);
 * - otherwise the SPSO (conservative), and `high watermark − SPSO − lag` records above it are delivered again on the
 *   target (their positions are not reported, only their number); unknown without lag (v0).
 * Read while writes are frozen (planned failover), so the high watermark is the one the lag was computed against.
 */
export function sharePosition(o: { startOffset: number; lag: number | null }, highWatermark: number | undefined): SharePosition {
  if (o.lag === 0 && highWatermark !== undefined && highWatermark >= o.startOffset)
    return {
      position: highWatermark,
      completedAbove: 0,
      note: `share group: lag 0 at start offset ${o.startOffset}: every record up to the log end ${highWatermark} delivered`,
    };
  if (o.lag === null || highWatermark === undefined)
    return {
      position: o.startOffset,
      completedAbove: null,
      note: `share group: from the start offset ${o.startOffset}; records already delivered above it are unknown (no lag reported) and delivered again`,
    };
  const completedAbove = Math.max(0, highWatermark - o.startOffset - o.lag);
  return {
    position: o.startOffset,
    completedAbove,
    note: `share group: from the start offset ${o.startOffset}; ${completedAbove} record(s) above it already delivered on the source are delivered again (lag ${o.lag}, log end ${highWatermark})`,
  };
}
