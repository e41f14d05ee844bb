/**
 * The Kafka port: everything steps and readers may ask of a cluster. Steps never import kafkajs; they receive a
 * `KafkaPort` in their context. `src/kafka/kafkajs-adapter.ts` implements it against real clusters.
 * Offsets are record offsets (numbers; Kafka offsets stay below 2^53). Times are epoch milliseconds.
 */

import type { AuthorizedOperations } from './authorized-operations.js';
export type { AclOperation, AuthorizedOperations, ResourceAuthz } from './authorized-operations.js';

/** A broker as the cluster describes it. */
export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  /** KafkaConfig `broker.rack` as Metadata (v1+) reports it; null when the broker has none. */
  rack?: string | null;
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

/**
 * A group's type (KIP-848 `GroupType`, as ListGroups v5 reports it): `classic` (JoinGroup/SyncGroup), `consumer`
 * (KIP-848 consumer protocol), `streams` (KIP-1071), `share` (KIP-932), or `unknown`: listed, but this tool could not
 * describe it (see {@link GroupInfo.unknownReason}). An `unknown` group must be treated as live (fail closed).
 */
export type GroupType = 'classic' | 'consumer' | 'streams' | 'share' | 'unknown';

/** A group as ListGroups lists it. */
export interface ListedGroup {
  groupId: string;
  /** Protocol type: `consumer` for consumer groups of either protocol, '' for groups made by admin commits. */
  protocolType: string;
  type: GroupType;
  /** GroupType exactly as ListGroups v5 answered it; null when the broker has no ListGroups v5 (all classic). */
  rawType?: string | null;
}

/** A live member of a group. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  /** Client host as the broker saw it, e.g. `/127.0.0.1`. */
  host: string;
}

/** A group as described by the API its type needs (docs/design/group-types.md). */
export interface GroupInfo {
  groupId: string;
  type: GroupType;
  /**
   * The broker's state name for the type: classic `Empty`, `Stable`, `PreparingRebalance`, `CompletingRebalance`,
   * `Dead` (also: no such group); consumer `Empty`, `Assigning`, `Reconciling`, `Stable`, `Dead`; `Unknown` when the
   * group could not be described.
   */
  state: string;
  /** `consumer` for consumer groups (either protocol); '' when unknown or for groups made by admin commits. */
  protocolType: string;
  /** Number of live members (`memberDetails.length`). */
  members: number;
  memberDetails: GroupMember[];
  /** Why the group is `unknown` (the API the broker lacks, the error it answered); absent when described. */
  unknownReason?: string;
  /**
   * Streams groups (KIP-1071): the topics of the application's topology as StreamsGroupDescribe reports them; absent
   * for other types and for a streams group without a topology yet.
   */
  streamsTopology?: {
    /** Input topics the application reads. */
    sourceTopics: string[];
    /** Its internal repartition topics (`<application.id>-…-repartition`). */
    repartitionTopics: string[];
    /** Its state stores' changelog topics (`<application.id>-…-changelog`). */
    changelogTopics: string[];
  };
}

/** A share group's position on one partition (KIP-932): the share-partition start offset (SPSO). */
export interface ShareStartOffset {
  topic: string;
  partition: number;
  /**
   * The share-partition start offset: every record below it is acknowledged (or archived); records at and above it
   * may still be delivered (some above it may already be acknowledged: share groups acknowledge out of order).
   */
  startOffset: number;
  /** Records from the start offset to the partition's end (DescribeShareGroupOffsets v1), or null when not reported. */
  lag: number | null;
}

/** The cluster (or the group's coordinator) lacks an API an operation needs; nothing was written. */
export class GroupApiUnavailableError extends Error {
  constructor(
    readonly api: string,
    readonly brokerId: number,
    readonly supported: { min: number; max: number },
  ) {
    super(`broker ${brokerId} does not serve ${api} v${supported.min}–v${supported.max} (Kafka 4.1+ for share group offsets)`);
  }
}

