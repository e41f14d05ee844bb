/**
 * Exact offset translation by record matching (issue 15): when the source answers, the record a group would read
 * next on the source (at its committed offset U) is found on the target — MM2 copies key, value and timestamp
 * unchanged (MirrorSourceTask.convertRecord) — and its position there is the exact target offset, so the group
 * re-reads nothing. Design note: docs/design/record-match.md.
 *
 * Per (source partition, U):
 * - R = the first data record at or after U on the source (control records and compacted-away offsets have no copy);
 *   none up to the source's end → the group consumed everything: it resumes right after the copy of the last source
 *   data record L (found the same way; not the target's end, which may hold records that are not copies).
 * - Window on the target: from MM2's own translation of R's offset (floor offset sync: D when R is the sync's upstream
 *   offset, else D + 1; OffsetSyncStore; the target's log start when there is no sync at or below R) — the copy of R is
 *   never before it — up to the downstream offset of the
 *   first sync above R (R's copy precedes that record's copy), or the target's high watermark.
 * - The earliest record in the window with R's digest (timestamp, key, value) whose neighbours on the target have the
 *   digests of R's neighbours on the source (the record before R and the record after it, where R has them): a record
 *   produced twice, or copied twice by MM2 after a restart, is told apart by its neighbours, and a record another
 *   producer wrote into the remote topic with R's content is not taken for the copy (R's copy follows it). No such
 *   record (or R's successor not replicated yet) → undefined: the caller keeps the conservative translation. Never a
 *   guess.
 * Every position of one partition is resolved from one read of the source span (lowest U to highest U plus the
 * records up to the next data record) and one read of the target span (lowest window start to highest window end),
 * both as digests ({@link PartitionSpan}); spans wider than {@link MAX_SPAN_RECORDS} are split.
 */
import type { KafkaPort, PartitionOffsets } from '../kafka/port.js';
import { mapBounded, PARTITIONS_IN_FLIGHT } from '../util/bounded.js';
import type { OffsetSyncIndex } from './offset-sync-index.js';
import { PartitionSpan, type RecordDigest } from './record-digest.js';

/** Widest span of one partition read at once (records); positions further apart are resolved in separate spans. */
export const MAX_SPAN_RECORDS = 200_000;
/** Largest target window searched for one record (records); beyond it the conservative translation stands. */
export const MAX_WINDOW_RECORDS = 10_000;
/** Source records read past the highest U to find the next data record (control records, compacted gaps). */
const SOURCE_LOOKAHEAD = 1_000;
/** Source records on either side of an anchor whose copies may neighbour its copy (a compacted target drops some). */
const NEIGHBOURS = 64;
/** Source records read below the lowest U to find the record preceding R. */
const SOURCE_LOOKBEHIND = 16 + 64;

/** An exact translation found by matching the record. */
export interface RecordMatch {
  /** Target offset: the copy of the first source data record at or after U (or right after the copy of the last one). */
  targetOffset: number;
  /** The source record matched (null when the group had consumed the whole source partition). */
  sourceOffset: number | null;
  /** How it was found, for the plan's notes. */
  how: string;
}

/** One source partition, its copy on the target and their bounds (records). */
export interface MatchPartition {
  source: KafkaPort;
  target: KafkaPort;
  syncs: OffsetSyncIndex;
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  /** Source partition's log start and high watermark. */
  sourceStart: number;
  sourceEnd: number;
  /** Target partition's log start and high watermark. */
  targetStart: number;
  targetEnd: number;
}

/** Records read by {@link matchPartition}, for benchmarks and the plan's notes. */
export interface MatchReads {
  sourceRecords: number;
  targetRecords: number;
}

/**
 * Finds the exact target offset of each upstream offset in `positions` of one partition.
 * @returns per position, the match or undefined (keep the conservative translation); and the records read.
 * @throws the port's read errors.
 */
export async function matchPartition(
  o: MatchPartition,
  positions: readonly number[],
): Promise<{ matches: Map<number, RecordMatch | undefined>; reads: MatchReads }> {
  const matches = new Map<number, RecordMatch | undefined>();
  const reads: MatchReads = { sourceRecords: 0, targetRecords: 0 };
  const sorted = [...new Set(positions)].sort((a, b) => a - b);
  // Positions far apart are resolved in separate spans, so memory stays bounded by MAX_SPAN_RECORDS digests.
  const clusters: number[][] = [];
  for (const u of sorted) {
    const last = clusters.at(-1);
    if (last && u - last[0]! <= MAX_SPAN_RECORDS) last.push(u);
    else clusters.push([u]);
  }
  for (const cluster of clusters) await matchCluster(o, cluster, matches, reads);
  return { matches, reads };
}

