/**
 * MirrorMaker 2's internal record formats: decoders that never throw (a bad record becomes a `{ok:false}` result
 * carrying the reason) and encoders used by tests.
 *
 * Sources (apache/kafka):
 * - Checkpoint v0 — connect/mirror-client/…/Checkpoint.java: key `group` STRING, `topic` STRING (target-side,
 *   renamed topic), `partition` INT32; value `version` INT16 (= 0), `upstreamOffset` INT64, `offset` INT64
 *   (downstream), `metadata` STRING. Java only `assert`s the version; this decoder rejects any other.
 * - OffsetSync — connect/mirror/…/OffsetSync.java: key `topic` STRING (source topic), `partition` INT32; value
 *   `upstreamOffset` INT64, `offset` INT64; exactly 16 bytes, no version prefix. Both are record offsets.
 * - Heartbeat v0 — connect/mirror-client/…/Heartbeat.java: key `sourceClusterAlias` STRING,
 *   `targetClusterAlias` STRING; value `version` INT16 (= 0), `timestamp` INT64 (epoch ms).
 * A Kafka Connect worker that kept JsonConverter may wrap the bytes in a JSON envelope (`{"schema":…,"payload":
 * "<base64>"}` or a bare `"<base64>"` string): such values are unwrapped and marked `encoding: 'json-envelope'`.
 */
import { BinaryReader, BinaryWriter, DecodeError } from './binary.js';

/** A decoded checkpoint (one consumer group's translated committed offset on one target partition). */
export interface Checkpoint {
  group: string;
  /** Target-side topic, e.g. `primary.orders` under the default replication policy. */
  topic: string;
  partition: number;
  /** The source group's committed offset (next record to consume upstream). */
  upstreamOffset: number;
  /** The translated committed offset on the target partition. */
  downstreamOffset: number;
  /** The source commit's metadata string. */
  metadata: string;
}

/** A decoded offset sync: record `upstreamOffset` on the source partition was copied to `downstreamOffset`. */
export interface OffsetSync {
  /** Source topic. */
  topic: string;
  partition: number;
  upstreamOffset: number;
  downstreamOffset: number;
}

/** A decoded heartbeat. */
export interface Heartbeat {
  sourceClusterAlias: string;
  targetClusterAlias: string;
  /** When MM2 emitted it (epoch ms). */
  timestamp: number;
}

/** How the bytes were stored. */
export type RecordEncoding = 'raw' | 'json-envelope';

/** Result of a decode: the value, or why the record was rejected. Never thrown. */
export type Decoded<T> = { ok: true; value: T; encoding: RecordEncoding } | { ok: false; reason: string };

/** The only Checkpoint and Heartbeat value version MM2 writes. */
export const SUPPORTED_VERSION = 0;

/**
 * Unwraps a JsonConverter envelope. Returns the raw bytes, or a reason. Values that do not start with `{` or `"`
 * are raw and returned as they are.
 */
export function unwrapEnvelope(bytes: Buffer): { bytes: Buffer; encoding: RecordEncoding } | { reason: string } {
  const first = bytes[0];
  if (first !== 0x7b && first !== 0x22) return { bytes, encoding: 'raw' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    // A raw record may start with 0x22/0x7b by chance (e.g. a STRING length of 8827): keep it raw.
    return { bytes, encoding: 'raw' };
  }
  const payload = typeof parsed === 'string' ? parsed : typeof parsed === 'object' && parsed !== null ? (parsed as { payload?: unknown }).payload : undefined;
  if (typeof payload !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) {
    return { reason: 'JSON value is not a JsonConverter envelope of bytes (expected a base64 string or {"payload": "<base64>"})' };
  }
  return { bytes: Buffer.from(payload, 'base64'), encoding: 'json-envelope' };
}

function decode<T>(key: Buffer | null, value: Buffer | null, what: string, parse: (k: Buffer, v: Buffer) => T): Decoded<T> {
  if (!key || !value) return { ok: false, reason: `${what} record has a null ${!key ? 'key' : 'value'}` };
  const k = unwrapEnvelope(key);
  const v = unwrapEnvelope(value);
  if ('reason' in k) return { ok: false, reason: `key: ${k.reason}` };
  if ('reason' in v) return { ok: false, reason: `value: ${v.reason}` };
  try {
    return { ok: true, value: parse(k.bytes, v.bytes), encoding: k.encoding === 'json-envelope' || v.encoding === 'json-envelope' ? 'json-envelope' : 'raw' };
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, reason: `${what}: ${error.message}` };
    return { ok: false, reason: `${what}: ${String(error)}` };
  }
}

