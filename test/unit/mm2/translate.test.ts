/**
 * `translateOffsets` over in-memory clusters: primary `orders`/0 is transactional (commit markers at 5 and 11),
 * `orders`/1 dense; MM2's source task (memory-kafka.ts `mirrorPartition`, offset.lag.max 20 on partition 1) copies
 * both to `primary.orders` on dr and writes the offset syncs; checkpoints are written with the downstream offsets
 * MM2's rule gives (OffsetSyncStore.translateDownstream: floor sync (U, D), D when g == U else D + 1). Every expected
 * offset and re-read count is derived by hand in the comment next to it.
 *
 * Syncs: orders/0 0→0, 6→5, 12→10 (gaps after the markers); orders/1 0→0, 21→21, 42→42 (offset.lag.max).
 * Target: primary.orders/0 holds 0–12 (high watermark 13), /1 holds 0–59 (60).
 */
import { describe, expect, it } from 'vitest';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { GroupApiUnavailableError } from '../../../src/kafka/port.js';
import { decodeOffsetSync } from '../../../src/mm2/records.js';
import { translateOffsets } from '../../../src/mm2/translate.js';
import { MemoryKafka, mirrorPartition } from './memory-kafka.js';

const NOW = 1_800_000_000_000;
const CK = 'primary.checkpoints.internal';
const SYNCS = 'mm2-offset-syncs.dr.internal';
const flow: FlowConfig = {
  source: 'primary',
  target: 'dr',
  replicationPolicy: 'default',
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: ['connect-.*'],
  topicsExclude: [],
};

function world() {
  const primary = new MemoryKafka('primary');
  const dr = new MemoryKafka('dr');
  primary.partitionWith('orders', 0, [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14], { highWatermark: 15 });
  primary.partitionWith(
    'orders',
    1,
    Array.from({ length: 60 }, (_, i) => i),
  );
  primary.partitionWith('local-only', 0, [0, 1, 2]);
  mirrorPartition({ source: primary, topic: 'orders', partition: 0, target: dr, remote: 'primary.orders', syncsCluster: primary, syncsTopic: SYNCS });
  mirrorPartition({
    source: primary,
    topic: 'orders',
    partition: 1,
    target: dr,
    remote: 'primary.orders',
    syncsCluster: primary,
    syncsTopic: SYNCS,
    maxOffsetLag: 20,
  });
  dr.topic(CK, 1);
  const ck = (group: string, partition: number, upstreamOffset: number, downstreamOffset: number, ageMs: number) =>
    dr.writeCheckpoint(CK, { group, topic: 'primary.orders', partition, upstreamOffset, downstreamOffset, metadata: `m-${group}` }, NOW - ageMs);
  // billing: an older checkpoint at g=3 (floor 0→0 → 1), then the newest at g=11 (floor 6→5 → 6) and at g=45 (floor 42→42 → 43).
  ck('billing', 0, 3, 1, 90_000);
  ck('billing', 0, 11, 6, 30_000);
  ck('billing', 1, 45, 43, 30_000);
  primary.commit('billing', 'orders', 0, 13); // consumed two more offsets since
  primary.commit('billing', 'orders', 1, 50);
  // audit: checkpointed at g=50 (floor 42→42 → 43), then rewound on the source to 30.
  ck('audit', 1, 50, 43, 10_000);
  primary.commit('audit', 'orders', 1, 30);
  // fresh: committed on orders/1 at 21, no checkpoint yet.
  primary.commit('fresh', 'orders', 1, 21);
  // connect-sink: excluded by MM2's groups filter; reporting: reads a topic MM2 does not replicate.
  primary.commit('connect-sink', 'orders', 0, 3);
  primary.commit('reporting', 'local-only', 0, 2);
  return { primary, dr };
}

const row = (r: Awaited<ReturnType<typeof translateOffsets>>, group: string, partition: number) =>
  r.partitions.find((p) => p.group === group && p.partition === partition);

