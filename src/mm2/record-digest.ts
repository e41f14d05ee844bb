/**
 * Record digests and partition spans: what record matching (record-match.ts) and the continuity proof
 * (continuity.ts) compare. A digest is a content hash of what MM2 copies unchanged from a source record to its copy —
 * timestamp, key bytes and value bytes (MirrorSourceTask.convertRecord; headers are copied too but the port's reads
 * do not return them) — so a record and its copy have the same digest, and memory per record is a few dozen bytes
 * whatever the record's size.
 *
 * A {@link PartitionSpan} holds the digests of one contiguous offset range of one partition, read once and widened on
 * either side on demand, so every group committed on that partition is resolved from one pass over the records
 * between the lowest and highest position (issue 15: cost grows with the records spanned, not groups × records).
 */
import { createHash } from 'node:crypto';
import type { KafkaPort, ReadRecord } from '../kafka/port.js';

/** A record's offset, timestamp (epoch ms) and content hash. */
export interface RecordDigest {
  offset: number;
  timestamp: number;
  /** SHA-256 of timestamp, key and value (with null and length markers), hex, first 128 bits. */
  hash: string;
}

/** The digest of a record (see {@link RecordDigest}). */
export function digest(r: Pick<ReadRecord, 'offset' | 'timestamp' | 'key' | 'value'>): RecordDigest {
  const h = createHash('sha256');
  const head = Buffer.alloc(8);
  head.writeBigInt64BE(BigInt(r.timestamp));
  h.update(head);
  for (const part of [r.key, r.value]) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(part === null ? -1 : part.length);
    h.update(len);
    if (part) h.update(part);
  }
  return { offset: r.offset, timestamp: r.timestamp, hash: h.digest('hex').slice(0, 32) };
}

/**
 * The digests of `[from, to)` of one partition, in offset order (control records and compacted-away offsets have
 * none), widened by {@link PartitionSpan.cover}. Reads stay within `[logStart, end)` given at construction.
 */
export class PartitionSpan {
  /** Digests in offset order. */
  readonly records: RecordDigest[] = [];
  private from: number;
  private to: number;
  /** Records read so far (for the plan's notes and benchmarks). */
  recordsRead = 0;

  constructor(
    private readonly port: KafkaPort,
    readonly topic: string,
    readonly partition: number,
    /** Log start and high watermark (records): the readable bounds. */
    readonly logStart: number,
    readonly end: number,
  ) {
    this.from = logStart;
    this.to = logStart;
  }

  /** The range read so far: `[from, to)`. */
  get range(): { from: number; to: number } {
    return { from: this.from, to: this.to };
  }

  /**
   * Makes sure `[from, to)` (clamped to the readable bounds) has been read, reading only what is missing.
   * @throws the port's read errors.
   */
  async cover(from: number, to: number): Promise<void> {
    const a = Math.max(this.logStart, from);
    const b = Math.min(this.end, to);
    if (a >= b) return;
    if (this.from === this.to) {
      this.from = a;
      this.to = a;
    }
    if (a < this.from) {
      const before: RecordDigest[] = [];
      await this.read(a, this.from, before);
      this.records.unshift(...before);
      this.from = a;
    }
    if (b > this.to) {
      const after: RecordDigest[] = [];
      await this.read(this.to, b, after); // from `to`: the span stays contiguous
      this.records.push(...after);
      this.to = b;
    }
  }

  private async read(a: number, b: number, into: RecordDigest[]) {
    if (a >= b) return;
    await this.port.readRange(this.topic, this.partition, a, b, (r) => {
      into.push(digest(r));
      this.recordsRead++;
    });
  }

  /** Index of the first record with offset ≥ `offset` (records.length when none). */
  indexAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.records.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.records[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Records with `from ≤ offset < to` (within what has been read). */
  between(from: number, to: number): RecordDigest[] {
    return this.records.slice(this.indexAtOrAfter(from), this.indexAtOrAfter(to));
  }
}
