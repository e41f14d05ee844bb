/**
 * `reset-consumer-groups`: set each planned group's committed offsets on the target to the translated values, with
 * admin semantics (no group join; refused while the group has members), then read them back. Share groups' rows
 * (`offsetKind: share-start-offset`) set the share-partition start offsets instead (AlterShareGroupOffsets, read back
 * with DescribeShareGroupOffsets), which also creates the share group on the target when it does not exist there.
 * Input `plan`: the offset plan of `translate-offsets`/`translate-back` (src/mm2/plan.ts), each row's `targetOffset`
 * committed as is. Gate before any write: every planned group is empty on the target (a live member blocks the
 * whole step; src/gates/groups-empty.ts).
 * Gate before any write, with the source answering: the continuity proof (src/gates/continuity.ts) — the record at
 * each planned offset is the one the group reads next on the source, or only verified re-reads precede it.
 * Groups whose offsets already equal the plan are left alone (so a resumed run does not write twice).
 */
import { needs, topicsOnTarget } from '../engine/permissions.js';
import pLimit from 'p-limit';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import type { GateResult } from '../engine/events.js';
import { proveOffsetPlan, summarizeProof } from '../gates/continuity.js';
import { groupsEmptyGate } from '../gates/groups-empty.js';
import { type CommittedOffset, GroupApiUnavailableError, type GroupInfo, type KafkaPort, type PartitionOffsets } from '../kafka/port.js';
import { offsetPlan, type OffsetPlanRow, rowsByGroup } from '../mm2/plan.js';
import { sharePosition } from '../mm2/translate.js';
import { IN_FLIGHT, mapBounded } from '../util/bounded.js';

/**
 * One group's write, shown and audited before it happens (the `step.plan` and `write.*` events, docs/events.md, name
 * the offsets `before` and `after`): per planned partition, the offset committed on the target now (`before`, null:
 * none) and the plan row's `targetOffset` (`after`).
 */
interface GroupPlan {
  group: string;
  /** How the offsets are set: OffsetCommit (committed offsets) or AlterShareGroupOffsets (share start offsets). */
  offsetKind: OffsetPlanRow['offsetKind'];
  partitions: (Pick<OffsetPlanRow, 'topic' | 'partition' | 'metadata' | 'basis' | 'reReadRecords' | 'path'> & {
    before: number | null;
    after: OffsetPlanRow['targetOffset'];
  })[];
  unchanged: boolean;
  /** Set once written by this step (so a retried apply skips it and still reports it). */
  written?: boolean;
}

export const resetConsumerGroups = defineStep({
  kind: 'reset-consumer-groups',
  description: "set the planned groups' committed offsets on the target (admin semantics), only for groups empty there; verify by reading back",
  writes: true,
  flowless: true,
  // OffsetCommit: READ on the group and on each topic; the committed offsets before, on both clusters: DESCRIBE.
  acls: (s) => [
    ...needs(s.flow.target, 'group', s.groups, ['READ'], "reset: commit the groups' offsets on the target"),
    ...needs(s.flow.target, 'topic', topicsOnTarget(s), ['READ'], 'reset: commit offsets of the replicated topics'),
    ...needs(s.flow.source, 'group', s.groups, ['DESCRIBE'], "reset: the groups' committed offsets on the source"),
  ],
  input: z.strictObject({
    plan: offsetPlan.min(1),
    /** Groups written at once (default 64, util/bounded.ts); 1 writes them one after another. */
    maxInFlight: z.number().int().min(1).max(512).default(IN_FLIGHT),
  }),
  async check(ctx, input) {
    const target = ctx.kafka(ctx.flow.target);
    const groups = [...new Set(input.plan.map((p) => p.group))].sort();
    const described = await target.describeGroups(groups);
    const unavailable: string[] = [];
    // Each group's current offsets on the target, a bounded number of requests in flight (util/bounded.ts).
    const byGroup = rowsByGroup(input.plan);
    const plans: GroupPlan[] = await mapBounded(groups, async (group) => {
      const rows = byGroup.get(group)!;
      const offsetKind = rows[0]!.offsetKind;
      let current: CommittedOffset[] = [];
      try {
        current = await positions(target, group, offsetKind);
      } catch (error) {
        if (!(error instanceof GroupApiUnavailableError)) throw error;
        unavailable.push(`${group}: ${error.message}`);
      }
      const partitions = rows.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        before: current.find((c) => c.topic === p.topic && c.partition === p.partition)?.offset ?? null,
        after: p.targetOffset,
        metadata: p.metadata,
        basis: p.basis,
        reReadRecords: p.reReadRecords,
        ...(p.path ? { path: p.path } : {}),
      }));
      return { group, offsetKind, partitions, unchanged: partitions.every((x) => x.before === x.after) };
    });
    // The continuity proof, before any write: each planned offset is where the group resumes without a skip.
    const source = (await ctx.reachable(ctx.flow.source)) ? ctx.kafka(ctx.flow.source) : undefined;
    const proof = await proveOffsetPlan({
      plan: input.plan,
      source,
      target,
      sourceAlias: ctx.flow.source,
      targetAlias: ctx.flow.target,
      sourcePositions: (group, kind) => positions(source!, group, kind),
      dryRun: ctx.dryRun,
    });
    if (proof.results.length)
      ctx.note(`continuity proof: ${summarizeProof(proof.results)}`, {
        continuity: proof.results.map((r) => ({
          group: r.group,
          topic: r.topic,
          partition: r.partition,
          verdict: r.verdict,
          reReads: r.reReads,
          detail: r.detail,
        })),
      });
    return {
      gates: [
        groupsEmptyGate(described, `planned groups have no members on ${ctx.flow.target}`),
        groupTypesGate(described, plans, unavailable, ctx.flow.target),
        proof.gate,
      ],
      plan: plans,
    };
  },
  async apply(ctx, input, plans: GroupPlan[] | undefined) {
    const target = ctx.kafka(ctx.flow.target);
    const limit = pLimit(input.maxInFlight);
    const done: string[] = (plans ?? []).filter((g) => g.written).map((g) => g.group);
    const pending = (plans ?? []).filter((g) => !g.unchanged || g.written).map((g) => g.group);
    // Groups are written concurrently, a bounded number in flight (util/bounded.ts); after a failure no further write
    // starts, and the error says exactly which groups are on the target and which are not.
    let firstError: Error | undefined;
    // One batch describe of every group about to be written, passed to each write (the port would otherwise describe
    // each group alone, which lists every group of the cluster: quadratic in groups).
    const toWrite = (plans ?? []).filter((g) => !g.unchanged).map((g) => g.group);
    const described = new Map((toWrite.length ? await target.describeGroups(toWrite) : []).map((d) => [d.groupId, d]));
    await Promise.allSettled(
      (plans ?? []).map((g) =>
        limit(async () => {
          if (g.unchanged) {
            ctx.note(`group ${g.group} already at the planned offsets on ${ctx.flow.target}: nothing to write`);
            return;
          }
          if (firstError) return;
          try {
            await writeGroup(g);
          } catch (error) {
            firstError ??= error as Error;
            return;
          }
          done.push(g.group);
          g.written = true;
          g.unchanged = true; // a retry of this step (retryable error on a later group) does not write it again
          ctx.note(`group ${g.group}: ${g.partitions.length} partition(s) set on ${ctx.flow.target} and read back`);
        }),
      ),
    );
    if (firstError) {
      const rest = pending.filter((p) => !done.includes(p));
      throw new Error(`${firstError.message} — written so far: ${done.length ? done.join(', ') : 'none'}; not written: ${rest.join(', ')}`, {
        cause: firstError,
      });
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
            offsetKind: g.offsetKind,
            partitions: g.partitions.map((p) => ({
              topic: p.topic,
              partition: p.partition,
              before: p.before,
              after: p.after,
              basis: p.basis,
              reReadRecords: p.reReadRecords,
              ...(p.path ? { path: p.path } : {}),
            })),
          },
        },
        async () => {
          // Step 3 of the offset's path (src/mm2/plan.ts): the plan's target offset is the OffsetCommit offset (a share
          // group's: the share-partition start offset).
          if (g.offsetKind === 'share-start-offset')
            await target.alterShareGroupOffsets(
              g.group,
              g.partitions.map((p) => ({ topic: p.topic, partition: p.partition, startOffset: p.after })),
              described.get(g.group),
            );
          else
            await target.commitOffsets(
              g.group,
              g.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.after, metadata: p.metadata })),
              described.get(g.group),
            );
          const back = await positions(target, g.group, g.offsetKind);
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

