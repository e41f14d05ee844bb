/**
 * The continuity proof (issue 15, item 2): for each moved (group, partition), read both clusters and prove that a
 * group resuming at the planned target offset T reads, from T on, copies of records it already read on the source and
 * then exactly the record it would have read next there — so nothing is skipped, and the re-reads are counted, not
 * estimated. Design note: docs/design/record-match.md ("The continuity proof").
 *
 * Per row (source partition, group position U, target offset T), with records compared by digest (timestamp, key,
 * value: record-digest.ts):
 * - R = the first data record at or after U on the source. The copy of R is searched on the target from T on; found at
 *   M: the target records in [T, M) must equal, in order, source records before R (records the group read; a source
 *   record missing on the target, e.g. compacted there, is passed over) → `exact` (M = T) or `re-reads` (M − T records,
 *   each verified). A record in [T, M) that is not the copy of
 *   the corresponding earlier source record → `foreign-records` (the group would read something it never read there).
 * - No data record at or after U (the group consumed the whole source partition): the anchor is the last source data
 *   record L; its copy must be at T − 1 or later, and every record from T up to and including that copy is a
 *   verified re-read.
 * - R with no copy on the target (compacted there): the anchor is the record before R, P, and the group resumes right
 *   after P's copy; with no P (R is the first record the source still has) or no copy of P, the anchor is the first
 *   source record after R with a copy, S, and the group resumes at S's copy.
 * - The copy found only before T → `skips`: T is past the record the group reads next (the number skipped is given).
 *   Not found within {@link MAX_CONTINUITY_RECORDS} records after T (nor {@link SKIP_LOOKBEHIND} before) → `not-found`.
 * Reads: per partition, one source span and one target span for all its rows (PartitionSpan), the target span widened
 * step by step only as far as the copies lie.
 */
import type { KafkaPort, PartitionOffsets } from '../kafka/port.js';
import { mapBounded, PARTITIONS_IN_FLIGHT } from '../util/bounded.js';
import { PartitionSpan, type RecordDigest } from './record-digest.js';

/** Largest number of target records read after a planned offset while looking for the copy (records). */
export const MAX_CONTINUITY_RECORDS = 10_000;
/** Target records read before a planned offset to tell a skip (the copy lies before T) from a missing copy. */
export const SKIP_LOOKBEHIND = 1_000;
const SOURCE_LOOKAHEAD = 1_000;
/** Source records after an anchor whose copies may follow its copy (a compacted target drops some). */
const NEIGHBOURS = 64;
const digests = (list: readonly RecordDigest[]) => (list.length ? new Set(list.map((d) => d.hash)) : undefined);
/** Source records passed over (no copy on the target) beyond the re-reads before a re-read counts as unverified. */
const REREAD_SOURCE_SLACK = 1_000;

/** One row to prove: where the group is on the source and where it is planned on the target. */
export interface ContinuityRow {
  group: string;
  sourceTopic: string;
  /** Target-side topic. */
  topic: string;
  partition: number;
  /** The group's position on the source (committed offset, or a share group's position). */
  sourceOffset: number;
  /** The planned target offset. */
  targetOffset: number;
}

/** What the proof found for one row. */
export type ContinuityVerdict = 'exact' | 're-reads' | 'skips' | 'foreign-records' | 'not-found';

/** The proof of one row. `ok` for `exact` and `re-reads` only. */
export interface ContinuityResult extends ContinuityRow {
  verdict: ContinuityVerdict;
  ok: boolean;
  /** Records before the copy of the next record, each verified as the copy of a record the group read (records). */
  reReads: number | null;
  /** Records the planned offset skips (verdict `skips`). */
  skipped: number | null;
  /** The record the group reads next on the source (null: it consumed the whole partition). */
  sourceRecord: { offset: number; hash: string } | null;
  /** The record at (or first after) the planned target offset (null: none, T at the target's end). */
  targetRecord: { offset: number; hash: string } | null;
  /** Target offset of the copy of the source record (or of the last source record when none is next). */
  copyOffset: number | null;
  detail: string;
}

/**
 * Proves every row (see the module comment).
 * @param o.source / o.target the clusters the rows' `sourceTopic` / `topic` live on.
 * @returns one result per row, in the rows' order.
 * @throws the ports' read errors (a partition that cannot be read is not proven).
 */
