/**
 * The offset-sync index against MM2's own rules, on syncs produced by a model of MM2's source task
 * (memory-kafka.ts `mirrorPartition`, after OffsetSyncWriter.PartitionState.update) over non-dense upstream logs,
 * read back through the real decoder. Translation (OffsetSyncStore.translateDownstream since KAFKA-12468): the sync
 * with the largest upstream U ≤ g gives D when g == U, else D + 1; none → no translation. Every expected value below
 * is derived by hand in the comment next to it.
 */
import { describe, expect, it } from 'vitest';
import { OffsetSyncIndex } from '../../../src/mm2/offset-sync-index.js';
import { readOffsetSyncs, type OffsetSyncRecord } from '../../../src/mm2/read-internal.js';
import { MemoryKafka, mirrorPartition } from './memory-kafka.js';

const SYNCS = 'mm2-offset-syncs.dr.internal';

/** Mirrors `orders`/0 holding data records at `offsets` and returns the index built from the syncs MM2 wrote. */
async function mirrored(offsets: number[], maxOffsetLag = 100) {
  const primary = new MemoryKafka('primary');
  const dr = new MemoryKafka('dr');
  primary.partitionWith('orders', 0, offsets);
  const copied = mirrorPartition({
    source: primary,
    topic: 'orders',
    partition: 0,
    target: dr,
    remote: 'primary.orders',
    syncsCluster: primary,
    syncsTopic: SYNCS,
    maxOffsetLag,
  });
  const read = await readOffsetSyncs(primary.port(), SYNCS);
  expect(read.corrupt).toEqual([]);
  const pairs = read.records.map((s) => [s.upstreamOffset, s.downstreamOffset]);
  return { index: OffsetSyncIndex.from(read.records), pairs, copied, targetEnd: dr.topics.get('primary.orders')![0]!.highWatermark };
}

/** Where a group committed at upstream `g` truly resumes on the target: the copy of the first data record ≥ g (or the end). */
const truePosition = (copied: { upstream: number; downstream: number }[], end: number, g: number) => copied.find((c) => c.upstream >= g)?.downstream ?? end;

const sync = (upstreamOffset: number, downstreamOffset: number, partition = 0): OffsetSyncRecord => ({
  topic: 'orders',
  partition,
  upstreamOffset,
  downstreamOffset,
  recordOffset: 0,
  recordTimestamp: 0,
  encoding: 'raw',
});

describe('OffsetSyncIndex on a transactional topic (commit markers at 5 and 11 leave upstream gaps)', () => {
  // Data at 0–4, marker 5, data 6–10, marker 11, data 12–14 (high watermark 15). MM2 copies the 13 records densely
  // to 0–12 and syncs on its first record (0→0) and on each upstream gap: 6→5 and 12→10.
  const offsets = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14];

  it('MM2 emits exactly the syncs 0→0, 6→5, 12→10', async () => {
    const { pairs, targetEnd } = await mirrored(offsets);
    expect(pairs).toEqual([
      [0, 0],
      [6, 5],
      [12, 10],
    ]);
    expect(targetEnd).toBe(13);
  });

  it('translates by the floor sync: D when g == U, else D + 1', async () => {
    const { index } = await mirrored(offsets);
    const t = (g: number) => index.translate('orders', 0, g)?.targetOffset;
    expect(t(0)).toBe(0); // on sync 0→0
    expect(t(5)).toBe(1); // floor 0→0, g > U: 0 + 1 (true position 5: re-reads 4 records, skips none)
    expect(t(6)).toBe(5); // on sync 6→5
    expect(t(11)).toBe(6); // floor 6→5: 5 + 1 (the marker at 11; true position 10)
    expect(t(12)).toBe(10); // on sync 12→10
    expect(t(15)).toBe(11); // group at the end: floor 12→10, 10 + 1 (true end 13: re-reads 2)
    expect(index.translate('orders', 0, 11)?.sync).toMatchObject({ upstreamOffset: 6, downstreamOffset: 5 });
  });

  it('never skips: every translation is at or before the true target position of g', async () => {
    const { index, copied, targetEnd } = await mirrored(offsets);
    for (let g = 0; g <= 15; g++) expect(index.translate('orders', 0, g)!.targetOffset, `g=${g}`).toBeLessThanOrEqual(truePosition(copied, targetEnd, g));
  });

  it('estimates the target position from the floor sync one for one (exact here: every gap starts a sync)', async () => {
    const { index, copied, targetEnd } = await mirrored(offsets);
    expect(index.estimatePosition('orders', 0, 11)).toBe(10); // 5 + (11 − 6)
    expect(index.estimatePosition('orders', 0, 15)).toBe(13); // 10 + (15 − 12)
    for (const g of [0, 3, 6, 9, 12, 14, 15]) expect(index.estimatePosition('orders', 0, g), `g=${g}`).toBe(truePosition(copied, targetEnd, g));
  });
});

