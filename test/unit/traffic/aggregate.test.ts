/**
 * Aggregate traffic's groups: on an aggregate they read exactly every region's copy of their topics, and the ledger
 * judges them on the regions' global names (the same names as the copies), wherever they run.
 */
import { describe, expect, it } from 'vitest';
import { aggregateGroup } from '../../../src/rehearsal/traffic/aggregate.js';

describe('aggregate traffic groups', () => {
  const g = aggregateGroup({ groupId: 'billing', topics: ['orders'], delayMs: 5 }, ['r1', 'r2']);

  it('subscribe to r1.orders and r2.orders only (not a local orders, not another topic, not a forwarded copy)', () => {
    expect(g.subscribe).toHaveLength(1);
    const re = g.subscribe![0] as RegExp;
    expect(['r1.orders', 'r2.orders'].filter((t) => re.test(t))).toEqual(['r1.orders', 'r2.orders']);
    expect(['orders', 'r3.orders', 'r1.orders2', 'r1.payments', 'agg1.r1.orders', 'r1xorders'].filter((t) => re.test(t))).toEqual([]);
  });

  it('are judged on r1.orders and r2.orders and keep their id and delay', () => {
    expect(g.topics).toEqual(['r1.orders', 'r2.orders']);
    expect(g.ledgerTopics).toEqual(['r1.orders', 'r2.orders']);
    expect(g).toMatchObject({ groupId: 'billing', delayMs: 5 });
  });
});
