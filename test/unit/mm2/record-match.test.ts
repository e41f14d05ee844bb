/**
 * `matchRecord` (src/mm2/record-match.ts) over in-memory clusters where MM2's source task (memory-kafka.ts
 * `mirrorPartition`) copied partitions and wrote the offset syncs MM2 would: the exact target offset of every upstream
 * offset is known from the copy (`copied`), the independent oracle here.
 */
import { describe, expect, it } from 'vitest';
import { OffsetSyncIndex } from '../../../src/mm2/offset-sync-index.js';
import { readOffsetSyncs } from '../../../src/mm2/read-internal.js';
import { matchRecord } from '../../../src/mm2/record-match.js';
import { MemoryKafka, mirrorPartition } from './memory-kafka.js';

const SYNCS = 'mm2-offset-syncs.dr.internal';
/** The record of content `c` (key, value and timestamp derive from it). */
const record = (c: number, offset?: number) => ({
  ...(offset !== undefined ? { offset } : {}),
  timestamp: 1_000 + c,
  key: Buffer.from(`k${c % 7}`),
  value: Buffer.from(`v${c}`),
});

/** `content` maps an offset to the record it holds (key, value and timestamp derive from it; default: the offset). */
async function world(
  offsets: number[],
  o: { until?: number; maxOffsetLag?: number; content?: (offset: number) => number; foreign?: { before: number; like: number } } = {},
) {
  const primary = new MemoryKafka('primary');
  const dr = new MemoryKafka('dr');
  primary.topic('orders', 1);
  for (const offset of offsets) {
    const c = o.content?.(offset) ?? offset;
    primary.append('orders', 0, record(c, offset));
  }
  // Another producer (not MM2) writes into the remote topic on dr, just before MM2 copies `before`, a record with the
  // content of source record `like`.
  const foreign = o.foreign;
  const beforeCopy = foreign ? (u: number) => u === foreign.before && dr.append('primary.orders', 0, record(foreign.like)) : undefined;
  const copied = mirrorPartition({
    source: primary,
    topic: 'orders',
    partition: 0,
    target: dr,
    remote: 'primary.orders',
    syncsCluster: primary,
    syncsTopic: SYNCS,
    maxOffsetLag: o.maxOffsetLag ?? 20,
    ...(o.until !== undefined ? { until: o.until } : {}),
    ...(beforeCopy ? { beforeCopy } : {}),
  });
  const syncs = OffsetSyncIndex.from((await readOffsetSyncs(primary.port(), SYNCS)).records);
  const sourceEnd = primary.topics.get('orders')![0]!.highWatermark;
  const targetEnd = dr.topics.get('primary.orders')![0]!.highWatermark;
  const match = (u: number) =>
    matchRecord({
      source: primary.port(),
      target: dr.port(),
      syncs,
      sourceTopic: 'orders',
      targetTopic: 'primary.orders',
      partition: 0,
      u,
      sourceStart: 0,
      sourceEnd,
      targetStart: 0,
      targetEnd,
    });
  /** Where the group committed at `u` must resume on the target: the copy of the first data record ≥ u (or the end). */
  const exact = (u: number) => copied.find((c) => c.upstream >= u)?.downstream ?? targetEnd;
  return { match, exact, sourceEnd, targetEnd, dr };
}

