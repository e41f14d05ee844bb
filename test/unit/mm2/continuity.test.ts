/**
 * `proveContinuity` (src/mm2/continuity.ts) over in-memory clusters where MM2's source task (memory-kafka.ts
 * `mirrorPartition`) copied the partition: the copy map (`copied`) is the independent oracle of where each source
 * record lies on the target, so the right verdict and count of every planned offset are known.
 */
import { describe, expect, it } from 'vitest';
import { type ContinuityRow, proveContinuity } from '../../../src/mm2/continuity.js';
import { MemoryKafka, mirrorPartition } from './memory-kafka.js';

const record = (c: number, offset?: number) => ({
  ...(offset !== undefined ? { offset } : {}),
  timestamp: 1_000 + c,
  key: Buffer.from(`k${c % 7}`),
  value: Buffer.from(`v${c}`),
});

function world(offsets: number[], o: { foreign?: { before: number; like: number } } = {}) {
  const primary = new MemoryKafka('primary');
  const dr = new MemoryKafka('dr');
  primary.topic('orders', 1);
  for (const offset of offsets) primary.append('orders', 0, record(offset, offset));
  const foreign = o.foreign;
  const copied = mirrorPartition({
    source: primary,
    topic: 'orders',
    partition: 0,
    target: dr,
    remote: 'primary.orders',
    syncsCluster: primary,
    syncsTopic: 'mm2-offset-syncs.dr.internal',
    ...(foreign ? { beforeCopy: (u: number) => u === foreign.before && dr.append('primary.orders', 0, record(foreign.like)) } : {}),
  });
  const targetEnd = dr.topics.get('primary.orders')![0]!.highWatermark;
  /** Where a group at source position u resumes exactly: the copy of the first data record ≥ u (or the end). */
  const exact = (u: number) => copied.find((c) => c.upstream >= u)?.downstream ?? targetEnd;
  const row = (u: number, t: number): ContinuityRow => ({
    group: 'g',
    sourceTopic: 'orders',
    topic: 'primary.orders',
    partition: 0,
    sourceOffset: u,
    targetOffset: t,
  });
  const prove = (rows: ContinuityRow[]) => proveContinuity({ source: primary.port(), target: dr.port(), rows });
  return { exact, row, prove, targetEnd, dr };
}

