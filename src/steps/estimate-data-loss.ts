/**
 * `estimate-data-loss`: with the source cluster unreachable, how much may be lost — from target-side signals only
 * (../shared/reference/mm2-internals.md §6: heartbeat age, last replicated record per partition, checkpoint ages).
 *
 * The data-loss window is a span of produce time: records written to the source with a timestamp inside it may not
 * have reached the target. Per replicated partition, records not on the target were produced no earlier than the
 * last replicated record (MM2 preserves record timestamps and replicates a partition in order), and no later than
 * now (the source is down). So the window is `[min over active partitions of the last replicated timestamp, now]`.
 * A partition counts as active when its last replicated record is no older than `idleMs` before the newest
 * heartbeat replicated from the source (`<src>.heartbeats`): the path was still moving then, so an older last record
 * means the partition was idle (assumption: no MM2 task stuck on one partition for longer than `idleMs` — such
 * partitions are listed, never hidden). Without a replicated heartbeat every non-empty partition counts as active
 * (fail closed: a wider window). MM2's own heartbeats on the target prove only that MM2 runs, and are just reported.
 *
 * Gate `loss-window-accepted`: the window accepted up front (`acceptedWindowMs`, from `--accept-data-loss-window`)
 * is at least the estimate; otherwise a person must decide (interactive override with a reason, audited).
 */
import { heartbeatTopicCandidates } from '../mm2/naming.js';
import { checkpointsTopicCandidates } from '../mm2/naming.js';
import { needs } from '../engine/permissions.js';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { lossWindowAccepted } from '../gates/data-loss-window.js';
import { replicationLag } from '../mm2/lag.js';
import { translateOffsets } from '../mm2/translate.js';
import { regexString } from './shared.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const estimateDataLoss = defineStep({
  kind: 'estimate-data-loss',
  description: 'estimate the data-loss window from target-side signals (heartbeat age, last replicated records, checkpoint ages)',
  writes: false,
  // The target only, by design (the source is down).
  acls: (s) => [
    ...needs(s.flow.target, 'topic', [checkpointsTopicCandidates(s.flow)], ['READ'], 'data-loss estimate: MM2 checkpoints'),
    ...needs(s.flow.target, 'topic', [heartbeatTopicCandidates(s.flow)], ['READ'], 'data-loss estimate: MM2 heartbeats'),
    ...needs(s.flow.target, 'topic', s.topics.map(s.remote), ['READ'], 'data-loss estimate: last replicated records'),
  ],
  input: z.strictObject({
    /** Source topics to consider (regex, whole name). */
    topics: regexString.default('.*'),
    /** Consumer groups whose checkpoint ages are reported (regex, whole name). */
    groups: regexString.default('.*'),
    /** A partition whose last replicated record is older than the newest heartbeat by more than this is idle (ms). */
    idleMs: z.number().int().min(0).default(60_000),
    /** The window accepted before the run (ms), e.g. from `--accept-data-loss-window`; -1 = none. */
    acceptedWindowMs: z.number().int().min(-1).default(-1),
  }),
  async check(ctx, input) {
    const { source, target } = ctx.flow;
    const now = ctx.now();
    const re = new RegExp(`^(?:${input.topics})$`);
    // Target only, by design; only the selected topics are read (their ACLs are what this step declares).
    const lag = await replicationLag({ flow: ctx.flow, target: ctx.kafka(target), now: () => now, topics: (t) => re.test(t) });
    const parts = lag.partitions.filter((p) => re.test(p.sourceTopic));
    const hb = lag.heartbeat;
    const withRecords = parts.filter((p) => p.lastReplicatedTimestamp !== null);
    const active = withRecords.filter((p) => !hb || p.lastReplicatedTimestamp! >= hb.timestamp - input.idleMs);
    const idle = withRecords.filter((p) => !active.includes(p));
    const start = active.length ? Math.min(...active.map((p) => p.lastReplicatedTimestamp!)) : hb ? hb.timestamp : null;
    const windowMs = start === null ? null : Math.max(0, now - start);

    const translation = await translateOffsets({ flow: ctx.flow, target: ctx.kafka(target), include: [new RegExp(`^(?:${input.groups})$`)], now: () => now });
    const checkpointAges: Record<string, number> = {};
    for (const p of translation.partitions) {
      if (!p.checkpoint) continue;
      checkpointAges[p.group] = Math.min(checkpointAges[p.group] ?? Infinity, p.checkpoint.ageMs);
    }
    const estimate = {
      window: { start: iso(start), end: iso(now), lengthMs: windowMs },
      heartbeat: hb ? { topic: hb.topic, lastAt: iso(hb.timestamp), ageMs: hb.ageMs } : null,
      mm2Heartbeat: lag.mm2Heartbeat ? { topic: lag.mm2Heartbeat.topic, lastAt: iso(lag.mm2Heartbeat.timestamp), ageMs: lag.mm2Heartbeat.ageMs } : null,
      partitions: parts.map((p) => ({
        topic: p.sourceTopic,
        partition: p.partition,
        lastReplicatedAt: iso(p.lastReplicatedTimestamp),
        ageMs: p.lastReplicatedTimestamp === null ? null : now - p.lastReplicatedTimestamp,
        idle: idle.includes(p),
      })),
      activePartitions: active.length,
      idlePartitions: idle.map((p) => `${p.sourceTopic}/${p.partition} (last record ${iso(p.lastReplicatedTimestamp)})`),
      newestCheckpointAgeMsByGroup: checkpointAges,
    };
    ctx.note(
      windowMs === null
        ? `data-loss window: unknown (no replicated record and no heartbeat from ${source} on ${target})`
        : `data-loss window: records produced on ${source} from ${iso(start)} to now (${(windowMs / 1000).toFixed(1)} s) may be lost — ${active.length} active partition(s), ${idle.length} idle; newest replicated heartbeat ${hb ? `${(hb.ageMs / 1000).toFixed(1)} s old` : 'none (every non-empty partition counts as active)'}`,
      estimate,
    );
    return {
      gates: [lossWindowAccepted({ source, windowMs, windowStart: start, acceptedWindowMs: input.acceptedWindowMs })],
      outputs: { ...estimate, estimatedWindowMs: windowMs, windowStart: start, windowEnd: now },
    };
  },
});