describe('matchRecord: the exact target offset by finding the record', () => {
  it('dense partition, offset.lag.max 20: every committed offset maps to its copy, the end to the end (0 re-reads)', async () => {
    const w = await world(Array.from({ length: 60 }, (_, i) => i));
    for (let u = 0; u <= 60; u++) expect((await w.match(u))?.targetOffset, `u=${u}`).toBe(w.exact(u));
  });

  it('transactional partition (commit markers at 5, 11, 12 and at the end): a marker maps to the next data record', async () => {
    const data = Array.from({ length: 30 }, (_, i) => i).filter((x) => ![5, 11, 12].includes(x));
    const w = await world(data);
    for (let u = 0; u <= 30; u++) expect((await w.match(u))?.targetOffset, `u=${u}`).toBe(w.exact(u));
    // A marker after the last data record: the group has consumed everything.
    const tail = await world([0, 1, 2]);
    expect(await tail.match(3)).toMatchObject({ targetOffset: tail.targetEnd, sourceOffset: null });
  });

  it('a group at the source end resumes right after the copy of the last record, not at a target end that holds other records', async () => {
    const primary = new MemoryKafka('primary');
    const dr = new MemoryKafka('dr');
    primary.topic('orders', 1);
    for (let i = 0; i < 30; i++) primary.append('orders', 0, record(i, i));
    mirrorPartition({ source: primary, topic: 'orders', partition: 0, target: dr, remote: 'primary.orders', syncsCluster: primary, syncsTopic: SYNCS });
    // Records another writer appended after the copies (e.g. the old primary's own tail seen from a failback).
    for (let i = 100; i < 105; i++) dr.append('primary.orders', 0, record(i));
    const syncs = OffsetSyncIndex.from((await readOffsetSyncs(primary.port(), SYNCS)).records);
    const m = await matchRecord({
      source: primary.port(),
      target: dr.port(),
      syncs,
      sourceTopic: 'orders',
      targetTopic: 'primary.orders',
      partition: 0,
      u: 30,
      sourceStart: 0,
      sourceEnd: 30,
      targetStart: 0,
      targetEnd: 35,
    });
    expect(m).toMatchObject({ targetOffset: 30, sourceOffset: null });
  });

  it('a record the target compacted away (its key has a newer record there): right after the copy of the record before it', async () => {
    const w = await world(Array.from({ length: 40 }, (_, i) => i));
    // dr's log cleaner removed the copies of 20 and 21 (the source still has both).
    const p = w.dr.topics.get('primary.orders')![0]!;
    p.records = p.records.filter((r) => r.offset !== 20 && r.offset !== 21);
    expect(await w.match(20)).toMatchObject({ targetOffset: 20, sourceOffset: 20 }); // after the copy of 19
    expect((await w.match(20))!.how).toContain('has no copy on the target');
    // 21: its predecessor 20 has no copy either: at the copy of the first later record that has one, 22.
    expect(await w.match(21)).toMatchObject({ targetOffset: 22, sourceOffset: 21 });
    expect((await w.match(21))!.how).toContain('first later source record');
    expect((await w.match(22))?.targetOffset).toBe(22);
  });

  it('the first record the source still has, compacted away on the target too: at the copy of the next one that has one', async () => {
    // The source's cleaner removed offsets 0–9 (the first record left is 10); dr's cleaner removed the copies of 10 and
    // 11. A group committed at 0–11 reads 10 next on the source: no copy, no record before it, so it resumes at the
    // copy of 12 — the case a CI run met on a compacted topic (offset 1240, the first surviving record).
    const w = await world(Array.from({ length: 30 }, (_, i) => i + 10));
    const p = w.dr.topics.get('primary.orders')![0]!;
    p.records = p.records.filter((r) => r.offset !== w.exact(10) && r.offset !== w.exact(11));
    for (const u of [0, 5, 10, 11]) expect(await w.match(u), `u=${u}`).toMatchObject({ targetOffset: w.exact(12), sourceOffset: Math.max(u, 10) });
    expect((await w.match(12))?.targetOffset).toBe(w.exact(12));
  });

  it('compacted partition (offsets gone): the next record that exists', async () => {
    const w = await world([0, 3, 4, 9, 10, 11, 17, 30, 31]);
    for (const u of [0, 1, 2, 3, 5, 9, 12, 17, 18, 30, 32]) expect((await w.match(u))?.targetOffset, `u=${u}`).toBe(w.exact(u));
  });

  it('a record produced twice (same key, value, timestamp): the copy whose neighbour matches — exact, not the earlier twin', async () => {
    // Offsets 10 and 11 carry identical content: the record before 11 is 10, before 10's copy is 9's copy.
    const w = await world(
      Array.from({ length: 40 }, (_, i) => i),
      { content: (offset) => (offset === 11 ? 10 : offset) },
    );
    expect((await w.match(11))?.targetOffset).toBe(w.exact(11));
    expect((await w.match(10))?.targetOffset).toBe(w.exact(10));
  });

  it('a record another producer wrote into the remote topic with the same content is never taken for the copy', async () => {
    // Before MM2 copies source offset 33, a foreign producer writes the content of source record 35 into primary.orders
    // on dr: it lies inside the window of 35 (syncs at 0 and 21 with offset.lag.max 20), before the real copy.
    const w = await world(
      Array.from({ length: 60 }, (_, i) => i),
      { foreign: { before: 33, like: 35 } },
    );
    expect(w.exact(35)).toBe(36);
    expect((await w.match(35))?.targetOffset).toBe(36);
    // The foreign record sits between the copies of 32 and 33. The copy of 33 is preceded by it — not by a copy of a record
    // before 33 — so it is not confirmed (MM2's conservative offset stands); 32's copy is followed by a record of 35's
    // content, a successor's, so it is.
    expect(await w.match(33)).toBeUndefined();
    for (let u = 0; u <= 60; u++) if (u !== 33) expect((await w.match(u))?.targetOffset, `u=${u}`).toBe(w.exact(u));
    // The foreign record carries the content of the very record copied next (written just before its copy): the
    // foreign one is followed by the copy, not by the copy of 34, so it is not taken.
    const twin = await world(
      Array.from({ length: 60 }, (_, i) => i),
      { foreign: { before: 33, like: 33 } },
    );
    expect(twin.exact(33)).toBe(34);
    expect(await twin.match(33)).toBeUndefined();
  });

  it('not replicated yet: no match, the caller keeps the conservative translation', async () => {
    const w = await world(
      Array.from({ length: 60 }, (_, i) => i),
      { until: 40 },
    );
    expect(await w.match(45)).toBeUndefined();
    expect((await w.match(38))?.targetOffset).toBe(w.exact(38));
    // 39 is copied but the record after it is not yet: unconfirmed, so no match.
    expect(await w.match(39)).toBeUndefined();
  });

  it('random gaps and lag settings: never after the copy, and equal to it when records are unique', async () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 20; run++) {
      const offsets = Array.from({ length: 120 }, (_, i) => i).filter(() => rand() > 0.2);
      const w = await world(offsets, { maxOffsetLag: 1 + Math.floor(rand() * 40) });
      for (let k = 0; k < 10; k++) {
        const u = Math.floor(rand() * (w.sourceEnd + 1));
        const r = await w.match(u);
        expect(r?.targetOffset, `run ${run} u=${u}`).toBe(w.exact(u));
      }
    }
  });
});
