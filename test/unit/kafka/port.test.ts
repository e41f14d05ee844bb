/** The one rule for "may an admin commit go ahead" and how a refused group is named (src/kafka/port.ts). */
import { describe, expect, it } from 'vitest';
import { type GroupInfo, GroupNotEmptyError, groupIsCommittable } from '../../../src/kafka/port.js';

const consumer: GroupInfo = {
  groupId: 'billing',
  type: 'consumer',
  state: 'Stable',
  protocolType: 'consumer',
  members: 1,
  memberDetails: [{ memberId: 'Zx1', clientId: 'console', host: '/127.0.0.1' }],
};
const unknown: GroupInfo = {
  groupId: 'wordcount',
  type: 'unknown',
  state: 'Unknown',
  protocolType: '',
  members: 0,
  memberDetails: [],
  unknownReason: 'streams group: not described',
};

describe('groupIsCommittable', () => {
  it('only a described group with no members, Empty or Dead; an unknown group never (fail closed)', () => {
    expect(groupIsCommittable({ ...consumer, state: 'Empty', members: 0, memberDetails: [] })).toBe(true);
    expect(groupIsCommittable({ ...consumer, type: 'classic', state: 'Dead', members: 0, memberDetails: [] })).toBe(true);
    expect(groupIsCommittable(consumer)).toBe(false);
    expect(groupIsCommittable({ ...consumer, state: 'Assigning', members: 0, memberDetails: [] })).toBe(false);
    expect(groupIsCommittable({ ...unknown, state: 'Empty' })).toBe(false);
  });
});

describe('GroupNotEmptyError', () => {
  it('names the group, cluster, state, member count, type and each member (id, client id, host)', () => {
    const e = new GroupNotEmptyError(consumer, 'dr');
    expect(e.message).toBe(
      'consumer group "billing" on dr is Stable with 1 member(s), type consumer: Zx1 client console host /127.0.0.1; its offsets can only be set while it has none',
    );
    expect(e).toMatchObject({ groupId: 'billing', state: 'Stable', members: 1, type: 'consumer' });
  });

  it('an unknown group says why it could not be described', () => {
    expect(new GroupNotEmptyError(unknown, 'dr').message).toContain('is Unknown with 0 member(s), type unknown: streams group: not described');
  });
});