/** Decodes a record of `<source>.checkpoints.internal`. Never throws. */
export function decodeCheckpoint(key: Buffer | null, value: Buffer | null): Decoded<Checkpoint> {
  return decode(key, value, 'checkpoint', (k, v) => {
    const kr = new BinaryReader(k);
    const group = kr.string('group');
    const topic = kr.string('topic');
    const partition = kr.int32('partition');
    kr.end('checkpoint key');
    const vr = new BinaryReader(v);
    const version = vr.int16('version');
    if (version !== SUPPORTED_VERSION) throw new DecodeError(`unsupported checkpoint version ${version} (only ${SUPPORTED_VERSION} is known)`);
    const upstreamOffset = vr.int64('upstreamOffset');
    const downstreamOffset = vr.int64('offset');
    const metadata = vr.string('metadata');
    vr.end('checkpoint value');
    if (partition < 0) throw new DecodeError(`negative partition ${partition}`);
    return { group, topic, partition, upstreamOffset, downstreamOffset, metadata };
  });
}

/** Decodes a record of `mm2-offset-syncs.<target>.internal`. Never throws. */
export function decodeOffsetSync(key: Buffer | null, value: Buffer | null): Decoded<OffsetSync> {
  return decode(key, value, 'offset sync', (k, v) => {
    const kr = new BinaryReader(k);
    const topic = kr.string('topic');
    const partition = kr.int32('partition');
    kr.end('offset sync key');
    if (v.length !== 16) throw new DecodeError(`value is ${v.length} bytes; an offset sync value is exactly 16`);
    const vr = new BinaryReader(v);
    const upstreamOffset = vr.int64('upstreamOffset');
    const downstreamOffset = vr.int64('offset');
    if (partition < 0) throw new DecodeError(`negative partition ${partition}`);
    return { topic, partition, upstreamOffset, downstreamOffset };
  });
}

/** Decodes a record of a `heartbeats` topic. Never throws. */
export function decodeHeartbeat(key: Buffer | null, value: Buffer | null): Decoded<Heartbeat> {
  return decode(key, value, 'heartbeat', (k, v) => {
    const kr = new BinaryReader(k);
    const sourceClusterAlias = kr.string('sourceClusterAlias');
    const targetClusterAlias = kr.string('targetClusterAlias');
    kr.end('heartbeat key');
    const vr = new BinaryReader(v);
    const version = vr.int16('version');
    if (version !== SUPPORTED_VERSION) throw new DecodeError(`unsupported heartbeat version ${version} (only ${SUPPORTED_VERSION} is known)`);
    const timestamp = vr.int64('timestamp');
    vr.end('heartbeat value');
    return { sourceClusterAlias, targetClusterAlias, timestamp };
  });
}

/** Encodes a checkpoint exactly as Checkpoint.java does (version 0). */
export function encodeCheckpoint(c: Checkpoint): { key: Buffer; value: Buffer } {
  return {
    key: new BinaryWriter().string(c.group).string(c.topic).int32(c.partition).toBuffer(),
    value: new BinaryWriter().int16(0).int64(c.upstreamOffset).int64(c.downstreamOffset).string(c.metadata).toBuffer(),
  };
}

/** Encodes an offset sync exactly as OffsetSync.java does. */
export function encodeOffsetSync(s: OffsetSync): { key: Buffer; value: Buffer } {
  return {
    key: new BinaryWriter().string(s.topic).int32(s.partition).toBuffer(),
    value: new BinaryWriter().int64(s.upstreamOffset).int64(s.downstreamOffset).toBuffer(),
  };
}

/** Encodes a heartbeat exactly as Heartbeat.java does (version 0). */
export function encodeHeartbeat(h: Heartbeat): { key: Buffer; value: Buffer } {
  return {
    key: new BinaryWriter().string(h.sourceClusterAlias).string(h.targetClusterAlias).toBuffer(),
    value: new BinaryWriter().int16(0).int64(h.timestamp).toBuffer(),
  };
}
