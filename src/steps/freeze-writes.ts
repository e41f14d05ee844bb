/**
 * `freeze-writes`: run the hook that stops producers (optional), then verify the freeze on the source: the
 * log-end offsets (high watermarks) of the selected topics do not move for `quietWindowMs`. Use the step's `wait`
 * to keep verifying until producers have drained.
 */
import { needs } from '../engine/permissions.js';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { writesFrozen } from '../gates/writes-frozen.js';
import { highWatermarks, regexString, selectTopics } from './shared.js';

export const freezeWrites = defineStep({
  kind: 'freeze-writes',
  description: 'run a hook that stops producers, then verify the source topics stop growing',
  writes: true,
  flowless: true,
  acls: (s) =>
    needs(s.with.cluster === 'target' ? s.flow.target : s.flow.source, 'topic', s.topics, ['DESCRIBE'], 'quiet window: log-end offsets of the topics'),
  input: z.strictObject({
    command: z.array(z.string().min(1)).min(1).optional(),
    timeoutMs: z.number().int().positive().default(60_000),
    topics: regexString.default('.*'),
    quietWindowMs: z.number().int().min(100).default(5000),
    /** Which cluster must go quiet: the flow's source (a failover) or its target (a failback: the old primary takes no writes). */
    cluster: z.enum(['source', 'target']).default('source'),
  }),
  async check() {
    return {};
  },
  async apply(ctx, input) {
    if (!input.command) return;
    const r = await ctx.write({ action: 'run hook: freeze writes', details: { argv: input.command } }, () =>
      ctx.exec.run(input.command!, { timeoutMs: input.timeoutMs, signal: ctx.signal }),
    );
    if (r && r.exitCode !== 0)
      throw new Error(`freeze hook ${JSON.stringify(input.command)} exited with ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.trim()}`);
  },
  async verify(ctx, input) {
    const alias = input.cluster === 'source' ? ctx.flow.source : ctx.flow.target;
    const source = ctx.kafka(alias);
    const topics = await selectTopics(source, input.topics);
    const before = await highWatermarks(source, topics);
    // Sleep the quiet window in one-second slices so the operator sees it count down.
    for (let waited = 0; waited < input.quietWindowMs; ) {
      const slice = Math.min(1000, input.quietWindowMs - waited);
      await ctx.sleep(slice);
      waited += slice;
      ctx.progress({ label: `quiet window on ${topics.length} topic(s) of ${alias}`, unit: 'ms', done: waited, total: input.quietWindowMs });
    }
    const after = await highWatermarks(source, topics);
    return {
      gates: [writesFrozen({ cluster: alias, topics: topics.length, quietWindowMs: input.quietWindowMs, before, after })],
      outputs: { frozenTopics: topics, sourceHighWatermarks: Object.fromEntries(after) },
    };
  },
});
