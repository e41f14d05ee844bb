/** `target-groups-empty` (src/gates/groups-empty.ts): members or a rebalancing state block; Empty and Dead pass. */
import { describe, expect, it } from 'vitest';
import { groupsEmptyGate } from '../../../src/gates/groups-empty.js';
import type { GroupInfo } from '../../../src/kafka/port.js';

const g = (groupId: string, state: string, members: number): GroupInfo => ({
  groupId,
  type: 'classic',
  state,
  members,
  memberDetails: Array.from({ length: members }, (_, i) => ({ memberId: `m${i}`, clientId: `c${i}`, host: '/10.0.0.1' })),
  protocolType: 'consumer',
});

describe('groups-empty gate', () => {
  it('holds for Empty and Dead groups without members', () => {
    expect(groupsEmptyGate([g('a', 'Empty', 0), g('b', 'Dead', 0)], 'planned groups have no members on dr')).toMatchObject({
      id: 'target-groups-empty',
      ok: true,
      observed: { groupsWithMembers: [] },
      description: 'planned groups have no members on dr',
    });
  });

  it('fails for a group with members, and for one rebalancing with none yet, naming type, state and each member', () => {
    const r = groupsEmptyGate([g('a', 'Stable', 2), g('b', 'PreparingRebalance', 0), g('c', 'Empty', 0)], 'x');
    expect(r).toMatchObject({
      ok: false,
      observed: {
        groupsWithMembers: [
          'a (type classic, Stable, 2 member(s): m0 client c0 host /10.0.0.1; m1 client c1 host /10.0.0.1)',
          'b (type classic, PreparingRebalance, 0 member(s))',
        ],
      },
    });
  });

  it('a KIP-848 consumer group with a live member fails, named as type consumer', () => {
    const live: GroupInfo = { ...g('billing', 'Stable', 1), type: 'consumer', memberDetails: [{ memberId: 'Zx1', clientId: 'console', host: '/127.0.0.1' }] };
    expect(groupsEmptyGate([live], 'x')).toMatchObject({
      ok: false,
      observed: { groupsWithMembers: ['billing (type consumer, Stable, 1 member(s): Zx1 client console host /127.0.0.1)'] },
    });
  });

  it('fails closed: a group of type unknown (listed, not describable) blocks even with no members, saying why', () => {
    const unknown: GroupInfo = {
      groupId: 'wc',
      type: 'unknown',
      state: 'Unknown',
      protocolType: '',
      members: 0,
      memberDetails: [],
      unknownReason: 'streams group: not described',
    };
    expect(groupsEmptyGate([unknown, g('c', 'Empty', 0)], 'x')).toMatchObject({
      ok: false,
      observed: { groupsWithMembers: ['wc (type unknown, Unknown: streams group: not described)'] },
    });
  });
});
