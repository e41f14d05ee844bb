/** The gates shared by `translate-offsets` and `translate-back` (src/gates/offset-plan.ts), on hand-made plan rows. */
import { describe, expect, it } from 'vitest';
import { groupsFoundGate, groupsTranslatedGate, offsetsInRangeGate } from '../../../src/gates/offset-plan.js';

const row = (group: string, partition: number, problem?: string) => ({ group, topic: 'primary.orders', partition, ...(problem ? { problem } : {}) });

describe('offset-plan gates', () => {
  it('offsets-in-range fails on each row with a problem and names it; holds on a plan without one', () => {
    const bad = offsetsInRangeGate([row('a', 0), row('b', 1, 'target offset 3 is below the log start 9 of primary.orders/1')], 'dr');
    expect(bad).toMatchObject({
      id: 'offsets-in-range',
      ok: false,
      observed: { outOfRange: ['b primary.orders/1: target offset 3 is below the log start 9 of primary.orders/1'] },
    });
    expect(bad.description).toContain('on dr');
    expect(offsetsInRangeGate([row('a', 0)], 'dr')).toMatchObject({ ok: true, observed: { outOfRange: [] } });
  });

  it('groups-translated fails on any untranslatable partition unless allowed, and says which', () => {
    expect(groupsTranslatedGate(['g orders/0'])).toMatchObject({
      id: 'groups-translated',
      ok: false,
      expected: '0 untranslatable partitions',
      observed: { untranslatable: ['g orders/0'] },
    });
    expect(groupsTranslatedGate(['g orders/0'], true)).toMatchObject({ ok: true, expected: 'any (allowUntranslated)' });
    expect(groupsTranslatedGate([])).toMatchObject({ ok: true });
  });

  it('groups-found counts distinct groups and fails on an empty plan', () => {
    expect(groupsFoundGate([row('a', 0), row('a', 1), row('b', 0)])).toMatchObject({ id: 'groups-found', ok: true, observed: { groups: 2 } });
    expect(groupsFoundGate([])).toMatchObject({ ok: false, observed: { groups: 0 } });
  });
});
