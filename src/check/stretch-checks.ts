/**
 * `check` findings for stretch clusters (a flow of `kind: stretch`; docs/design/stretch-clusters.md): replicas of a
 * partition all in one rack, a min.insync.replicas that one site can satisfy alone, a controller quorum that one
 * site's loss breaks, brokers without `broker.rack`. Read-only.
 */
import { assessQuorum, parseControllerSites, placementIssues, sitesBreakingQuorum } from '../gates/stretch.js';
import type { KafkaPort } from '../kafka/port.js';
import type { Finding } from './findings.js';
import { ANCHOR_TOPIC } from '../engine/audit-anchor.js';
import { LEASE_TOPIC } from '../engine/lock.js';
import { minIsrOf } from '../steps/stretch-read.js';

const TOOL_TOPICS = [LEASE_TOPIC, ANCHOR_TOPIC];

/**
 * Checks one stretch cluster.
 * @param controllerSites controller-only voters and their sites (`5=c`); combined nodes take their broker rack.
 * @throws when the cluster cannot be read (the caller reports the check as incomplete).
 */
export async function checkStretchCluster(alias: string, port: KafkaPort, topicFilter: RegExp, controllerSites: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const brokers = await port.describeBrokers();
  // The tool's own topics (run lease, audit anchor) are meant to stay writable during a site loss.
  const topics = (await port.describeTopics()).filter((t) => topicFilter.test(t.name) && !TOOL_TOPICS.includes(t.name));
  const minIsr = await minIsrOf(port, topics);
  for (const issue of placementIssues(topics, brokers, minIsr)) {
    if (issue.kind === 'rack-missing')
      findings.push({
        id: 'stretch-rack-missing',
        severity: 'high',
        where: alias,
        subject: 'brokers',
        evidence: issue.evidence,
        fix: 'Set broker.rack to the site of every broker (and restart it): without it replicas are not spread across sites and a site loss can take every copy.',
      });
    else if (issue.kind === 'replicas-in-one-rack')
      findings.push({
        id: 'stretch-replicas-one-rack',
        severity: 'critical',
        where: alias,
        subject: issue.topic,
        evidence: issue.evidence,
        fix: `Reassign the partitions so their replicas span both sites (kafka-reassign-partitions.sh); losing rack ${String(issue.evidence.rack)} loses every copy.`,
      });
    else
      findings.push({
        id: 'stretch-min-isr-one-site',
        severity: 'high',
        where: alias,
        subject: issue.topic,
        evidence: issue.evidence,
        fix: `Raise min.insync.replicas above ${String(issue.evidence.maxReplicasInOneRack)} (the most replicas one site holds): otherwise an acknowledged acks=all write may exist in one site only and be lost with it.`,
      });
  }
  let quorum: Awaited<ReturnType<KafkaPort['describeQuorum']>> | undefined;
  try {
    quorum = await port.describeQuorum();
  } catch {
    quorum = undefined;
  }
  if (quorum) {
    const a = assessQuorum(quorum, brokers, parseControllerSites(controllerSites), Date.now(), Number.MAX_SAFE_INTEGER);
    const breaking = sitesBreakingQuorum(a.voters.map((v) => v.site));
    if (breaking.length)
      findings.push({
        id: 'stretch-quorum-one-site',
        severity: 'critical',
        where: alias,
        subject: 'controller quorum',
        evidence: { voters: a.voters.map((v) => `${v.nodeId}@${v.site}`), majority: a.majority, sitesWhoseLossBreaksQuorum: breaking },
        fix: 'Place one controller voter per site with a tie-breaker in a third site (KIP-853 add-controller / remove-controller), so that losing any one site leaves a majority.',
      });
  }
  return findings;
}
