/** `mapBounded` (src/util/bounded.ts): never more than the limit in flight, results in order, nothing started after a failure. */
import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../../src/util/bounded.js';

/** A task that resolves when released, counting how many run at once. */
function gauge() {
  let now = 0;
  let peak = 0;
  const started: number[] = [];
  const release: (() => void)[] = [];
  const task = (i: number) =>
    new Promise<number>((resolve) => {
      started.push(i);
      peak = Math.max(peak, ++now);
      release.push(() => {
        now--;
        resolve(i * 10);
      });
    });
  return { task, started, release, peak: () => peak };
}

describe('mapBounded', () => {
  it('keeps at most the limit in flight and returns results in the items order', async () => {
    const g = gauge();
    const done = mapBounded(
      Array.from({ length: 20 }, (_, i) => i),
      g.task,
      4,
    );
    // Release tasks as they start (a condition on the gauge, not a timer), newest first to scramble completion order.
    while (g.started.length < 20 || g.release.length) {
      await new Promise((r) => setImmediate(r));
      g.release.pop()?.();
    }
    expect(await done).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
    expect(g.peak()).toBe(4);
  });

  it('starts nothing after a failure and rejects with it', async () => {
    const started: number[] = [];
    const r = mapBounded(
      Array.from({ length: 10 }, (_, i) => i),
      async (i) => {
        started.push(i);
        if (i === 1) throw new Error('boom');
        return i;
      },
      2,
    );
    await expect(r).rejects.toThrow('boom');
    expect(started).toEqual([0, 1]); // 1 failed before a slot freed: 2–9 never started
  });
});
