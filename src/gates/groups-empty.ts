/** The gate that keeps offset writes away from live groups: a pure function from described groups to a {@link GateResult}. */
import type { GateResult } from '../engine/events.js';
import type { GroupInfo } from '../kafka/port.js';

/**
 * `target-groups-empty`: none of the described groups has members, or a state other than `Empty`/`Dead` (the broker
 * refuses an admin offset commit for a group with members; a rebalancing one is about to get some).
 * @param groups the groups as described on `cluster` (KafkaPort.describeGroups).
 * @param description what was described, e.g. `planned groups have no members on dr`.
 */
export function groupsEmptyGate(groups: readonly GroupInfo[], description: string): GateResult {
  const live = groups.filter((g) => g.members > 0 || !['Empty', 'Dead'].includes(g.state));
  return {
    id: 'target-groups-empty',
    description,
    observed: { groupsWithMembers: live.map((g) => `${g.groupId} (${g.state}, ${g.members} member(s))`) },
    expected: '0 groups with members',
    ok: live.length === 0,
  };
}
