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
 * - `FindCoordinatorRequest.json` / `FindCoordinatorResponse.json` (v4, flexible: KeyType, CoordinatorKeys; one
 *   answer per key with NodeId, Host, Port, ErrorCode, ErrorMessage).
 */
import { createRequire } from 'node:module';

const requireCjs = createRequire(import.meta.url);

/** kafkajs 2.2.4's protocol encoder (src/protocol/encoder.js): the methods used here. */
export interface KafkajsEncoder {
  writeInt8(v: number): KafkajsEncoder;
  writeInt16(v: number): KafkajsEncoder;
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
  readBoolean(): boolean;
  readBytes(length: number): Buffer;
  readUVarIntString(): string | null;
  readUVarIntArray<T>(reader: (d: KafkajsDecoder) => T): T[] | null;
  readTaggedFields(): unknown;
}

const Encoder = requireCjs('kafkajs/src/protocol/encoder.js') as new () => KafkajsEncoder;
const Decoder = requireCjs('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => KafkajsDecoder;

/** API keys (Kafka protocol guide, `ApiKeys.java`). */
export const API_KEYS = { FindCoordinator: 10, ListGroups: 16, ConsumerGroupDescribe: 69, ShareGroupDescribe: 77 } as const;

/** The versions this tool can encode and decode, per API (inclusive). */
export const SUPPORTED_VERSIONS = {
  // v4 (KIP-699, Kafka 3.0) looks up many keys at once; v5/v6 only add error semantics and key types this tool
  // does not use, so v4 is what it sends.
  FindCoordinator: { min: 4, max: 4 },
  ListGroups: { min: 3, max: 5 },
  ConsumerGroupDescribe: { min: 0, max: 1 },
  ShareGroupDescribe: { min: 0, max: 1 },
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
