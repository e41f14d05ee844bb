/**
 * Gate `loss-window-accepted` (step `estimate-data-loss`): the data-loss window accepted before the run
 * (`--accept-data-loss-window`) is at least the estimated one; otherwise a person must decide (an audited override).
 * How the window is estimated from target-side signals: docs/design/data-loss-window.md.
 */
import type { GateResult } from '../engine/events.js';

/**
 * `loss-window-accepted`. An unknown estimate (no signal to estimate from) always fails.
 * @param o.source the source cluster's alias.
 * @param o.windowMs the estimated window (ms), or null when unknown.
 * @param o.windowStart the window's start (epoch ms), or null when unknown; reported as ISO-8601.
 * @param o.acceptedWindowMs the accepted window (ms); -1 when none was given.
 */
export function lossWindowAccepted(o: { source: string; windowMs: number | null; windowStart: number | null; acceptedWindowMs: number }): GateResult {
  const { windowMs, acceptedWindowMs: accepted } = o;
  return {
    id: 'loss-window-accepted',
    description: `records produced on ${o.source} inside the estimated window may be lost; someone must accept it`,
    observed: {
      estimatedWindowMs: windowMs,
      windowStart: o.windowStart === null ? null : new Date(o.windowStart).toISOString(),
      acceptedWindowMs: accepted >= 0 ? accepted : null,
    },
    expected: windowMs === null ? 'a known window (no signal to estimate it from)' : `an accepted window ≥ ${windowMs} ms (--accept-data-loss-window)`,
    ok: windowMs !== null && accepted >= windowMs,
  };
}
