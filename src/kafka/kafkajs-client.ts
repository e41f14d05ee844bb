/**
 * Creating kafkajs clients, and reaching kafkajs's protocol layer (its `Cluster`) where the public API has the
 * wrong semantics for this tool (docs/design/kafka-port.md):
 * - reading a partition without joining a consumer group (a dry-run must not create groups on any cluster);
 * - committing offsets as an admin (OffsetCommit with generation −1 and an empty member id, never a group join).
 *
 * kafkajs is frozen at 2.2.4, so the private `createCluster` factory of its `Kafka` class is a stable seam. It is
 * found by its symbol description, and a missing factory fails loudly rather than falling back to a member join.
 */
import { createRequire } from 'node:module';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';

/** Settings to build a client for one cluster. */
export interface ClientSettings {
  /** `host:port` list. */
  bootstrapServers: string[];
  /** kafkajs `clientId`; default `kafka-failover`. */
  clientId?: string;
  /** TLS/SASL and timeouts, passed to kafkajs as is. */
  extra?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
}

/** Builds a quiet kafkajs client (kafkajs's own console logging off; the tool logs what matters itself). */
export function createKafka(s: ClientSettings): Kafka {
  return new Kafka({
    clientId: s.clientId ?? 'kafka-failover',
    brokers: s.bootstrapServers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 15000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    ...s.extra,
  });
}

/** The parts of kafkajs's internal broker object this tool uses (src/broker/index.js in kafkajs 2.2.4). */
export interface KafkajsBroker {
  fetch(request: {
    replicaId?: number;
    isolationLevel?: number;
    maxWaitTime?: number;
    minBytes?: number;
    maxBytes?: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{
    responses: {
      topicName: string;
      partitions: {
        partition: number;
        errorCode: number;
        highWatermark: string;
        messages: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }[];
      }[];
    }[];
  }>;
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    retentionTime?: number;
    topics: { topic: string; partitions: { partition: number; offset: string; metadata?: string | null }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[] }>;
}

/** The parts of kafkajs's internal `Cluster` this tool uses (src/cluster/index.js in kafkajs 2.2.4). */
export interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(args: { nodeId: string | number }): Promise<KafkajsBroker>;
  findGroupCoordinator(args: { groupId: string }): Promise<KafkajsBroker>;
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning?: boolean; fromTimestamp?: number }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/**
 * Returns kafkajs's internal protocol-level cluster for a client.
 * @throws Error when the kafkajs build has no such factory (a kafkajs other than 2.2.x).
 */
export function protocolCluster(kafka: Kafka): KafkajsCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const factory = sym ? (kafka as unknown as Record<symbol, unknown>)[sym] : undefined;
  if (typeof factory !== 'function') {
    throw new Error('kafkajs internal cluster factory not found: kafka-failover needs kafkajs 2.2.x');
  }
  // READ_UNCOMMITTED (0): ListOffsets then answers the high watermark, not the last stable offset.
  return (factory as (o: object) => KafkajsCluster)({ allowAutoTopicCreation: false, metadataMaxAge: 60_000, isolationLevel: 0 });
}

/** A Metadata response as decoded, partition errors included (kafkajs 2.2.4 protocol/requests/metadata). */
export interface RawMetadata {
  clusterId?: string | null;
  controllerId?: number;
  brokers: { nodeId: number; host: string; port: number; rack?: string | null }[];
  topicMetadata: {
    topicErrorCode: number;
    topic: string;
    partitionMetadata: { partitionErrorCode: number; partitionId: number; leader: number; replicas: number[]; isr: number[]; offlineReplicas?: number[] }[];
  }[];
}

const requireCjs = createRequire(import.meta.url);

/**
 * Metadata of every topic that tolerates partition-level errors. kafkajs's own metadata path throws for a whole
 * cluster as soon as one partition has no leader (LEADER_NOT_AVAILABLE: protocol/requests/metadata/v0/response.js
 * `parse`), which would make a cluster with one offline partition look unreachable — exactly when a failover tool
 * must describe it. Sends the same request kafkajs sends, to its seed broker, and keeps the decoded response.
 * @throws the connection error when no broker answers.
 */
export async function tolerantMetadata(cluster: KafkajsCluster): Promise<RawMetadata> {
  await cluster.connect();
  const broker = (
    cluster as unknown as {
      brokerPool: {
        seedBroker: {
          lookupRequest: (k: number, d: unknown) => (a: object) => { request: unknown; response: { decode: unknown; parse: unknown } };
          connectionPool: { send(r: object): Promise<RawMetadata> };
        };
      };
    }
  ).brokerPool.seedBroker;
  const { requests } = requireCjs('kafkajs/src/protocol/requests/index.js') as { requests: { Metadata: unknown } };
  const apiKeys = requireCjs('kafkajs/src/protocol/requests/apiKeys.js') as { Metadata: number };
  const { request, response } = broker.lookupRequest(apiKeys.Metadata, requests.Metadata)({ topics: [], allowAutoTopicCreation: false }); // [] = every topic, as kafkajs's own listTopics sends it;
  return broker.connectionPool.send({ request, response: { ...response, parse: async (data: RawMetadata) => data } });
}
