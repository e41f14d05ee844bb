/**
 * `translate-back`: the offset plan of a failback, run on the reverse flow (source = the DR cluster, target = the
 * old primary). A group on the DR cluster reads two kinds of topics:
 * - **returning topics**: remote topics of the forward flow (`primary.orders` on dr), which map back to the
 *   original name on the old primary (`orders`). MM2 does not replicate them back (cycle detection), so there is no
 *   reverse checkpoint: the step maps the group's dr offset D through the *forward* flow's offset syncs read
 *   backwards — the newest sync (U, Dₛ) with Dₛ ≤ D gives primary offset U + (D − Dₛ). Upstream offsets only ever
 *   skip ahead of downstream ones (transaction markers, compaction), so that value is at or before the record the
 *   group was about to read: records may be re-read, never skipped (exact when the topic has no gaps).
 * - **DR-local topics** written during the DR period (`orders` on dr), replicated by the reverse flow to
 *   `dr.orders` on the old primary: translated through the reverse flow's own checkpoints (src/mm2/translate.ts).
 *
 * It also reports the records that were written to the old primary but never replicated to dr (the tail an
 * emergency failover left behind): per partition, the old primary's records after the last one that reached dr —
 * count, offset range, and optionally every such record exported to a JSON-lines file. They are never silently
 * dropped: the groups, reset at or before them, will read them after the failback.
 */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { FlowConfig } from '../clusters/schema.js';
import type { PartitionOffsets } from '../kafka/port.js';
import { defineStep } from '../engine/step.js';
import { offsetSyncsTopicCandidates, pickExisting, upstreamTopic } from '../mm2/naming.js';
import { readOffsetSyncs } from '../mm2/read-internal.js';
import { translateOffsets } from '../mm2/translate.js';
import { regexString } from './shared.js';

/** One row of the failback plan (the shape `reset-consumer-groups` takes). */
interface PlanRow {
  group: string;
  topic: string;
  partition: number;
  targetOffset: number;
  metadata: string;
  reReadRecords: number | null;
  basis: 'forward-offset-sync-reversed' | 'checkpoint' | 'offset-sync-fallback';
  sourceTopic: string;
  sourceOffset: number;
  problem?: string;
}