describe('OffsetSyncIndex on a compacted topic with offset.lag.max = 3', () => {
  // Data at 0–2, 7–13, 20 (3–6 and 14–19 compacted away). Copied to 0–10. Syncs: 0→0 (first); 7→3 (gap);
  // 11→7 (7 − (3 + 1) = 3 ≥ offset.lag.max); 20→10 (gap). 8→4, 9→5, 10→6, 12→8, 13→9: no sync.
  const offsets = [0, 1, 2, 7, 8, 9, 10, 11, 12, 13, 20];

  it('MM2 emits the syncs 0→0, 7→3, 11→7, 20→10', async () => {
    const { pairs } = await mirrored(offsets, 3);
    expect(pairs).toEqual([
      [0, 0],
      [7, 3],
      [11, 7],
      [20, 10],
    ]);
  });

  it('translates g inside a gap and between syncs conservatively', async () => {
    const { index, copied, targetEnd } = await mirrored(offsets, 3);
    const t = (g: number) => index.translate('orders', 0, g)?.targetOffset;
    expect(t(5)).toBe(1); // inside the gap 3–6: floor 0→0 → 1 (true position 3)
    expect(t(11)).toBe(7); // on sync 11→7
    expect(t(13)).toBe(8); // floor 11→7 → 8 (true position 9: re-reads one record)
    expect(t(17)).toBe(8); // inside the gap 14–19: floor 11→7 → 8 (true position 10)
    expect(t(21)).toBe(11); // floor 20→10 → 11 = the target end
    for (let g = 0; g <= 21; g++) expect(t(g)!, `g=${g}`).toBeLessThanOrEqual(truePosition(copied, targetEnd, g));
  });

  it('overestimates the position of g inside a gap that starts after its floor sync (re-reads reported high, never low)', async () => {
    const { index } = await mirrored(offsets, 3);
    expect(index.estimatePosition('orders', 0, 5)).toBe(5); // 0 + (5 − 0); the true position is 3
    expect(index.estimatePosition('orders', 0, 13)).toBe(9); // 7 + (13 − 11), exact
  });
});

describe('OffsetSyncIndex bookkeeping', () => {
  it('gives no translation below the oldest sync (MM2 emits no checkpoint there)', () => {
    // After compaction of the syncs topic (one key per partition) only the newest sync 250→190 is left.
    const index = OffsetSyncIndex.from([sync(250, 190)]);
    expect(index.translate('orders', 0, 249)).toBeUndefined();
    expect(index.estimatePosition('orders', 0, 249)).toBeUndefined();
    expect(index.translate('orders', 0, 250)?.targetOffset).toBe(190);
    expect(index.translate('orders', 1, 250)).toBeUndefined(); // another partition
    expect(index.translate('payments', 0, 250)).toBeUndefined(); // another topic
  });

  it('a sync whose upstream offset goes backwards (recreated topic) discards the older generation, as OffsetSyncStore.updateSyncArray', () => {
    const index = OffsetSyncIndex.from([sync(0, 0), sync(100, 95), sync(50, 200)]);
    expect(index.syncs('orders', 0).map((s) => [s.upstreamOffset, s.downstreamOffset])).toEqual([[50, 200]]);
    expect(index.translate('orders', 0, 60)?.targetOffset).toBe(201); // 200 + 1, not 95 + 1 from the old log
    expect(index.translate('orders', 0, 40)).toBeUndefined(); // 0→0 belonged to the old generation
    expect(index.latest('orders', 0)).toMatchObject({ upstreamOffset: 50 });
  });

  it('keeps partitions apart and returns the newest sync per partition', () => {
    const index = OffsetSyncIndex.from([sync(0, 0, 0), sync(0, 7, 1), sync(10, 10, 0), sync(30, 40, 1)]);
    expect(index.latest('orders', 0)).toMatchObject({ upstreamOffset: 10, downstreamOffset: 10 });
    expect(index.latest('orders', 1)).toMatchObject({ upstreamOffset: 30, downstreamOffset: 40 });
    expect(index.floor('orders', 1, 29)).toMatchObject({ upstreamOffset: 0, downstreamOffset: 7 });
    expect(index.translate('orders', 1, 29)?.targetOffset).toBe(8);
  });
});

