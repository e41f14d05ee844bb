/**
 * `check-target-groups`: preflight before any write — no consumer group selected for the move has members on the
 * target (their offsets could not be set, and consumers already running there would be moved under their feet).
 * The same gate (src/gates/groups-empty.ts) is checked again by `reset-consumer-groups` right before it writes; here
 * it also reports how many groups the selection matched and which group APIs the target serves (`groupApis`: version
 * per API, or `unavailable` — a target without ConsumerGroupDescribe, e.g. Kafka 3.9, cannot hold KIP-848 groups).
 */
import { needs } from '../engine/permissions.js';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { groupsEmptyGate } from '../gates/groups-empty.js';
import { regexString } from './shared.js';

export const checkTargetGroups = defineStep({
  kind: 'check-target-groups',
  description: 'preflight: the selected consumer groups have no members on the target',
  writes: false,
  flowless: true,
  acls: (s) => needs(s.flow.target, 'group', s.groups, ['DESCRIBE'], 'the groups have no members on the target'),
  input: z.strictObject({ groups: regexString.default('.*') }),
  async check(ctx, input) {
    const target = ctx.kafka(ctx.flow.target);
    const re = new RegExp(`^(?:${input.groups})$`);
    const ids = (await target.listGroups()).map((g) => g.groupId).filter((g) => re.test(g));
    const gate = groupsEmptyGate(await target.describeGroups(ids), `groups matching ${input.groups} on ${ctx.flow.target}`);
    // Which group types the target can describe (and so hold): e.g. a 3.9 cluster has no ConsumerGroupDescribe.
    const apis = await target.groupApis();
    const groupApis = Object.fromEntries(Object.entries(apis).map(([api, v]) => [api, v === null ? 'unavailable' : `v${v}`]));
    return { gates: [{ ...gate, observed: { ...(gate.observed as object), groupsSeen: ids.length, groupApis } }] };
  },
});
