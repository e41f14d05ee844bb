/**
 * Gate `target-groups-empty`: no consumer group about to be moved has members on the target. The broker accepts an
 * admin OffsetCommit (generation −1, empty member id) only for a group without members, and consumers already
 * running there would be moved under their feet (../shared/reference/mm2-internals.md §8). A group counts as live
 * when DescribeGroups reports members or any state but `Empty` or `Dead`.
 * Known blind spot (../shared/reference/kafka4-groups.md): DescribeGroups v0–v2, all kafkajs 2.2.4 sends, reports a
 * live KIP-848 (`group.protocol=consumer`) group on Kafka 4.x as `Dead` with no members, so this rule passes it.
 * Used by `check-target-groups` (preflight) and, with the same rule, by `reset-consumer-groups` right before it writes.
 */
import type { GateResult } from '../engine/events.js';
import type { GroupInfo } from '../kafka/port.js';

/** Whether a described group is live (members, or a state other than `Empty` / `Dead`). */
export function groupIsLive(g: Pick<GroupInfo, 'state' | 'members'>): boolean {
  return g.members > 0 || !['Empty', 'Dead'].includes(g.state);
}

/**
 * `target-groups-empty` over the described groups.
 * @param o.description what was looked at (e.g. `groups matching .* on dr`).
 * @param o.groups the groups as DescribeGroups returned them on the target.
 * @param o.groupsSeen how many groups the selection matched, reported when given.
 */
export function targetGroupsEmpty(o: { description: string; groups: readonly Pick<GroupInfo, 'groupId' | 'state' | 'members'>[]; groupsSeen?: number }): GateResult {
  const live = o.groups.filter(groupIsLive);
  return {
    id: 'target-groups-empty',
    description: o.description,
    observed: { groupsWithMembers: live.map((g) => `${g.groupId} (${g.state}, ${g.members} member(s))`), ...(o.groupsSeen !== undefined ? { groupsSeen: o.groupsSeen } : {}) },
    expected: '0 groups with members',
    ok: live.length === 0,
  };
}
