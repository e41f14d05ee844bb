/**
 * Replication lag arithmetic (src/mm2/lag.ts, ../shared/reference/mm2-internals.md §6) over in-memory clusters
 * whose source logs are non-dense, with the offset syncs a model of MM2 writes: lag ≈ E − U − T + D (E source high
 * watermark, (U, D) newest sync, T target high watermark), clamped at 0; upper bound E − (U + 1); null when a term
 * is unknown; heartbeats that crossed from the source told apart from MM2's own. Expected values derived by hand.
 */
import { describe, expect, it } from 'vitest';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { replicationLag } from '../../../src/mm2/lag.js';
import { encodeHeartbeat } from '../../../src/mm2/records.js';
import { MemoryKafka, mirrorPartition } from './memory-kafka.js';

const flow: FlowConfig = {
  source: 'primary',
  target: 'dr',
  replicationPolicy: 'default',
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: [],
  topicsExclude: [],
};
const SYNCS = 'mm2-offset-syncs.dr.internal';
const NOW = 1_800_000_000_000;

/**
 * primary `orders`/0: a transactional producer wrote data at 0–4 and 6–10 (markers at 5 and 11; high watermark 12).
 * MM2 copied all of it (0–9 on dr; syncs 0→0 and 6→5), then the producer wrote 12–19 (marker at 20, HWM 21), of
 * which MM2 has copied nothing yet: 8 records behind.
 */
function clusters() {
  const primary = new MemoryKafka('primary');
  const dr = new MemoryKafka('dr');
  primary.partitionWith('orders', 0, [0, 1, 2, 3, 4, 6, 7, 8, 9, 10], { highWatermark: 12, timestamp: (o) => NOW - 60_000 + o });
  mirrorPartition({ source: primary, topic: 'orders', partition: 0, target: dr, remote: 'primary.orders', syncsCluster: primary, syncsTopic: SYNCS });
  primary.partitionWith('orders', 0, [12, 13, 14, 15, 16, 17, 18, 19], { highWatermark: 21 });
  return { primary, dr };
}

describe('replicationLag', () => {
  it('source reachable: lag = the data records after the last sync not yet copied, on a non-dense log (markers are not records); upper bound E − (U + 1)', async () => {
    const { primary, dr } = clusters();
    const r = await replicationLag({ flow, source: primary.port(), target: dr.port(), now: () => NOW });
    expect(r.partitions).toEqual([
      {
        sourceTopic: 'orders',
        targetTopic: 'primary.orders',
        partition: 0,
        sourceHighWatermark: 21,
        targetHighWatermark: 10,
        lastSync: { upstreamOffset: 6, downstreamOffset: 5 },
        // Offsets alone say 21 − 6 − 10 + 5 = 10 (2 of them markers). Counted: data records after upstream 6 (7–10, 12–19:
        // 12) minus copies after downstream 5 (10 − 5 − 1 = 4) = the 8 unreplicated records.
        lagRecords: 8,
        lagUpperBound: 14, // 21 − (6 + 1)
        lastReplicatedTimestamp: NOW - 60_000 + 10, // the copy of upstream 10 (MM2 keeps record timestamps)
      },
    ]);
    expect(r.sourceReachable).toBe(true);
  });

  it('a fully replicated partition has lag 0 (clamped: markers after the last sync would make it negative)', async () => {
    const primary = new MemoryKafka('primary');
    const dr = new MemoryKafka('dr');
    primary.partitionWith('orders', 0, [0, 1, 2], { highWatermark: 3 });
    mirrorPartition({ source: primary, topic: 'orders', partition: 0, target: dr, remote: 'primary.orders', syncsCluster: primary, syncsTopic: SYNCS });
    // Sync 0→0, E = 3, T = 3: 3 − 0 − 3 + 0 = 0.
    expect((await replicationLag({ flow, source: primary.port(), target: dr.port() })).partitions[0]).toMatchObject({ lagRecords: 0, lagUpperBound: 2 });
    // MM2 copied upstream 0–2 to 5–7 after a downstream rewind (sync 0→5), then 2 more records reached dr from
    // elsewhere: T = 10 > D + (E − U): 3 − 0 − 10 + 5 = −2 → 0.
    const dr2 = new MemoryKafka('dr');
    dr2.partitionWith('primary.orders', 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const p2 = new MemoryKafka('primary');
    p2.partitionWith('orders', 0, [0, 1, 2]);
    p2.writeOffsetSync(SYNCS, { topic: 'orders', partition: 0, upstreamOffset: 0, downstreamOffset: 5 });
    expect((await replicationLag({ flow, source: p2.port(), target: dr2.port() })).partitions[0]).toMatchObject({ lagRecords: 0 });
  });

  it('without a sync: lag 0 only for an empty source partition, else unknown (null)', async () => {
    const primary = new MemoryKafka('primary');
    const dr = new MemoryKafka('dr');
    primary.partitionWith('orders', 0, [0, 1]);
    primary.topic('orders', 2); // partition 1 empty
    dr.topic('primary.orders', 2);
    const r = await replicationLag({ flow, source: primary.port(), target: dr.port() });
    expect(r.partitions.map((p) => [p.partition, p.lagRecords, p.lagUpperBound, p.lastReplicatedTimestamp])).toEqual([
      [0, null, null, null],
      [1, 0, null, null],
    ]);
  });

  it("source unreachable: no source terms, lag unknown; heartbeats from the source and MM2's own told apart", async () => {
    const { dr } = clusters();
    dr.append('primary.heartbeats', 0, {
      ...encodeHeartbeat({ sourceClusterAlias: 'dr', targetClusterAlias: 'primary', timestamp: NOW - 4000 }),
      timestamp: NOW - 4000,
    });
    dr.append('primary.heartbeats', 0, {
      ...encodeHeartbeat({ sourceClusterAlias: 'dr', targetClusterAlias: 'primary', timestamp: NOW - 9000 }),
      timestamp: NOW - 9000,
    });
    dr.append('heartbeats', 0, { ...encodeHeartbeat({ sourceClusterAlias: 'primary', targetClusterAlias: 'dr', timestamp: NOW - 500 }), timestamp: NOW - 500 });
    dr.append('heartbeats', 0, { ...encodeHeartbeat({ sourceClusterAlias: 'other', targetClusterAlias: 'dr', timestamp: NOW - 100 }), timestamp: NOW - 100 });
    const r = await replicationLag({ flow, target: dr.port(), now: () => NOW });
    expect(r.sourceReachable).toBe(false);
    expect(r.partitions).toEqual([
      expect.objectContaining({ partition: 0, sourceHighWatermark: null, lastSync: null, lagRecords: null, lagUpperBound: null, targetHighWatermark: 10 }),
    ]);
    expect(r.heartbeat).toEqual({ topic: 'primary.heartbeats', timestamp: NOW - 4000, ageMs: 4000 }); // the newest, not the last read
    expect(r.mm2Heartbeat).toEqual({ topic: 'heartbeats', timestamp: NOW - 500, ageMs: 500 }); // another flow's is ignored
    expect(r.partitions.map((p) => p.targetTopic)).toEqual(['primary.orders']); // primary.heartbeats is not a data topic
  });
});
