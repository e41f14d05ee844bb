/**
 * Cluster-level requests kafkajs 2.2.4 does not speak, for stretch clusters (docs/design/stretch-clusters.md):
 * DescribeQuorum (API key 55, KIP-595; v2 KIP-853), DescribeCluster v1–v2 (API key 60; v2 lists fenced brokers,
 * KIP-1073), ElectLeaders v2 (API key 43, KIP-460) and IncrementalAlterConfigs v1 (API key 44, KIP-339). Encoded with
 * kafkajs's own Encoder/Decoder and sent through its connection pool, like the group requests of group-requests.ts
 * and group-types.ts (the same seam): a flexible request body starts with the request header's (empty) tagged fields,
 * a flexible response with the response header's.
 *
 * Layouts from Apache Kafka's message definitions (`clients/src/main/resources/common/message/`, read from
 * kafka-clients 4.4.0): `DescribeQuorumRequest/Response.json` (flexible from v0; v1 adds LastFetchTimestamp and
 * LastCaughtUpTimestamp; v2 adds ErrorMessage, ReplicaDirectoryId and Nodes), `DescribeClusterRequest/Response.json`
 * (flexible from v0; v1 EndpointType; v2 IncludeFencedBrokers / IsFenced), `ElectLeadersRequest/Response.json`
 * (flexible from v2), `IncrementalAlterConfigsRequest/Response.json` (flexible from v1).
 */
import { createRequire } from 'node:module';
import { type ApiRange, type KafkajsDecoder, type KafkajsEncoder, negotiateVersion } from './group-requests.js';
import type { KafkajsCluster } from './kafkajs-client.js';

