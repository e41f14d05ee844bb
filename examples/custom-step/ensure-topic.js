// A custom step kind, defined from outside the package: only the public API of 'kafka-failover' is used.
//
// `ensure-topic` makes sure a topic exists on a cluster of the flow with at least `partitions` partitions:
// - check: reads the cluster (real reads, also in a plan) and reports a gate when the topic exists with too few
//   partitions (a topic cannot be shrunk or safely grown here: the run blocks, exit 3);
// - apply: creates the topic when it is missing, through ctx.write(…) — so the write is audited before it happens,
//   checked against a pinned cluster id, and in a plan (dry-run) recorded as a "would" write with its exact values.
import { defineStep, z } from 'kafka-failover';

export const ensureTopic = defineStep({
  kind: 'example/ensure-topic',
  description: 'a topic exists on a cluster of the flow with at least N partitions (created when missing)',
  input: z.strictObject({
    cluster: z.enum(['source', 'target']).default('target'),
    topic: z.string().min(1),
    partitions: z.number().int().min(1),
    replicationFactor: z.number().int().min(1).optional(),
  }),
  writes: true,
  async check(ctx, input) {
    const alias = ctx.flow[input.cluster];
    const [info] = (await ctx.kafka(alias).listTopics()).includes(input.topic) ? await ctx.kafka(alias).describeTopics([input.topic]) : [];
    const have = info ? info.partitions.length : 0;
    return {
      gates: info
        ? [
            {
              id: 'partitions',
              description: `${input.topic} on ${alias} has enough partitions`,
              observed: `${have} partitions`,
              expected: `≥ ${input.partitions} partitions`,
              ok: have >= input.partitions,
            },
          ]
        : [],
      outputs: { existed: Boolean(info), partitions: have },
      plan: { create: !info, alias },
    };
  },
  async apply(ctx, input, plan) {
    if (!plan?.create) return { created: false };
    await ctx.write(
      {
        action: 'create topic',
        cluster: plan.alias,
        details: { topic: input.topic, partitions: input.partitions, replicationFactor: input.replicationFactor ?? null },
        key: `create-topic:${input.topic}`,
      },
      () => ctx.kafka(plan.alias).createTopic(input.topic, input.partitions, input.replicationFactor),
    );
    return { created: !ctx.dryRun };
  },
});