/** One line naming a group's type, state and members, for gate observations and errors. */
export function describeGroupForHumans(g: GroupInfo): string {
  if (g.type === 'unknown') return `${g.groupId} (type unknown, ${g.state}: ${g.unknownReason ?? 'not described'})`;
  const who = g.memberDetails.map((m) => `${m.memberId} client ${m.clientId} host ${m.host}`).join('; ');
  return `${g.groupId} (type ${g.type}, ${g.state}, ${g.members} member(s)${who ? `: ${who}` : ''})`;
}

/** Whether an admin offset commit may go ahead: a described group with no members, `Empty` or `Dead`. */
export function groupIsCommittable(g: GroupInfo): boolean {
  return g.type !== 'unknown' && g.members === 0 && (g.state === 'Empty' || g.state === 'Dead');
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

/**
 * Per group API, the version this tool uses with every broker of a cluster, or `null` when a broker lacks it (or has
 * only versions this tool cannot read): ListGroups v3–v5 (group types from v5), ConsumerGroupDescribe (KIP-848, Kafka
 * 4.0+), ShareGroupDescribe (KIP-932). Without ListGroups v3+, groups are listed with kafkajs's v0–v2, all classic.
 */
export interface GroupApiSupport {
  ListGroups: number | null;
  ConsumerGroupDescribe: number | null;
  ShareGroupDescribe: number | null;
  /** StreamsGroupDescribe (KIP-1071, Kafka 4.1+). */
  StreamsGroupDescribe: number | null;
  /** DescribeShareGroupOffsets / AlterShareGroupOffsets: reading and setting share groups' start offsets (4.1+). */
  DescribeShareGroupOffsets: number | null;
  AlterShareGroupOffsets: number | null;
  /** Highest ConsumerGroupHeartbeat version every broker advertises: `null` = consumer-protocol members are refused. */
  ConsumerGroupHeartbeat: number | null;
}

/**
 * A broker as DescribeCluster reports it (docs/design/stretch-clusters.md): with its rack and, from Kafka 4.0
 * (DescribeCluster v2, KIP-1073), the brokers the controller has fenced (registered but not heartbeating: down).
 */
export interface RackedBroker extends BrokerInfo {
  rack: string | null;
  /** True when fenced; null when the cluster cannot list fenced brokers (before Kafka 4.0: they are then absent). */
  fenced: boolean | null;
  /**
   * Whether this tool could open a connection to the broker just now; null when not probed (a fenced broker is not
   * in Metadata, so this tool has no address for it). Fenced = the cluster's view; reachable = this tool's view.
   */
  reachable: boolean | null;
}

/** One voter or observer of the KRaft metadata log (DescribeQuorumResponse ReplicaState). Times: epoch ms, −1 unknown. */
export interface QuorumReplica {
  nodeId: number;
  /** Offset after the last metadata record this replica has; −1 when unknown. */
  logEndOffset: number;
  /** When it last fetched from the leader (−1 for the leader itself, or unknown). */
  lastFetchTimestamp: number;
  /** The leader's append time of the offset it last caught up to. */
  lastCaughtUpTimestamp: number;
}

/** The KRaft controller quorum (DescribeQuorumResponse v1–v2, KIP-595 / KIP-853). */
export interface QuorumDescription {
  /** Active controller's node id. */
  leaderId: number;
  leaderEpoch: number;
  /** High watermark of the metadata log (records). */
  highWatermark: number;
  voters: QuorumReplica[];
  observers: QuorumReplica[];
}

/** The controller quorum could not be described: no active controller answered (quorum lost, or none elected yet). */
export class QuorumUnavailableError extends Error {}

/** One partition's preferred-leader election result (ElectLeadersResponse). */
export interface ElectionResult {
  topic: string;
  partition: number;
  /** `elected`; `not-needed` (the preferred replica leads already); `failed` (see `error`). */
  outcome: 'elected' | 'not-needed' | 'failed';
  error?: string;
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
  /** Every group on every broker, with its type (ListGroups v5; classic only on brokers without it). */
  listGroups(): Promise<ListedGroup[]>;
  /**
   * Groups by id, in that order, each described by the API its type needs (DescribeGroups, ConsumerGroupDescribe,
   * ShareGroupDescribe). A group that does not exist is `Dead` with no members; a listed group that cannot be
   * described is type `unknown` (never empty).
   */
  describeGroups(groupIds: string[]): Promise<GroupInfo[]>;
  /** The group APIs every broker of the cluster serves to this tool (version, or null when unavailable). */
  groupApis(): Promise<GroupApiSupport>;
  /** A group's committed offsets (partitions without a commit are left out). Read-only: never resolves or writes. */
  committedOffsets(groupId: string): Promise<CommittedOffset[]>;
  /**
   * A share group's share-partition start offsets (DescribeShareGroupOffsets), partitions without state left out.
   * @throws GroupApiUnavailableError when the cluster lacks the API.
   */
  shareGroupOffsets(groupId: string): Promise<ShareStartOffset[]>;
  /**
   * Sets a share group's start offsets (AlterShareGroupOffsets), as `kafka-share-groups.sh --reset-offsets
   * --execute` does. Refused (GroupNotEmptyError, nothing written) when the group has members or exists as another
   * type; offsets must be ≥ 0. `described`: the group as the caller described it just before (a batch describe of
   * many groups), used instead of describing it again — describing one group lists every group of the cluster.
   * @throws GroupApiUnavailableError when the cluster lacks the API.
   */
  alterShareGroupOffsets(groupId: string, offsets: { topic: string; partition: number; startOffset: number }[], described?: GroupInfo): Promise<void>;
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
   * group has members; offsets must be ≥ 0; each partition's metadata is written as given. `described`: as for
   * {@link KafkaPort.alterShareGroupOffsets} (the broker refuses an admin commit to a group with members too:
   * UNKNOWN_MEMBER_ID, ClassicGroup/ConsumerGroup validateOffsetCommit).
   */
  commitOffsets(groupId: string, offsets: OffsetToCommit[], described?: GroupInfo): Promise<void>;
  /** Every broker with its rack; fenced ones included where the cluster lists them (DescribeCluster v2). */
  describeBrokers(): Promise<RackedBroker[]>;
  /**
   * The KRaft controller quorum (DescribeQuorum, forwarded by a broker to the active controller).
   * @throws QuorumUnavailableError when no active controller answers (e.g. a quorum that lost its majority).
   */
  describeQuorum(): Promise<QuorumDescription>;
  /** Elects the preferred replica (first of `replicas`) as leader of each partition (ElectLeaders type PREFERRED; never unclean). */
  electPreferredLeaders(partitions: { topic: string; partition: number }[]): Promise<ElectionResult[]>;
  /**
   * Changes topic-level configs with IncrementalAlterConfigs: a value sets it, `null` deletes the topic-level value
   * (the broker default applies again); other configs of the topic are left as they are.
   * @throws Error naming the topic and Kafka's error (e.g. INVALID_CONFIG).
   */
  alterTopicConfigs(topic: string, configs: Record<string, string | null>): Promise<void>;
  /**
   * What this client's principal may do on the cluster, on each named topic and on each named group, as the cluster
   * answers it (KIP-430 authorized operations: Metadata, DescribeGroups, DescribeCluster). Read-only; needs no ACL
   * beyond DESCRIBE on what it reports. Semantics per resource: src/kafka/authorized-operations.ts.
   */
  authorizedOperations(q: { topics: string[]; groups: string[] }): Promise<AuthorizedOperations>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** A group has members (or could not be described), so its offsets cannot be set (nothing was written). */
export class GroupNotEmptyError extends Error {
  readonly groupId: string;
  readonly state: string;
  readonly members: number;
  readonly type: GroupType;
  constructor(
    readonly group: GroupInfo,
    cluster: string,
  ) {
    const who =
      group.type === 'unknown'
        ? (group.unknownReason ?? 'not described')
        : group.memberDetails.map((m) => `${m.memberId} client ${m.clientId} host ${m.host}`).join('; ');
    super(
      `consumer group "${group.groupId}" on ${cluster} is ${group.state} with ${group.members} member(s), type ${group.type}${who ? `: ${who}` : ''}; its offsets can only be set while it has none`,
    );
    this.groupId = group.groupId;
    this.state = group.state;
    this.members = group.members;
    this.type = group.type;
  }
}
