/**
 * What the connected principal may do, as the cluster itself answers it (KIP-430 "authorized operations"), without
 * admin rights and without writing: Metadata v11–v12 with IncludeTopicAuthorizedOperations for topics,
 * DescribeGroups v5 with IncludeAuthorizedOperations for groups (sent to each group's coordinator, found with
 * FindCoordinator v4), DescribeCluster with IncludeClusterAuthorizedOperations for the cluster. kafkajs 2.2.4 sends
 * Metadata and DescribeGroups without those flags, so the requests are encoded here and sent through kafkajs's
 * connection pool (the seam of group-requests.ts / cluster-requests.ts). Design note: docs/design/permissions.md.
 *
 * Broker behaviour this relies on (apache/kafka `KafkaApis.handleTopicMetadataRequest`, `handleDescribeGroupsRequest`,
 * `AuthHelper.computeDescribeClusterResponse`):
 * - a topic the principal may DESCRIBE is answered with its authorized operations whether it exists or not (the
 *   authorizer evaluates the ACLs on the name: literal, prefixed, `*`); a topic it may not DESCRIBE is answered
 *   TOPIC_AUTHORIZATION_FAILED with no operations;
 * - a group it may not DESCRIBE: FindCoordinator and DescribeGroups answer GROUP_AUTHORIZATION_FAILED; a group it may
 *   DESCRIBE gets its operations when DescribeGroups answers it without error — below v6 also a group that does not
 *   exist (`Dead`); v6 (KIP-1043) answers GROUP_ID_NOT_FOUND without operations, so v5 is what is sent;
 * - the cluster's operations are reported only to a principal that may DESCRIBE the cluster (else 0).
 * Operation codes and implications: `org.apache.kafka.common.acl.AclOperation` (READ 3 … DESCRIBE_TOKENS 14; bit n
 * of the int32 bitfield = code n); the authorizer already folds in implied operations (READ, WRITE, DELETE, ALTER ⇒
 * DESCRIBE; ALTER_CONFIGS ⇒ DESCRIBE_CONFIGS).
 */
import { createRequire } from 'node:module';
import {
  API_KEYS,
  type ApiRange,
  decodeFindCoordinators,
  encodeFindGroupCoordinators,
  type KafkajsDecoder,
  type KafkajsEncoder,
  negotiateVersion,
  SUPPORTED_VERSIONS,
} from './group-requests.js';
import { COORDINATOR_RETRIABLE, CoordinatorNotReadyError, withCoordinatorRetry } from './coordinator-retry.js';
import type { KafkajsCluster } from './kafkajs-client.js';