describe('OffsetSyncIndex.upstreamOf (failback: a downstream offset mapped back upstream)', () => {
  // The transactional topic above: syncs 0→0, 6→5, 12→10; downstream 0–12 are copies of upstream 0–4, 6–10, 12–14.
  const offsets = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14];

  it('maps every downstream offset to the upstream record it is a copy of, or earlier (never later: no skip)', async () => {
    const { index, copied, targetEnd } = await mirrored(offsets);
    // d = 4: sync 0→0 → 0 + 4 = 4 (exact); d = 5: sync 6→5 → 6 (exact); d = 9: 6 + 4 = 10; d = 10: sync 12→10 → 12.
    expect([4, 5, 9, 10].map((d) => index.upstreamOf('orders', 0, d))).toEqual([4, 6, 10, 12]);
    for (let d = 0; d <= targetEnd; d++) {
      const truth = copied.find((c) => c.downstream === d)?.upstream ?? 15; // the end maps to the upstream end
      expect(index.upstreamOf('orders', 0, d), `d = ${d}`).toBeLessThanOrEqual(truth);
    }
  });

  it('with a middle sync compacted away, the floor is older: records re-read, none skipped', () => {
    const index = OffsetSyncIndex.from([sync(0, 0), sync(12, 10)]); // 6→5 gone
    expect(index.upstreamOf('orders', 0, 9)).toBe(9); // 0 + 9; the copy at downstream 9 is upstream 10: one record re-read
  });

  it('has no answer below the oldest sync, and ignores syncs of the generation before an upstream rewind', () => {
    expect(OffsetSyncIndex.from([sync(30, 25)]).upstreamOf('orders', 0, 24)).toBeUndefined();
    const rewound = OffsetSyncIndex.from([sync(0, 0), sync(100, 95), sync(50, 200)]);
    expect(rewound.upstreamOf('orders', 0, 96)).toBeUndefined(); // 100→95 mapped a log that no longer exists upstream
    expect(rewound.upstreamOf('orders', 0, 210)).toBe(60);
    expect(rewound.upstreamOf('orders', 1, 210)).toBeUndefined(); // another partition
  });
});

describe('reading only the offset syncs written since an earlier read (readOffsetSyncs with `from`)', () => {
  it('extends the index to the one a whole read builds, reading only the new records', async () => {
    const primary = new MemoryKafka('primary');
    primary.topic(SYNCS, 1);
    for (const [u, d] of [
      [0, 0],
      [6, 5],
    ])
      primary.writeOffsetSync(SYNCS, { topic: 'orders', partition: 0, upstreamOffset: u!, downstreamOffset: d! });
    const first = await readOffsetSyncs(primary.port(), SYNCS);
    const index = OffsetSyncIndex.from(first.records);
    primary.writeOffsetSync(SYNCS, { topic: 'orders', partition: 0, upstreamOffset: 12, downstreamOffset: 10 });
    // A rewound topic (upstream back to 0): the whole-read index drops the earlier generation; so must the extended one.
    primary.writeOffsetSync(SYNCS, { topic: 'orders', partition: 0, upstreamOffset: 0, downstreamOffset: 20 });
    primary.writeOffsetSync(SYNCS, { topic: 'orders', partition: 0, upstreamOffset: 3, downstreamOffset: 23 });
    const since = await readOffsetSyncs(primary.port(), SYNCS, first.endOffsets);
    expect(since.recordsRead).toBe(3);
    index.extend(since.records);
    const whole = OffsetSyncIndex.from((await readOffsetSyncs(primary.port(), SYNCS)).records);
    expect(index.syncs('orders', 0).map((s) => [s.upstreamOffset, s.downstreamOffset])).toEqual([
      [0, 20],
      [3, 23],
    ]);
    expect(index.syncs('orders', 0)).toEqual(whole.syncs('orders', 0));
  });

  it('reads the topic whole when it is shorter than the earlier read (recreated since)', async () => {
    const primary = new MemoryKafka('primary');
    primary.topic(SYNCS, 1);
    primary.writeOffsetSync(SYNCS, { topic: 'orders', partition: 0, upstreamOffset: 4, downstreamOffset: 4 });
    const read = await readOffsetSyncs(primary.port(), SYNCS, { 0: 7 });
    expect(read.records.map((s) => s.upstreamOffset)).toEqual([4]);
  });
});