export async function proveContinuity(o: { source: KafkaPort; target: KafkaPort; rows: readonly ContinuityRow[] }): Promise<ContinuityResult[]> {
  const bounds = (port: KafkaPort) => {
    const cache = new Map<string, Promise<PartitionOffsets[]>>();
    return async (topic: string, partition: number) => {
      if (!cache.has(topic)) cache.set(topic, port.partitionOffsets(topic));
      return (await cache.get(topic)!).find((p) => p.partition === partition);
    };
  };
  const sourceBounds = bounds(o.source);
  const targetBounds = bounds(o.target);
  const byPartition = new Map<string, number[]>();
  o.rows.forEach((r, i) => {
    const key = JSON.stringify([r.sourceTopic, r.topic, r.partition]);
    const list = byPartition.get(key);
    if (list) list.push(i);
    else byPartition.set(key, [i]);
  });
  const out: ContinuityResult[] = new Array(o.rows.length);
  // Partitions proven concurrently, a bounded number at once (util/bounded.ts).
  await mapBounded(
    [...byPartition],
    async ([key, idx]) => {
      const [sourceTopic, topic, partition] = JSON.parse(key) as [string, string, number];
      const sb = await sourceBounds(sourceTopic, partition);
      const tb = await targetBounds(topic, partition);
      const rows = idx.map((i) => o.rows[i]!);
      if (!sb || !tb) {
        const missing = !sb ? `${sourceTopic}/${partition} on the source` : `${topic}/${partition} on the target`;
        for (const i of idx) out[i] = result(o.rows[i]!, { verdict: 'not-found', detail: `${missing} does not exist` });
        return;
      }
      // Rows at the same (source position, planned offset) have the same proof: each distinct pair is proven once
      // (thousands of groups often sit at a few positions, e.g. caught up at the end), then named per group.
      const distinct = new Map<string, number>();
      const unique: ContinuityRow[] = [];
      const which = rows.map((r) => {
        const key = `${r.sourceOffset}:${r.targetOffset}`;
        let u = distinct.get(key);
        if (u === undefined) {
          u = unique.push(r) - 1;
          distinct.set(key, u);
        }
        return u;
      });
      const proven = await provePartition(o.source, o.target, sourceTopic, topic, partition, sb, tb, unique);
      idx.forEach((i, k) => {
        const p = proven[which[k]!]!;
        out[i] = { ...p, group: rows[k]!.group, detail: `${rows[k]!.group} ${p.detail}` };
      });
    },
    PARTITIONS_IN_FLIGHT,
  );
  return out;
}

function result(row: ContinuityRow, r: Partial<ContinuityResult> & Pick<ContinuityResult, 'verdict' | 'detail'>): ContinuityResult {
  return {
    ...row,
    reReads: null,
    skipped: null,
    sourceRecord: null,
    targetRecord: null,
    copyOffset: null,
    ...r,
    ok: r.verdict === 'exact' || r.verdict === 're-reads',
  };
}

