/**
 * `check-replication-lag`: gate on per-partition replication lag ≤ `maxLagRecords` (see src/mm2/lag.ts for how lag
 * is measured without JMX). Use the step's `wait` to let MM2 drain (0 records for a planned failover).
 */
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { replicationLag } from '../mm2/lag.js';
import { regexString } from './shared.js';

export const checkReplicationLag = defineStep({
  kind: 'check-replication-lag',
  description: 'gate on per-partition replication lag ≤ a threshold',
  writes: false,
  input: z.strictObject({
    maxLagRecords: z.number().int().min(0).default(0),
    /** Source topics to consider (regex, whole name). */
    topics: regexString.default('.*'),
  }),
  async check(ctx, input) {
    const { source, target } = ctx.flow;
    const up = await ctx.reachable(source);
    const re = new RegExp(`^(?:${input.topics})$`);
    if (!up) {
      return { gates: [{ id: 'max-lag', description: 'lag can only be measured with the source reachable', observed: 'source unreachable', expected: `≤ ${input.maxLagRecords} records per partition`, ok: false }] };
    }
    const lag = await replicationLag({ flow: ctx.flow, source: ctx.kafka(source), target: ctx.kafka(target) });
    const parts = lag.partitions.filter((p) => re.test(p.sourceTopic));
    const unknown = parts.filter((p) => p.lagRecords === null);
    const over = parts.filter((p) => p.lagRecords !== null && p.lagRecords > input.maxLagRecords);
    const max = Math.max(0, ...parts.map((p) => p.lagRecords ?? 0));
    const total = parts.reduce((s, p) => s + (p.lagRecords ?? 0), 0);
    const byTopic: Record<string, number> = {};
    for (const p of parts) byTopic[p.sourceTopic] = (byTopic[p.sourceTopic] ?? 0) + (p.lagRecords ?? 0);
    return {
      gates: [
        {
          id: 'max-lag',
          description: `replication lag per partition over ${parts.length} partition(s)`,
          observed: { maxLagRecords: max, totalLagRecords: total, partitionsOver: over.map((p) => `${p.sourceTopic}/${p.partition}=${p.lagRecords}`), partitionsUnknown: unknown.map((p) => `${p.sourceTopic}/${p.partition}`) },
          expected: `≤ ${input.maxLagRecords} records per partition, every partition measurable`,
          ok: over.length === 0 && unknown.length === 0,
          remaining: { value: total, unit: 'records', detail: byTopic },
        },
      ],
      outputs: { maxLagRecords: max, totalLagRecords: total, partitions: parts.length },
    };
  },
});
