/**
 * Gate `writes-frozen`: passes when no high watermark moved over the quiet window; otherwise it counts the appended
 * records and lists the moving partitions (at most 20; a partition new since the start counts from 0).
 */
import { describe, expect, it } from 'vitest';
import { writesFrozen } from '../../../src/gates/writes-frozen.js';

describe('gate writes-frozen', () => {
  it('passes when no log-end offset moved', () => {
    const hw = new Map([
      ['orders/0', 10],
      ['orders/1', 5],
    ]);
    expect(writesFrozen({ cluster: 'primary', topics: 1, quietWindowMs: 5000, before: hw, after: new Map(hw) })).toEqual({
      id: 'writes-frozen',
      description: 'log-end offsets of 1 topic(s) of primary over 5000 ms',
      observed: { appendedRecords: 0, partitionsMoving: [] },
      expected: '0 records appended in 5000 ms',
      ok: true,
    });
  });

  it('fails when records were appended, naming the partitions that moved', () => {
    const g = writesFrozen({
      cluster: 'dr',
      topics: 2,
      quietWindowMs: 100,
      before: new Map([
        ['orders/0', 10],
        ['orders/1', 5],
      ]),
      after: new Map([
        ['orders/0', 13],
        ['orders/1', 5],
        ['payments/0', 2],
      ]),
    });
    expect(g.ok).toBe(false);
    expect(g.observed).toEqual({
      appendedRecords: 5,
      partitionsMoving: [
        { partition: 'orders/0', appended: 3 },
        { partition: 'payments/0', appended: 2 },
      ],
    });
  });

  it('lists at most 20 moving partitions but counts every appended record', () => {
    const after = new Map(Array.from({ length: 25 }, (_, i) => [`t/${i}`, 1] as const));
    const g = writesFrozen({ cluster: 'primary', topics: 1, quietWindowMs: 100, before: new Map(), after });
    expect((g.observed as { partitionsMoving: unknown[] }).partitionsMoving).toHaveLength(20);
    expect(g.observed).toMatchObject({ appendedRecords: 25 });
  });
});
