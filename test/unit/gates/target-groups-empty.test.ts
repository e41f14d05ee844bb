/**
 * Gate `target-groups-empty`: a group with members, or in any state but Empty/Dead (a rebalance can report 0
 * members), blocks; the observation names each such group with its state and member count.
 */
import { describe, expect, it } from 'vitest';
import { groupIsLive, targetGroupsEmpty } from '../../../src/gates/target-groups-empty.js';

describe('gate target-groups-empty', () => {
  it('passes when every group is Empty or Dead with no members', () => {
    const g = targetGroupsEmpty({ description: 'groups matching .* on dr', groups: [{ groupId: 'billing', state: 'Empty', members: 0 }, { groupId: 'audit', state: 'Dead', members: 0 }], groupsSeen: 2 });
    expect(g).toEqual({ id: 'target-groups-empty', description: 'groups matching .* on dr', observed: { groupsWithMembers: [], groupsSeen: 2 }, expected: '0 groups with members', ok: true });
  });

  it('fails on a group with members and on a rebalancing group with none, naming both', () => {
    const g = targetGroupsEmpty({ description: 'planned groups have no members on dr', groups: [{ groupId: 'billing', state: 'Stable', members: 2 }, { groupId: 'audit', state: 'PreparingRebalance', members: 0 }, { groupId: 'idle', state: 'Empty', members: 0 }] });
    expect(g.ok).toBe(false);
    expect(g.observed).toEqual({ groupsWithMembers: ['billing (Stable, 2 member(s))', 'audit (PreparingRebalance, 0 member(s))'] });
  });

  it('counts members even in the Empty state as live', () => {
    expect(groupIsLive({ state: 'Empty', members: 1 })).toBe(true);
    expect(groupIsLive({ state: 'Dead', members: 0 })).toBe(false);
  });
});
