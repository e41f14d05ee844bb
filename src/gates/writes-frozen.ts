/**
 * Gate `writes-frozen` (step `freeze-writes`): the log-end offsets (high watermarks, ListOffsets latest) of the
 * selected topics did not move during the quiet window, i.e. no producer appended a record.
 */
import type { GateResult } from '../engine/events.js';

/** At most this many moving partitions are listed in the gate's observation (the count is always complete). */
const LISTED = 20;

/**
 * `writes-frozen`.
 * @param o.cluster alias of the cluster that must be quiet.
 * @param o.topics how many topics were watched.
 * @param o.quietWindowMs the window's length (ms).
 * @param o.before high watermark per `topic/partition` at the window's start; `o.after` at its end (a partition
 *   missing from `before` counts from 0).
 */
export function writesFrozen(o: {
  cluster: string;
  topics: number;
  quietWindowMs: number;
  before: ReadonlyMap<string, number>;
  after: ReadonlyMap<string, number>;
}): GateResult {
  const moved = [...o.after].filter(([k, v]) => v !== o.before.get(k)).map(([k, v]) => ({ partition: k, appended: v - (o.before.get(k) ?? 0) }));
  const appended = moved.reduce((s, m) => s + m.appended, 0);
  return {
    id: 'writes-frozen',
    description: `log-end offsets of ${o.topics} topic(s) of ${o.cluster} over ${o.quietWindowMs} ms`,
    observed: { appendedRecords: appended, partitionsMoving: moved.slice(0, LISTED) },
    expected: `0 records appended in ${o.quietWindowMs} ms`,
    ok: appended === 0,
  };
}