describe('translateOffsets', () => {
  it('takes the latest checkpoint and counts re-reads from the source commit through the floor sync (non-dense partition)', async () => {
    const { primary, dr } = world();
    const r = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW });
    expect(row(r, 'billing', 0)).toEqual({
      group: 'billing',
      sourceTopic: 'orders',
      topic: 'primary.orders',
      partition: 0,
      targetOffset: 6, // the newest checkpoint's downstream offset, not the older 1
      metadata: 'm-billing',
      basis: 'checkpoint',
      offsetKind: 'committed-offset',
      groupType: 'classic',
      checkpoint: { upstreamOffset: 11, downstreamOffset: 6, timestamp: NOW - 30_000, ageMs: 30_000 },
      sourceCommittedOffset: 13,
      commitsSinceCheckpoint: 2, // 13 − 11
      logStartOffset: 0,
      highWatermark: 13,
      reReadRecords: 5, // position of 13 = 10 + (13 − 12) = 11 (the copy of upstream 13); 11 − 6 = dr 6–10
      reReadNote: 'estimated from the source committed offset and the nearest offset sync',
    });
    expect(row(r, 'billing', 1)).toMatchObject({ targetOffset: 43, commitsSinceCheckpoint: 5, reReadRecords: 7 }); // 42 + (50 − 42) − 43
    expect(r.groups.find((g) => g.group === 'billing')).toEqual({ group: 'billing', partitions: 2, reReadRecords: 12, problems: 0 });
    expect(r).toMatchObject({
      checkpointsTopic: CK,
      offsetSyncsTopic: SYNCS,
      sourceReachable: true,
      corrupt: [],
      reads: { checkpointRecords: 4, offsetSyncRecords: 6 },
    });
  });

  it('re-translates a group rewound below its checkpoint from the offset syncs (the checkpoint would skip)', async () => {
    const { primary, dr } = world();
    const r = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW });
    // g = 30: floor 21→21, 30 ≠ 21 → 22 (the checkpoint's 43 would skip dr 30–42).
    expect(row(r, 'audit', 1)).toMatchObject({ targetOffset: 22, basis: 'offset-sync-fallback', commitsSinceCheckpoint: -20, reReadRecords: 8 }); // 21 + 9 − 22
    expect(row(r, 'audit', 1)!.problem).toBeUndefined();
  });

  it('a rewound group with no sync old enough is a problem, not a guess', async () => {
    const { primary, dr } = world();
    // Compaction of the syncs topic left only the newest sync per partition (42→42 for orders/1).
    const syncs = primary.topics.get(SYNCS)![0]!;
    syncs.records = syncs.records.filter((_, i) => i === syncs.records.length - 1 || i === 2);
    const r = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW });
    expect(row(r, 'audit', 1)).toMatchObject({
      targetOffset: 43,
      basis: 'checkpoint',
      problem: 'source group rewound to 30 below its checkpoint (50) and no offset sync can translate it',
    });
    expect(r.groups.find((g) => g.group === 'audit')).toMatchObject({ problems: 1 });
  });

  it('source commits without a checkpoint: each with its reason; the not-yet-checkpointed one gets the sync fallback', async () => {
    const { primary, dr } = world();
    const r = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW });
    expect(r.untranslated.map((u) => [u.group, u.sourceTopic, u.partition, u.sourceCommittedOffset, u.reason, u.fallback])).toEqual([
      ['connect-sink', 'orders', 0, 3, 'excluded-by-mm2-groups-filter', false],
      ['fresh', 'orders', 1, 21, 'not-yet-checkpointed', true],
      ['reporting', 'local-only', 0, 2, 'topic-not-replicated', false],
    ]);
    expect(r.untranslated.find((u) => u.group === 'reporting')!.detail).toBe('primary.local-only does not exist on dr');
    // fresh: g = 21 is exactly on sync 21→21 → 21, nothing re-read.
    expect(row(r, 'fresh', 1)).toMatchObject({
      targetOffset: 21,
      basis: 'offset-sync-fallback',
      reReadRecords: 0,
      reReadNote: 'offset-sync fallback from sync 21→21',
    });
    expect(r.partitions.map((p) => `${p.group}/${p.partition}`)).toEqual(['audit/1', 'billing/0', 'billing/1', 'fresh/1']);
  });

  it('streams and share groups (never checkpointed by MM2): translated from offset syncs; a share group as start offsets', async () => {
    const { primary, dr } = world();
    // wordcount: a streams group (committed offsets, OffsetFetch); queue: a share group (start offsets only, its
    // OffsetFetch answers nothing), both on orders/1.
    primary.commit('wordcount', 'orders', 1, 30);
    primary.groupTypes.set('wordcount', 'streams');
    primary.shareGroups.set('queue', [{ topic: 'orders', partition: 1, startOffset: 44, lag: 16 }]);
    // queue-done: start offset 0 but lag 0 (KIP-1226): all 60 records delivered; queue-gaps: 20 delivered above 30.
    primary.shareGroups.set('queue-done', [{ topic: 'orders', partition: 1, startOffset: 0, lag: 0 }]);
    primary.shareGroups.set('queue-gaps', [{ topic: 'orders', partition: 1, startOffset: 30, lag: 10 }]);
    const r = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW });
    expect(r.untranslated.filter((u) => u.reason === 'group-type-not-checkpointed').map((u) => [u.group, u.sourceCommittedOffset, u.fallback])).toEqual([
      ['queue', 44, true],
      ['queue-done', 60, true],
      ['queue-gaps', 30, true],
      ['wordcount', 30, true],
    ]);
    expect(r.untranslated.find((u) => u.group === 'queue')!.detail).toMatch(/^share group: MM2 checkpoints classic and consumer groups only/);
    // wordcount: g = 30, floor sync 21→21, 30 ≠ 21 → 22 (MM2's rule); it will re-read 30 − 22 = 8 records.
    expect(row(r, 'wordcount', 1)).toMatchObject({
      targetOffset: 22,
      basis: 'offset-sync-fallback',
      offsetKind: 'committed-offset',
      groupType: 'streams',
      reReadRecords: 8,
    });
    // queue: start offset 44, floor sync 42→42 → 43; re-reads 44 − 43 = 1, and 60 − 44 − 16 = 0 delivered above 44.
    expect(row(r, 'queue', 1)).toMatchObject({ targetOffset: 43, offsetKind: 'share-start-offset', groupType: 'share', reReadRecords: 1 });
    expect(row(r, 'queue', 1)!.reReadNote).toMatch(/0 record\(s\) above it already delivered on the source are delivered again \(lag 16, log end 60\)/);
    // queue-done: position = log end 60, floor sync 42→42 → 43: 60 − 43 = 17 re-read (the conservative sync rule).
    expect(row(r, 'queue-done', 1)).toMatchObject({ targetOffset: 43, reReadRecords: 17 });
    // queue-gaps: 30 → 22 (floor 21→21), 30 − 22 = 8, plus 60 − 30 − 10 = 20 delivered above the start offset.
    expect(row(r, 'queue-gaps', 1)).toMatchObject({ targetOffset: 22, reReadRecords: 28 });
    // Checkpointed classic groups keep their kind.
    expect(row(r, 'billing', 1)).toMatchObject({ offsetKind: 'committed-offset', groupType: 'classic' });
  });

  it('a share group whose start offsets the source cannot describe (no DescribeShareGroupOffsets) is reported as not movable', async () => {
    const { primary, dr } = world();
    primary.shareGroups.set('queue', [{ topic: 'orders', partition: 1, startOffset: 44, lag: 16 }]);
    const source = {
      ...primary.port(),
      shareGroupOffsets: async () => {
        throw new GroupApiUnavailableError('DescribeShareGroupOffsets', 1, { min: 0, max: 1 });
      },
    };
    const r = await translateOffsets({ flow, source, target: dr.port(), now: () => NOW });
    expect(r.unmovableGroups).toEqual([
      {
        group: 'queue',
        type: 'share',
        reason: 'its start offsets cannot be read on primary: broker 1 does not serve DescribeShareGroupOffsets v0–v1 (Kafka 4.1+ for share group offsets)',
      },
    ]);
    expect(r.partitions.some((p) => p.group === 'queue')).toBe(false);
  });

  it("a Kafka Streams application's repartition topic is not moved; records in flight there are reported (they would be lost)", async () => {
    const { primary, dr } = world();
    primary.partitionWith('wordcount-by-value-repartition', 0, [0, 1, 2, 3, 4, 5]);
    primary.partitionWith('wordcount-by-value-repartition', 1, [0, 1, 2]);
    primary.commit('wordcount', 'orders', 1, 30);
    primary.commit('wordcount', 'wordcount-by-value-repartition', 0, 4); // 2 records not yet processed
    primary.commit('wordcount', 'wordcount-by-value-repartition', 1, 3); // drained
    primary.groupTypes.set('wordcount', 'streams');
    const r = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW });
    expect(r.partitions.filter((p) => p.group === 'wordcount').map((p) => `${p.topic}/${p.partition}`)).toEqual(['primary.orders/1']);
    expect(r.untranslated.filter((u) => u.group === 'wordcount' && u.sourceTopic.endsWith('-repartition')).map((u) => [u.partition, u.reason])).toEqual([
      [0, 'streams-repartition-in-flight'],
      [1, 'streams-internal-topic'],
    ]);
    expect(r.untranslated.find((u) => u.reason === 'streams-repartition-in-flight')!.detail).toMatch(
      /2 record\(s\) not yet processed \(committed 4, log end 6\)/,
    );
  });

  it('method record-match: each offset becomes the copy of the next record (0 re-reads), transactional gaps included', async () => {
    const { primary, dr } = world();
    const r = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW, method: 'record-match' });
    // orders/0 data offsets 0–4, 6–10, 12–14 are copied to 0–12: upstream 13 is downstream 11 (MM2's checkpoint: 6).
    expect(row(r, 'billing', 0)).toMatchObject({ targetOffset: 11, basis: 'record-match', reReadRecords: 0 });
    expect(row(r, 'billing', 0)!.reReadNote).toMatch(/^record match: record at source offset 13 .* found at target offset 11/);
    // Dense orders/1: the copy of upstream g is downstream g.
    expect(row(r, 'billing', 1)).toMatchObject({ targetOffset: 50, basis: 'record-match', reReadRecords: 0 });
    expect(row(r, 'audit', 1)).toMatchObject({ targetOffset: 30, basis: 'record-match' });
    expect(row(r, 'fresh', 1)).toMatchObject({ targetOffset: 21, basis: 'record-match' });
    expect(r.groups.every((g) => g.reReadRecords === 0)).toBe(true);
    // Without the source nothing can be matched: checkpoints alone, as before.
    const blind = await translateOffsets({ flow, target: dr.port(), now: () => NOW, method: 'record-match' });
    expect(blind.partitions.every((p) => p.basis === 'checkpoint')).toBe(true);
  });

  it('record-match translates a position no offset sync covers (MM2 dropped the early syncs), and only when it finds the copy', async () => {
    const { primary, dr } = world();
    // Drop orders/1's first sync (0→0), as MM2 does with too many in flight: nothing covers positions 0–20 any more.
    const syncs = primary.topics.get(SYNCS)![0]!;
    syncs.records = syncs.records.filter((r) => {
      const d = decodeOffsetSync(r.key, r.value);
      return !('value' in d && d.value.partition === 1 && d.value.upstreamOffset === 0);
    });
    primary.commit('early', 'orders', 1, 7);
    const mm2 = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW, include: [/^early$/], method: 'mm2' });
    expect(mm2.partitions).toEqual([]);
    expect(mm2.untranslated).toMatchObject([{ group: 'early', partition: 1, reason: 'not-yet-checkpointed', fallback: false }]);
    const exact = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW, include: [/^early$/], method: 'record-match' });
    expect(exact.partitions).toMatchObject([{ group: 'early', partition: 1, targetOffset: 7, basis: 'record-match', reReadRecords: 0 }]);
    expect(exact.untranslated).toMatchObject([{ group: 'early', reason: 'not-yet-checkpointed', fallback: true }]);
    // The copy is not on dr (retention deleted it): no row, still untranslated (it blocks translate-offsets).
    dr.topics.get('primary.orders')![1]!.logStartOffset = 10;
    const gone = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW, include: [/^early$/], method: 'record-match' });
    expect(gone.partitions).toEqual([]);
    expect(gone.untranslated).toMatchObject([{ group: 'early', fallback: false }]);
  });

  it('blocks an offset outside the target log: below the log start, above the high watermark', async () => {
    const { primary, dr } = world();
    dr.topics.get('primary.orders')![0]!.logStartOffset = 8; // retention deleted dr 0–7
    const p1 = dr.topics.get('primary.orders')![1]!; // recreated on dr with only 40 records
    p1.records = p1.records.slice(0, 40);
    p1.highWatermark = 40;
    const r = await translateOffsets({ flow, source: primary.port(), target: dr.port(), now: () => NOW });
    expect(row(r, 'billing', 0)!.problem).toBe('target offset 6 is below the log start 8 of primary.orders/0 (records deleted: the group would skip them)');
    expect(row(r, 'billing', 1)!.problem).toBe('target offset 43 is above the high watermark 40 of primary.orders/1 (a truncated or recreated topic)');
    expect(r.groups.find((g) => g.group === 'billing')).toMatchObject({ problems: 2 });
  });

  it('source unreachable: checkpoints alone, nothing estimated', async () => {
    const { dr } = world();
    const r = await translateOffsets({ flow, target: dr.port(), now: () => NOW, include: [/^billing$/] });
    expect(r).toMatchObject({ sourceReachable: false, offsetSyncsTopic: null, untranslated: [] });
    expect(r.partitions.map((p) => [p.partition, p.targetOffset, p.sourceCommittedOffset, p.commitsSinceCheckpoint, p.reReadRecords])).toEqual([
      [0, 6, null, null, null],
      [1, 43, null, null, null],
    ]);
    expect(r.groups).toEqual([{ group: 'billing', partitions: 2, reReadRecords: null, problems: 0 }]);
  });

  it('include and exclude select groups; no checkpoints topic is an error naming both spellings', async () => {
    const { primary, dr } = world();
    const r = await translateOffsets({ flow, source: primary.port(), target: dr.port(), include: [/^(billing|audit)$/], exclude: [/^audit$/] });
    expect([...new Set(r.partitions.map((p) => p.group))]).toEqual(['billing']);
    dr.topics.delete(CK);
    await expect(translateOffsets({ flow: { ...flow, separator: '_' }, source: primary.port(), target: dr.port() })).rejects.toThrow(
      'no checkpoints topic (primary_checkpoints.internal or primary.checkpoints.internal) on dr',
    );
  });
});
