/**
 * `start-replication`: start MirrorMaker 2 for the flow — Connect REST (with the flow's `auth`, if any) `PUT /connectors/{name}/resume` for its
 * source and checkpoint connectors, or the flow's start hook (dedicated MM2) — then wait until MM2 has created the
 * flow's checkpoints topic on the target (the sign that its tasks run). Used by failbacks (reverse replication) and
 * to restore the forward flow afterwards.
 */
import { needs } from '../engine/permissions.js';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { checkpointsTopicCreated, mm2ControlConfigured } from '../gates/mm2-control.js';
import { checkpointsTopicCandidates, pickExisting } from '../mm2/naming.js';

export const startReplication = defineStep({
  kind: 'start-replication',
  description: "start MM2 for the flow (Connect REST resume, or the flow's start hook) and wait for its checkpoints topic",
  writes: true,
  acls: (s) => needs(s.flow.target, 'topic', [checkpointsTopicCandidates(s.flow)], ['DESCRIBE'], 'MM2 started: its checkpoints topic'),
  input: z.strictObject({ timeoutMs: z.number().int().positive().default(120_000) }),
  async check(ctx) {
    return { gates: [mm2ControlConfigured(ctx.flow.mm2, 'start')] };
  },
  async apply(ctx, input) {
    const mm2 = ctx.flow.mm2!;
    if ('connect' in mm2) {
      const connect = ctx.connect(mm2.connect);
      for (const name of [mm2.connect.connectors.source, mm2.connect.connectors.checkpoint]) {
        await ctx.write({ action: 'resume MM2 connector (Connect REST)', details: connect.describe(name, 'resume') }, () =>
          connect.resume(name, { timeoutMs: input.timeoutMs }),
        );
      }
    } else {
      const argv = mm2.hooks.start!;
      const r = await ctx.write({ action: 'run hook: start MM2', details: { argv } }, () =>
        ctx.exec.run(argv, { timeoutMs: input.timeoutMs, signal: ctx.signal }),
      );
      if (r && r.exitCode !== 0) throw new Error(`MM2 start hook exited with ${r.exitCode}: ${r.stderr.trim()}`);
    }
  },
  async verify(ctx) {
    const candidates = checkpointsTopicCandidates(ctx.flow);
    const found = pickExisting(candidates, await ctx.kafka(ctx.flow.target).listTopics());
    return { gates: [checkpointsTopicCreated({ target: ctx.flow.target, found, expectedName: candidates[0]! })] };
  },
});
