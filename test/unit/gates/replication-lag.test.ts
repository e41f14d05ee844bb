/**
 * Gate `max-lag`: passes only when every partition in scope is measurable and lags by at most the threshold; its
 * observation and `remaining` carry the numbers a wait reports (max, total, per topic).
 */
import { describe, expect, it } from 'vitest';
import { maxLag, maxLagUnmeasurable } from '../../../src/gates/replication-lag.js';

describe('gate max-lag', () => {
  it('passes when every partition lags by at most the threshold', () => {
    const g = maxLag(
      [
        { sourceTopic: 'orders', partition: 0, lagRecords: 0 },
        { sourceTopic: 'orders', partition: 1, lagRecords: 2 },
      ],
      2,
    );
    expect(g).toEqual({
      id: 'max-lag',
      description: 'replication lag per partition over 2 partition(s)',
      observed: { maxLagRecords: 2, totalLagRecords: 2, partitionsOver: [], partitionsUnknown: [] },
      expected: '≤ 2 records per partition, every partition measurable',
      ok: true,
      remaining: { value: 2, unit: 'records', detail: { orders: 2 } },
    });
  });

  it('fails on a partition over the threshold and on one whose lag is unknown, naming both', () => {
    const g = maxLag(
      [
        { sourceTopic: 'orders', partition: 0, lagRecords: 7 },
        { sourceTopic: 'payments', partition: 3, lagRecords: null },
        { sourceTopic: 'payments', partition: 1, lagRecords: 4 },
      ],
      0,
    );
    expect(g.ok).toBe(false);
    expect(g.observed).toEqual({ maxLagRecords: 7, totalLagRecords: 11, partitionsOver: ['orders/0=7', 'payments/1=4'], partitionsUnknown: ['payments/3'] });
    expect(g.expected).toBe('≤ 0 records per partition, every partition measurable');
    expect(g.remaining).toEqual({ value: 11, unit: 'records', detail: { orders: 7, payments: 4 } });
  });

  it('fails on an unknown lag alone, even at zero measured lag', () => {
    expect(maxLag([{ sourceTopic: 'orders', partition: 0, lagRecords: null }], 100).ok).toBe(false);
  });

  it('fails without a measurement when the source is unreachable', () => {
    expect(maxLagUnmeasurable(5)).toEqual({
      id: 'max-lag',
      description: 'lag can only be measured with the source reachable',
      observed: 'source unreachable',
      expected: '≤ 5 records per partition',
      ok: false,
    });
  });
});