async function matchCluster(o: MatchPartition, us: number[], out: Map<number, RecordMatch | undefined>, reads: MatchReads) {
  const src = new PartitionSpan(o.source, o.sourceTopic, o.partition, o.sourceStart, o.sourceEnd);
  const lo = us[0]!;
  const hi = us.at(-1)!;
  await src.cover(lo - SOURCE_LOOKBEHIND, Math.min(o.sourceEnd, hi + SOURCE_LOOKAHEAD));
  // Markers or compacted-away offsets right below the lowest position: read further back for the record before it.
  if (src.indexAtOrAfter(lo) === 0 && src.range.from > o.sourceStart) await src.cover(lo - SOURCE_LOOKAHEAD, src.range.to);
  reads.sourceRecords += src.recordsRead;

  // Per position, the anchor record and its neighbours on the source, and the anchor's window on the target. The anchor
  // is R, the record the group reads next (the group resumes at R's copy); or, when the group consumed every data
  // record, the last one L (it resumes right after L's copy — not at the target's end: the target may hold records
  // that are not copies, e.g. the old primary's never-replicated tail in a failback).
  const wanted: Wanted[] = [];
  for (const u of us) {
    const i = src.indexAtOrAfter(u);
    let r = src.records[i];
    let after = false;
    if (!r) {
      // Only markers (or compacted-away offsets) after u within what was read, and that did not reach the end: unknown.
      if (src.range.to < o.sourceEnd) {
        out.set(u, undefined);
        continue;
      }
      r = i > 0 ? src.records[i - 1] : undefined;
      after = true;
      if (!r) {
        out.set(u, undefined); // no data record at all up to the end: nothing to anchor on
        continue;
      }
    }
    const at = after ? i - 1 : i;
    // No offset sync at or below the anchor (MM2 dropped it, or it expired): its copy is still at or after the log start.
    const win = windowOf(o, r.offset);
    if (!win) {
      out.set(u, undefined);
      continue;
    }
    // After L's copy the target may hold anything (new records): only R's successor is checked.
    wanted.push({
      u,
      r,
      after,
      prev: at > 0 ? src.records[at - 1] : undefined,
      prevs: neighbours(src, at - NEIGHBOURS, at),
      nexts: after ? undefined : neighbours(src, at + 1, at + 1 + NEIGHBOURS),
      ...win,
    });
  }
  if (!wanted.length) return;

  // One target span for all windows (from NEIGHBOURS records before the lowest window, for the neighbour check), or one per
  // window when they lie too far apart.
  const spanLo = Math.min(...wanted.map((w) => w.lower)) - 1 - NEIGHBOURS; // the records before a copy, for the neighbour check
  const spanHi = Math.max(...wanted.map((w) => w.upper)) + 1; // one record past the last window, for the neighbour check
  let shared: PartitionSpan | undefined;
  if (spanHi - spanLo <= MAX_SPAN_RECORDS) {
    shared = new PartitionSpan(o.target, o.targetTopic, o.partition, o.targetStart, o.targetEnd);
    await shared.cover(spanLo, spanHi);
    reads.targetRecords += shared.recordsRead;
  }
  for (const w of wanted) {
    let tgt = shared;
    if (!tgt) {
      tgt = new PartitionSpan(o.target, o.targetTopic, o.partition, o.targetStart, o.targetEnd);
      await tgt.cover(w.lower - 1 - NEIGHBOURS, w.upper + 1);
      reads.targetRecords += tgt.recordsRead;
    }
    let found = confirmedCopy(tgt, w);
    let alt: Wanted | undefined;
    let altKind: 'before' | 'successor' | undefined;
    const noCopy = !found && !w.after && !tgt.between(w.lower, w.upper).some((c) => c.hash === w.r.hash);
    if (noCopy && w.prev) {
      // R has no copy at all in its window: the target compacted it away (a newer record of its key is there), or it
      // is not replicated yet. The group then resumes right after the copy of the record before R, P.
      const p = w.prev;
      const win = windowOf(o, p.offset);
      if (win) {
        const at = src.indexAtOrAfter(p.offset);
        alt = { u: w.u, r: p, after: true, prev: src.records[at - 1], prevs: neighbours(src, at - NEIGHBOURS, at), nexts: undefined, ...win };
        altKind = 'before';
        const read = tgt.recordsRead;
        await tgt.cover(win.lower - 1 - NEIGHBOURS, win.upper + 1);
        reads.targetRecords += tgt.recordsRead - read;
        found = confirmedCopy(tgt, alt);
      }
    }
    // Only where R's copy, had it stayed, would lie inside the target's log (an offset sync at or below R maps it at
    // or after the log start): a copy that retention deleted below the log start is a record the group would never
    // read — no translation then, never a skip.
    const synced = o.syncs.translate(o.sourceTopic, o.partition, w.r.offset);
    if (noCopy && !found && synced && synced.targetOffset >= o.targetStart) {
      // No P (R is the first record the source still has: its log cleaner removed everything before it) or no copy of
      // P either: the group resumes at the copy of the first source record after R that has one, S — the records
      // between R and S have no copy on the target, so a group there reads nothing between. The record before S's copy
      // is not checked (it may be the copy of a record the source compacted away); the one after it is.
      const at = src.indexAtOrAfter(w.r.offset);
      for (let k = at + 1; k < Math.min(src.records.length, at + 1 + NEIGHBOURS); k++) {
        const s = src.records[k]!;
        const win = windowOf(o, s.offset);
        if (!win) break;
        const read = tgt.recordsRead;
        await tgt.cover(win.lower - 1 - NEIGHBOURS, win.upper + 1);
        reads.targetRecords += tgt.recordsRead - read;
        if (!tgt.between(win.lower, win.upper).some((c) => c.hash === s.hash)) continue; // no copy of S either
        alt = { u: w.u, r: s, after: false, prev: undefined, prevs: undefined, nexts: neighbours(src, k + 1, k + 1 + NEIGHBOURS), ...win };
        altKind = 'successor';
        found = confirmedCopy(tgt, alt);
        // At the log start itself, the removed copies may as well have been deleted by retention: not proven.
        if (found && found.offset <= o.targetStart) found = undefined;
        break;
      }
    }
    const hit = alt && found ? alt : w;
    out.set(
      w.u,
      !found
        ? undefined
        : hit.after
          ? {
              targetOffset: found.offset + 1,
              sourceOffset: alt ? w.r.offset : null,
              how: alt
                ? `the next source record (offset ${w.r.offset}) has no copy on the target (compacted there, or not replicated yet): right after the copy of the record before it (source offset ${alt.r.offset}, digest ${alt.r.hash.slice(0, 12)}) at target offset ${found.offset}`
                : `consumed to the source's end: right after the copy of the last source record (offset ${w.r.offset}, digest ${w.r.hash.slice(0, 12)}) at target offset ${found.offset} (searched ${w.lower}–${w.upper - 1})`,
            }
          : altKind === 'successor' && alt
            ? {
                targetOffset: found.offset,
                sourceOffset: w.r.offset,
                how: `the next source record (offset ${w.r.offset}) has no copy on the target (compacted there, or not replicated yet), nor any before it: at the copy of the first later source record that has one (offset ${alt.r.offset}, digest ${alt.r.hash.slice(0, 12)}) at target offset ${found.offset}`,
              }
            : {
                targetOffset: found.offset,
                sourceOffset: w.r.offset,
                how: `record at source offset ${w.r.offset} (timestamp ${w.r.timestamp}, digest ${w.r.hash.slice(0, 12)}) found at target offset ${found.offset}${w.prev ? `, after the copy of source offset ${w.prev.offset}` : ''} (searched ${w.lower}–${w.upper - 1})`,
              },
    );
  }
}

