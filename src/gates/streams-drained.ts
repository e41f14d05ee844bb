/**
 * The gate that keeps a Kafka Streams application from being stopped with records in flight in its repartition
 * topics: once the application stops, what it wrote there but had not read back yet is never processed on the target
 * (the application recreates its internal topics there and MM2's prefixed copies are never read).
 */
import type { GateResult } from '../engine/events.js';
import type { CommittedOffset, KafkaPort, PartitionOffsets } from '../kafka/port.js';
import { isStreamsInternalTopicOf } from '../mm2/naming.js';

/** One repartition partition of one application: its committed offset, the log end, and the records in between. */
export interface RepartitionBacklog {
  application: string;
  topic: string;
  partition: number;
  /** The application's committed offset, or null when it has not committed on the partition yet (then the log start counts). */
  committedOffset: number | null;
  highWatermark: number;
  /** Records written to the partition and not yet consumed by the application (high watermark − committed offset). */
  inFlightRecords: number;
}

/**
 * The repartition backlog of every Kafka Streams application among `groups` on `cluster`. An application is a group
 * with commits on its own repartition topics (`<application.id>-…-repartition`, either group protocol), or a streams
 * group whose topology lists repartition topics (StreamsGroupDescribe); every partition of those topics is measured.
 * Reads only: ListGroups/describe, OffsetFetch, ListOffsets.
 * @param groups group ids to look at (e.g. the runbook's groups selection).
 */
export async function repartitionBacklog(cluster: KafkaPort, groups: readonly string[]): Promise<RepartitionBacklog[]> {
  const described = await cluster.describeGroups([...groups]);
  const out: RepartitionBacklog[] = [];
  for (const g of described) {
    const commits: CommittedOffset[] = g.type === 'share' || g.type === 'unknown' ? [] : await cluster.committedOffsets(g.groupId);
    const topics = new Set([
      ...commits.filter((c) => isStreamsInternalTopicOf(g.groupId, c.topic) && c.topic.endsWith('-repartition')).map((c) => c.topic),
      ...(g.streamsTopology?.repartitionTopics ?? []),
    ]);
    for (const topic of [...topics].sort()) {
      let bounds: PartitionOffsets[];
      try {
        bounds = await cluster.partitionOffsets(topic);
      } catch {
        continue; // not created yet: nothing written to it
      }
      for (const b of bounds) {
        const committed = commits.find((c) => c.topic === topic && c.partition === b.partition)?.offset ?? null;
        const from = committed ?? b.logStartOffset;
        out.push({
          application: g.groupId,
          topic,
          partition: b.partition,
          committedOffset: committed,
          highWatermark: b.highWatermark,
          inFlightRecords: Math.max(0, b.highWatermark - from),
        });
      }
    }
  }
  return out;
}

/**
 * `streams-repartition-drained`: at most `maxInFlightRecords` records (default 0) in flight in the applications'
 * repartition topics. Observed: the applications found and every partition with records in flight.
 */
export function streamsDrainedGate(backlog: readonly RepartitionBacklog[], maxInFlightRecords: number, cluster: string): GateResult {
  const inFlight = backlog.filter((b) => b.inFlightRecords > 0);
  const total = inFlight.reduce((s, b) => s + b.inFlightRecords, 0);
  return {
    id: 'streams-repartition-drained',
    description: `Kafka Streams applications on ${cluster} have consumed their repartition topics (records there are lost when they stop)`,
    observed: {
      applications: [...new Set(backlog.map((b) => b.application))],
      inFlightRecords: total,
      partitions: inFlight
        .slice(0, 20)
        .map(
          (b) =>
            `${b.application} ${b.topic}/${b.partition}: committed ${b.committedOffset ?? 'none'}, log end ${b.highWatermark} (${b.inFlightRecords} in flight)`,
        ),
    },
    expected: `≤ ${maxInFlightRecords} records in flight`,
    ok: total <= maxInFlightRecords,
    remaining: { value: total, unit: 'records in flight in repartition topics' },
  };
}
