/**
 * Cluster health from metadata (DescribeCluster, DescribeTopics) and the gates of step `confirm-scope` on it:
 * `target-serving`, `source-serving` (planned failover) and `source-down` (emergency failover).
 * A partition is offline when it has no leader (-1) or its leader is not among the brokers that answer; it is
 * under-replicated when it has a live leader and fewer in-sync replicas than replicas. The readiness check
 * (src/check/cluster-checks.ts) counts offline and under-replicated partitions by the same rule.
 */
import type { GateResult } from '../engine/events.js';
import type { ClusterDescription, PartitionInfo, TopicInfo } from '../kafka/port.js';

/** A cluster's health as `confirm-scope` reports it (counts of brokers and partitions). */
export interface ClusterHealth {
  reachable: boolean;
  brokers: number;
  controllerId: number | null;
  offlinePartitions: number;
  underReplicatedPartitions: number;
  /** `cluster-down`: no broker answers; `degraded`: brokers missing, or offline / under-replicated partitions. */
  verdict: 'cluster-down' | 'degraded' | 'healthy';
}

/** Whether a partition has no live leader. `liveBrokers`: node ids of the brokers that answer. */
export function partitionOffline(p: Pick<PartitionInfo, 'leader'>, liveBrokers: ReadonlySet<number>): boolean {
  return p.leader < 0 || !liveBrokers.has(p.leader);
}

/** Whether a partition with a live leader has fewer in-sync replicas than replicas. */
export function partitionUnderReplicated(p: Pick<PartitionInfo, 'leader' | 'isr' | 'replicas'>, liveBrokers: ReadonlySet<number>): boolean {
  return !partitionOffline(p, liveBrokers) && p.isr.length < p.replicas.length;
}

/** The health of a cluster that does not answer. */
export function unreachableHealth(): ClusterHealth {
  return { reachable: false, brokers: 0, controllerId: null, offlinePartitions: 0, underReplicatedPartitions: 0, verdict: 'cluster-down' };
}

/**
 * The health of a cluster that answers, from its metadata.
 * @param expectedBrokers brokers the cluster normally has; fewer answering make it `degraded` (undefined: not judged).
 */
export function clusterHealth(cluster: ClusterDescription, topics: readonly TopicInfo[], expectedBrokers: number | undefined): ClusterHealth {
  const live = new Set(cluster.brokers.map((b) => b.nodeId));
  let offline = 0;
  let urp = 0;
  for (const t of topics) {
    for (const p of t.partitions) {
      if (partitionOffline(p, live)) offline++;
      else if (partitionUnderReplicated(p, live)) urp++;
    }
  }
  const missing = expectedBrokers !== undefined && cluster.brokers.length < expectedBrokers;
  return {
    reachable: true,
    brokers: cluster.brokers.length,
    controllerId: cluster.controllerId,
    offlinePartitions: offline,
    underReplicatedPartitions: urp,
    verdict: missing || offline || urp ? 'degraded' : 'healthy',
  };
}

function serving(id: string, description: string, h: ClusterHealth): GateResult {
  return {
    id,
    description,
    observed: { reachable: h.reachable, offlinePartitions: h.offlinePartitions },
    expected: 'reachable, 0 offline partitions',
    ok: h.reachable && h.offlinePartitions === 0,
  };
}

/** `target-serving`: the target answers with no offline partitions (every failover needs it). */
export function targetServing(alias: string, h: ClusterHealth): GateResult {
  return serving('target-serving', `target ${alias} answers with no offline partitions`, h);
}

/** `source-serving`: the source answers with no offline partitions (a planned failover reads and drains it). */
export function sourceServing(alias: string, h: ClusterHealth): GateResult {
  return serving('source-serving', `source ${alias} answers with no offline partitions (planned failover)`, h);
}

/**
 * `source-down`: no broker of the source answers (emergency failover). A `degraded` source (it answers, with brokers
 * or partitions missing) fails it: one broker down is not a disaster and the recommendation is not to fail over.
 */
export function sourceDown(alias: string, h: ClusterHealth): GateResult {
  return {
    id: 'source-down',
    description:
      h.verdict === 'degraded'
        ? `source ${alias} still serves (${h.brokers} broker(s) answer): one broker down is not a disaster — do not fail over`
        : `no broker of ${alias} answers`,
    observed: { verdict: h.verdict, brokers: h.brokers },
    expected: 'verdict cluster-down (no broker answers)',
    ok: h.verdict === 'cluster-down',
  };
}
