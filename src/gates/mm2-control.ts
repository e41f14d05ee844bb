/**
 * Gates of the steps that start and stop MirrorMaker 2 (`start-replication`, `stop-replication`):
 * - `mm2-control-configured`: the clusters file says how (`flows[].mm2`: Connect REST, or hooks);
 * - `checkpoints-topic`: MM2 created the flow's checkpoints topic on the target (its tasks run);
 * - `no-new-checkpoints`: no checkpoint was appended during a quiet window (MM2 stopped: it cannot overwrite the
 *   offsets a failover sets — paused checkpoint tasks keep syncing, ../shared/reference/mm2-internals.md §4/§7).
 */
import type { FlowConfig } from '../clusters/schema.js';
import type { GateResult } from '../engine/events.js';

/**
 * `mm2-control-configured`. Stopping needs `connect` or `hooks` (whose `stop` is required); starting needs `connect`
 * or `hooks.start` (optional in the clusters file).
 */
export function mm2ControlConfigured(mm2: FlowConfig['mm2'], action: 'start' | 'stop'): GateResult {
  const ok = mm2 !== undefined && (action === 'stop' || 'connect' in mm2 || Boolean(mm2.hooks.start));
  return {
    id: 'mm2-control-configured',
    description: `the clusters file says how to ${action} MM2 for this flow`,
    observed: mm2 ? Object.keys(mm2)[0] : 'none',
    expected: action === 'start' ? 'connect, or hooks.start under flows[].mm2' : 'connect or hooks under flows[].mm2',
    ok,
  };
}

/**
 * `checkpoints-topic`.
 * @param o.target the target cluster's alias.
 * @param o.found the checkpoints topic found on the target, undefined when none.
 * @param o.expectedName the name MM2 gives it (src/mm2/naming.ts `checkpointsTopicCandidates`, first).
 */
export function checkpointsTopicCreated(o: { target: string; found: string | undefined; expectedName: string }): GateResult {
  return {
    id: 'checkpoints-topic',
    description: `MM2 created the flow's checkpoints topic on ${o.target}`,
    observed: o.found ?? 'missing',
    expected: o.expectedName,
    ok: o.found !== undefined,
  };
}

/**
 * `no-new-checkpoints`. Without a checkpoints topic on the target the gate fails (nothing proves MM2 stopped).
 * @param o.topic the checkpoints topic, undefined when missing.
 * @param o.before sum of its partitions' high watermarks (records) at the window's start; `o.after` at its end.
 */
export function noNewCheckpoints(o: { topic: undefined } | { topic: string; quietWindowMs: number; before: number; after: number }): GateResult {
  if (o.topic === undefined)
    return { id: 'no-new-checkpoints', description: 'checkpoints topic on the target', observed: 'missing', expected: 'present', ok: false };
  return {
    id: 'no-new-checkpoints',
    description: `records appended to ${o.topic} in ${o.quietWindowMs} ms`,
    observed: { newCheckpoints: o.after - o.before },
    expected: '0',
    ok: o.after === o.before,
  };
}
