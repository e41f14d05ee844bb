/**
 * Topic names under MM2's replication policies (connect/mirror-client: DefaultReplicationPolicy.java,
 * IdentityReplicationPolicy.java).
 * - default: remote topic = `<sourceAlias><sep><topic>`; upstream topic strips one `<sourceAlias><sep>` prefix.
 * - identity: remote topic = source name (heartbeats stay prefixed).
 * - internal topics: `<src><isep>checkpoints.internal` (on the target), `mm2-offset-syncs<isep><target><isep>internal`
 *   where the internal separator `isep` is the configured separator when
 *   `replication.policy.internal.topic.separator.enabled` is true (the default since 3.1), else `.`. Both spellings
 *   are tried against the topics that exist, so the tool does not need to know that setting.
 * Provenance is never inferred from a dot alone: a local topic `my.topic` is not remote unless its prefix is the
 * flow's configured source alias.
 */
import type { FlowConfig } from '../clusters/schema.js';

/** The parts of a flow that naming depends on. */
export type NamingFlow = Pick<FlowConfig, 'source' | 'target' | 'replicationPolicy' | 'separator'>;

/** Remote (target-side) name of a source topic. */
export function remoteTopic(flow: NamingFlow, sourceTopic: string): string {
  if (flow.replicationPolicy === 'identity' && sourceTopic !== 'heartbeats') return sourceTopic;
  return `${flow.source}${flow.separator}${sourceTopic}`;
}

/** Source topic of a remote topic of this flow, or undefined when the topic did not come from the flow's source. */
export function upstreamTopic(flow: NamingFlow, targetTopic: string): string | undefined {
  if (flow.replicationPolicy === 'identity') return targetTopic;
  const prefix = `${flow.source}${flow.separator}`;
  return targetTopic.startsWith(prefix) && targetTopic.length > prefix.length ? targetTopic.slice(prefix.length) : undefined;
}

/** Candidate names of the checkpoints topic on the target (internal separator on, then off). */
export function checkpointsTopicCandidates(flow: NamingFlow): string[] {
  return unique([`${flow.source}${flow.separator}checkpoints.internal`, `${flow.source}.checkpoints.internal`]);
}

/** Candidate names of the offset-syncs topic (on the source by default, or on the target). */
export function offsetSyncsTopicCandidates(flow: NamingFlow): string[] {
  const s = flow.separator;
  return unique([`mm2-offset-syncs${s}${flow.target}${s}internal`, `mm2-offset-syncs.${flow.target}.internal`]);
}

/** Heartbeat topics on the target that may carry the source's heartbeats: the local one and the replicated one. */
export function heartbeatTopicCandidates(flow: NamingFlow): string[] {
  return unique(['heartbeats', `${flow.source}${flow.separator}heartbeats`]);
}

/** True when MM2 treats a topic as internal and never replicates it (MM2 DefaultReplicationPolicy.isInternalTopic). */
export function isInternalTopic(topic: string): boolean {
  return topic.startsWith('__') || topic.startsWith('.') || topic.endsWith('.internal') || topic.endsWith('-internal');
}

/** The first candidate that exists, or undefined. */
export function pickExisting(candidates: string[], existing: Iterable<string>): string | undefined {
  const set = new Set(existing);
  return candidates.find((c) => set.has(c));
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/**
 * Whether `topic` is an internal topic of the Kafka Streams application whose group (`application.id`) is `group`:
 * `<application.id>-<name>-repartition` or `<application.id>-<name>-changelog` (Kafka Streams'
 * InternalTopologyBuilder: internal topics are prefixed with the application id). The application creates and reads
 * its own copies on whichever cluster it runs: they are never moved, and their copies replicated by MM2 under a
 * prefix are never read.
 */
export function isStreamsInternalTopicOf(group: string, topic: string): boolean {
  return topic.startsWith(`${group}-`) && (topic.endsWith('-repartition') || topic.endsWith('-changelog'));
}
