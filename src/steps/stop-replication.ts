/**
 * `stop-replication`: stop MirrorMaker 2 for the flow before offsets are set, so it cannot overwrite them
 * (pausing is not enough: paused checkpoint tasks keep syncing group offsets — mm2-internals §4/§7):
 * Connect REST (with the flow's `auth`, if any) `PUT /connectors/{name}/stop` (Kafka 3.5+) for the source and checkpoint connectors, or the flow's
 * stop hook (dedicated MM2). Then verify: no new checkpoint arrives on the target for `quietWindowMs`.
 */
import { z } from 'zod';
import { connectAuthHeaders, redactUrl } from '../clusters/load.js';
import { defineStep } from '../engine/step.js';
import { mm2ControlConfigured, noNewCheckpoints } from '../gates/mm2-control.js';
import { checkpointsTopicCandidates, pickExisting } from '../mm2/naming.js';

export const stopReplication = defineStep({
  kind: 'stop-replication',
  description: 'stop MM2 for the flow (Connect REST stop, or the flow\'s stop hook) and verify no new checkpoints arrive',
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
      for (const name of [mm2.connect.connectors.source, mm2.connect.connectors.checkpoint]) {
        const url = `${mm2.connect.url.replace(/\/$/, '')}/connectors/${encodeURIComponent(name)}/stop`;
        const shown = redactUrl(url);
        await ctx.write({ action: 'stop MM2 connector (Connect REST)', details: { method: 'PUT', url: shown, ...(mm2.connect.auth ? { auth: `basic (${mm2.connect.auth.username})` } : {}) } }, async () => {
          const res = await fetch(url, { method: 'PUT', headers: connectAuthHeaders(mm2.connect.auth), signal: AbortSignal.timeout(input.timeoutMs) });
          if (!res.ok && res.status !== 404) throw new Error(`PUT ${shown}: HTTP ${res.status} ${await res.text()}`);
          return { status: res.status };
        });
      }
    } else {
      const r = await ctx.write({ action: 'run hook: stop MM2', details: { argv: mm2.hooks.stop } }, () => ctx.exec.run(mm2.hooks.stop, { timeoutMs: input.timeoutMs, signal: ctx.signal }));
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
