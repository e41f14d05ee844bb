/** The gate that keeps offset writes away from live groups: a pure function from described groups to a {@link GateResult}. */
import type { GateResult } from '../engine/events.js';
import { describeGroupForHumans, type GroupInfo, groupIsCommittable } from '../kafka/port.js';

/**
 * `target-groups-empty`: every described group is committable (port.ts `groupIsCommittable`): described by the API
 * of its type, no members, `Empty` or `Dead`. A group with members, a rebalancing one (about to get some), and a group
 * of type `unknown` (listed but not describable: fail closed, docs/design/group-types.md) block. Each is named with
 * its type, state and members (member id, client id, host).
 * @param groups the groups as described on `cluster` (KafkaPort.describeGroups).
 * @param description what was described, e.g. `planned groups have no members on dr`.
 */
export function groupsEmptyGate(groups: readonly GroupInfo[], description: string): GateResult {
  const live = groups.filter((g) => !groupIsCommittable(g));
  return {
    id: 'target-groups-empty',
    description,
    observed: { groupsWithMembers: live.map(describeGroupForHumans) },
    expected: '0 groups with members',
    ok: live.length === 0,
  };
}
