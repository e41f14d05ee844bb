/**
 * Encoders and decoders for the group requests kafkajs 2.2.4 does not speak (it stops at ListGroups v2 and
 * DescribeGroups v2): ListGroups v3–v5, ConsumerGroupDescribe (API key 69, KIP-848) and ShareGroupDescribe (API key
 * 77, KIP-932). Written with kafkajs's own Encoder/Decoder, like its flexible `listPartitionReassignments` request:
 * the first byte of a flexible request body is the request header's (empty) tagged-field section, and a flexible
 * response starts with the response header's tagged fields. Pure functions of bytes; sent by `group-types.ts`.
 *
 * Layouts from Apache Kafka's message definitions, `clients/src/main/resources/common/message/`:
 * - `ListGroupsRequest.json` / `ListGroupsResponse.json` (v3 first flexible, v4 StatesFilter / GroupState,
 *   v5 TypesFilter / GroupType);
 * - `ConsumerGroupDescribeRequest.json` / `ConsumerGroupDescribeResponse.json` (v0; v1 adds the member's MemberType
 *   int8, KIP-1099; flexible from v0);
 * - `ShareGroupDescribeRequest.json` / `ShareGroupDescribeResponse.json` (v0 early access in 4.0, v1 the same layout);
 * - `OffsetFetchRequest.json` / `OffsetFetchResponse.json` (v8, KIP-709: Groups [GroupId, Topics (null: all)],
 *   RequireStable; answer per group: Topics [Name, Partitions [PartitionIndex, CommittedOffset, CommittedLeaderEpoch,
 *   Metadata, ErrorCode]], ErrorCode);
 * - `FindCoordinatorRequest.json` / `FindCoordinatorResponse.json` (v4, flexible: KeyType, CoordinatorKeys; one
 *   answer per key with NodeId, Host, Port, ErrorCode, ErrorMessage);
 * - `StreamsGroupDescribeRequest.json` / `StreamsGroupDescribeResponse.json` (API key 89, KIP-1071; v1 adds
 *   IncludeTopologyDescription and the group's TopologyDescription, TopologyDescriptionStatus, AssignorName);
 * - `DescribeShareGroupOffsetsRequest.json` / `DescribeShareGroupOffsetsResponse.json` (API key 90; v1 adds Lag);
 * - `AlterShareGroupOffsetsRequest.json` / `AlterShareGroupOffsetsResponse.json` (API key 91, v0).
 * The layouts of the last three were taken from the generated classes of kafka-clients 4.4.0 (their `SCHEMAS`), and
 * test/unit/kafka/fixtures/MessageFixtures.java writes golden bytes with those classes for the unit tests.
 */
import { createRequire } from 'node:module';

const requireCjs = createRequire(import.meta.url);

/** kafkajs 2.2.4's protocol encoder (src/protocol/encoder.js): the methods used here. */
export interface KafkajsEncoder {
  writeInt8(v: number): KafkajsEncoder;
  writeInt16(v: number): KafkajsEncoder;
  writeInt32(v: number): KafkajsEncoder;
  /** Big-endian int64 from a number or a decimal string (kafkajs converts with long.js `Long.fromValue`). */
  writeInt64(v: number | string): KafkajsEncoder;
  writeBoolean(v: boolean): KafkajsEncoder;
  /** Compact (nullable) string: unsigned varint length + 1, then UTF-8. */
  writeUVarIntString(v: string | null): KafkajsEncoder;
  /** With no argument: an empty tagged-field section (one 0 byte). */
  writeUVarIntBytes(v?: Buffer | string | null): KafkajsEncoder;
  /** Compact array of encoders (length + 1). */
  writeUVarIntArray(a: KafkajsEncoder[] | null): KafkajsEncoder;
  buffer: Buffer;
}

