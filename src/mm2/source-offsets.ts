/**
 * MirrorSourceConnector's source offsets: where MM2's source task resumes reading each upstream partition. Setting
 * them before the connector starts is how a failback under the identity replication policy starts the reverse flow at
 * the DR cluster's log-end offsets recorded at the failover, instead of at the start of each topic
 * (docs/design/identity-failback.md).
 *
 * Facts (Kafka sources, connect/mirror MirrorUtils.java and MirrorSourceTask.java, 3.x–4.x; confirmed against the
 * records MM2 4.3.1 writes in the sandbox):
 * - source partition = `{cluster: <source alias>, partition: <int>, topic: <upstream topic>}` (MirrorUtils.wrapPartition);
 *   source offset = `{offset: <long>}`, the upstream offset of the **last record replicated** (MirrorUtils.wrapOffset).
 * - On start the task seeks to `offset + 1` when the stored offset is ≥ 0; with none (or a negative one) it does not
 *   seek and its consumer starts at `auto.offset.reset` (MM2: earliest) (MirrorSourceTask.initializeConsumer).
 *   So to start at offset E, store E − 1; for E = 0 store nothing.
 * - Dedicated MM2 (`connect-mirror-maker`): the connector is named `MirrorSourceConnector`; the Connect runtime of
 *   the herder for target T keeps source offsets in `mm2-offsets.<source alias>.internal` on T (MirrorMakerConfig
 *   worker config `offset.storage.topic`), a compacted topic written with Connect's internal JsonConverter (schemas
 *   off): key `["MirrorSourceConnector",{"cluster":"dr","partition":0,"topic":"orders"}]`, value `{"offset":41}`,
 *   partitioned by the Java client's murmur2 of the key bytes (KafkaOffsetBackingStore). The offset store is keyed
 *   by those exact bytes, so the key text must match byte for byte (field order as Jackson writes the HashMap:
 *   cluster, partition, topic; no spaces).
 * - Kafka Connect (3.6+, KIP-875): `PATCH /connectors/{name}/offsets` with
 *   `{"offsets":[{"partition":{…},"offset":{"offset":41}}]}` while the connector is STOPPED.
 */
import { Partitioners } from 'kafkajs';
import type { NamingFlow } from './naming.js';

/** One partition's starting offset: the next upstream offset the source task must read (records). */
export interface StartOffset {
  topic: string;
  partition: number;
  /** Upstream offset of the first record to replicate (e.g. the log-end offset recorded at a failover). */
  offset: number;
}

/** Dedicated MM2's name of the source connector (MirrorMaker.java names connectors by class). */
export const DEDICATED_SOURCE_CONNECTOR = 'MirrorSourceConnector';

/** Partition count Connect gives an offsets topic it creates (`offset.storage.partitions` default 25). */
export const CONNECT_OFFSETS_TOPIC_PARTITIONS = 25;

/** The source-offsets topic of dedicated MM2 for a flow: `mm2-offsets.<source>.internal`, on the flow's target. */
export function dedicatedOffsetsTopic(flow: Pick<NamingFlow, 'source'>): string {
  return `mm2-offsets.${flow.source}.internal`;
}

/** The source partition map of a MirrorSourceConnector offset (MirrorUtils.wrapPartition), in Jackson's field order. */
export function sourcePartition(sourceAlias: string, topic: string, partition: number): { cluster: string; partition: number; topic: string } {
  return { cluster: sourceAlias, partition, topic };
}

/** Key bytes (as text) of a source offset record in Connect's offsets topic, byte-exact with the Connect runtime's. */
export function offsetRecordKey(connector: string, sourceAlias: string, topic: string, partition: number): string {
  return JSON.stringify([connector, sourcePartition(sourceAlias, topic, partition)]);
}

/** Value (as text) of a source offset record: the upstream offset of the last replicated record. */
export function offsetRecordValue(lastReplicated: number): string {
  return JSON.stringify({ offset: lastReplicated });
}

/**
 * The stored offset that makes the source task start at `start.offset`: `offset − 1`, or undefined for 0 (nothing to
 * store: the task then starts at the earliest offset, which is 0 or later).
 * @throws RangeError for a negative or non-integer offset.
 */
export function storedOffsetFor(start: StartOffset): number | undefined {
  if (!Number.isSafeInteger(start.offset) || start.offset < 0)
    throw new RangeError(`${start.topic}/${start.partition}: start offset ${start.offset} is not ≥ 0`);
  return start.offset === 0 ? undefined : start.offset - 1;
}

const partitioner = Partitioners.DefaultPartitioner();

/**
 * The partition of the offsets topic the Connect runtime writes `key` to: `toPositive(murmur2(key)) % partitions`,
 * as the Java producer's built-in partitioner (kafkajs's DefaultPartitioner is the Java-compatible one). Writing the
 * same key to the same partition keeps the runtime's later records for it after ours in one ordered log.
 */
export function offsetsTopicPartition(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  return partitioner({ topic: 'offsets', partitionMetadata, message: { key: Buffer.from(key), value: null } });
}

/**
 * Parses a record of a Connect offsets topic as a MirrorSourceConnector offset of `connector`; undefined for any
 * other record (another connector, a tombstone, not JSON).
 */
export function parseOffsetRecord(
  connector: string,
  key: Buffer | null,
  value: Buffer | null,
): { cluster: string; topic: string; partition: number; lastReplicated: number | null } | undefined {
  if (!key) return undefined;
  try {
    const k = JSON.parse(key.toString('utf8')) as unknown;
    if (!Array.isArray(k) || k[0] !== connector || typeof k[1] !== 'object' || k[1] === null) return undefined;
    const p = k[1] as { cluster?: unknown; topic?: unknown; partition?: unknown };
    if (typeof p.cluster !== 'string' || typeof p.topic !== 'string' || !Number.isInteger(p.partition)) return undefined;
    const v = value ? (JSON.parse(value.toString('utf8')) as { offset?: unknown }) : null;
    return { cluster: p.cluster, topic: p.topic, partition: p.partition as number, lastReplicated: typeof v?.offset === 'number' ? v.offset : null };
  } catch {
    return undefined;
  }
}
