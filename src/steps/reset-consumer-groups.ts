/**
 * `reset-consumer-groups`: set each planned group's committed offsets on the target to the translated values, with
 * admin semantics (no group join; refused while the group has members), then read them back.
 * Input `plan`: the offset plan of `translate-offsets`/`translate-back` (src/mm2/plan.ts), each row's `targetOffset`
 * committed as is. Gate before any write: every planned group is empty on the target (a live member blocks the
 * whole step; src/gates/groups-empty.ts).
 * Groups whose offsets already equal the plan are left alone (so a resumed run does not write twice).
 */
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { groupsEmptyGate } from '../gates/groups-empty.js';
import { offsetPlan, type OffsetPlanRow } from '../mm2/plan.js';

/**
 * One group's write, shown and audited before it happens (the `step.plan` and `write.*` events, docs/events.md, name
 * the offsets `before` and `after`): per planned partition, the offset committed on the target now (`before`, null:
 * none) and the plan row's `targetOffset` (`after`).
 */
interface GroupPlan {
  group: string;
  partitions: (Pick<OffsetPlanRow, 'topic' | 'partition' | 'metadata' | 'reReadRecords'> & { before: number | null; after: OffsetPlanRow['targetOffset'] })[];
  unchanged: boolean;
  /** Set once written by this step (so a retried apply skips it and still reports it). */
  written?: boolean;
}

export const resetConsumerGroups = defineStep({
  kind: 'reset-consumer-groups',
  description: "set the planned groups' committed offsets on the target (admin semantics), only for groups empty there; verify by reading back",
  writes: true,
  input: z.strictObject({ plan: offsetPlan.min(1) }),
  async check(ctx, input) {
    const target = ctx.kafka(ctx.flow.target);
    const groups = [...new Set(input.plan.map((p) => p.group))].sort();
    const described = await target.describeGroups(groups);
    const plans: GroupPlan[] = [];
    for (const group of groups) {
      const current = await target.committedOffsets(group);
      const partitions = input.plan
        .filter((p) => p.group === group)
        .map((p) => ({
          topic: p.topic,
          partition: p.partition,
          before: current.find((c) => c.topic === p.topic && c.partition === p.partition)?.offset ?? null,
          after: p.targetOffset,
          metadata: p.metadata,
          reReadRecords: p.reReadRecords,
        }));
      plans.push({ group, partitions, unchanged: partitions.every((x) => x.before === x.after) });
    }
    return {
      gates: [groupsEmptyGate(described, `planned groups have no members on ${ctx.flow.target}`)],
      plan: plans,
    };
  },
  async apply(ctx, _input, plans: GroupPlan[] | undefined) {
    const target = ctx.kafka(ctx.flow.target);
    const done: string[] = (plans ?? []).filter((g) => g.written).map((g) => g.group);
    const pending = (plans ?? []).filter((g) => !g.unchanged || g.written).map((g) => g.group);
    for (const g of plans ?? []) {
      if (g.unchanged) {
        ctx.note(`group ${g.group} already at the planned offsets on ${ctx.flow.target}: nothing to write`);
        continue;
      }
      try {
        await writeGroup(g);
      } catch (error) {
        // Say exactly what is and is not on the target (the audit log has a write.done per written group).
        const rest = pending.filter((p) => !done.includes(p));
        const e = new Error(`${(error as Error).message} — written so far: ${done.length ? done.join(', ') : 'none'}; not written: ${rest.join(', ')}`, {
          cause: error,
        });
        throw e;
      }
      done.push(g.group);
      g.written = true;
      g.unchanged = true; // a retry of this step (retryable error on a later group) does not write it again
      ctx.note(`group ${g.group}: ${g.partitions.length} partition(s) set on ${ctx.flow.target} and read back`);
    }
    return { resetGroups: done };

    async function writeGroup(g: GroupPlan) {
      await ctx.write(
        {
          action: 'reset consumer group offsets',
          cluster: ctx.flow.target,
          key: `reset:${ctx.flow.target}:${g.group}`,
          details: {
            group: g.group,
            partitions: g.partitions.map((p) => ({ topic: p.topic, partition: p.partition, before: p.before, after: p.after, reReadRecords: p.reReadRecords })),
          },
        },
        async () => {
          // Step 3 of the offset's path (src/mm2/plan.ts): the plan's target offset is the OffsetCommit offset.
          await target.commitOffsets(
            g.group,
            g.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.after, metadata: p.metadata })),
          );
          const back = await target.committedOffsets(g.group);
          const wrong = g.partitions.filter((p) => back.find((b) => b.topic === p.topic && b.partition === p.partition)?.offset !== p.after);
          if (wrong.length)
            throw new Error(
              `read-back of ${g.group} differs on ${wrong.map((w) => `${w.topic}/${w.partition}`).join(', ')}: offsets were written partially; re-run the step`,
            );
          return { verified: g.partitions.length };
        },
      );
    }
  },
});
