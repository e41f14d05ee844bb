/**
 * Gate `loss-window-accepted`: passes only when an accepted window at least as long as the estimate was given; an
 * unknown estimate never passes.
 */
import { describe, expect, it } from 'vitest';
import { lossWindowAccepted } from '../../../src/gates/data-loss-window.js';

const T = 1_800_000_000_000;

describe('gate loss-window-accepted', () => {
  it('passes when the accepted window covers the estimate', () => {
    expect(lossWindowAccepted({ source: 'primary', windowMs: 1000, windowStart: T - 1000, acceptedWindowMs: 1000 })).toEqual({
      id: 'loss-window-accepted',
      description: 'records produced on primary inside the estimated window may be lost; someone must accept it',
      observed: { estimatedWindowMs: 1000, windowStart: new Date(T - 1000).toISOString(), acceptedWindowMs: 1000 },
      expected: 'an accepted window ≥ 1000 ms (--accept-data-loss-window)',
      ok: true,
    });
  });

  it('fails when the accepted window is shorter, and when none was given', () => {
    expect(lossWindowAccepted({ source: 'primary', windowMs: 1000, windowStart: T - 1000, acceptedWindowMs: 999 }).ok).toBe(false);
    expect(lossWindowAccepted({ source: 'primary', windowMs: 0, windowStart: T, acceptedWindowMs: -1 })).toMatchObject({
      observed: { estimatedWindowMs: 0, acceptedWindowMs: null },
      ok: false,
    });
  });

  it('fails on an unknown window whatever was accepted', () => {
    expect(lossWindowAccepted({ source: 'primary', windowMs: null, windowStart: null, acceptedWindowMs: 3_600_000 })).toMatchObject({
      observed: { estimatedWindowMs: null, windowStart: null, acceptedWindowMs: 3_600_000 },
      expected: 'a known window (no signal to estimate it from)',
      ok: false,
    });
  });
});
