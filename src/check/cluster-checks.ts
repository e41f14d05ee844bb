/**
 * Per-cluster readiness checks from metadata and topic configs (DescribeTopics, DescribeConfigs): replication
 * factor, min.insync.replicas, ISR at or below it, unclean leader election, under-replicated and offline partitions.
 */
import { partitionOffline, partitionUnderReplicated } from '../gates/cluster-health.js';
import type { KafkaPort } from '../kafka/port.js';
import type { Finding } from './findings.js';

/** Thresholds of the cluster checks. */
export interface ClusterThresholds {
  /** Smallest acceptable replication factor (default 3). */
  minReplicationFactor: number;
  /** Smallest acceptable min.insync.replicas (default 2). */
  minInsyncReplicas: number;
}

/**
 * Checks the topics of one cluster.
 * @param skipMinInsync topics whose min.insync.replicas is judged elsewhere (remote topics of a flow, whose fix
 *   differs: MM2 does not sync that config).
 */
export async function checkCluster(
  alias: string,
  port: KafkaPort,
  topicFilter: RegExp,
  t: ClusterThresholds,
  skipMinInsync: (topic: string) => boolean = () => false,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const live = new Set((await port.describeCluster()).brokers.map((b) => b.nodeId));
  const topics = (await port.describeTopics()).filter((x) => topicFilter.test(x.name));
  const configs = topics.length
    ? await port.describeConfigs(
        'topic',
        topics.map((x) => x.name),
      )
    : new Map<string, Map<string, string | null>>();
  for (const topic of topics) {
    const cfg = configs.get(topic.name) ?? new Map<string, string | null>();
    const rf = Math.max(0, ...topic.partitions.map((p) => p.replicas.length));
    const minIsr = Number(cfg.get('min.insync.replicas') ?? '1');
    const unclean = cfg.get('unclean.leader.election.enable') === 'true';
    if (rf < t.minReplicationFactor) {
      findings.push({
        id: 'replication-factor-low',
        severity: rf <= 1 ? 'high' : 'medium',
        where: alias,
        subject: topic.name,
        evidence: { replicationFactor: rf, expected: `≥ ${t.minReplicationFactor}`, partitions: topic.partitions.length },
        fix:
          rf <= 1
            ? 'One broker failure loses data: reassign the partitions to 3 replicas (kafka-reassign-partitions.sh) and set default.replication.factor=3.'
            : `Reassign the partitions to ${t.minReplicationFactor} replicas (kafka-reassign-partitions.sh).`,
      });
    }
    if (minIsr < t.minInsyncReplicas && rf > 1 && !skipMinInsync(topic.name)) {
      findings.push({
        id: 'min-insync-low',
        severity: 'medium',
        where: alias,
        subject: topic.name,
        evidence: { minInsyncReplicas: minIsr, replicationFactor: rf, expected: `≥ ${t.minInsyncReplicas}` },
        fix: `acks=all is acknowledged by ${minIsr} replica(s) alone: set min.insync.replicas=${t.minInsyncReplicas} on the topic (kafka-configs.sh --alter --add-config min.insync.replicas=${t.minInsyncReplicas}) or as the broker default.`,
      });
    }
    if (unclean) {
      findings.push({
        id: 'unclean-leader-election',
        severity: 'high',
        where: alias,
        subject: topic.name,
        evidence: { 'unclean.leader.election.enable': true },
        fix: 'An out-of-sync replica may become leader and truncate acknowledged records: set unclean.leader.election.enable=false.',
      });
    }
    const offline = topic.partitions.filter((p) => partitionOffline(p, live));
    const urp = topic.partitions.filter((p) => partitionUnderReplicated(p, live));
    const atMin = topic.partitions.filter((p) => !offline.includes(p) && rf > 1 && p.isr.length <= minIsr);
    if (offline.length) {
      findings.push({
        id: 'offline-partitions',
        severity: 'critical',
        where: alias,
        subject: topic.name,
        evidence: {
          offlinePartitions: offline.length,
          of: topic.partitions.length,
          partitions: offline.map((p) => p.partition),
          replicas: offline.map((p) => p.replicas),
        },
        fix: "No leader: bring the replicas' brokers back (do not enable unclean election unless losing data is accepted).",
      });
    }
    if (urp.length) {
      findings.push({
        id: 'under-replicated-partitions',
        severity: 'medium',
        where: alias,
        subject: topic.name,
        evidence: {
          underReplicatedPartitions: urp.length,
          of: topic.partitions.length,
          isr: urp.map((p) => `${p.partition}: ${p.isr.length}/${p.replicas.length}`),
        },
        fix: 'Find the broker missing from the ISR (down, slow disk, network) and bring it back in sync before any failover.',
      });
    }
    if (atMin.length) {
      findings.push({
        id: 'isr-at-or-below-min',
        severity: 'high',
        where: alias,
        subject: topic.name,
        evidence: { partitions: atMin.length, isr: atMin.map((p) => `${p.partition}: ${p.isr.length}`), minInsyncReplicas: minIsr },
        fix: `One more replica out of sync and acks=all writes fail (NotEnoughReplicas): restore the missing replicas, or raise the replication factor above min.insync.replicas (${minIsr}).`,
      });
    }
  }
  return findings;
}
