/**
 * `start-replication`: start MirrorMaker 2 for the flow — Connect REST (with the flow's `auth`, if any) `PUT /connectors/{name}/resume` for its
 * source and checkpoint connectors, or the flow's start hook (dedicated MM2) — then wait until MM2 has created the
 * flow's checkpoints topic on the target (the sign that its tasks run). Used by failbacks (reverse replication) and
 * to restore the forward flow afterwards.
 */
import { z } from 'zod';
import { connectAuthHeaders, redactUrl } from '../clusters/load.js';
import { defineStep } from '../engine/step.js';
import { checkpointsTopicCreated, mm2ControlConfigured } from '../gates/mm2-control.js';
import { checkpointsTopicCandidates, pickExisting } from '../mm2/naming.js';

export const startReplication = defineStep({
  kind: 'start-replication',
  description: 'start MM2 for the flow (Connect REST resume, or the flow\'s start hook) and wait for its checkpoints topic',
  writes: true,
  input: z.strictObject({ timeoutMs: z.number().int().positive().default(120_000) }),
  async check(ctx) {
    return { gates: [mm2ControlConfigured(ctx.flow.mm2, 'start')] };
  },
  async apply(ctx, input) {
    const mm2 = ctx.flow.mm2!;
    if ('connect' in mm2) {
      for (const name of [mm2.connect.connectors.source, mm2.connect.connectors.checkpoint]) {
        const url = `${mm2.connect.url.replace(/\/$/, '')}/connectors/${encodeURIComponent(name)}/resume`;
        const shown = redactUrl(url);
        await ctx.write({ action: 'resume MM2 connector (Connect REST)', details: { method: 'PUT', url: shown, ...(mm2.connect.auth ? { auth: `basic (${mm2.connect.auth.username})` } : {}) } }, async () => {
          const res = await fetch(url, { method: 'PUT', headers: connectAuthHeaders(mm2.connect.auth), signal: AbortSignal.timeout(input.timeoutMs) });
          if (!res.ok) throw new Error(`PUT ${shown}: HTTP ${res.status} ${await res.text()}`);
          return { status: res.status };
        });
      }
    } else {
      const argv = mm2.hooks.start!;
      const r = await ctx.write({ action: 'run hook: start MM2', details: { argv } }, () => ctx.exec.run(argv, { timeoutMs: input.timeoutMs, signal: ctx.signal }));
      if (r && r.exitCode !== 0) throw new Error(`MM2 start hook exited with ${r.exitCode}: ${r.stderr.trim()}`);
    }
  },
  async verify(ctx) {
    const candidates = checkpointsTopicCandidates(ctx.flow);
    const found = pickExisting(candidates, await ctx.kafka(ctx.flow.target).listTopics());
    return { gates: [checkpointsTopicCreated({ target: ctx.flow.target, found, expectedName: candidates[0]! })] };
  },
});