export const translateBack = defineStep({
  kind: 'translate-back',
  description: 'failback offset plan: returning topics through the forward flow\'s offset syncs, DR-local topics through reverse checkpoints; never-replicated records reported',
  writes: false,
  input: z.strictObject({
    groups: regexString.default('.*'),
    /** Original topic names on the old primary to report never-replicated records for (regex, whole name). */
    topics: regexString.default('.*'),
    /** Where the forward flow kept its offset syncs: on its source (the old primary, MM2's default) or its target. */
    forwardOffsetSyncsLocation: z.enum(['source', 'target']).default('source'),
    /** Longest wait (ms) for the reverse checkpoints to catch up with the groups' last commits and to cover every partition they commit on (fewer re-reads). */
    checkpointWaitMs: z.number().int().min(0).default(15_000),
    /** Write every never-replicated record (topic, partition, offset, timestamp, key and value in base64) here as JSON lines. */
    exportFile: z.string().min(1).optional(),
  }),
  async check(ctx, input) {
    const reverse = ctx.flow;
    const forward: FlowConfig = { ...reverse, source: reverse.target, target: reverse.source, offsetSyncsTopicLocation: input.forwardOffsetSyncsLocation };
    const dr = ctx.kafka(reverse.source);
    const primary = ctx.kafka(reverse.target);
    const groupRe = new RegExp(`^(?:${input.groups})$`);
    const topicRe = new RegExp(`^(?:${input.topics})$`);

    // Forward offset syncs, all of them (not only the newest): D → U needs the one just below D.
    const syncPort = forward.offsetSyncsTopicLocation === 'source' ? primary : dr;
    const syncTopic = pickExisting(offsetSyncsTopicCandidates(forward), await syncPort.listTopics());
    const syncs = new Map<string, { u: number; d: number }[]>();
    if (syncTopic) {
      for (const s of (await readOffsetSyncs(syncPort, syncTopic)).records) {
        const k = `${s.topic}/${s.partition}`;
        const list = syncs.get(k) ?? [];
        list.push({ u: s.upstreamOffset, d: s.downstreamOffset });
        syncs.set(k, list);
      }
      for (const list of syncs.values()) list.sort((a, b) => a.d - b.d || a.u - b.u);
    }
    const back = (origin: string, partition: number, d: number): number | null => {
      let best: { u: number; d: number } | undefined;
      for (const s of syncs.get(`${origin}/${partition}`) ?? []) if (s.d <= d) best = s;
      return best ? best.u + (d - best.d) : null;
    };

    // Returning topics: every selected group's commits on forward remote topics.
    const plan: PlanRow[] = [];
    const untranslatable: string[] = [];
    const groups = (await dr.listGroups()).map((g) => g.groupId).filter((g) => groupRe.test(g));
    const bounds = new Map<string, PartitionOffsets[]>();
    const boundsOf = async (topic: string) => {
      if (!bounds.has(topic)) bounds.set(topic, await primary.partitionOffsets(topic).catch(() => []));
      return bounds.get(topic)!;
    };
    const localCommits: { group: string; topic: string; partition: number }[] = [];
    for (const group of groups) {
      for (const c of await dr.committedOffsets(group)) {
        const origin = upstreamTopic(forward, c.topic);
        if (origin === undefined || forward.replicationPolicy === 'identity') {
          localCommits.push({ group, topic: c.topic, partition: c.partition }); // DR-local topic: below
          continue;
        }
        const p = back(origin, c.partition, c.offset);
        if (p === null) {
          untranslatable.push(`${group} ${c.topic}/${c.partition}@${c.offset}: no forward offset sync at or below it`);
          continue;
        }
        const b = (await boundsOf(origin)).find((x) => x.partition === c.partition);
        const problem = !b ? `${origin}/${c.partition} does not exist on ${reverse.target}` : p < b.logStartOffset || p > b.highWatermark ? `offset ${p} outside ${origin}/${c.partition} [${b.logStartOffset}, ${b.highWatermark}]` : undefined;
        plan.push({ group, topic: origin, partition: c.partition, targetOffset: p, metadata: c.metadata, reReadRecords: null, basis: 'forward-offset-sync-reversed', sourceTopic: c.topic, sourceOffset: c.offset, ...(problem ? { problem } : {}) });
      }
    }

    // DR-local topics: the reverse flow's checkpoints (MM2 wrote them into `<dr>.checkpoints.internal` on primary).
    // The groups' last commits (consumers just stopped) reach the reverse checkpoints within an emit interval or two,
    // and a partition MM2 has not checkpointed yet gets the coarser offset-sync fallback: wait up to checkpointWaitMs
    // for both, so the plan re-reads as little as possible (it never skips either way).
    const behind = (t: Awaited<ReturnType<typeof reverseTranslation>>) =>
      t.partitions.some((p) => (p.commitsSinceCheckpoint ?? 0) > 0) || t.untranslated.some((u) => u.reason === 'not-yet-checkpointed');
    let reverseError: string | undefined;
    const reverseTranslation = () =>
      translateOffsets({ flow: reverse, target: primary, source: dr, include: [groupRe] }).catch((e: Error) => {
        reverseError = e.message;
        return { partitions: [], untranslated: [] };
      });
    let reverseCheckpointed = await reverseTranslation();
    for (const deadline = ctx.now() + input.checkpointWaitMs; ctx.now() < deadline && behind(reverseCheckpointed); ) {
      await ctx.sleep(1000);
      reverseCheckpointed = await reverseTranslation();
    }
    for (const r of reverseCheckpointed.partitions) {
      plan.push({ group: r.group, topic: r.topic, partition: r.partition, targetOffset: r.targetOffset, metadata: r.metadata, reReadRecords: r.reReadRecords, basis: r.basis, sourceTopic: r.sourceTopic, sourceOffset: r.sourceCommittedOffset ?? -1, ...(r.problem ? { problem: r.problem } : {}) });
    }
    // Fail closed: every DR-local partition a selected group commits on must be in the plan.
    for (const c of localCommits) {
      if (plan.some((p) => p.group === c.group && p.sourceTopic === c.topic && p.partition === c.partition)) continue;
      const why = reverseCheckpointed.untranslated.find((u) => u.group === c.group && u.sourceTopic === c.topic && u.partition === c.partition);
      untranslatable.push(`${c.group} ${c.topic}/${c.partition}: ${why ? why.reason : reverseError ? `reverse checkpoints unreadable (${reverseError})` : 'no reverse checkpoint'}`);
    }

    // Records on the old primary that never reached dr: after the replicated end of each returning partition.
    const neverReplicated: { topic: string; partition: number; fromOffset: number; toOffset: number; records: number }[] = [];
    for (const t of (await dr.listTopics()).filter((x) => upstreamTopic(forward, x) !== undefined && forward.replicationPolicy !== 'identity')) {
      const origin = upstreamTopic(forward, t)!;
      if (!topicRe.test(origin) || origin === 'heartbeats') continue;
      const onPrimary = await boundsOf(origin);
      for (const d of await dr.partitionOffsets(t)) {
        const end = back(origin, d.partition, d.highWatermark);
        const e = onPrimary.find((x) => x.partition === d.partition)?.highWatermark;
        if (end === null || e === undefined || e <= end) continue;
        neverReplicated.push({ topic: origin, partition: d.partition, fromOffset: end, toOffset: e, records: e - end });
      }
    }
    const lost = neverReplicated.reduce((s, r) => s + r.records, 0);
    if (input.exportFile && neverReplicated.length) {
      const lines: string[] = [];
      for (const r of neverReplicated) {
        await primary.readRange(r.topic, r.partition, r.fromOffset, r.toOffset, (rec) =>
          lines.push(JSON.stringify({ topic: r.topic, partition: r.partition, offset: rec.offset, timestamp: rec.timestamp, key: rec.key?.toString('base64') ?? null, value: rec.value?.toString('base64') ?? null })),
        );
      }
      writeFileSync(input.exportFile, lines.join('\n') + '\n', { mode: 0o600 });
    }
    ctx.note(`${new Set(plan.map((p) => p.group)).size} group(s), ${plan.length} partition(s) planned on ${reverse.target}; ${lost} record(s) on ${reverse.target} never reached ${reverse.source} (${neverReplicated.map((r) => `${r.topic}/${r.partition} [${r.fromOffset}, ${r.toOffset})`).join(', ') || 'none'})${input.exportFile && lost ? `, exported to ${input.exportFile}` : ''}`, { neverReplicated });
    const problems = plan.filter((p) => p.problem);
    return {
      gates: [
        { id: 'offsets-in-range', description: `every planned offset lies within the ${reverse.target} partition`, observed: { outOfRange: problems.map((p) => `${p.group} ${p.topic}/${p.partition}: ${p.problem}`) }, expected: '0 partitions out of range', ok: problems.length === 0 },
        { id: 'groups-translated', description: 'every committed partition of the selected groups has a plan', observed: { untranslatable }, expected: '0 untranslatable partitions', ok: untranslatable.length === 0 },
        { id: 'groups-found', description: 'the selection matches at least one group with commits', observed: { groups: new Set(plan.map((p) => p.group)).size }, expected: '≥ 1 group', ok: plan.length > 0 },
      ],
      outputs: { plan, neverReplicated, neverReplicatedRecords: lost, reReadRecords: null },
    };
  },
});