const requireCjs = createRequire(import.meta.url);
const Encoder = requireCjs('kafkajs/src/protocol/encoder.js') as new () => KafkajsEncoder;
const Decoder = requireCjs('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => KafkajsDecoder & { readUVarIntBytes(): Buffer | null };

/** Kafka's ACL operations (AclOperation.java), by code. */
export const ACL_OPERATIONS = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
/** An ACL operation's name, as `kafka-acls --operation` spells it (upper case, `_`). */
export type AclOperation = keyof typeof ACL_OPERATIONS;

/** The "not reported" value of an authorized-operations field (the schema default, Integer.MIN_VALUE). */
export const OPERATIONS_NOT_REPORTED = -2147483648;

/** The operations set in a KIP-430 bitfield; null when the field holds "not reported" (Integer.MIN_VALUE). */
export function operationsOf(bits: number): AclOperation[] | null {
  if (bits === OPERATIONS_NOT_REPORTED) return null;
  return (Object.entries(ACL_OPERATIONS) as [AclOperation, number][]).filter(([, code]) => (bits & (1 << code)) !== 0).map(([name]) => name);
}

/** A bitfield from operation names (the inverse of {@link operationsOf}; for fakes and tests). */
export function bitsOf(ops: readonly AclOperation[]): number {
  return ops.reduce((b, op) => b | (1 << ACL_OPERATIONS[op]), 0);
}

/** API keys and versions of the requests this module sends. */
export const AUTHZ_API = {
  Metadata: { key: 3, min: 11, max: 12 },
  DescribeGroups: { key: 15, min: 5, max: 5 },
  DescribeCluster: { key: 60, min: 0, max: 1 },
} as const;

/** Metadata v11–v12 request for named topics: no auto-creation, topic authorized operations included. */
export function encodeMetadataAuthz(topics: readonly string[]): Buffer {
  const ts = topics.map((t) => new Encoder().writeInt64(0).writeInt64(0).writeUVarIntString(t).writeUVarIntBytes()); // TopicId zero, Name
  return new Encoder()
    .writeUVarIntBytes() // request header v2 tagged fields
    .writeUVarIntArray(ts)
    .writeBoolean(false) // AllowAutoTopicCreation
    .writeBoolean(true) // IncludeTopicAuthorizedOperations
    .writeUVarIntBytes().buffer;
}

/** One topic of a Metadata answer: its error (0, 3 UNKNOWN_TOPIC_OR_PARTITION, 29 TOPIC_AUTHORIZATION_FAILED …) and operations bitfield. */
export interface TopicAuthzRaw {
  name: string;
  errorCode: number;
  authorizedOperations: number;
}

/** Skips a compact array of brokers (NodeId, Host, Port, Rack, tagged fields): MetadataResponse v9+ and DescribeClusterResponse share the shape. */
function skipBrokers(d: KafkajsDecoder): void {
  d.readUVarIntArray((b) => {
    b.readInt32();
    b.readUVarIntString();
    b.readInt32();
    b.readUVarIntString();
    b.readTaggedFields();
    return null;
  });
}

/** Decodes a Metadata v11–v12 response: the topics with their errors and authorized operations. */
export function decodeMetadataAuthz(data: Buffer): TopicAuthzRaw[] {
  const d = new Decoder(data);
  d.readTaggedFields(); // response header v1
  d.readInt32(); // ThrottleTimeMs
  skipBrokers(d);
  d.readUVarIntString(); // ClusterId
  d.readInt32(); // ControllerId
  const ints = (x: KafkajsDecoder) => x.readUVarIntArray((y) => y.readInt32());
  const topics =
    d.readUVarIntArray((t) => {
      const errorCode = t.readInt16();
      const name = t.readUVarIntString() ?? '';
      t.readBytes(16); // TopicId
      t.readBoolean(); // IsInternal
      t.readUVarIntArray((p) => {
        p.readInt16();
        p.readInt32();
        p.readInt32();
        p.readInt32();
        ints(p);
        ints(p);
        ints(p);
        p.readTaggedFields();
        return null;
      });
      const authorizedOperations = t.readInt32();
      t.readTaggedFields();
      return { name, errorCode, authorizedOperations };
    }) ?? [];
  d.readTaggedFields();
  return topics;
}

/** DescribeGroups v5 request with IncludeAuthorizedOperations. */
export function encodeDescribeGroupsAuthz(groupIds: readonly string[]): Buffer {
  return new Encoder()
    .writeUVarIntBytes()
    .writeUVarIntArray(groupIds.map((g) => new Encoder().writeUVarIntString(g)))
    .writeBoolean(true)
    .writeUVarIntBytes().buffer;
}

/** One group of a DescribeGroups v5 answer. */
export interface GroupAuthzRaw {
  groupId: string;
  errorCode: number;
  state: string;
  authorizedOperations: number;
}

/** Decodes a DescribeGroups v5 response (members skipped). */
export function decodeDescribeGroupsAuthz(data: Buffer): GroupAuthzRaw[] {
  const d = new Decoder(data);
  d.readTaggedFields();
  d.readInt32();
  const groups =
    d.readUVarIntArray((g) => {
      const errorCode = g.readInt16();
      const groupId = g.readUVarIntString() ?? '';
      const state = g.readUVarIntString() ?? '';
      g.readUVarIntString(); // ProtocolType
      g.readUVarIntString(); // ProtocolData
      g.readUVarIntArray((m) => {
        const md = m as KafkajsDecoder & { readUVarIntBytes(): Buffer | null };
        md.readUVarIntString(); // MemberId
        md.readUVarIntString(); // GroupInstanceId
        md.readUVarIntString(); // ClientId
        md.readUVarIntString(); // ClientHost
        md.readUVarIntBytes(); // MemberMetadata
        md.readUVarIntBytes(); // MemberAssignment
        md.readTaggedFields();
        return null;
      });
      const authorizedOperations = g.readInt32();
      g.readTaggedFields();
      return { groupId, errorCode, state, authorizedOperations };
    }) ?? [];
  d.readTaggedFields();
  return groups;
}

/** DescribeCluster v0–v1 request with IncludeClusterAuthorizedOperations (v1: brokers endpoint). */
export function encodeDescribeClusterAuthz(version: number): Buffer {
  const e = new Encoder().writeUVarIntBytes().writeBoolean(true);
  if (version >= 1) e.writeInt8(1);
  return e.writeUVarIntBytes().buffer;
}

/** Decodes a DescribeCluster v0–v1 response: its error and the cluster's authorized operations (0 without DESCRIBE on the cluster). */
export function decodeDescribeClusterAuthz(version: number, data: Buffer): { errorCode: number; authorizedOperations: number } {
  const d = new Decoder(data);
  d.readTaggedFields();
  d.readInt32();
  const errorCode = d.readInt16();
  d.readUVarIntString();
  if (version >= 1) d.readInt8();
  d.readUVarIntString();
  d.readInt32();
  skipBrokers(d);
  return { errorCode, authorizedOperations: d.readInt32() };
}

/** What a cluster answered about one resource. */
export interface ResourceAuthz {
  /** The operations the principal may perform on it; null when the cluster did not say (see `denied` / `note`). */
  operations: AclOperation[] | null;
  /** True when the cluster refused even to describe it (TOPIC_/GROUP_AUTHORIZATION_FAILED): no DESCRIBE, nor anything implying it. */
  describeDenied: boolean;
  /** Whether it exists (null: not known, e.g. not describable). */
  exists: boolean | null;
  /** Why operations are null or what else the answer said. */
  note?: string;
}

/** The principal's authorized operations on a cluster, as the cluster answered them. */
export interface AuthorizedOperations {
  /** Cluster operations; null when not reported (the principal may not DESCRIBE the cluster: Kafka answers 0). */
  cluster: AclOperation[] | null;
  topics: Map<string, ResourceAuthz>;
  groups: Map<string, ResourceAuthz>;
  /** The principal the client authenticates as, when the client settings tell it (e.g. `User:<SASL user>`); for messages. */
  principal?: string;
}

interface SeamBroker {
  nodeId: number;
  versions: Record<number, ApiRange | undefined>;
  connectionPool: { send(r: object): Promise<unknown> };
}

async function send<T>(broker: SeamBroker, apiKey: number, apiName: string, apiVersion: number, body: Buffer, decode: (b: Buffer) => T): Promise<T> {
  return (await broker.connectionPool.send({
    request: { apiKey, apiVersion, apiName, encode: async () => ({ buf: body, buffer: body }) },
    response: { decode: async (raw: Buffer) => decode(raw), parse: async (x: T) => x },
  })) as T;
}

const TOPIC_AUTHORIZATION_FAILED = 29;
const GROUP_AUTHORIZATION_FAILED = 30;
const UNKNOWN_TOPIC_OR_PARTITION = 3;

/** The API is missing (or only in versions this module cannot read) on the broker asked. */
export class AuthzApiUnavailableError extends Error {}

/**
 * Asks a cluster what the connected principal may do on the given topics and groups, and on the cluster.
 * Read-only: no topic is auto-created (AllowAutoTopicCreation false), no group is joined.
 * @throws AuthzApiUnavailableError when the broker lacks Metadata v11+ / DescribeGroups v5 (Kafka before 2.8); the
 *   connection or protocol error otherwise.
 */
export async function describeAuthorizedOperations(
  cluster: KafkajsCluster,
  q: { topics: readonly string[]; groups: readonly string[] },
): Promise<AuthorizedOperations> {
  await cluster.connect();
  const seed = (cluster as unknown as { brokerPool: { seedBroker: SeamBroker } }).brokerPool.seedBroker;
  const version = (api: keyof typeof AUTHZ_API, b: SeamBroker = seed) => {
    const v = negotiateVersion(b.versions?.[AUTHZ_API[api].key], AUTHZ_API[api]);
    if (v === null) throw new AuthzApiUnavailableError(`broker ${b.nodeId} does not serve ${api} v${AUTHZ_API[api].min}+ (authorized operations, KIP-430)`);
    return v;
  };
  const out: AuthorizedOperations = { cluster: null, topics: new Map(), groups: new Map() };

  const dcv = version('DescribeCluster');
  const dc = await send(seed, AUTHZ_API.DescribeCluster.key, 'DescribeCluster', dcv, encodeDescribeClusterAuthz(dcv), (b) =>
    decodeDescribeClusterAuthz(dcv, b),
  );
  // 0 = "may not DESCRIBE the cluster" (AuthHelper): the other cluster operations are then not reported.
  out.cluster = dc.errorCode === 0 && dc.authorizedOperations !== 0 ? operationsOf(dc.authorizedOperations) : null;

  if (q.topics.length > 0) {
    const mv = version('Metadata');
    const topics = await send(seed, AUTHZ_API.Metadata.key, 'Metadata', mv, encodeMetadataAuthz([...new Set(q.topics)]), decodeMetadataAuthz);
    for (const t of topics) {
      const denied = t.errorCode === TOPIC_AUTHORIZATION_FAILED;
      out.topics.set(t.name, {
        operations: denied ? null : operationsOf(t.authorizedOperations),
        describeDenied: denied,
        exists: denied ? null : t.errorCode !== UNKNOWN_TOPIC_OR_PARTITION,
        ...(t.errorCode !== 0 && !denied && t.errorCode !== UNKNOWN_TOPIC_OR_PARTITION ? { note: `Metadata answered error ${t.errorCode}` } : {}),
      });
    }
  }

  if (q.groups.length > 0) {
    const ids = [...new Set(q.groups)];
    const fv = negotiateVersion(seed.versions?.[API_KEYS.FindCoordinator], SUPPORTED_VERSIONS.FindCoordinator);
    if (fv === null) throw new AuthzApiUnavailableError(`broker ${seed.nodeId} does not serve FindCoordinator v4`);
    // A coordinator that is not ready (a fresh cluster creates __consumer_offsets on the first FindCoordinator: error
    // 15; loading: 14; moved: 16) is asked again, as every group read of the tool does (coordinator-retry.ts); only
    // when the retries are spent does the group stay unknown, naming the error.
    const groups = await withCoordinatorRetry(async (_attempt, last) => {
      const answers = new Map<string, ResourceAuthz>();
      const notReady = (code: number, what: string) => {
        if (!last && COORDINATOR_RETRIABLE.has(code)) throw new CoordinatorNotReadyError(COORDINATOR_RETRIABLE.get(code)!, what);
      };
      const found = await send(seed, API_KEYS.FindCoordinator, 'FindCoordinator', fv, encodeFindGroupCoordinators(ids), decodeFindCoordinators);
      const byNode = new Map<number, string[]>();
      for (const f of found) {
        if (f.errorCode === GROUP_AUTHORIZATION_FAILED) {
          answers.set(f.key, { operations: null, describeDenied: true, exists: null });
        } else if (f.errorCode !== 0) {
          notReady(f.errorCode, `FindCoordinator for group ${f.key}`);
          answers.set(f.key, {
            operations: null,
            describeDenied: false,
            exists: null,
            note: `FindCoordinator answered error ${f.errorCode}${f.errorMessage ? ` (${f.errorMessage})` : ''}`,
          });
        } else byNode.set(f.nodeId, [...(byNode.get(f.nodeId) ?? []), f.key]);
      }
      for (const [nodeId, groupIds] of byNode) {
        let broker: SeamBroker;
        try {
          broker = (await cluster.findBroker({ nodeId })) as unknown as SeamBroker;
        } catch {
          await cluster.refreshMetadata();
          broker = (await cluster.findBroker({ nodeId })) as unknown as SeamBroker;
        }
        const gv = version('DescribeGroups', broker);
        for (const g of await send(
          broker,
          AUTHZ_API.DescribeGroups.key,
          'DescribeGroups',
          gv,
          encodeDescribeGroupsAuthz(groupIds),
          decodeDescribeGroupsAuthz,
        )) {
          notReady(g.errorCode, `DescribeGroups for group ${g.groupId}`);
          const denied = g.errorCode === GROUP_AUTHORIZATION_FAILED;
          const ops = g.errorCode === 0 ? operationsOf(g.authorizedOperations) : null;
          answers.set(g.groupId, {
            operations: ops,
            describeDenied: denied,
            exists: g.errorCode === 0 ? g.state !== 'Dead' : null,
            ...(!denied && ops === null ? { note: `DescribeGroups answered error ${g.errorCode} without operations` } : {}),
          });
        }
      }
      return answers;
    });
    for (const [k, v] of groups) out.groups.set(k, v);
  }
  return out;
}
