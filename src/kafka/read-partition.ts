/**
 * Reading a range of one partition without a consumer group, through kafkajs's protocol layer (Fetch requests to
 * the partition leader). Used for MM2's internal topics and for probes: no group is created, joined or committed,
 * so a read leaves no trace on the cluster.
 */
import type { KafkajsCluster } from './kafkajs-client.js';

/** One record as read: offsets and timestamp as bigint-safe numbers (offsets stay < 2^53 in practice). */
export interface RawRecord {
  topic: string;
  partition: number;
  /** Record offset. */
  offset: number;
  /** Record timestamp (epoch ms). */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** Kafka error codes after which the leader must be looked up again (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE…). */
const RETRIABLE_LEADER_ERRORS = new Set([3, 5, 6, 74, 75]);
/** How many fetches in a row may return nothing before the read gives up (control batches, or a stuck leader). */
const MAX_EMPTY_FETCHES = 20;

/** kafkajs's broker object, as far as a read uses it. */
type FetchingBroker = Awaited<ReturnType<KafkajsCluster['findBroker']>>;
/** Per broker object: its first Fetch, which opens kafkajs's Fetch connection. */
const fetchConnected = new WeakMap<object, Promise<unknown>>();

/**
 * `broker.fetch(request)`, the first Fetch to each broker alone. kafkajs 2.2.4 keeps a second connection per broker
 * for Fetch (connectionPool.js `getConnectionByRequest`) and opens it on first use without a lock: concurrent first
 * fetches (partitions read concurrently, util/bounded.ts) each opened a socket, only the last was kept, and the others
 * stayed open after `disconnect()` — the CLI never exited (record-match test: a run finished, ten sockets stayed).
 */
async function fetchOnce(broker: FetchingBroker, request: Parameters<FetchingBroker['fetch']>[0]) {
  const first = fetchConnected.get(broker);
  if (first) {
    await first.catch(() => undefined);
    return broker.fetch(request);
  }
  const p = broker.fetch(request);
  fetchConnected.set(broker, p);
  try {
    return await p;
  } catch (error) {
    fetchConnected.delete(broker); // the next read opens the connection again
    throw error;
  }
}

/**
 * Reads records with `fromOffset ≤ offset < toOffset` from one partition, calling `onRecord` for each data record in
 * order: transaction markers (control records, kafkajs `isControlRecord`) are passed over; records of aborted
 * transactions are returned (read_uncommitted, as MM2 copies by default).
 * @param toOffset exclusive end, typically the log-end offset taken before the read started.
 * @throws Error when a fetch fails with a non-retriable error code or the read stops making progress.
 */
export async function readPartition(
  cluster: KafkajsCluster,
  topic: string,
  partition: number,
  range: { fromOffset: number; toOffset: number },
  onRecord: (r: RawRecord) => void,
): Promise<void> {
  let next = range.fromOffset;
  let empty = 0;
  await cluster.addTargetTopic(topic);
  while (next < range.toOffset) {
    const meta = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    if (!meta) throw new Error(`partition ${topic}/${partition} not found in metadata`);
    const broker = await cluster.findBroker({ nodeId: String(meta.leader) });
    const res = await fetchOnce(broker, {
      replicaId: -1,
      isolationLevel: 0,
      maxWaitTime: 200,
      minBytes: 1,
      maxBytes: 8 * 1024 * 1024,
      topics: [{ topic, partitions: [{ partition, fetchOffset: String(next), maxBytes: 4 * 1024 * 1024 }] }],
    });
    const part = res.responses[0]?.partitions.find((p) => p.partition === partition);
    if (!part) throw new Error(`fetch of ${topic}/${partition} returned no partition`);
    if (part.errorCode !== 0) {
      if (RETRIABLE_LEADER_ERRORS.has(part.errorCode) && ++empty <= MAX_EMPTY_FETCHES) {
        await cluster.refreshMetadata();
        continue;
      }
      throw new Error(`fetch of ${topic}/${partition} at offset ${next} failed with Kafka error code ${part.errorCode}`);
    }
    let advanced = false;
    for (const m of part.messages) {
      const offset = Number(m.offset);
      if (offset < next) continue; // a batch may start before the requested offset
      if (offset >= range.toOffset) return;
      // A transaction marker (control record) is not data: no consumer sees it and MM2 never copies it.
      if (!(m as { isControlRecord?: boolean }).isControlRecord)
        onRecord({ topic, partition, offset, timestamp: Number(m.timestamp), key: m.key, value: m.value });
      next = offset + 1;
      advanced = true;
    }
    if (!advanced) {
      if (Number(part.highWatermark) <= next) return; // nothing more to read: the log ends here
      if (++empty > MAX_EMPTY_FETCHES) {
        throw new Error(`read of ${topic}/${partition} made no progress at offset ${next} (high watermark ${part.highWatermark})`);
      }
    } else {
      empty = 0;
    }
  }
}
