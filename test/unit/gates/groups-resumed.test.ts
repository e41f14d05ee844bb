/**
 * `validate`'s gates (src/gates/groups-resumed.ts) on one observation each: plan `g t/0 @ 40`, partitions t/0 and
 * t/1 with log 0–100.
 */
import { describe, expect, it } from 'vitest';
import { groupsResumedGates } from '../../../src/gates/groups-resumed.js';

const plan = [{ group: 'g', topic: 't', partition: 0, targetOffset: 40 }];
const bounds = new Map([0, 1].map((p) => [`t/${p}`, { partition: p, logStartOffset: 0, highWatermark: 100 }]));
const gates = (committed: [string, number, number][], b = bounds) =>
  Object.fromEntries(
    groupsResumedGates({
      plan,
      committed: new Map([['g', committed.map(([topic, partition, offset]) => ({ topic, partition, offset, metadata: '' }))]]),
      bounds: b,
    }).map((x) => [x.id, x]),
  );

describe('groups-resumed gates', () => {
  it('all three hold when the group moved on from its planned offset on planned partitions only', () => {
    const r = gates([['t', 0, 55]]);
    expect(Object.fromEntries(Object.entries(r).map(([k, x]) => [k, x.ok]))).toEqual({
      'groups-not-rewound': true,
      'groups-progressing': true,
      'no-unplanned-partitions': true,
    });
    expect(r['groups-progressing']).toMatchObject({ observed: { progressing: 1, recordsConsumedSincePlan: { g: 15 } }, remaining: { value: 0 } });
  });

  it('groups-not-rewound fails below the plan or with no commit', () => {
    expect(gates([['t', 0, 39]])['groups-not-rewound']).toMatchObject({ ok: false, observed: { below: ['g t/0: 39 < planned 40'], count: 1 } });
    expect(gates([])['groups-not-rewound']).toMatchObject({ ok: false, observed: { below: ['g t/0: none < planned 40'] } });
  });

  it('groups-progressing fails for a group still at its plan with records left, holds when nothing is left to read', () => {
    expect(gates([['t', 0, 40]])['groups-progressing']).toMatchObject({
      ok: false,
      observed: { stalled: ['g'] },
      remaining: { value: 1, unit: 'groups not yet progressing' },
    });
    const atEnd = new Map(bounds).set('t/0', { partition: 0, logStartOffset: 0, highWatermark: 40 });
    expect(gates([['t', 0, 40]], atEnd)['groups-progressing']).toMatchObject({ ok: true });
  });

  it('no-unplanned-partitions names a partition started at latest or earliest', () => {
    expect(
      gates([
        ['t', 0, 55],
        ['t', 1, 100],
      ])['no-unplanned-partitions'],
    ).toMatchObject({ ok: false, observed: { unplanned: ['g t/1: 100 (latest; log 0–100)'], count: 1 } });
    expect(
      gates([
        ['t', 0, 55],
        ['t', 1, 0],
      ])['no-unplanned-partitions'],
    ).toMatchObject({ ok: false, observed: { unplanned: ['g t/1: 0 (earliest; log 0–100)'] } });
  });

  it("no-unplanned-partitions leaves out a Kafka Streams application's own repartition topic on the target (named g-…-repartition)", () => {
    const r = gates([
      ['t', 0, 55],
      ['g-by-value-repartition', 0, 12],
      ['other-by-value-repartition', 0, 12],
    ])['no-unplanned-partitions'];
    expect(r).toMatchObject({ ok: false, observed: { count: 1 } });
    expect((r!.observed as { unplanned: string[] }).unplanned[0]).toMatch(/^g other-by-value-repartition\/0: 12/);
  });
});
