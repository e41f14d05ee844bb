/**
 * `freeze-writes`: run the hook that stops producers (optional), then verify the freeze on the source: the
 * log-end offsets (high watermarks) of the selected topics do not move for `quietWindowMs`. Use the step's `wait`
 * to keep verifying until producers have drained.
 */
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { highWatermarks, regexString, selectTopics } from './shared.js';

export const freezeWrites = defineStep({
  kind: 'freeze-writes',
  description: 'run a hook that stops producers, then verify the source topics stop growing',
  writes: true,
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
    const r = await ctx.write({ action: 'run hook: freeze writes', details: { argv: input.command } }, () => ctx.exec.run(input.command!, { timeoutMs: input.timeoutMs, signal: ctx.signal }));
    if (r && r.exitCode !== 0) throw new Error(`freeze hook ${JSON.stringify(input.command)} exited with ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.trim()}`);
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
    const moved = [...after].filter(([k, v]) => v !== before.get(k)).map(([k, v]) => ({ partition: k, appended: v - (before.get(k) ?? 0) }));
    const appended = moved.reduce((s, m) => s + m.appended, 0);
    return {
      gates: [{ id: 'writes-frozen', description: `log-end offsets of ${topics.length} topic(s) of ${alias} over ${input.quietWindowMs} ms`, observed: { appendedRecords: appended, partitionsMoving: moved.slice(0, 20) }, expected: `0 records appended in ${input.quietWindowMs} ms`, ok: appended === 0 }],
      outputs: { frozenTopics: topics, sourceHighWatermarks: Object.fromEntries(after) },
    };
  },
});