describe('proveContinuity: the record at the planned offset is the one the group reads next', () => {
  it('exact offsets prove exact; earlier offsets prove re-reads counted one by one; later offsets are skips', async () => {
    const w = world(Array.from({ length: 50 }, (_, i) => i));
    const rows = [0, 7, 25, 49, 50].flatMap((u) => [w.row(u, w.exact(u)), w.row(u, Math.max(0, w.exact(u) - 5)), w.row(u, w.exact(u) + 1)]);
    const r = await w.prove(rows);
    for (const [k, x] of r.entries()) {
      const want = rows[k]!.targetOffset - w.exact(rows[k]!.sourceOffset);
      if (want === 0) expect(x, `${x.detail}`).toMatchObject({ verdict: 'exact', ok: true, reReads: 0 });
      else if (want < 0) expect(x, `${x.detail}`).toMatchObject({ verdict: 're-reads', ok: true, reReads: -want });
      else expect(x, `${x.detail}`).toMatchObject({ verdict: rows[k]!.targetOffset > w.targetEnd ? 'not-found' : 'skips', ok: false });
    }
    // The planted mismatch of the issue: one record past the right offset names the partition and the skip.
    expect(r[2]).toMatchObject({ verdict: 'skips', skipped: 1 });
    expect(r[2]!.detail).toContain('primary.orders/0');
  });

  it('transactional and compacted partitions (offsets without data records): positions on gaps prove exact', async () => {
    const offsets = [0, 1, 2, 4, 5, 9, 10, 11, 17, 18, 30];
    const w = world(offsets);
    const us = [0, 3, 6, 12, 17, 19, 30, 31];
    const r = await w.prove(us.map((u) => w.row(u, w.exact(u))));
    for (const x of r) expect(x, x.detail).toMatchObject({ verdict: 'exact', ok: true });
    const early = await w.prove([w.row(12, w.exact(12) - 3)]);
    expect(early[0]).toMatchObject({ verdict: 're-reads', reReads: 3 });
  });

  it('a record another producer wrote into the remote topic before the copy is not counted as a re-read', async () => {
    // Foreign record (content of 40) written before MM2 copies 20: at target offset 20; the copy of 20 is at 21.
    const w = world(
      Array.from({ length: 30 }, (_, i) => i),
      { foreign: { before: 20, like: 40 } },
    );
    expect(w.exact(20)).toBe(21);
    const [exact, spanning] = await w.prove([w.row(20, 21), w.row(20, 19)]);
    expect(exact).toMatchObject({ verdict: 'exact', ok: true });
    expect(spanning).toMatchObject({ verdict: 'foreign-records', ok: false, reReads: 2 });
  });

  it('a target that compacted away some copies: the re-reads are the copies still there, each verified', async () => {
    const w = world(Array.from({ length: 30 }, (_, i) => i));
    const p = w.dr.topics.get('primary.orders')![0]!;
    p.records = p.records.filter((r) => r.offset !== 15 && r.offset !== 16);
    const [r] = await w.prove([w.row(20, 10)]);
    expect(r).toMatchObject({ verdict: 're-reads', ok: true, reReads: 8 });
  });

  it('the next record compacted away on the target: proven right after the copy of the record before it', async () => {
    const w = world(Array.from({ length: 30 }, (_, i) => i));
    const p = w.dr.topics.get('primary.orders')![0]!;
    p.records = p.records.filter((r) => r.offset !== 20);
    const [at, early, same, late] = await w.prove([w.row(20, 20), w.row(20, 18), w.row(20, 21), w.row(20, 22)]);
    expect(at).toMatchObject({ verdict: 'exact', ok: true, sourceRecord: { offset: 20 } });
    expect(early).toMatchObject({ verdict: 're-reads', reReads: 2 });
    // Target offset 20 holds no record any more: 21 is the same position.
    expect(same).toMatchObject({ verdict: 'exact', ok: true });
    // 22 passes over the copy of 21, which the group has not read.
    expect(late).toMatchObject({ verdict: 'skips', ok: false, skipped: 1 });
  });

  it('the first record the source still has, compacted away on the target: proven at the copy of the next one that has one', async () => {
    // Source offsets 0–9 compacted away (10 is the first record left); dr's cleaner removed the copies of 10 and 11.
    const w = world(Array.from({ length: 30 }, (_, i) => i + 10));
    const p = w.dr.topics.get('primary.orders')![0]!;
    p.records = p.records.filter((r) => r.offset !== w.exact(10) && r.offset !== w.exact(11));
    const [at, early, late] = await w.prove([w.row(3, w.exact(12)), w.row(3, w.exact(10)), w.row(3, w.exact(13))]);
    expect(at, at!.detail).toMatchObject({ verdict: 'exact', ok: true, sourceRecord: { offset: 10 }, copyOffset: w.exact(12) });
    // The offsets of the removed copies hold no record: the same position.
    expect(early, early!.detail).toMatchObject({ verdict: 'exact', ok: true });
    expect(late, late!.detail).toMatchObject({ verdict: 'skips', ok: false, skipped: 1 });
  });

  it('copies deleted by retention below the target log start are not taken for compacted ones: not proven', async () => {
    const w = world(Array.from({ length: 30 }, (_, i) => i));
    const p = w.dr.topics.get('primary.orders')![0]!;
    p.records = p.records.filter((r) => r.offset >= 10);
    p.logStartOffset = 10;
    // The group reads 5 next: its copy (and those of 6–9) are gone; resuming at 10 would never read 5–9.
    const [r] = await w.prove([w.row(5, 10)]);
    expect(r, r!.detail).toMatchObject({ verdict: 'not-found', ok: false });
  });

  it("a planned offset at another producer's record with the very content of the next record is not proven", async () => {
    // The foreign record (content of 20) lies at target offset 20, just before the real copy of 20 at 21.
    const w = world(
      Array.from({ length: 30 }, (_, i) => i),
      { foreign: { before: 20, like: 20 } },
    );
    const [atForeign, atCopy] = await w.prove([w.row(20, 20), w.row(20, 21)]);
    expect(atForeign).toMatchObject({ verdict: 'foreign-records', ok: false, copyOffset: 21 });
    expect(atCopy).toMatchObject({ verdict: 'exact', ok: true });
  });

  it('a group that consumed the whole partition: the target end proves exact, a point before it re-reads, after it fails', async () => {
    const w = world(Array.from({ length: 20 }, (_, i) => i));
    const [end, before] = await w.prove([w.row(20, w.targetEnd), w.row(20, w.targetEnd - 4)]);
    expect(end).toMatchObject({ verdict: 'exact', ok: true, sourceRecord: null });
    expect(before).toMatchObject({ verdict: 're-reads', reReads: 4 });
  });
});
