/**
 * Reading a range of one partition without a consumer group, through kafkajs's protocol layer (Fetch requests to
 * the partition leader). Used for MM2's internal topics and for probes: no group is created, joined or committed,
 * so a read leaves no trace on the cluster.
 */
import DataLoader from 'dataloader';
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
type FetchRequest = Parameters<FetchingBroker['fetch']>[0];
type FetchResponse = Awaited<ReturnType<FetchingBroker['fetch']>>;
/** One partition's part of a Fetch response, as kafkajs decodes it. */
type FetchedPartition = FetchResponse['responses'][number]['partitions'][number];
/** Per broker object: its first Fetch, which opens kafkajs's Fetch connection. */
const fetchConnected = new WeakMap<object, Promise<unknown>>();

/**
 * `broker.fetch(request)`, the first Fetch to each broker alone. kafkajs 2.2.4 keeps a second connection per broker
 * for Fetch (connectionPool.js `getConnectionByRequest`) and opens it on first use without a lock: concurrent first
 * fetches (partitions read concurrently, util/bounded.ts) each opened a socket, only the last was kept, and the others
 * stayed open after `disconnect()` — the CLI never exited (record-match test: a run finished, ten sockets stayed).
 */
async function fetchOnce(broker: FetchingBroker, request: FetchRequest): Promise<FetchResponse> {
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

/** One partition's fetch position, as a reader asks for it. */
interface PartitionFetch {
  topic: string;
  partition: number;
  fetchOffset: number;
}

/** Bytes a Fetch may return per partition (FetchRequest `PartitionMaxBytes`). */
const PARTITION_MAX_BYTES = 4 * 1024 * 1024;
/**
 * Partitions per Fetch request at most: the request's `MaxBytes` is partitions × {@link PARTITION_MAX_BYTES} so that no
 * partition of a batch is starved by the others (a broker fills a response partition by partition up to `MaxBytes`),
 * and 12 × 4 MiB stays under the broker's `fetch.max.bytes` (default 55 MiB, KafkaConfig), which caps it.
 */
const MAX_PARTITIONS_PER_FETCH = 12;

/**
 * Per broker object: a DataLoader that sends the partition fetches asked for in the same tick (record matching and the
 * continuity proof read `PARTITIONS_IN_FLIGHT` partitions at once, util/bounded.ts) as one Fetch request with many partitions to
 * that leader, instead of one request per partition (issue 15, scale).
 */
const fetchLoaders = new WeakMap<object, DataLoader<PartitionFetch, FetchedPartition>>();

function fetchLoader(broker: FetchingBroker): DataLoader<PartitionFetch, FetchedPartition> {
  let loader = fetchLoaders.get(broker);
  if (!loader) {
    loader = new DataLoader<PartitionFetch, FetchedPartition>((keys) => fetchBatch(broker, keys), {
      cache: false,
      maxBatchSize: MAX_PARTITIONS_PER_FETCH,
    });
    fetchLoaders.set(broker, loader);
  }
  return loader;
}

/**
 * One Fetch request per round for `keys`; a partition asked for twice in one batch (two readers of it) goes into a
 * later round, since a request names each partition once.
 */
async function fetchBatch(broker: FetchingBroker, keys: readonly PartitionFetch[]): Promise<(FetchedPartition | Error)[]> {
  const results: (FetchedPartition | Error)[] = new Array(keys.length);
  let pending = keys.map((k, i) => ({ k, i }));
  while (pending.length > 0) {
    const round: typeof pending = [];
    const later: typeof pending = [];
    const seen = new Set<string>();
    for (const p of pending) {
      const id = `${p.k.topic}\u0000${p.k.partition}`;
      (seen.has(id) ? later : round).push(p);
      seen.add(id);
    }
    const byTopic = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
    for (const { k } of round) {
      const list = byTopic.get(k.topic) ?? [];
      list.push({ partition: k.partition, fetchOffset: String(k.fetchOffset), maxBytes: PARTITION_MAX_BYTES });
      byTopic.set(k.topic, list);
    }
    const res = await fetchOnce(broker, {
      replicaId: -1,
      isolationLevel: 0,
      maxWaitTime: 200,
      minBytes: 1,
      maxBytes: round.length * PARTITION_MAX_BYTES,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
    // kafkajs shuffles the partitions and merges only neighbours of one topic (broker/index.js `fetch`, KIP-74), so a
    // topic may come back in several response entries.
    const byPartition = new Map<string, FetchedPartition>();
    for (const r of res.responses) for (const p of r.partitions) byPartition.set(`${r.topicName}\u0000${p.partition}`, p);
    for (const { k, i } of round) {
      const part = byPartition.get(`${k.topic}\u0000${k.partition}`);
      results[i] = part ?? new Error(`fetch of ${k.topic}/${k.partition} returned no partition`);
    }
    pending = later;
  }
  return results;
}

/**
 * Reads records with `fromOffset ≤ offset < toOffset` from one partition, calling `onRecord` for each data record in
 * order: transaction markers (control records, kafkajs `isControlRecord`) are passed over; records of aborted
 * transactions are returned (read_uncommitted, as MM2 copies by default).
 * @param toOffset exclusive end, typically the log-end offset taken before the read started.
 * @param signal when aborted (the port closed: the operation ended, e.g. another partition's read failed), the read
 *   stops before its next Fetch — kafkajs would otherwise reconnect a closed client and leak its sockets.
 * @throws Error when a fetch fails with a non-retriable error code or the read stops making progress; the signal's
 *   reason when aborted.
 */
export async function readPartition(
  cluster: KafkajsCluster,
  topic: string,
  partition: number,
  range: { fromOffset: number; toOffset: number },
  onRecord: (r: RawRecord) => void,
  signal?: AbortSignal,
): Promise<void> {
  let next = range.fromOffset;
  let empty = 0;
  signal?.throwIfAborted();
  await cluster.addTargetTopic(topic);
  while (next < range.toOffset) {
    signal?.throwIfAborted();
    const meta = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    if (!meta) throw new Error(`partition ${topic}/${partition} not found in metadata`);
    const broker = await cluster.findBroker({ nodeId: String(meta.leader) });
    let part: FetchedPartition;
    try {
      part = await fetchLoader(broker).load({ topic, partition, fetchOffset: next });
    } catch (error) {
      // kafkajs fails the whole Fetch on the first partition error (fetch response.js `parse`): a leader that moved is
      // looked up again and the fetch repeated; any other error ends the read.
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number' && RETRIABLE_LEADER_ERRORS.has(code) && ++empty <= MAX_EMPTY_FETCHES) {
        await cluster.refreshMetadata();
        continue;
      }
      throw error;
    }
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
