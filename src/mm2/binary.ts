/**
 * Big-endian readers and writers for the Kafka protocol primitives MM2's internal records use
 * (org.apache.kafka.common.protocol.types.Type): INT16, INT32, INT64 and STRING (INT16 length + UTF-8 bytes,
 * never null for these schemas, at most 32767 bytes).
 */

/** Thrown by {@link BinaryReader} on malformed input; decoders turn it into a rejected record, never a crash. */
export class DecodeError extends Error {}

/** Sequential reader over a buffer. */
export class BinaryReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new DecodeError(`truncated: ${what} needs ${n} byte(s) at byte ${this.pos}, ${this.buf.length - this.pos} left`);
  }
  int16(what: string): number {
    this.need(2, what);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(what: string): number {
    this.need(4, what);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** INT64 as a number; values beyond ±2^53 are rejected (no Kafka offset or epoch-ms timestamp reaches them). */
  int64(what: string): number {
    this.need(8, what);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new DecodeError(`${what} ${v} is out of range`);
    return Number(v);
  }
  /** Non-nullable STRING. */
  string(what: string): string {
    const len = this.int16(`${what} length`);
    if (len < 0) throw new DecodeError(`${what} is null (length ${len}) where the schema forbids it`);
    this.need(len, what);
    const bytes = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) throw new DecodeError(`${what} is not valid UTF-8`);
    return text;
  }
  /** Throws unless every byte was read (a record with trailing bytes is not one MM2 wrote). */
  end(what: string): void {
    if (this.pos !== this.buf.length) throw new DecodeError(`${what} has ${this.buf.length - this.pos} unexpected trailing byte(s)`);
  }
}

/** Sequential writer; used to build records in tests and fixtures exactly as MM2 does. */
export class BinaryWriter {
  private readonly parts: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  int64(v: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  string(s: string): this {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > 32767) throw new RangeError(`STRING of ${bytes.length} bytes exceeds 32767`);
    this.int16(bytes.length);
    this.parts.push(bytes);
    return this;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}
