import { describe, expect, it } from 'vitest';
import { TrafficLedger, parseTrafficValue } from '../../../src/rehearsal/traffic/ledger.js';

const v = (seq: number, partition = 0, run = 'r1') => ({ run, topic: 'orders', partition, seq, ts: 1 });

describe('traffic ledger', () => {
  it('reports skipped sequences as ranges and counts duplicates per group', () => {
    const l = new TrafficLedger('r1');
    l.acknowledge('orders', 0, 0, 10);
    for (const s of [0, 1, 2, 2, 3, 7, 8, 9, 9, 9]) l.consume('g', v(s));
    const [g] = l.deliveryReport(['g']);
    expect(g).toMatchObject({ groupId: 'g', skipped: 3, duplicates: 3 });
    expect(g!.partitions[0]).toMatchObject({ produced: 10, skipped: [[4, 6]], consumedDistinct: 7 });
  });

  it('ignores records of other runs (counted as foreign) and treats an unseen group as having skipped everything', () => {
    const l = new TrafficLedger('r1');
    l.acknowledge('orders', 1, 0, 3);
    l.consume('g', v(0, 1, 'other'));
    l.consume('g', undefined);
    expect(l.foreign).toBe(2);
    expect(l.deliveryReport(['g', 'h']).map((g) => g.skipped)).toEqual([3, 3]);
  });

  it('judges a group only on the topics it subscribes to', () => {
    const l = new TrafficLedger('r1');
    l.acknowledge('orders', 0, 0, 2);
    l.acknowledge('payments', 0, 0, 5);
    l.subscribe('g', ['orders']);
    l.consume('g', v(0));
    l.consume('g', v(1));
    expect(l.deliveryReport(['g'])[0]).toMatchObject({ skipped: 0, duplicates: 0 });
  });

  it('continues sequences from the highest acknowledged one', () => {
    const l = new TrafficLedger('r1');
    l.acknowledge('orders', 0, 0, 5);
    expect(l.nextSeq('orders', 0)).toBe(5);
    expect(l.nextSeq('orders', 1)).toBe(0);
    expect(l.producedTotal()).toBe(5);
  });

  it('parses only generator values', () => {
    expect(parseTrafficValue(Buffer.from(JSON.stringify(v(4))))).toEqual(v(4));
    expect(parseTrafficValue(Buffer.from('{"seq": "x"}'))).toBeUndefined();
    expect(parseTrafficValue(Buffer.from('plain'))).toBeUndefined();
    expect(parseTrafficValue(null)).toBeUndefined();
  });
});
