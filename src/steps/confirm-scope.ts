/**
 * `confirm-scope`: is the source cluster down, one broker down, or fine? Reachable brokers, controller, offline and
 * under-replicated partitions of a cluster, and a verdict:
 * - `cluster-down`: no broker answers (from this tool's side: could also be the network path — the target is
 *   checked too, so a target that answers while the source does not points at the source or its path);
 * - `degraded`: it answers but has fewer brokers than expected or under-replicated / offline partitions;
 * - `healthy`.
 * With `expect: down` (emergency) a `degraded` source blocks: one broker down is not a disaster and the
 * recommendation is **not** to fail over. With `expect: reachable` (planned) the source must answer with no offline
 * partitions. The target must answer with no offline partitions in both cases.
 */
import { z } from 'zod';
import type { GateResult } from '../engine/events.js';
import { defineStep } from '../engine/step.js';
import { type ClusterHealth, clusterHealth, sourceDown, sourceServing, targetServing, unreachableHealth } from '../gates/cluster-health.js';
import type { KafkaPort } from '../kafka/port.js';

async function health(port: KafkaPort, up: boolean, expectedBrokers: number | undefined): Promise<ClusterHealth> {
  return up ? clusterHealth(await port.describeCluster(), await port.describeTopics(), expectedBrokers) : unreachableHealth();
}

export const confirmScope = defineStep({
  kind: 'confirm-scope',
  description: 'is the source down, one broker down, or fine? (brokers, controller, offline and under-replicated partitions)',
  writes: false,
  flowless: true,
  input: z.strictObject({
    expect: z.enum(['reachable', 'down']).default('reachable'),
    /** Brokers the source normally has (a smaller count means brokers are down). */
    sourceBrokers: z.number().int().positive().optional(),
  }),
  async check(ctx, input) {
    const { source, target } = ctx.flow;
    const [s, t] = await Promise.all([
      ctx.reachable(source).then((up) => health(ctx.kafka(source), up, input.sourceBrokers)),
      ctx.reachable(target).then((up) => health(ctx.kafka(target), up, undefined)),
    ]);
    ctx.note(
      `source ${source}: ${s.verdict} (${s.brokers} broker(s), ${s.offlinePartitions} offline, ${s.underReplicatedPartitions} under-replicated); target ${target}: ${t.verdict}`,
      { source: s, target: t },
    );
    const gates: GateResult[] = [targetServing(target, t), input.expect === 'reachable' ? sourceServing(source, s) : sourceDown(source, s)];
    return { gates, outputs: { source: s, target: t } };
  },
});