const requireCjs = createRequire(import.meta.url);
/** kafkajs's decoder also has `readString` (int16 length) and `readInt64` (a long.js Long); these are read as bytes. */
type Decoder = KafkajsDecoder;
const Encoder = requireCjs('kafkajs/src/protocol/encoder.js') as new () => KafkajsEncoder;
const DecoderCtor = requireCjs('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => Decoder;

/** API keys (Kafka protocol guide, `ApiKeys.java`). */
export const CLUSTER_API_KEYS = { ElectLeaders: 43, IncrementalAlterConfigs: 44, DescribeQuorum: 55, DescribeCluster: 60 } as const;
/** Versions this module encodes and decodes (inclusive). */
export const CLUSTER_API_VERSIONS = {
  ElectLeaders: { min: 2, max: 2 },
  IncrementalAlterConfigs: { min: 1, max: 1 },
  DescribeQuorum: { min: 1, max: 2 },
  DescribeCluster: { min: 1, max: 2 },
} as const;

const int64 = (d: Decoder): number => Number(d.readBytes(8).readBigInt64BE());
const uint16 = (d: Decoder): number => d.readBytes(2).readUInt16BE();

/** DescribeQuorum request for the metadata log `__cluster_metadata`/0 (flexible). */
export function encodeDescribeQuorum(): Buffer {
  const partition = new Encoder().writeInt32(0).writeUVarIntBytes();
  const topic = new Encoder().writeUVarIntString('__cluster_metadata').writeUVarIntArray([partition]).writeUVarIntBytes();
  return new Encoder().writeUVarIntBytes().writeUVarIntArray([topic]).writeUVarIntBytes().buffer;
}

/** One voter or observer as DescribeQuorum reports it. Times are epoch ms; −1 when unknown. */
export interface QuorumReplicaRaw {
  replicaId: number;
  /** Records (offsets) of the metadata log this replica has; −1 when unknown. */
  logEndOffset: number;
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}

/** A decoded DescribeQuorum answer. */
export interface DescribeQuorumRaw {
  errorCode: number;
  errorMessage: string | null;
  /** The metadata partition's own error (e.g. NOT_LEADER_OR_FOLLOWER). */
  partitionErrorCode: number;
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  voters: QuorumReplicaRaw[];
  observers: QuorumReplicaRaw[];
  /** v2: controller listeners by node id. */
  nodes: { nodeId: number; listeners: { name: string; host: string; port: number }[] }[];
}

/** Decodes a DescribeQuorum v1–v2 response. */
export function decodeDescribeQuorum(version: number, data: Buffer): DescribeQuorumRaw {
  const d = new DecoderCtor(data);
  d.readTaggedFields(); // response header v1
  const errorCode = d.readInt16();
  const errorMessage = version >= 2 ? d.readUVarIntString() : null;
  const replica = (r: Decoder): QuorumReplicaRaw => {
    const replicaId = r.readInt32();
    if (version >= 2) r.readBytes(16); // ReplicaDirectoryId
    const logEndOffset = int64(r);
    const lastFetchTimestamp = int64(r);
    const lastCaughtUpTimestamp = int64(r);
    r.readTaggedFields();
    return { replicaId, logEndOffset, lastFetchTimestamp, lastCaughtUpTimestamp };
  };
  let out: Omit<DescribeQuorumRaw, 'errorCode' | 'errorMessage' | 'nodes'> = {
    partitionErrorCode: errorCode,
    leaderId: -1,
    leaderEpoch: -1,
    highWatermark: -1,
    voters: [],
    observers: [],
  };
  d.readUVarIntArray((t) => {
    t.readUVarIntString();
    t.readUVarIntArray((p) => {
      p.readInt32();
      const partitionErrorCode = p.readInt16();
      if (version >= 2) p.readUVarIntString();
      const leaderId = p.readInt32();
      const leaderEpoch = p.readInt32();
      const highWatermark = int64(p);
      const voters = p.readUVarIntArray(replica) ?? [];
      const observers = p.readUVarIntArray(replica) ?? [];
      p.readTaggedFields();
      out = { partitionErrorCode, leaderId, leaderEpoch, highWatermark, voters, observers };
      return null;
    });
    t.readTaggedFields();
    return null;
  });
  const nodes =
    version >= 2
      ? (d.readUVarIntArray((n) => {
          const nodeId = n.readInt32();
          const listeners =
            n.readUVarIntArray((l) => {
              const name = l.readUVarIntString() ?? '';
              const host = l.readUVarIntString() ?? '';
              const port = uint16(l);
              l.readTaggedFields();
              return { name, host, port };
            }) ?? [];
          n.readTaggedFields();
          return { nodeId, listeners };
        }) ?? [])
      : [];
  return { errorCode, errorMessage, ...out, nodes };
}

/** DescribeCluster v1–v2 request (brokers endpoint; v2 includes fenced brokers). */
export function encodeDescribeCluster(version: number): Buffer {
  const e = new Encoder().writeUVarIntBytes().writeBoolean(false).writeInt8(1);
  if (version >= 2) e.writeBoolean(true);
  return e.writeUVarIntBytes().buffer;
}

/** A broker as DescribeCluster reports it. `fenced` is null below v2 (fenced brokers are then not listed at all). */
export interface DescribedBrokerRaw {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  fenced: boolean | null;
}

/** Decodes a DescribeCluster v1–v2 response. */
export function decodeDescribeCluster(
  version: number,
  data: Buffer,
): { errorCode: number; errorMessage: string | null; clusterId: string; controllerId: number; brokers: DescribedBrokerRaw[] } {
  const d = new DecoderCtor(data);
  d.readTaggedFields();
  d.readInt32(); // throttle
  const errorCode = d.readInt16();
  const errorMessage = d.readUVarIntString();
  d.readInt8(); // EndpointType
  const clusterId = d.readUVarIntString() ?? '';
  const controllerId = d.readInt32();
  const brokers =
    d.readUVarIntArray((b) => {
      const nodeId = b.readInt32();
      const host = b.readUVarIntString() ?? '';
      const port = b.readInt32();
      const rack = b.readUVarIntString();
      const fenced = version >= 2 ? b.readBoolean() : null;
      b.readTaggedFields();
      return { nodeId, host, port, rack, fenced };
    }) ?? [];
  return { errorCode, errorMessage, clusterId, controllerId, brokers };
}

/** ElectLeaders v2 request: `type` 0 = preferred replica, 1 = unclean (never sent by this tool). */
export function encodeElectPreferredLeaders(partitions: readonly { topic: string; partitions: number[] }[], timeoutMs: number): Buffer {
  const topics = partitions.map((t) =>
    new Encoder()
      .writeUVarIntString(t.topic)
      .writeUVarIntArray(t.partitions.map((p) => new Encoder().writeInt32(p)))
      .writeUVarIntBytes(),
  );
  return new Encoder().writeUVarIntBytes().writeInt8(0).writeUVarIntArray(topics).writeInt32(timeoutMs).writeUVarIntBytes().buffer;
}

/** One partition's election result. */
export interface ElectionResultRaw {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** Decodes an ElectLeaders v2 response. */
export function decodeElectLeaders(data: Buffer): { errorCode: number; results: ElectionResultRaw[] } {
  const d = new DecoderCtor(data);
  d.readTaggedFields();
  d.readInt32();
  const errorCode = d.readInt16();
  const results: ElectionResultRaw[] = [];
  d.readUVarIntArray((t) => {
    const topic = t.readUVarIntString() ?? '';
    t.readUVarIntArray((p) => {
      const partition = p.readInt32();
      const code = p.readInt16();
      const message = p.readUVarIntString();
      p.readTaggedFields();
      results.push({ topic, partition, errorCode: code, errorMessage: message });
      return null;
    });
    t.readTaggedFields();
    return null;
  });
  return { errorCode, results };
}

/** IncrementalAlterConfigs v1 request for topics: `null` deletes the topic-level value (back to the broker default). */
export function encodeAlterTopicConfigs(changes: readonly { topic: string; configs: Record<string, string | null> }[]): Buffer {
  const resources = changes.map((c) =>
    new Encoder()
      .writeInt8(2) // ConfigResource.Type.TOPIC
      .writeUVarIntString(c.topic)
      .writeUVarIntArray(
        Object.entries(c.configs).map(([name, value]) =>
          new Encoder()
            .writeUVarIntString(name)
            .writeInt8(value === null ? 1 : 0) // AlterConfigOp.OpType: SET 0, DELETE 1
            .writeUVarIntString(value)
            .writeUVarIntBytes(),
        ),
      )
      .writeUVarIntBytes(),
  );
  return new Encoder().writeUVarIntBytes().writeUVarIntArray(resources).writeBoolean(false).writeUVarIntBytes().buffer;
}

/** Decodes an IncrementalAlterConfigs v1 response. */
export function decodeAlterConfigs(data: Buffer): { resourceName: string; errorCode: number; errorMessage: string | null }[] {
  const d = new DecoderCtor(data);
  d.readTaggedFields();
  d.readInt32();
  return (
    d.readUVarIntArray((r) => {
      const errorCode = r.readInt16();
      const errorMessage = r.readUVarIntString();
      r.readInt8();
      const resourceName = r.readUVarIntString() ?? '';
      r.readTaggedFields();
      return { resourceName, errorCode, errorMessage };
    }) ?? []
  );
}

/** The parts of a kafkajs 2.2.4 `Broker` used here. */
interface SeamBroker {
  nodeId: number;
  versions: Record<number, ApiRange | undefined>;
  connectionPool: { send(r: object): Promise<unknown> };
}

/** The cluster lacks an API (or only has versions this tool cannot read). */
export class ClusterApiUnavailableError extends Error {
  constructor(readonly api: string) {
    super(`the broker does not serve ${api} in a version this tool speaks`);
  }
}

/**
 * Sends one request to the seed broker (any live broker: brokers forward DescribeQuorum, ElectLeaders and
 * IncrementalAlterConfigs to the active controller), negotiating the version.
 * @throws ClusterApiUnavailableError; the connection error when no broker answers.
 */
export async function sendClusterRequest<T>(
  cluster: KafkajsCluster,
  api: keyof typeof CLUSTER_API_KEYS,
  body: (version: number) => Buffer,
  decode: (version: number, b: Buffer) => T,
): Promise<T> {
  await cluster.connect();
  const broker = (cluster as unknown as { brokerPool: { seedBroker: SeamBroker } }).brokerPool.seedBroker;
  const apiKey = CLUSTER_API_KEYS[api];
  const version = negotiateVersion(broker.versions?.[apiKey], CLUSTER_API_VERSIONS[api]);
  if (version === null) throw new ClusterApiUnavailableError(api);
  const buf = body(version);
  return (await broker.connectionPool.send({
    request: { apiKey, apiVersion: version, apiName: api, encode: async () => ({ buf, buffer: buf }) },
    response: { decode: async (raw: Buffer) => decode(version, raw), parse: async (x: T) => x },
  })) as T;
}

/** Kafka's error names for codes these answers carry (Errors.java); others are shown by number. */
export const CLUSTER_ERROR_NAMES: Record<number, string> = {
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  15: 'COORDINATOR_NOT_AVAILABLE',
  41: 'NOT_CONTROLLER',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  31: 'CLUSTER_AUTHORIZATION_FAILED',
  40: 'INVALID_CONFIG',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  35: 'UNSUPPORTED_VERSION',
  80: 'PREFERRED_LEADER_NOT_AVAILABLE',
  83: 'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  84: 'ELECTION_NOT_NEEDED',
};

/** `NAME (code)` for an error code. */
export const errorName = (code: number): string => `${CLUSTER_ERROR_NAMES[code] || 'error'} (${code})`;