/**
 * A group's positions on a cluster in the form of committed offsets: its committed offsets, or for a share group the
 * position its share-partition start offsets imply (DescribeShareGroupOffsets; partitions without state left out): the
 * start offset, or the partition's high watermark when the group's lag there is 0 — every record delivered, though the
 * start offset may stay behind (translate.ts `sharePosition`, KIP-1226).
 * @throws GroupApiUnavailableError when a share group's API is missing on the cluster.
 */
export async function positions(port: KafkaPort, group: string, kind: OffsetPlanRow['offsetKind']): Promise<CommittedOffset[]> {
  if (kind !== 'share-start-offset') return port.committedOffsets(group);
  const ends = new Map<string, PartitionOffsets[]>();
  const out: CommittedOffset[] = [];
  for (const o of await port.shareGroupOffsets(group)) {
    let offset = o.startOffset;
    if (o.lag === 0) {
      if (!ends.has(o.topic)) ends.set(o.topic, await port.partitionOffsets(o.topic));
      offset = sharePosition(o, ends.get(o.topic)!.find((p) => p.partition === o.partition)?.highWatermark).position;
    }
    out.push({ topic: o.topic, partition: o.partition, offset, metadata: '' });
  }
  return out;
}

/**
 * `target-group-types`: each planned group can take its offsets on the target: a share group's start offsets go to a
 * share group (or an id not in use: AlterShareGroupOffsets creates it), committed offsets to a classic, consumer or
 * streams group (or an id not in use) — never across types (the broker refuses: "is not a share group" /
 * GROUP_ID_NOT_FOUND), and the APIs needed are served.
 */
function groupTypesGate(described: readonly GroupInfo[], plans: readonly GroupPlan[], unavailable: readonly string[], cluster: string): GateResult {
  const mismatched: string[] = [];
  const byId = new Map(described.map((d) => [d.groupId, d]));
  for (const p of plans) {
    const g = byId.get(p.group);
    if (!g || g.type === 'unknown' || g.state === 'Dead') continue;
    const wantsShare = p.offsetKind === 'share-start-offset';
    if (wantsShare !== (g.type === 'share'))
      mismatched.push(`${p.group}: planned ${wantsShare ? 'share start offsets' : 'committed offsets'}, but it is a ${g.type} group on ${cluster}`);
  }
  return {
    id: 'target-group-types',
    description: `each planned group can take its kind of offsets on ${cluster} (share start offsets ↔ share groups; committed offsets ↔ other groups)`,
    observed: { mismatched, apisUnavailable: [...unavailable] },
    expected: 'no group of another type under a planned id; the share group APIs served where share groups are planned',
    ok: mismatched.length === 0 && unavailable.length === 0,
  };
}
