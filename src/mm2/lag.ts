/**
 * Replication lag of a flow, per partition, from the signals that exist without JMX
 * (../shared/reference/mm2-internals.md §6):
 * - source reachable: the newest offset sync (U, D) of each source partition, the source high watermark E and the
 *   target high watermark T. The last replicated upstream record ≈ U + (T − 1 − D), so
 *   lag ≈ E − U − T + D records (≥ 0); `E − (U + 1)` bounds it from above using the sync alone.
 *   Comparing raw end offsets across clusters is invalid and never done.
 * - source unreachable: the age of the newest heartbeat that crossed from the source (`<src>.heartbeats` on the
 *   target: records created in the source's `heartbeats` topic and replicated), and per target partition the
 *   timestamp of the last replicated record (MM2 preserves record timestamps).
 * MM2's own heartbeats in the target's local `heartbeats` topic (MirrorHeartbeatTask writes them straight to the
 * target, MirrorHeartbeatTask.java) only prove that MM2 runs — they keep coming with the source dead — and are
 * reported apart as `mm2Heartbeat`.
 */
import type { FlowConfig } from '../clusters/schema.js';
import type { KafkaPort } from '../kafka/port.js';
import { heartbeatTopicCandidates, isInternalTopic, offsetSyncsTopicCandidates, pickExisting, remoteTopic, upstreamTopic } from './naming.js';
import { OffsetSyncIndex } from './offset-sync-index.js';
import { readHeartbeats, readOffsetSyncs, type CorruptRecord } from './read-internal.js';

/** Lag of one replicated partition. */
export interface PartitionLag {
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  /** Source high watermark (null: source unreachable). */
  sourceHighWatermark: number | null;
  targetHighWatermark: number;
  /** Newest offset sync (null: none, or not readable). */
  lastSync: { upstreamOffset: number; downstreamOffset: number } | null;
  /**
   * Records not yet on the target (null when it cannot be computed): from the newest offset sync (U, D), the source's
   * data records after U minus the target's records after D — counted by reading the source after U when the offsets
   * alone show lag (markers and compacted-away offsets are not records), else E − U − T + D.
   */
  lagRecords: number | null;
  /** Upper bound from the sync alone: E − (U + 1) (null when unknown). */
  lagUpperBound: number | null;
  /** Timestamp (epoch ms) of the last record on the target partition, or null when it is empty. */
  lastReplicatedTimestamp: number | null;
}

/** Lag of a flow. */
export interface FlowLag {
  sourceReachable: boolean;
  partitions: PartitionLag[];
  /**
   * Newest heartbeat replicated from the source (`<src>.heartbeats` on the target; epoch ms) and its age (ms) — proof
   * that the source → target path moved then. Null when none (nothing writes heartbeats into the source's topic when
   * no flow targets the source).
   */
  heartbeat: { topic: string; timestamp: number; ageMs: number } | null;
  /** Newest heartbeat MM2 wrote to the target's local `heartbeats` for this flow: MM2 is alive, nothing more. */
  mm2Heartbeat: { topic: string; timestamp: number; ageMs: number } | null;
  corrupt: CorruptRecord[];
}

/**
 * Measures a flow's replication lag. `source` undefined = unreachable. `topics`: only the source topics it accepts
 * are measured (and read: a principal needs READ on those alone); default every replicated topic.
 */
/** Most source offsets read after the latest offset sync to count data records exactly (see `lagRecords`). */
const EXACT_LAG_SPAN = 10_000;

