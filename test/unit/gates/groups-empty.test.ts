/** `target-groups-empty` (src/gates/groups-empty.ts): members or a rebalancing state block; Empty and Dead pass. */
import { describe, expect, it } from 'vitest';
import { groupsEmptyGate } from '../../../src/gates/groups-empty.js';

const g = (groupId: string, state: string, members: number) => ({ groupId, state, members, protocolType: 'consumer' });

describe('groups-empty gate', () => {
  it('holds for Empty and Dead groups without members', () => {
    expect(groupsEmptyGate([g('a', 'Empty', 0), g('b', 'Dead', 0)], 'planned groups have no members on dr')).toMatchObject({
      id: 'target-groups-empty',
      ok: true,
      observed: { groupsWithMembers: [] },
      description: 'planned groups have no members on dr',
    });
  });

  it('fails for a group with members, and for one rebalancing with none yet', () => {
    const r = groupsEmptyGate([g('a', 'Stable', 2), g('b', 'PreparingRebalance', 0), g('c', 'Empty', 0)], 'x');
    expect(r).toMatchObject({ ok: false, observed: { groupsWithMembers: ['a (Stable, 2 member(s))', 'b (PreparingRebalance, 0 member(s))'] } });
  });
});
