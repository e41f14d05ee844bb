/**
 * `stop-replication`: stop MirrorMaker 2 for the flow before offsets are set, so it cannot overwrite them
 * (pausing is not enough: paused checkpoint tasks keep syncing group offsets — mm2-internals §4/§7):
 * Connect REST (with the flow's `auth`, if any) `PUT /connectors/{name}/stop` (Kafka 3.5+) for the source and checkpoint connectors, or the flow's
 * stop hook (dedicated MM2). Then verify: no new checkpoint arrives on the target for `quietWindowMs`.
 *
 * Output `stoppedAt`: under the identity replication policy, the target's log-end offsets of its topics once the flow
 * has stopped (empty under the default policy, whose remote topics are prefixed). It is the boundary between what
 * the flow copied and what is written on the target afterwards; a failback starts the reverse flow's source there
 * (`set-replication-start`, docs/design/identity-failback.md). Recorded in the audit log with the step's outputs.
 */
import { needs } from '../engine/permissions.js';
import { z } from 'zod';
import { ConnectRestError } from '../adapters/connect.js';
import { defineStep } from '../engine/step.js';
import { mm2ControlConfigured, noNewCheckpoints } from '../gates/mm2-control.js';
import { checkpointsTopicCandidates, pickExisting } from '../mm2/naming.js';
import type { StartOffset } from '../mm2/source-offsets.js';
import { selectTopics } from './shared.js';

/** Output `stoppedAt` of `stop-replication`: where the flow's target ended when the flow stopped. */
export interface FlowStoppedAt {
  /** `source->target` of the stopped flow. */
  flow: string;
  /** The cluster whose log-end offsets these are (the flow's target). */
  cluster: string;
  replicationPolicy: 'default' | 'identity';
  /** Epoch ms when the offsets were read. */
  recordedAtMs: number;
  /** Log-end offset (high watermark) per partition of every non-internal topic (identity only; else empty). */
  logEndOffsets: StartOffset[];
}

export const stopReplication = defineStep({
  kind: 'stop-replication',
  description: "stop MM2 for the flow (Connect REST stop, or the flow's stop hook) and verify no new checkpoints arrive",
  writes: true,
  acls: (s) => [
    ...needs(s.flow.target, 'topic', [checkpointsTopicCandidates(s.flow)], ['DESCRIBE'], 'MM2 stopped: the checkpoints topic stops growing'),
    ...(s.flow.replicationPolicy === 'identity'
      ? needs(s.flow.target, 'topic', s.topics.map(s.remote), ['DESCRIBE'], 'MM2 stopped: log-end offsets on the target (identity policy)')
      : []),
  ],
  input: z.strictObject({
    quietWindowMs: z.number().int().min(100).default(3000),
    timeoutMs: z.number().int().positive().default(60_000),
  }),
  async check(ctx) {
    return { gates: [mm2ControlConfigured(ctx.flow.mm2, 'stop')] };
  },
  async apply(ctx, input) {
    const mm2 = ctx.flow.mm2!;
    if ('connect' in mm2) {
      const connect = ctx.connect(mm2.connect);
      for (const name of [mm2.connect.connectors.source, mm2.connect.connectors.checkpoint]) {
        // A connector that does not exist (404) runs no task: stopped as far as this flow is concerned.
        await ctx.write({ action: 'stop MM2 connector (Connect REST)', details: connect.describe(name, 'stop') }, () =>
          connect.stop(name, { timeoutMs: input.timeoutMs }).catch((e: unknown) => {
            if (e instanceof ConnectRestError && e.status === 404) return { status: 404 };
            throw e;
          }),
        );
      }
    } else {
      const r = await ctx.write({ action: 'run hook: stop MM2', details: { argv: mm2.hooks.stop } }, () =>
        ctx.exec.run(mm2.hooks.stop, { timeoutMs: input.timeoutMs, signal: ctx.signal }),
      );
      if (r && r.exitCode !== 0) throw new Error(`MM2 stop hook exited with ${r.exitCode}: ${r.stderr.trim()}`);
    }
  },
  async verify(ctx, input) {
    const target = ctx.kafka(ctx.flow.target);
    const topic = pickExisting(checkpointsTopicCandidates(ctx.flow), await target.listTopics());
    if (!topic) return { gates: [noNewCheckpoints({ topic: undefined })] };
    const end = async () => (await target.partitionOffsets(topic)).reduce((s, p) => s + p.highWatermark, 0);
    const before = await end();
    await ctx.sleep(input.quietWindowMs);
    const after = await end();
    const logEndOffsets: StartOffset[] = [];
    if (ctx.flow.replicationPolicy === 'identity') {
      for (const t of await selectTopics(target, '.*'))
        for (const p of await target.partitionOffsets(t)) logEndOffsets.push({ topic: t, partition: p.partition, offset: p.highWatermark });
    }
    const stoppedAt: FlowStoppedAt = {
      flow: `${ctx.flow.source}->${ctx.flow.target}`,
      cluster: ctx.flow.target,
      replicationPolicy: ctx.flow.replicationPolicy,
      recordedAtMs: ctx.now(),
      logEndOffsets,
    };
    return { gates: [noNewCheckpoints({ topic, quietWindowMs: input.quietWindowMs, before, after })], outputs: { stoppedAt } };
  },
});