/**
 * The target window of a source record at `offset`: from MM2's own translation (floor offset sync; the target's log
 * start when there is none at or below) to the downstream offset of the first sync above it (or the high watermark).
 * @returns undefined when the window is empty or wider than {@link MAX_WINDOW_RECORDS}.
 */
function windowOf(o: MatchPartition, offset: number): { lower: number; upper: number } | undefined {
  const lower = o.syncs.translate(o.sourceTopic, o.partition, offset)?.targetOffset ?? o.targetStart;
  const above = o.syncs.syncs(o.sourceTopic, o.partition).find((s) => s.upstreamOffset > offset);
  const upper = Math.min(above ? above.downstreamOffset : o.targetEnd, o.targetEnd);
  return upper > lower && upper - lower <= MAX_WINDOW_RECORDS ? { lower, upper } : undefined;
}

/** One anchor to find on the target: the record, whether the group resumes after it, its neighbours, its window. */
interface Wanted {
  u: number;
  r: RecordDigest;
  after: boolean;
  /** The source record right before the anchor (for notes). */
  prev: RecordDigest | undefined;
  /** Digests of up to NEIGHBOURS source records before / after the anchor (undefined or empty: none to check). */
  prevs: Set<string> | undefined;
  nexts: Set<string> | undefined;
  lower: number;
  upper: number;
}

