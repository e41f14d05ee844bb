/**
 * `stop-replication`: stop MirrorMaker 2 for the flow before offsets are set, so it cannot overwrite them
 * (pausing is not enough: paused checkpoint tasks keep syncing group offsets — mm2-internals §4/§7):
 * Connect REST (with the flow's `auth`, if any) `PUT /connectors/{name}/stop` (Kafka 3.5+) for the source and checkpoint connectors, or the flow's
 * stop hook (dedicated MM2). Then verify: no new checkpoint arrives on the target for `quietWindowMs`.
 */
import { z } from 'zod';
import { ConnectRestError } from '../adapters/connect.js';
import { defineStep } from '../engine/step.js';
import { mm2ControlConfigured, noNewCheckpoints } from '../gates/mm2-control.js';
import { checkpointsTopicCandidates, pickExisting } from '../mm2/naming.js';

export const stopReplication = defineStep({
  kind: 'stop-replication',
  description: "stop MM2 for the flow (Connect REST stop, or the flow's stop hook) and verify no new checkpoints arrive",
  writes: true,
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
    return { gates: [noNewCheckpoints({ topic, quietWindowMs: input.quietWindowMs, before, after })] };
  },
});
