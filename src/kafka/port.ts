/**
 * The Kafka port: everything steps and readers may ask of a cluster. Steps never import kafkajs; they receive a
 * `KafkaPort` in their context. `src/kafka/kafkajs-adapter.ts` implements it against real clusters.
 * Offsets are record offsets (numbers; Kafka offsets stay below 2^53). Times are epoch milliseconds.
 */

/** A broker as the cluster describes it. */
export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

/** describe-cluster. */
export interface ClusterDescription {
  clusterId: string;
  controllerId: number | null;
  brokers: BrokerInfo[];
}

/** One partition's placement. `leader` is -1 when the partition is offline. */
export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

/** One topic with its partitions. */
export interface TopicInfo {
  name: string;
  partitions: PartitionInfo[];
}

/** A consumer group as listed and described. */
export interface GroupInfo {
  groupId: string;
  /** `Empty`, `Stable`, `PreparingRebalance`, `CompletingRebalance`, `Dead`, or `Unknown`. */
  state: string;
  /** `consumer` for classic consumer groups; '' when unknown. */
  protocolType: string;
  members: number;
}

/** A committed offset of a group on one partition. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  /** Next record the group will consume. */
  offset: number;
  /** Commit metadata; '' when none (as Java's OffsetAndMetadata). */
  metadata: string;
}

/** Log start offset and high watermark of one partition. */
export interface PartitionOffsets {
  partition: number;
  /** Log start offset (earliest available record). */
  logStartOffset: number;
  /** High watermark: offset after the last replicated record (READ_UNCOMMITTED end). */
  highWatermark: number;
}

/** A record as read (offset, timestamp in epoch ms, raw key and value). */
export type { RawRecord as ReadRecord } from './read-partition.js';
import type { RawRecord as ReadRecord } from './read-partition.js';

/** One offset to commit. Offsets must be ≥ 0. */
export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

/** What the tool asks of a Kafka cluster. Every method may throw on network or protocol errors. */
export interface KafkaPort {
  /** The cluster's alias in the clusters file (used in messages). */
  readonly alias: string;
  describeCluster(): Promise<ClusterDescription>;
  /** Topic names (internal `__*` topics included). */
  listTopics(): Promise<string[]>;
  /** Topics with partitions, leaders, replicas, ISR and offline replicas (all topics when `names` is omitted). */
  describeTopics(names?: string[]): Promise<TopicInfo[]>;
  /** Config entries of topics or brokers: name → (entry name → value). */
  describeConfigs(kind: 'topic' | 'broker', names: string[]): Promise<Map<string, Map<string, string | null>>>;
  listGroups(): Promise<{ groupId: string; protocolType: string }[]>;
  describeGroups(groupIds: string[]): Promise<GroupInfo[]>;
  /** A group's committed offsets (partitions without a commit are left out). Read-only: never resolves or writes. */
  committedOffsets(groupId: string): Promise<CommittedOffset[]>;
  /** Log start and high watermark of every partition of a topic. */
  partitionOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** The earliest offset whose timestamp is ≥ `timestampMs`, per partition (−1 when none). */
  offsetsForTimestamp(topic: string, timestampMs: number): Promise<{ partition: number; offset: number }[]>;
  /** Reads `[fromOffset, toOffset)` of a partition without a consumer group. */
  readRange(topic: string, partition: number, fromOffset: number, toOffset: number, onRecord: (r: ReadRecord) => void): Promise<void>;
  /** Creates a topic (no error when it already exists). `configs`: topic configs, e.g. cleanup.policy=compact. */
  createTopic(name: string, partitions: number, replicationFactor?: number, configs?: Record<string, string>): Promise<void>;
  /** Produces records (acks=all) and returns their offsets. */
  produce(
    topic: string,
    records: { key?: string | Buffer | null; value: string | Buffer; partition?: number }[],
  ): Promise<{ partition: number; offset: number }[]>;
  /**
   * Commits offsets for a group with the admin semantics of `kafka-consumer-groups.sh --reset-offsets --execute`:
   * OffsetCommit with generation −1 and an empty member id, no group join. Refused (GroupNotEmptyError) when the
   * group has members; offsets must be ≥ 0; each partition's metadata is written as given.
   */
  commitOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** A group has members, so its offsets cannot be set (the safe outcome: nothing was written). */
export class GroupNotEmptyError extends Error {
  constructor(
    readonly groupId: string,
    readonly state: string,
    readonly members: number,
    cluster: string,
  ) {
    super(`consumer group "${groupId}" on ${cluster} is ${state} with ${members} member(s); its offsets can only be set while it has none`);
  }
}