async function provePartition(
  source: KafkaPort,
  target: KafkaPort,
  sourceTopic: string,
  topic: string,
  partition: number,
  sb: PartitionOffsets,
  tb: PartitionOffsets,
  rows: ContinuityRow[],
): Promise<ContinuityResult[]> {
  const src = new PartitionSpan(source, sourceTopic, partition, sb.logStartOffset, sb.highWatermark);
  const us = rows.map((r) => r.sourceOffset);
  const lo = Math.min(...us);
  const hi = Math.max(...us);
  // The next data record of every row, and the last one before the lowest (the anchor when a group consumed it all).
  await src.cover(lo - 16, Math.min(sb.highWatermark, hi + SOURCE_LOOKAHEAD));
  if (src.indexAtOrAfter(lo) === 0 && src.range.from > sb.logStartOffset) await src.cover(lo - SOURCE_LOOKAHEAD, lo);

  // Per row: the anchor record whose copy tells where the group resumes, and whether the group resumes at it or after it.
  // Many rows share a position (groups at the same offset): one followers set per anchor record, not one per row. Keyed
  // by the anchor's offset: indexes into src.records move when the span widens backwards.
  const followersAt = new Map<number, Set<string> | undefined>();
  const followersOf = (i: number) => {
    const offset = src.records[i]!.offset;
    if (!followersAt.has(offset)) followersAt.set(offset, digests(src.records.slice(i + 1, i + 1 + NEIGHBOURS)));
    return followersAt.get(offset);
  };
  const anchors = rows.map((r) => {
    const i = src.indexAtOrAfter(r.sourceOffset);
    const next = src.records[i];
    if (next) return { i, anchor: next, followers: followersOf(i), after: false };
    if (src.range.to < sb.highWatermark) return { i, anchor: undefined, followers: undefined, after: false, unread: true };
    return { i, anchor: i > 0 ? src.records[i - 1] : undefined, followers: undefined, after: true };
  });

  // The target span: from SKIP_LOOKBEHIND before the lowest T, widened forward until every anchor's copy is found.
  const ts = rows.map((r) => r.targetOffset);
  const tLo = Math.min(...ts);
  const tHi = Math.max(...ts);
  const tgt = new PartitionSpan(target, topic, partition, tb.logStartOffset, tb.highWatermark);
  let index = new Map<string, number[]>();
  const reindex = () => {
    index = new Map();
    tgt.records.forEach((d, j) => {
      const list = index.get(d.hash);
      if (list) list.push(j);
      else index.set(d.hash, [j]);
    });
  };
  /**
   * Index in tgt.records of the first copy of `d` at offset ≥ from whose next record is a copy of one of `followers`
   * (source records after `d`, when it has any — a compacted target may have dropped the nearest: a record another
   * producer wrote with d's content is followed by d's own copy instead), or −1.
   */
  const copyFrom = (d: RecordDigest, from: number, followers: Set<string> | undefined) =>
    (index.get(d.hash) ?? []).find((j) => tgt.records[j]!.offset >= from && (!followers || followers.has(tgt.records[j + 1]?.hash ?? ''))) ?? -1;
  const searchFrom = (k: number) => rows[k]!.targetOffset - (anchors[k]!.after ? 1 : 0);
  let reach = 64;
  for (;;) {
    await tgt.cover(tLo - SKIP_LOOKBEHIND, tHi + reach);
    reindex();
    const unresolved = anchors.some((a, k) => a.anchor && copyFrom(a.anchor, searchFrom(k), a.followers) < 0);
    if (!unresolved || tgt.range.to >= tb.highWatermark || reach >= MAX_CONTINUITY_RECORDS) break;
    reach = Math.min(MAX_CONTINUITY_RECORDS, reach * 4);
  }

  const out: ContinuityResult[] = [];
  for (const [k, row] of rows.entries()) {
    let a = anchors[k]!;
    // The next record has no copy anywhere in what was read (the target compacted it away: a newer record of its key is
    // there): the group resumes right after the copy of the record before it, P, which then anchors the proof.
    // With no P (R is the first record the source still has) or no copy of P either, the group resumes at the copy of
    // the first source record after R that has one, S: the records between R and S have no copy on the target.
    let compactedNext: RecordDigest | undefined;
    let successor = false;
    if (a.anchor && !a.after && !index.has(a.anchor.hash)) {
      const at = src.indexAtOrAfter(a.anchor.offset);
      const p = src.records[at - 1];
      if (p && index.has(p.hash)) {
        compactedNext = a.anchor;
        a = { i: at - 1, anchor: p, followers: undefined, after: true };
      } else {
        const k = src.records.slice(at + 1, at + 1 + NEIGHBOURS).findIndex((d) => index.has(d.hash));
        // Only when S's copy lies after the target's log start: the offsets before it then hold no record (a log
        // cleaner removed them); at the log start, retention may have deleted R's copy — a record the group would
        // never read, so not proven.
        const c = k >= 0 ? tgt.records[index.get(src.records[at + 1 + k]!.hash)![0]!]!.offset : -1;
        if (k >= 0 && c > tb.logStartOffset) {
          compactedNext = a.anchor;
          successor = true;
          const si = at + 1 + k;
          a = { i: si, anchor: src.records[si]!, followers: followersOf(si), after: false };
        }
      }
    }
    const atT = tgt.records[tgt.indexAtOrAfter(row.targetOffset)];
    const base = {
      sourceRecord: compactedNext
        ? { offset: compactedNext.offset, hash: compactedNext.hash }
        : a.anchor && !a.after
          ? { offset: a.anchor.offset, hash: a.anchor.hash }
          : null,
      targetRecord: atT ? { offset: atT.offset, hash: atT.hash } : null,
    };
    // No group here: one proof may serve many groups (proveContinuity names each).
    const where = `${row.topic}/${row.partition} at target offset ${row.targetOffset} (source ${row.sourceTopic}/${row.partition} at ${row.sourceOffset})`;
    if (row.targetOffset > tb.highWatermark || row.targetOffset < tb.logStartOffset) {
      out.push(
        result(row, {
          ...base,
          verdict: 'not-found',
          detail: `${where}: outside the target log (log start ${tb.logStartOffset}, high watermark ${tb.highWatermark})`,
        }),
      );
      continue;
    }
    if ('unread' in a) {
      out.push(result(row, { ...base, verdict: 'not-found', detail: `${where}: no data record within ${SOURCE_LOOKAHEAD} records after the source position` }));
      continue;
    }
    if (!a.anchor) {
      // An empty source partition (or nothing before the position): nothing to re-read or skip.
      out.push(result(row, { ...base, verdict: 'exact', reReads: 0, detail: `${where}: the source partition has no data record up to the position` }));
      continue;
    }
    const what = successor
      ? `the first source record after the next one that has a copy on the target (offset ${a.anchor.offset}; the next one, ${compactedNext!.offset}, and those between have none)`
      : compactedNext
        ? `the record before the next source record (offset ${a.anchor.offset}; the next one, ${compactedNext.offset}, has no copy on the target)`
        : a.after
          ? `the last source record (offset ${a.anchor.offset})`
          : `the next source record (offset ${a.anchor.offset})`;
    const from = row.targetOffset - (a.after ? 1 : 0);
    const j = copyFrom(a.anchor, from, a.followers);
    if (j < 0) {
      // Before T? Then T skips records.
      const before = (index.get(a.anchor.hash) ?? []).filter((x) => tgt.records[x]!.offset < from).at(-1);
      if (before !== undefined) {
        const c = tgt.records[before]!.offset;
        const skipped = tgt.between(a.after ? c + 1 : c, row.targetOffset).length;
        if (skipped === 0) {
          // Only empty offsets (compacted away) between the copy and T: the same position as right after the copy.
          out.push(
            result(row, {
              ...base,
              verdict: 'exact',
              reReads: 0,
              copyOffset: c,
              detail: `${where}: resumes right after the copy of ${what} at ${c} (the offsets between hold no record)`,
            }),
          );
          continue;
        }
        out.push(
          result(row, {
            ...base,
            verdict: 'skips',
            skipped,
            copyOffset: c,
            detail: `${where}: skips ${skipped} record(s): the copy of ${what} is at target offset ${c}, before the planned offset`,
          }),
        );
      } else
        out.push(
          result(row, {
            ...base,
            verdict: 'not-found',
            detail: `${where}: no copy of ${what} from ${SKIP_LOOKBEHIND} records before to ${MAX_CONTINUITY_RECORDS} records after the planned offset`,
          }),
        );
      continue;
    }
    const copy = tgt.records[j]!;
    // Records the group reads before resuming where it was: [T, copy) — plus the copy itself when it was already read.
    const reRead = tgt.between(row.targetOffset, a.after ? copy.offset + 1 : copy.offset);
    // Each must be the copy of an earlier source record, in order: walk both backwards from the record before R (or
    // from L itself). A source record with no copy on the target is passed over (a compacted target may have removed
    // it: the group does not re-read it); a target record no earlier source record matches is not a re-read. The
    // source span widens backwards as needed (indexes move when it widens), up to REREAD_SOURCE_SLACK extra records.
    const lastBeforeIdx = () => src.indexAtOrAfter(a.anchor!.offset) - (a.after ? 0 : 1);
    let sIdx = lastBeforeIdx();
    let verified = 0;
    let passedOver = 0;
    for (let x = reRead.length - 1; x >= 0; x--) {
      const t = reRead[x]!;
      for (;;) {
        if (sIdx < 0) {
          if (src.range.from <= sb.logStartOffset || passedOver > reRead.length + REREAD_SOURCE_SLACK) break;
          const at = src.records[0]?.offset;
          await src.cover(src.range.from - Math.max(64, 2 * reRead.length), src.range.to);
          sIdx = at === undefined ? src.records.length - 1 : src.indexAtOrAfter(at) - 1;
          continue;
        }
        if (src.records[sIdx]!.hash === t.hash) break;
        sIdx--;
        passedOver++;
      }
      if (sIdx < 0 || src.records[sIdx]!.hash !== t.hash) break;
      verified++;
      sIdx--;
    }
    const reReads = reRead.length;
    if (verified < reReads) {
      out.push(
        result(row, {
          ...base,
          verdict: 'foreign-records',
          reReads,
          copyOffset: copy.offset,
          detail: `${where}: ${reReads - verified} of the ${reReads} record(s) before the copy of ${what} (target offset ${copy.offset}) are not copies of records the group read on the source`,
        }),
      );
      continue;
    }
    out.push(
      result(row, {
        ...base,
        verdict: reReads === 0 ? 'exact' : 're-reads',
        reReads,
        copyOffset: copy.offset,
        detail:
          reReads === 0
            ? `${where}: ${a.after ? `resumes right after the copy of ${what}` : `the record at the planned offset is the copy of ${what}`} (digest ${a.anchor.hash.slice(0, 12)})`
            : `${where}: ${reReads} verified re-read(s) before ${a.after ? `the end (copy of ${what} at ${copy.offset})` : `the copy of ${what} at target offset ${copy.offset}`}`,
      }),
    );
  }
  return out;
}
