/**
 * Exact offset translation by record matching (issue 15, first part): when the source answers, the record a group
 * would read next on the source (at its committed offset U) is found on the target — MM2 copies key, value and
 * timestamp unchanged (MirrorSourceTask.convertRecord) — and its position there is the exact target offset, so the
 * group re-reads nothing.
 *
 * Search window on the target, per (source partition, U): from the conservative translation of U (MM2's own rule
 * from the floor offset sync: D when U is the sync's upstream offset, else D + 1; OffsetSyncStore) — the copy of U is
 * never before it — up to the downstream offset of the first sync whose upstream offset is above U (the copy of U
 * precedes the copy of that record), or the target's high watermark when there is none. The earliest record in the
 * window equal to the source record (timestamp, key bytes, value bytes) is taken: an equal record before the real copy
 * (a record produced twice, or copied twice by MM2 after a restart) means re-reading, never skipping. Headers are not
 * compared (the port's reads do not return them), which can only make an earlier record match.
 * Transactional and compacted source partitions: the source record "at U" is the first data record at or after U
 * (control records and compacted-away offsets have no copy); when there is none up to the source's end, the group has
 * consumed everything and the target offset is the target's end.
 * No match in the window (not replicated yet, a window larger than {@link MAX_WINDOW_RECORDS}) → undefined: the caller
 * keeps the conservative translation. Never a guess.
 */
import type { KafkaPort, ReadRecord } from '../kafka/port.js';
import type { OffsetSyncIndex } from './offset-sync-index.js';

/** Largest target window read for one match (records); beyond it the conservative translation stands. */
export const MAX_WINDOW_RECORDS = 10_000;
/** Source records read after U to find the first data record (control records, compacted gaps). */
const SOURCE_LOOKAHEAD = 1_000;

/** An exact translation found by matching the record. */
export interface RecordMatch {
  /** Target offset: the copy of the first source data record at or after U (or the target's end). */
  targetOffset: number;
  /** The source record matched (null when the group had consumed the whole source partition). */
  sourceOffset: number | null;
  /** How it was found, for the plan's notes. */
  how: string;
}

const same = (a: ReadRecord, b: ReadRecord) =>
  a.timestamp === b.timestamp &&
  (a.key?.equals(b.key ?? Buffer.alloc(0)) ?? b.key === null) &&
  (a.value?.equals(b.value ?? Buffer.alloc(0)) ?? b.value === null);

/**
 * Finds the exact target offset of upstream offset `u` of `sourceTopic`/`partition`.
 * @param o.sourceEnd the source partition's high watermark; o.targetEnd the target partition's (records).
 * @returns the match, or undefined when none is in the window (keep the conservative translation).
 * @throws the port's read errors.
 */
export async function matchRecord(o: {
  source: KafkaPort;
  target: KafkaPort;
  syncs: OffsetSyncIndex;
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  u: number;
  sourceEnd: number;
  targetEnd: number;
}): Promise<RecordMatch | undefined> {
  if (o.u >= o.sourceEnd)
    return { targetOffset: o.targetEnd, sourceOffset: null, how: `committed at the source's end ${o.sourceEnd}: the target's end ${o.targetEnd}` };
  let next: ReadRecord | undefined;
  await o.source.readRange(o.sourceTopic, o.partition, o.u, Math.min(o.sourceEnd, o.u + SOURCE_LOOKAHEAD), (r) => {
    next ??= r;
  });
  if (!next) {
    // Only control records (or compacted-away offsets) up to the lookahead: at the end when the window reached it.
    return o.u + SOURCE_LOOKAHEAD >= o.sourceEnd
      ? { targetOffset: o.targetEnd, sourceOffset: null, how: `no data record from ${o.u} to the source's end ${o.sourceEnd}: the target's end ${o.targetEnd}` }
      : undefined;
  }
  const lower = o.syncs.translate(o.sourceTopic, o.partition, next.offset)?.targetOffset;
  if (lower === undefined) return undefined;
  const above = o.syncs.syncs(o.sourceTopic, o.partition).find((s) => s.upstreamOffset > next!.offset);
  const upper = Math.min(above ? above.downstreamOffset : o.targetEnd, o.targetEnd);
  if (upper <= lower || upper - lower > MAX_WINDOW_RECORDS) return undefined;
  let found: ReadRecord | undefined;
  await o.target.readRange(o.targetTopic, o.partition, lower, upper, (r) => {
    if (!found && same(r, next!)) found = r;
  });
  if (!found) return undefined;
  return {
    targetOffset: found.offset,
    sourceOffset: next.offset,
    how: `record at source offset ${next.offset} (timestamp ${next.timestamp}) found at target offset ${found.offset} (searched ${lower}–${upper - 1})`,
  };
}