export async function replicationLag(o: {
  flow: FlowConfig;
  target: KafkaPort;
  source?: KafkaPort;
  now?: () => number;
  topics?: (sourceTopic: string) => boolean;
}): Promise<FlowLag> {
  const { flow, target, source } = o;
  const now = (o.now ?? Date.now)();
  const targetTopics = await target.listTopics();
  const corrupt: CorruptRecord[] = [];

  // Replicated topics: on the target, remote topics of this flow; with the source, the source topics they mirror.
  const pairs = targetTopics
    .map((t) => ({ targetTopic: t, sourceTopic: upstreamTopic(flow, t) }))
    .filter(
      (p): p is { targetTopic: string; sourceTopic: string } =>
        p.sourceTopic !== undefined &&
        !isInternalTopic(p.targetTopic) &&
        p.targetTopic !== remoteTopic(flow, 'heartbeats') &&
        (o.topics?.(p.sourceTopic) ?? true),
    );
  let sourceTopics: Set<string> | undefined;
  let syncs = OffsetSyncIndex.from([]);
  const syncsPort = flow.offsetSyncsTopicLocation === 'target' ? target : source;
  if (source) sourceTopics = new Set(await source.listTopics());
  if (syncsPort) {
    const topic = pickExisting(offsetSyncsTopicCandidates(flow), syncsPort === target ? targetTopics : [...(sourceTopics ?? [])]);
    if (topic) {
      const r = await readOffsetSyncs(syncsPort, topic);
      syncs = OffsetSyncIndex.from(r.records);
      corrupt.push(...r.corrupt);
    }
  }

  const partitions: PartitionLag[] = [];
  for (const { sourceTopic, targetTopic } of pairs) {
    if (flow.replicationPolicy === 'identity' && sourceTopics && !sourceTopics.has(sourceTopic)) continue;
    const tOffsets = await target.partitionOffsets(targetTopic);
    const sOffsets = source && sourceTopics?.has(sourceTopic) ? await source.partitionOffsets(sourceTopic) : undefined;
    for (const t of tOffsets) {
      const E = sOffsets?.find((s) => s.partition === t.partition)?.highWatermark ?? null;
      const sync = syncs.latest(sourceTopic, t.partition);
      let last: number | null = null;
      if (t.highWatermark > t.logStartOffset) {
        await target.readRange(targetTopic, t.partition, t.highWatermark - 1, t.highWatermark, (r) => {
          last = r.timestamp;
        });
      }
      const T = t.highWatermark;
      let lagRecords = E !== null && sync ? Math.max(0, E - sync.upstreamOffset - T + sync.downstreamOffset) : E !== null && E === 0 ? 0 : null;
      // Offsets are not records: transaction markers and compacted-away offsets after the sync are never copied, so a
      // transactional topic would show lag 1 (its last commit marker) for ever. When the offsets say there is lag, count
      // the source's data records after the sync instead (at most EXACT_LAG_SPAN offsets read).
      if (lagRecords && source && sync && E !== null && E - sync.upstreamOffset - 1 <= EXACT_LAG_SPAN) {
        let data = 0;
        await source.readRange(sourceTopic, t.partition, sync.upstreamOffset + 1, E, () => data++);
        lagRecords = Math.max(0, data - (T - sync.downstreamOffset - 1));
      }
      partitions.push({
        sourceTopic,
        targetTopic,
        partition: t.partition,
        sourceHighWatermark: E,
        targetHighWatermark: T,
        lastSync: sync ? { upstreamOffset: sync.upstreamOffset, downstreamOffset: sync.downstreamOffset } : null,
        lagRecords,
        lagUpperBound: E !== null && sync ? Math.max(0, E - (sync.upstreamOffset + 1)) : null,
        lastReplicatedTimestamp: last,
      });
    }
  }

  let heartbeat: FlowLag['heartbeat'] = null;
  let mm2Heartbeat: FlowLag['mm2Heartbeat'] = null;
  const replicatedHeartbeats = remoteTopic(flow, 'heartbeats');
  for (const topic of heartbeatTopicCandidates(flow).filter((t) => targetTopics.includes(t))) {
    const r = await readHeartbeats(target, topic);
    corrupt.push(...r.corrupt);
    for (const h of r.records) {
      const seen = { topic, timestamp: h.timestamp, ageMs: Math.max(0, now - h.timestamp) };
      if (topic === replicatedHeartbeats) {
        if (!heartbeat || h.timestamp > heartbeat.timestamp) heartbeat = seen;
      } else if (h.sourceClusterAlias === flow.source && (!mm2Heartbeat || h.timestamp > mm2Heartbeat.timestamp)) mm2Heartbeat = seen;
    }
  }
  partitions.sort((a, b) => a.sourceTopic.localeCompare(b.sourceTopic) || a.partition - b.partition);
  return { sourceReachable: source !== undefined, partitions, heartbeat, mm2Heartbeat, corrupt };
}
