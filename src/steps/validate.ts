/**
 * `validate`: prove processing resumed on the target.
 * - apply: a canary record produced to `canaryTopic` on the target (created if missing) and read back.
 * - verify (re-run with the step's `wait` while consumers restart): reads every planned group's committed offsets
 *   and the bounds of the partitions involved on the target, and judges them with the gates of
 *   src/gates/groups-resumed.ts (none rewound below its planned `targetOffset`, each group progressing, no partition
 *   left out of the plan). `plan` is the offset plan (src/mm2/plan.ts) of `translate-offsets`/`translate-back`.
 */
import { needs, ownTopicNeeds, topicsOnSource, topicsOnTarget } from '../engine/permissions.js';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { proveOffsetPlan, summarizeProof } from '../gates/continuity.js';
import { groupsResumedGates } from '../gates/groups-resumed.js';
import type { CommittedOffset, PartitionOffsets } from '../kafka/port.js';
import { offsetPlan, rowsByGroup } from '../mm2/plan.js';
import { mapBounded } from '../util/bounded.js';
import { positions } from './reset-consumer-groups.js';

export const validateStep = defineStep({
  kind: 'validate',
  description: 'canary produced and consumed on the target; groups progressing from their planned offsets',
  writes: true,
  flowless: true,
  acls: (s) => [
    ...ownTopicNeeds(s.flow.target, typeof s.with.canaryTopic === 'string' ? s.with.canaryTopic : 'kafka-failover-canary', 'validate: canary record'),
    ...needs(s.flow.target, 'group', s.groups, ['DESCRIBE'], 'validate: the groups progress on the target'),
    ...needs(s.flow.target, 'topic', topicsOnTarget(s), ['DESCRIBE'], 'validate: bounds of the replicated topics'),
    ...needs(s.flow.source, 'group', s.groups, ['DESCRIBE'], 'validate: continuity proof against the source'),
    ...needs(s.flow.source, 'topic', topicsOnSource(s), ['DESCRIBE'], 'validate: continuity proof against the source'),
  ],
  input: z.strictObject({ canaryTopic: z.string().min(1).default('kafka-failover-canary'), plan: offsetPlan.default([]) }),
  async check(ctx, input) {
    // The continuity proof again, after the move (the plan's offsets against both clusters as they are now).
    const source = (await ctx.reachable(ctx.flow.source)) ? ctx.kafka(ctx.flow.source) : undefined;
    const proof = await proveOffsetPlan({
      plan: input.plan,
      source,
      target: ctx.kafka(ctx.flow.target),
      sourceAlias: ctx.flow.source,
      targetAlias: ctx.flow.target,
      sourcePositions: (group, kind) => positions(source!, group, kind),
      dryRun: ctx.dryRun,
    });
    if (proof.results.length) ctx.note(`continuity proof: ${summarizeProof(proof.results)}`);
    return { gates: [proof.gate] };
  },
  async apply(ctx, input) {
    const target = ctx.kafka(ctx.flow.target);
    const marker = `canary-${randomUUID()}`;
    const r = await ctx.write({ action: 'produce canary record', cluster: ctx.flow.target, details: { topic: input.canaryTopic, value: marker } }, async () => {
      if (!(await target.listTopics()).includes(input.canaryTopic)) await target.createTopic(input.canaryTopic, 1);
      const [w] = await target.produce(input.canaryTopic, [{ key: 'kafka-failover', value: marker }]);
      let seen = false;
      await target.readRange(input.canaryTopic, w!.partition, w!.offset, w!.offset + 1, (rec) => (seen = rec.value?.toString() === marker));
      if (!seen) throw new Error(`canary ${marker} written at ${input.canaryTopic}/${w!.partition}@${w!.offset} was not read back`);
      return { partition: w!.partition, offset: w!.offset };
    });
    return r ? { canary: r } : {};
  },
  async verify(ctx, input) {
    const target = ctx.kafka(ctx.flow.target);
    const committed = new Map<string, CommittedOffset[]>();
    // A share group's progress is its share-partition start offsets (reset-consumer-groups.ts `positions`).
    const byGroup = rowsByGroup(input.plan);
    const groups = [...byGroup.keys()];
    const read = await mapBounded(groups, (g) => positions(target, g, byGroup.get(g)![0]!.offsetKind));
    for (const [i, g] of groups.entries()) committed.set(g, read[i]!);
    const topics = new Set([...input.plan.map((p) => p.topic), ...[...committed.values()].flat().map((c) => c.topic)]);
    const bounds = new Map<string, PartitionOffsets>();
    for (const t of topics) for (const p of await target.partitionOffsets(t)) bounds.set(`${t}/${p.partition}`, p);
    return { gates: groupsResumedGates({ plan: input.plan, committed, bounds }) };
  },
});
