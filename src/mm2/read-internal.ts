/**
 * Reading MM2's internal topics **once each**, from the log start to the high watermark taken when the read starts,
 * whatever the number of groups (RemoteClusterUtils scans the checkpoints topic once per group). Corrupt records
 * are reported with topic/partition/offset and reason, and skipped: they never stop the read and never produce a
 * translation.
 */
import type { KafkaPort } from '../kafka/port.js';
import {
  decodeCheckpoint,
  decodeHeartbeat,
  decodeOffsetSync,
  type Checkpoint,
  type Decoded,
  type Heartbeat,
  type OffsetSync,
  type RecordEncoding,
} from './records.js';

/** A record that could not be decoded, and why. */
export interface CorruptRecord {
  topic: string;
  partition: number;
  offset: number;
  reason: string;
}

/** Where a decoded record came from. */
export interface RecordOrigin {
  /** Record offset in the internal topic. */
  recordOffset: number;
  /** Record timestamp (epoch ms): for checkpoints, when MM2 computed it. */
  recordTimestamp: number;
  encoding: RecordEncoding;
}

/** The outcome of reading one internal topic. */
export interface InternalTopicRead<T> {
  topic: string;
  records: (T & RecordOrigin)[];
  corrupt: CorruptRecord[];
  /** Records read (decoded + corrupt). */
  recordsRead: number;
  /** End offset (high watermark) per partition, taken before reading. */
  endOffsets: Record<number, number>;
}

/**
 * Reads and decodes every record of `topic` — or, per partition named in `from`, only those at or after that offset
 * (never before the log start). With `sink`, decoded records go to it and are not kept (`records` stays empty):
 * memory then grows with what the sink keeps, not with the topic's history.
 */
async function readDecoded<T>(
  port: KafkaPort,
  topic: string,
  decode: (k: Buffer | null, v: Buffer | null) => Decoded<T>,
  sink?: (r: T & RecordOrigin) => void,
  from: Readonly<Record<number, number>> = {},
): Promise<InternalTopicRead<T>> {
  const out: InternalTopicRead<T> = { topic, records: [], corrupt: [], recordsRead: 0, endOffsets: {} };
  const keep = sink ?? ((r: T & RecordOrigin) => out.records.push(r));
  const offsets = await port.partitionOffsets(topic);
  for (const p of offsets) {
    out.endOffsets[p.partition] = p.highWatermark;
    // An offset past the high watermark: the topic was recreated (or truncated) since — read it whole.
    const after = from[p.partition] ?? 0;
    const start = after > p.highWatermark ? p.logStartOffset : Math.max(p.logStartOffset, after);
    if (start >= p.highWatermark) continue;
    await port.readRange(topic, p.partition, start, p.highWatermark, (r) => {
      out.recordsRead++;
      const d = decode(r.key, r.value);
      if (d.ok) keep({ ...d.value, recordOffset: r.offset, recordTimestamp: r.timestamp, encoding: d.encoding });
      else out.corrupt.push({ topic, partition: r.partition, offset: r.offset, reason: d.reason });
    });
  }
  return out;
}

/** A checkpoint with where it came from. */
export type CheckpointRecord = Checkpoint & RecordOrigin;
/** An offset sync with where it came from. */
export type OffsetSyncRecord = OffsetSync & RecordOrigin;
/** A heartbeat with where it came from. */
export type HeartbeatRecord = Heartbeat & RecordOrigin & { topic: string };

/**
 * Reads the checkpoints topic, keeping only the latest checkpoint per (group, target topic, partition) of the groups
 * `keep` accepts (later records overwrite earlier ones, as in MirrorClient.remoteConsumerOffsets): memory grows with
 * the groups moved, not with the topic's history or every group MM2 checkpoints.
 * @returns `records`: those latest checkpoints, in the order their keys were first seen.
 * @throws the port's read errors.
 */
export async function readCheckpoints(target: KafkaPort, topic: string, keep: (c: Checkpoint) => boolean = () => true): Promise<InternalTopicRead<Checkpoint>> {
  const latest = new Map<string, CheckpointRecord>();
  const read = await readDecoded(target, topic, decodeCheckpoint, (c) => {
    if (keep(c)) latest.set(checkpointKey(c.group, c.topic, c.partition), c);
  });
  return { ...read, records: [...latest.values()] };
}

/**
 * Reads the offset-syncs topic: all of it, or with `from` (offset per partition of the offset-syncs topic, e.g. the
 * `endOffsets` of an earlier read) only what MM2 wrote since.
 */
export function readOffsetSyncs(port: KafkaPort, topic: string, from?: Readonly<Record<number, number>>): Promise<InternalTopicRead<OffsetSync>> {
  return readDecoded(port, topic, decodeOffsetSync, undefined, from);
}

/** Reads a heartbeats topic. */
export async function readHeartbeats(port: KafkaPort, topic: string): Promise<InternalTopicRead<Heartbeat & { topic: string }>> {
  const r = await readDecoded(port, topic, decodeHeartbeat);
  return { ...r, records: r.records.map((h) => ({ ...h, topic })) };
}

/** Key of a (group, topic, partition) triple. */
export const checkpointKey = (group: string, topic: string, partition: number) => JSON.stringify([group, topic, partition]);

/**
 * The latest checkpoint per (group, target topic, partition): later records overwrite earlier ones, as in
 * MirrorClient.remoteConsumerOffsets.
 */
export function latestCheckpoints(records: readonly CheckpointRecord[]): Map<string, CheckpointRecord> {
  const latest = new Map<string, CheckpointRecord>();
  for (const c of records) latest.set(checkpointKey(c.group, c.topic, c.partition), c);
  return latest;
}
