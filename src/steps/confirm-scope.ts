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
import type { KafkaPort } from '../kafka/port.js';
import type { GateResult } from '../engine/events.js';
import { defineStep } from '../engine/step.js';

interface Health {
  reachable: boolean;
  brokers: number;
  controllerId: number | null;
  offlinePartitions: number;
  underReplicatedPartitions: number;
  verdict: 'cluster-down' | 'degraded' | 'healthy';
}

async function health(port: KafkaPort, up: boolean, expectedBrokers: number | undefined): Promise<Health> {
  if (!up) return { reachable: false, brokers: 0, controllerId: null, offlinePartitions: 0, underReplicatedPartitions: 0, verdict: 'cluster-down' };
  const d = await port.describeCluster();
  const topics = await port.describeTopics();
  const live = new Set(d.brokers.map((b) => b.nodeId));
  let offline = 0;
  let urp = 0;
  for (const t of topics) {
    for (const p of t.partitions) {
      if (p.leader < 0 || !live.has(p.leader)) offline++;
      else if (p.isr.length < p.replicas.length) urp++;
    }
  }
  const missing = expectedBrokers !== undefined && d.brokers.length < expectedBrokers;
  return { reachable: true, brokers: d.brokers.length, controllerId: d.controllerId, offlinePartitions: offline, underReplicatedPartitions: urp, verdict: missing || offline || urp ? 'degraded' : 'healthy' };
}

export const confirmScope = defineStep({
  kind: 'confirm-scope',
  description: 'is the source down, one broker down, or fine? (brokers, controller, offline and under-replicated partitions)',
  writes: false,
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
    ctx.note(`source ${source}: ${s.verdict} (${s.brokers} broker(s), ${s.offlinePartitions} offline, ${s.underReplicatedPartitions} under-replicated); target ${target}: ${t.verdict}`, { source: s, target: t });
    const gates: GateResult[] = [
      { id: 'target-serving', description: `target ${target} answers with no offline partitions`, observed: { reachable: t.reachable, offlinePartitions: t.offlinePartitions }, expected: 'reachable, 0 offline partitions', ok: t.reachable && t.offlinePartitions === 0 },
    ];
    if (input.expect === 'reachable') {
      gates.push({ id: 'source-serving', description: `source ${source} answers with no offline partitions (planned failover)`, observed: { reachable: s.reachable, offlinePartitions: s.offlinePartitions }, expected: 'reachable, 0 offline partitions', ok: s.reachable && s.offlinePartitions === 0 });
    } else {
      gates.push({
        id: 'source-down',
        description: s.verdict === 'degraded' ? `source ${source} still serves (${s.brokers} broker(s) answer): one broker down is not a disaster — do not fail over` : `no broker of ${source} answers`,
        observed: { verdict: s.verdict, brokers: s.brokers },
        expected: 'verdict cluster-down (no broker answers)',
        ok: s.verdict === 'cluster-down',
      });
    }
    return { gates, outputs: { source: s, target: t } };
  },
});
