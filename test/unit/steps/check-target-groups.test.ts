/**
 * `check-target-groups` selects groups on the target by regex (whole name) and gates on them with the shared
 * `target-groups-empty` gate, adding how many groups the selection matched.
 */
import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../../src/engine/step.js';
import type { GroupInfo, KafkaPort } from '../../../src/kafka/port.js';
import { checkTargetGroups } from '../../../src/steps/check-target-groups.js';

function ctx(groups: GroupInfo[]): StepContext {
  const target = {
    alias: 'dr',
    listGroups: async () => groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, type: g.type })),
    describeGroups: async (ids: string[]) => groups.filter((g) => ids.includes(g.groupId)),
    // A broker without the KIP-848 and KIP-932 APIs (as a 3.6 broker, or a 3.9 one for share groups).
    groupApis: async () => ({ ListGroups: 5, ConsumerGroupDescribe: null, ShareGroupDescribe: null, ConsumerGroupHeartbeat: null }),
  } as unknown as KafkaPort;
  return { stepId: 'preflight', flow: { source: 'primary', target: 'dr' }, kafka: () => target } as unknown as StepContext;
}

const group = (groupId: string, state: string, members: number): GroupInfo => ({
  groupId,
  type: 'classic',
  state,
  members,
  memberDetails: Array.from({ length: members }, (_, i) => ({ memberId: `m${i}`, clientId: `c${i}`, host: '/10.0.0.1' })),
  protocolType: 'consumer',
});

describe('check-target-groups', () => {
  it('passes when the selected groups are empty, reporting how many it saw and the group APIs (unavailable ones named); unselected live groups do not count', async () => {
    const r = await checkTargetGroups.check(
      ctx([group('billing', 'Empty', 0), group('billing-audit', 'Dead', 0), group('reports', 'Stable', 3)]),
      checkTargetGroups.input.parse({ groups: 'billing.*' }),
    );
    expect(r.gates).toEqual([
      {
        id: 'target-groups-empty',
        description: 'groups matching billing.* on dr',
        observed: {
          groupsWithMembers: [],
          groupsSeen: 2,
          groupApis: { ListGroups: 'v5', ConsumerGroupDescribe: 'unavailable', ShareGroupDescribe: 'unavailable', ConsumerGroupHeartbeat: 'unavailable' },
        },
        expected: '0 groups with members',
        ok: true,
      },
    ]);
  });

  it('fails naming a selected group with members', async () => {
    const r = await checkTargetGroups.check(ctx([group('billing', 'Stable', 2), group('reports', 'Empty', 0)]), checkTargetGroups.input.parse({}));
    expect(r.gates).toEqual([
      {
        id: 'target-groups-empty',
        description: 'groups matching .* on dr',
        observed: {
          groupsWithMembers: ['billing (type classic, Stable, 2 member(s): m0 client c0 host /10.0.0.1; m1 client c1 host /10.0.0.1)'],
          groupsSeen: 2,
          groupApis: { ListGroups: 'v5', ConsumerGroupDescribe: 'unavailable', ShareGroupDescribe: 'unavailable', ConsumerGroupHeartbeat: 'unavailable' },
        },
        expected: '0 groups with members',
        ok: false,
      },
    ]);
  });
});