/** kafkajs 2.2.4's protocol decoder (src/protocol/decoder.js): the methods used here. */
export interface KafkajsDecoder {
  readInt8(): number;
  readInt16(): number;
  readInt32(): number;
  /** Big-endian int64 as a BigInt (kafkajs 2.2.4 decoder.js readInt64). */
  readInt64(): bigint;
  readBoolean(): boolean;
  readBytes(length: number): Buffer;
  readUVarIntString(): string | null;
  readUVarIntArray<T>(reader: (d: KafkajsDecoder) => T): T[] | null;
  readTaggedFields(): unknown;
}

const Encoder = requireCjs('kafkajs/src/protocol/encoder.js') as new () => KafkajsEncoder;
const Decoder = requireCjs('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => KafkajsDecoder;

/** API keys (Kafka protocol guide, `ApiKeys.java`). */
export const API_KEYS = {
  OffsetFetch: 9,
  FindCoordinator: 10,
  ListGroups: 16,
  ConsumerGroupDescribe: 69,
  ShareGroupDescribe: 77,
  StreamsGroupDescribe: 89,
  DescribeShareGroupOffsets: 90,
  AlterShareGroupOffsets: 91,
} as const;

/** The versions this tool can encode and decode, per API (inclusive). */
export const SUPPORTED_VERSIONS = {
  // v4 (KIP-699, Kafka 3.0) looks up many keys at once; v5/v6 only add error semantics and key types this tool
  // does not use, so v4 is what it sends.
  FindCoordinator: { min: 4, max: 4 },
  // v8 (KIP-709, Kafka 3.0) fetches many groups' offsets in one request; v9 adds the KIP-848 member id and epoch
  // (for members, not an admin reader) and v10 topic ids in place of names, so v8 is what it sends.
  OffsetFetch: { min: 8, max: 8 },
  ListGroups: { min: 3, max: 5 },
  ConsumerGroupDescribe: { min: 0, max: 1 },
  ShareGroupDescribe: { min: 0, max: 1 },
  StreamsGroupDescribe: { min: 0, max: 1 },
  DescribeShareGroupOffsets: { min: 0, max: 1 },
  AlterShareGroupOffsets: { min: 0, max: 0 },
} as const;

/** A broker's advertised range of one API (kafkajs `broker.versions[apiKey]`, from ApiVersions). */
export interface ApiRange {
  minVersion: number;
  maxVersion: number;
}

/**
 * The highest version both sides support, or null when the ranges do not overlap (the broker lacks the API, or
 * only has versions this tool cannot read).
 */
export function negotiateVersion(broker: ApiRange | undefined, ours: { min: number; max: number }): number | null {
  if (!broker) return null;
  const v = Math.min(broker.maxVersion, ours.max);
  return v >= Math.max(broker.minVersion, ours.min) ? v : null;
}

const strings = (xs: readonly string[]) => xs.map((x) => new Encoder().writeUVarIntString(x));

/** ListGroups v3–v5 request body (empty filters: every group, with its state (v4+) and type (v5+)). */
export function encodeListGroups(version: number): Buffer {
  const e = new Encoder().writeUVarIntBytes(); // request header v2 tagged fields
  if (version >= 4) e.writeUVarIntArray(strings([])); // StatesFilter
  if (version >= 5) e.writeUVarIntArray(strings([])); // TypesFilter
  return e.writeUVarIntBytes().buffer; // body tagged fields
}

/** One group as ListGroups lists it. `groupState`/`groupType` are null below v4/v5. */
export interface ListedGroupRaw {
  groupId: string;
  protocolType: string;
  groupState: string | null;
  groupType: string | null;
}

/** Decodes a ListGroups v3–v5 response. */
export function decodeListGroups(version: number, data: Buffer): { errorCode: number; groups: ListedGroupRaw[] } {
  const d = new Decoder(data);
  d.readTaggedFields(); // response header v1
  d.readInt32(); // ThrottleTimeMs
  const errorCode = d.readInt16();
  const groups =
    d.readUVarIntArray((g) => {
      const r: ListedGroupRaw = {
        groupId: g.readUVarIntString() ?? '',
        protocolType: g.readUVarIntString() ?? '',
        groupState: version >= 4 ? g.readUVarIntString() : null,
        groupType: version >= 5 ? g.readUVarIntString() : null,
      };
      g.readTaggedFields();
      return r;
    }) ?? [];
  d.readTaggedFields();
  return { errorCode, groups };
}

/** FindCoordinator v4 request body: key type GROUP (0) and the group ids, looked up in one request. */
export function encodeFindGroupCoordinators(groupIds: readonly string[]): Buffer {
  return new Encoder()
    .writeUVarIntBytes() // request header v2 tagged fields
    .writeInt8(0) // KeyType: GROUP
    .writeUVarIntArray(strings(groupIds)) // CoordinatorKeys
    .writeUVarIntBytes().buffer;
}

/** One key's coordinator as FindCoordinator v4 answers it. `errorCode` 0 means found. */
export interface FoundCoordinatorRaw {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

/** Decodes a FindCoordinator v4 response. */
export function decodeFindCoordinators(data: Buffer): FoundCoordinatorRaw[] {
  const d = new Decoder(data);
  d.readTaggedFields(); // response header v1
  d.readInt32(); // ThrottleTimeMs
  const out =
    d.readUVarIntArray((c) => {
      const r: FoundCoordinatorRaw = {
        key: c.readUVarIntString() ?? '',
        nodeId: c.readInt32(),
        host: c.readUVarIntString() ?? '',
        port: c.readInt32(),
        errorCode: c.readInt16(),
        errorMessage: c.readUVarIntString(),
      };
      c.readTaggedFields();
      return r;
    }) ?? [];
  d.readTaggedFields();
  return out;
}

/**
 * OffsetFetch v8 request body: every committed offset of each group (Topics null), RequireStable false — an admin
 * read, as `Admin.listConsumerGroupOffsets` sends it (a pending transactional commit is not waited for).
 */
export function encodeOffsetFetchGroups(groupIds: readonly string[]): Buffer {
  return new Encoder()
    .writeUVarIntBytes() // request header v2 tagged fields
    .writeUVarIntArray(
      groupIds.map((g) =>
        new Encoder()
          .writeUVarIntString(g) // GroupId
          .writeUVarIntArray(null) // Topics: null = all
          .writeUVarIntBytes(),
      ),
    ) // Groups
    .writeBoolean(false) // RequireStable
    .writeUVarIntBytes().buffer;
}

/** One partition's committed offset as OffsetFetch v8 answers it (offset −1: no commit). */
export interface FetchedOffsetRaw {
  topic: string;
  partition: number;
  /** Committed offset as a BigInt (an int64 on the wire); −1 when the partition has no commit. */
  offset: bigint;
  metadata: string | null;
  errorCode: number;
}

/** One group's answer to OffsetFetch v8. `errorCode` 0 means read. */
export interface FetchedGroupOffsetsRaw {
  groupId: string;
  errorCode: number;
  partitions: FetchedOffsetRaw[];
}

/** Decodes an OffsetFetch v8 response. */
export function decodeOffsetFetchGroups(data: Buffer): FetchedGroupOffsetsRaw[] {
  const d = new Decoder(data);
  d.readTaggedFields(); // response header v1
  d.readInt32(); // ThrottleTimeMs
  const groups =
    d.readUVarIntArray((g) => {
      const groupId = g.readUVarIntString() ?? '';
      const partitions: FetchedOffsetRaw[] = [];
      g.readUVarIntArray((t) => {
        const topic = t.readUVarIntString() ?? '';
        t.readUVarIntArray((p) => {
          const partition = p.readInt32();
          const offset = p.readInt64();
          p.readInt32(); // CommittedLeaderEpoch
          const metadata = p.readUVarIntString();
          const errorCode = p.readInt16();
          p.readTaggedFields();
          partitions.push({ topic, partition, offset, metadata, errorCode });
          return null;
        });
        t.readTaggedFields();
        return null;
      });
      const errorCode = g.readInt16();
      g.readTaggedFields();
      return { groupId, errorCode, partitions };
    }) ?? [];
  d.readTaggedFields();
  return groups;
}

/** ConsumerGroupDescribe / ShareGroupDescribe request body (same layout in v0 and v1): group ids, no ACL bits. */
export function encodeDescribeGroups(groupIds: readonly string[]): Buffer {
  return new Encoder()
    .writeUVarIntBytes() // request header v2 tagged fields
    .writeUVarIntArray(strings(groupIds)) // GroupIds
    .writeBoolean(false) // IncludeAuthorizedOperations
    .writeUVarIntBytes().buffer;
}

/** A live member of a group, as ConsumerGroupDescribe / ShareGroupDescribe report it. */
export interface DescribedMemberRaw {
  memberId: string;
  clientId: string;
  clientHost: string;
}

/** One group as ConsumerGroupDescribe / ShareGroupDescribe describe it. `errorCode` 0 means described. */
export interface DescribedGroupRaw {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  members: DescribedMemberRaw[];
}

/** Skips an `Assignment` struct: TopicPartitions [TopicId uuid, TopicName, Partitions [int32]], tagged fields. */
function skipAssignment(d: KafkajsDecoder): void {
  d.readUVarIntArray((t) => {
    t.readBytes(16); // TopicId
    t.readUVarIntString(); // TopicName
    t.readUVarIntArray((p) => p.readInt32());
    t.readTaggedFields();
    return null;
  });
  d.readTaggedFields();
}

function decodeDescribed(data: Buffer, member: (d: KafkajsDecoder) => DescribedMemberRaw): DescribedGroupRaw[] {
  const d = new Decoder(data);
  d.readTaggedFields(); // response header v1
  d.readInt32(); // ThrottleTimeMs
  const groups =
    d.readUVarIntArray((g) => {
      const errorCode = g.readInt16();
      const errorMessage = g.readUVarIntString();
      const groupId = g.readUVarIntString() ?? '';
      const groupState = g.readUVarIntString() ?? '';
      g.readInt32(); // GroupEpoch
      g.readInt32(); // AssignmentEpoch
      g.readUVarIntString(); // AssignorName
      const members = g.readUVarIntArray(member) ?? [];
      g.readInt32(); // AuthorizedOperations
      g.readTaggedFields();
      return { errorCode, errorMessage, groupId, groupState, members };
    }) ?? [];
  d.readTaggedFields();
  return groups;
}

/** Decodes a ConsumerGroupDescribe v0–v1 response (v1: each member ends with MemberType int8). */
export function decodeConsumerGroupDescribe(version: number, data: Buffer): DescribedGroupRaw[] {
  return decodeDescribed(data, (m) => {
    const memberId = m.readUVarIntString() ?? '';
    m.readUVarIntString(); // InstanceId
    m.readUVarIntString(); // RackId
    m.readInt32(); // MemberEpoch
    const clientId = m.readUVarIntString() ?? '';
    const clientHost = m.readUVarIntString() ?? '';
    m.readUVarIntArray((s) => s.readUVarIntString()); // SubscribedTopicNames
    m.readUVarIntString(); // SubscribedTopicRegex
    skipAssignment(m); // Assignment
    skipAssignment(m); // TargetAssignment
    if (version >= 1) m.readInt8(); // MemberType
    m.readTaggedFields();
    return { memberId, clientId, clientHost };
  });
}

/** Decodes a ShareGroupDescribe v0–v1 response. */
export function decodeShareGroupDescribe(data: Buffer): DescribedGroupRaw[] {
  return decodeDescribed(data, (m) => {
    const memberId = m.readUVarIntString() ?? '';
    m.readUVarIntString(); // RackId
    m.readInt32(); // MemberEpoch
    const clientId = m.readUVarIntString() ?? '';
    const clientHost = m.readUVarIntString() ?? '';
    m.readUVarIntArray((s) => s.readUVarIntString()); // SubscribedTopicNames
    skipAssignment(m); // Assignment
    m.readTaggedFields();
    return { memberId, clientId, clientHost };
  });
}

/** StreamsGroupDescribe v0–v1 request body: group ids, no ACL bits, no topology description (v1). */
export function encodeStreamsGroupDescribe(version: number, groupIds: readonly string[]): Buffer {
  const e = new Encoder()
    .writeUVarIntBytes() // request header v2 tagged fields
    .writeUVarIntArray(strings(groupIds)) // GroupIds
    .writeBoolean(false); // IncludeAuthorizedOperations
  if (version >= 1) e.writeBoolean(false); // IncludeTopologyDescription
  return e.writeUVarIntBytes().buffer;
}

/** The topics of a streams group's topology, as StreamsGroupDescribe reports them (all sub-topologies together). */
export interface StreamsTopologyRaw {
  /** Input topics the application reads (named source topics; regex sources are not resolved here). */
  sourceTopics: string[];
  /** Internal repartition topics (written and read by the application). */
  repartitionTopics: string[];
  /** Internal changelog topics of the state stores. */
  changelogTopics: string[];
}

/** One group as StreamsGroupDescribe describes it; `topology` null when the group has none yet (or on an error). */
export interface StreamsDescribedGroupRaw extends DescribedGroupRaw {
  topology: StreamsTopologyRaw | null;
}

const readStrings = (d: KafkajsDecoder) => (d.readUVarIntArray((x) => x.readUVarIntString() ?? '') ?? []) as string[];

/** Reads a `KeyValue` array (Key, Value, tagged fields). */
function skipKeyValues(d: KafkajsDecoder): void {
  d.readUVarIntArray((kv) => {
    kv.readUVarIntString();
    kv.readUVarIntString();
    kv.readTaggedFields();
    return null;
  });
}

/** Reads a `TopicInfo` array (Name, Partitions, ReplicationFactor, TopicConfigs, tagged fields), keeping the names. */
function readTopicInfoNames(d: KafkajsDecoder): string[] {
  return (d.readUVarIntArray((t) => {
    const name = t.readUVarIntString() ?? '';
    t.readInt32(); // Partitions
    t.readInt16(); // ReplicationFactor
    skipKeyValues(t); // TopicConfigs
    t.readTaggedFields();
    return name;
  }) ?? []) as string[];
}

/** Skips a streams `Assignment` (ActiveTasks, StandbyTasks, WarmupTasks: [SubtopologyId, Partitions [int32]]). */
function skipStreamsAssignment(d: KafkajsDecoder): void {
  for (let i = 0; i < 3; i++)
    d.readUVarIntArray((t) => {
      t.readUVarIntString();
      t.readUVarIntArray((p) => p.readInt32());
      t.readTaggedFields();
      return null;
    });
  d.readTaggedFields();
}

/** Skips a `TaskOffset` array (SubtopologyId, Partition, Offset int64). */
function skipTaskOffsets(d: KafkajsDecoder): void {
  d.readUVarIntArray((t) => {
    t.readUVarIntString();
    t.readInt32();
    t.readBytes(8);
    t.readTaggedFields();
    return null;
  });
}

/** A nullable struct of a flexible version starts with one byte: −1 null, 1 present (Kafka's MessageGenerator). */
const present = (d: KafkajsDecoder) => d.readInt8() >= 0;

/** Skips a `TopologyDescription` node (Name, NodeType int8, SourceTopics, SinkTopic, Stores, Successors). */
function skipDescriptionNode(d: KafkajsDecoder): void {
  d.readUVarIntString();
  d.readInt8();
  readStrings(d);
  d.readUVarIntString();
  readStrings(d);
  readStrings(d);
  d.readTaggedFields();
}

/** Skips the nullable `TopologyDescription` of v1 (Subtopologies [SubtopologyId, Nodes], GlobalStores [Source, Processor]). */
function skipTopologyDescription(d: KafkajsDecoder): void {
  if (!present(d)) return;
  d.readUVarIntArray((s) => {
    s.readUVarIntString();
    s.readUVarIntArray((n) => {
      skipDescriptionNode(n);
      return null;
    });
    s.readTaggedFields();
    return null;
  });
  d.readUVarIntArray((g) => {
    skipDescriptionNode(g);
    skipDescriptionNode(g);
    g.readTaggedFields();
    return null;
  });
  d.readTaggedFields();
}

/**
 * Decodes a StreamsGroupDescribe v0–v1 response: per group the error, state, live members (member id, client id and
 * host) and the topics of its topology (null when the group has no topology yet).
 */
export function decodeStreamsGroupDescribe(version: number, data: Buffer): StreamsDescribedGroupRaw[] {
  const d = new Decoder(data);
  d.readTaggedFields(); // response header v1
  d.readInt32(); // ThrottleTimeMs
  const groups =
    d.readUVarIntArray((g): StreamsDescribedGroupRaw => {
      const errorCode = g.readInt16();
      const errorMessage = g.readUVarIntString();
      const groupId = g.readUVarIntString() ?? '';
      const groupState = g.readUVarIntString() ?? '';
      g.readInt32(); // GroupEpoch
      g.readInt32(); // AssignmentEpoch
      let topology: StreamsTopologyRaw | null = null;
      if (present(g)) {
        g.readInt32(); // Topology.Epoch
        const t: StreamsTopologyRaw = { sourceTopics: [], repartitionTopics: [], changelogTopics: [] };
        g.readUVarIntArray((s) => {
          s.readUVarIntString(); // SubtopologyId
          t.sourceTopics.push(...readStrings(s)); // SourceTopics
          t.repartitionTopics.push(...readStrings(s)); // RepartitionSinkTopics
          t.changelogTopics.push(...readTopicInfoNames(s)); // StateChangelogTopics
          t.repartitionTopics.push(...readTopicInfoNames(s)); // RepartitionSourceTopics
          s.readTaggedFields();
          return null;
        });
        g.readTaggedFields();
        const uniq = (xs: string[]) => [...new Set(xs)].sort();
        topology = { sourceTopics: uniq(t.sourceTopics), repartitionTopics: uniq(t.repartitionTopics), changelogTopics: uniq(t.changelogTopics) };
      }
      const members =
        g.readUVarIntArray((m) => {
          const memberId = m.readUVarIntString() ?? '';
          m.readInt32(); // MemberEpoch
          m.readUVarIntString(); // InstanceId
          m.readUVarIntString(); // RackId
          const clientId = m.readUVarIntString() ?? '';
          const clientHost = m.readUVarIntString() ?? '';
          m.readInt32(); // TopologyEpoch
          m.readUVarIntString(); // ProcessId
          if (present(m)) {
            // UserEndpoint: Host, Port uint16
            m.readUVarIntString();
            m.readInt16();
            m.readTaggedFields();
          }
          skipKeyValues(m); // ClientTags
          skipTaskOffsets(m); // TaskOffsets
          skipTaskOffsets(m); // TaskEndOffsets
          skipStreamsAssignment(m); // Assignment
          skipStreamsAssignment(m); // TargetAssignment
          m.readBoolean(); // IsClassic
          m.readTaggedFields();
          return { memberId, clientId, clientHost };
        }) ?? [];
      g.readInt32(); // AuthorizedOperations
      if (version >= 1) {
        skipTopologyDescription(g);
        g.readInt8(); // TopologyDescriptionStatus
        g.readUVarIntString(); // AssignorName
      }
      g.readTaggedFields();
      return { errorCode, errorMessage, groupId, groupState, members, topology };
    }) ?? [];
  d.readTaggedFields();
  return groups;
}

/** DescribeShareGroupOffsets v0–v1 request body: each group with Topics null (every partition it has state for). */
export function encodeDescribeShareGroupOffsets(groupIds: readonly string[]): Buffer {
  return new Encoder()
    .writeUVarIntBytes() // request header v2 tagged fields
    .writeUVarIntArray(groupIds.map((id) => new Encoder().writeUVarIntString(id).writeUVarIntArray(null).writeUVarIntBytes()))
    .writeUVarIntBytes().buffer;
}

/** One share partition's start offset as DescribeShareGroupOffsets reports it (−1: no state for the partition). */
export interface ShareStartOffsetRaw {
  topic: string;
  partition: number;
  startOffset: number;
  /** Records from the start offset to the partition's end (v1), or null (v0, or −1 answered: unknown). */
  lag: number | null;
  errorCode: number;
  errorMessage: string | null;
}

/** One group's answer to DescribeShareGroupOffsets. */
export interface ShareGroupOffsetsRaw {
  groupId: string;
  errorCode: number;
  errorMessage: string | null;
  partitions: ShareStartOffsetRaw[];
}

/** An int64 as a number (Kafka offsets stay below 2^53). */
const int64 = (d: KafkajsDecoder) => Number(d.readBytes(8).readBigInt64BE());

/** Decodes a DescribeShareGroupOffsets v0–v1 response. */
export function decodeDescribeShareGroupOffsets(version: number, data: Buffer): ShareGroupOffsetsRaw[] {
  const d = new Decoder(data);
  d.readTaggedFields(); // response header v1
  d.readInt32(); // ThrottleTimeMs
  const groups =
    d.readUVarIntArray((g): ShareGroupOffsetsRaw => {
      const groupId = g.readUVarIntString() ?? '';
      const partitions: ShareStartOffsetRaw[] = [];
      g.readUVarIntArray((t) => {
        const topic = t.readUVarIntString() ?? '';
        t.readBytes(16); // TopicId
        t.readUVarIntArray((p) => {
          const partition = p.readInt32();
          const startOffset = int64(p);
          p.readInt32(); // LeaderEpoch
          const lag = version >= 1 ? int64(p) : -1;
          const errorCode = p.readInt16();
          const errorMessage = p.readUVarIntString();
          p.readTaggedFields();
          partitions.push({ topic, partition, startOffset, lag: lag >= 0 ? lag : null, errorCode, errorMessage });
          return null;
        });
        t.readTaggedFields();
        return null;
      });
      const errorCode = g.readInt16();
      const errorMessage = g.readUVarIntString();
      g.readTaggedFields();
      return { groupId, errorCode, errorMessage, partitions };
    }) ?? [];
  d.readTaggedFields();
  return groups;
}

/** AlterShareGroupOffsets v0 request body: one group, its topics' partitions with the start offsets to set. */
export function encodeAlterShareGroupOffsets(groupId: string, offsets: readonly { topic: string; partition: number; startOffset: number }[]): Buffer {
  const byTopic = new Map<string, { partition: number; startOffset: number }[]>();
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
  return new Encoder()
    .writeUVarIntBytes() // request header v2 tagged fields
    .writeUVarIntString(groupId)
    .writeUVarIntArray(
      [...byTopic].map(([topic, parts]) => {
        const t = new Encoder().writeUVarIntString(topic);
        t.writeUVarIntArray(parts.map((p) => new Encoder().writeInt32(p.partition).writeInt64(String(p.startOffset)).writeUVarIntBytes()));
        return t.writeUVarIntBytes();
      }),
    )
    .writeUVarIntBytes().buffer;
}

/** The answer to AlterShareGroupOffsets: a group-level error, and per partition its error (0: set). */
export interface AlterShareGroupOffsetsRaw {
  errorCode: number;
  errorMessage: string | null;
  partitions: { topic: string; partition: number; errorCode: number; errorMessage: string | null }[];
}

/** Decodes an AlterShareGroupOffsets v0 response. */
export function decodeAlterShareGroupOffsets(data: Buffer): AlterShareGroupOffsetsRaw {
  const d = new Decoder(data);
  d.readTaggedFields(); // response header v1
  d.readInt32(); // ThrottleTimeMs
  const errorCode = d.readInt16();
  const errorMessage = d.readUVarIntString();
  const partitions: AlterShareGroupOffsetsRaw['partitions'] = [];
  d.readUVarIntArray((t) => {
    const topic = t.readUVarIntString() ?? '';
    t.readBytes(16); // TopicId
    t.readUVarIntArray((p) => {
      partitions.push({ topic, partition: p.readInt32(), errorCode: p.readInt16(), errorMessage: p.readUVarIntString() });
      p.readTaggedFields();
      return null;
    });
    t.readTaggedFields();
    return null;
  });
  d.readTaggedFields();
  return { errorCode, errorMessage, partitions };
}