/** Digests of the span's records at indexes [from, to) (clamped), or undefined when there are none. */
function neighbours(span: PartitionSpan, from: number, to: number): Set<string> | undefined {
  const list = span.records.slice(Math.max(0, from), Math.max(0, to));
  return list.length ? new Set(list.map((d) => d.hash)) : undefined;
}

/**
 * The earliest record in `w`'s window with the anchor's digest whose neighbours on the target are copies of source
 * records on the same side of the anchor (the record before the copy: of one of the NEIGHBOURS source records before
 * the anchor; the record after it: of one of those after — where the anchor has them; a compacted target may have
 * dropped the nearest ones). A record another producer wrote with the anchor's content just before its copy is
 * followed by that copy — the anchor's own digest, not a successor's — so it is not taken, and a twin is told apart
 * the same way.
 */
function confirmedCopy(tgt: PartitionSpan, w: Wanted): RecordDigest | undefined {
  for (let j = tgt.indexAtOrAfter(w.lower); j < tgt.records.length && tgt.records[j]!.offset < w.upper; j++) {
    const c = tgt.records[j]!;
    if (c.hash !== w.r.hash) continue;
    const before = j > 0 ? tgt.records[j - 1] : undefined;
    // No record at all before the copy in the target's log (its cleaner removed them): nothing contradicts it.
    const first = !before && tgt.range.from <= tgt.logStart;
    if (w.prevs && !first && !(before && w.prevs.has(before.hash))) continue;
    if (w.nexts && !w.nexts.has(tgt.records[j + 1]?.hash ?? '')) continue;
    return c;
  }
  return undefined;
}

/**
 * Finds the exact target offset of one upstream offset `u` (see {@link matchPartition}).
 * @returns the match, or undefined when none is in the window (keep the conservative translation).
 * @throws the port's read errors.
 */
export async function matchRecord(o: MatchPartition & { u: number }): Promise<RecordMatch | undefined> {
  return (await matchPartition(o, [o.u])).matches.get(o.u);
}

/**
 * Record-matches the rows of an offset plan: the rows `eligible` keeps (source position known), grouped per
 * (source topic, target topic, partition) for one {@link matchPartition} each.
 * @param o.sourceBounds / o.targetBounds a partition's log start and high watermark on either side (undefined: skip).
 * @returns per row index, the match (or undefined); and the records read.
 * @throws the ports' read errors.
 */
export async function matchPlanRows(o: {
  source: KafkaPort;
  target: KafkaPort;
  syncs: OffsetSyncIndex;
  rows: readonly { sourceTopic: string; topic: string; partition: number; sourceCommittedOffset: number | null }[];
  eligible: (index: number) => boolean;
  sourceBounds: (topic: string, partition: number) => Promise<PartitionOffsets | undefined>;
  targetBounds: (topic: string, partition: number) => Promise<PartitionOffsets | undefined>;
}): Promise<{ matches: Map<number, RecordMatch | undefined>; reads: MatchReads }> {
  const byPartition = new Map<string, number[]>();
  for (const [i, row] of o.rows.entries()) {
    if (row.sourceCommittedOffset === null || !o.eligible(i)) continue;
    const key = JSON.stringify([row.sourceTopic, row.topic, row.partition]);
    const list = byPartition.get(key);
    if (list) list.push(i);
    else byPartition.set(key, [i]);
  }
  const matches = new Map<number, RecordMatch | undefined>();
  const reads: MatchReads = { sourceRecords: 0, targetRecords: 0 };
  // Partitions matched concurrently, a bounded number at once (util/bounded.ts).
  await mapBounded(
    [...byPartition],
    async ([key, rows]) => {
      const [sourceTopic, targetTopic, partition] = JSON.parse(key) as [string, string, number];
      const sb = await o.sourceBounds(sourceTopic, partition);
      const tb = await o.targetBounds(targetTopic, partition);
      if (!sb || !tb) return;
      const r = await matchPartition(
        {
          source: o.source,
          target: o.target,
          syncs: o.syncs,
          sourceTopic,
          targetTopic,
          partition,
          sourceStart: sb.logStartOffset,
          sourceEnd: sb.highWatermark,
          targetStart: tb.logStartOffset,
          targetEnd: tb.highWatermark,
        },
        rows.map((i) => o.rows[i]!.sourceCommittedOffset!),
      );
      reads.sourceRecords += r.reads.sourceRecords;
      reads.targetRecords += r.reads.targetRecords;
      for (const i of rows) matches.set(i, r.matches.get(o.rows[i]!.sourceCommittedOffset!));
    },
    PARTITIONS_IN_FLIGHT,
  );
  return { matches, reads };
}
