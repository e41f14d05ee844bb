/**
 * The audit log: append-only JSON lines written synchronously by pino, one record per {@link RunEvent}. Each record
 * carries `seq`, `prev` (the previous record's hash) and, last, `hash`: the sha256 (hex) of the record's text without
 * its `hash` field. Changing any byte of any record — the last one included — breaks its own hash or the chain
 * ({@link verifyAuditText}); cutting the tail of a finished run or rewriting the whole chain is caught by the anchor
 * on the target cluster (src/engine/audit-anchor.ts, docs/design/audit-anchor.md).
 * A record is on disk (fsync) before the write it describes is sent. `write(2)` may write fewer bytes than asked
 * (a nearly full disk): the writer loops until the whole line is written. If a line cannot be written whole, the
 * file is cut back (ftruncate) to its last whole record, {@link AuditLog.record} throws {@link AuditWriteError}
 * and the engine performs no further write: the chain stays intact and the run open, so `resume` continues it once
 * the disk has room. The file is created with mode 0600.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { KafkaFailoverError } from '../errors.js';
import type { RunEvent } from './events.js';

/** Bytes available to this user on the filesystem holding `file` (statfs `bavail × bsize`); undefined when unknown. */
export function freeBytes(file: string): number | undefined {
  try {
    const s = statfsSync(path.dirname(file));
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

/**
 * A file of the run directory (audit log, run.json, snapshot) could not be written: the run stopped before any
 * further write to a cluster. One line naming the file, the cause and the free space on its filesystem (bytes).
 */
export class RunFileWriteError extends KafkaFailoverError {
  constructor(
    readonly file: string,
    cause: unknown,
    readonly free: number | undefined = freeBytes(file),
  ) {
    const why = (cause as Error)?.message ?? String(cause);
    super(
      `Cannot write ${file}: ${why.split('\n')[0]} (${free === undefined ? 'free space unknown' : `${free} bytes free`} on its filesystem); the run stopped before any further write to a cluster.`,
      {
        hint: 'Free space (or fix permissions) in the run directory, then `kafka-failover resume <run-id>` continues the run.',
        cause,
      },
    );
  }
}

/** The audit log could not be written whole: cut back to its last whole record; the run must stop before any further write. */
export class AuditWriteError extends RunFileWriteError {}

/** How audit lines reach the disk: `write(2)` (may write fewer bytes than asked), fsync, ftruncate. Tests inject a full disk. */
export interface AuditIo {
  /** Writes up to `length` bytes of `buffer` from `offset`; returns how many were written (may be fewer). Throws on error (ENOSPC). */
  write(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsync(fd: number): void;
  ftruncate(fd: number, length: number): void;
}

/** The real filesystem. */
export const nodeAuditIo: AuditIo = {
  write: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
  fsync: (fd) => fsyncSync(fd),
  ftruncate: (fd, length) => ftruncateSync(fd, length),
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The `prev` of the first record. */
export const GENESIS = '0'.repeat(64);

/** Writes audit records to one file. */
export class AuditLog {
  private readonly logger: Logger;
  private readonly fd: number;
  private prev = GENESIS;
  private seq = 0;
  /** Bytes of whole records in the file (the length it is cut back to when a line cannot be written whole). */
  private size: number;

  /**
   * @param file path of the JSON-lines file (created 0600, appended to).
   * @param chain when resuming, the last record's hash and seq so the chain continues.
   * @param io how bytes reach the disk (default: the real filesystem); tests inject short writes and ENOSPC.
   */
  constructor(
    readonly file: string,
    chain?: { prev: string; seq: number },
    private readonly io: AuditIo = nodeAuditIo,
  ) {
    this.fd = openSync(file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
    if (chain) {
      this.prev = chain.prev;
      this.seq = chain.seq;
    }
    // pino formats each record; the line is hashed as written (a custom destination sees the exact bytes).
    const dest = {
      write: (line: string) => {
        const body = line.replace(/\n$/, '');
        const hash = sha256(body);
        this.append(Buffer.from(`${body.slice(0, -1)},"hash":"${hash}"}\n`, 'utf8'));
        this.prev = hash;
      },
    };
    this.logger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, dest);
  }

  /** Writes the whole buffer (looping on short writes) and fsyncs; on failure cuts the file back to its last whole record. */
  private append(bytes: Buffer): void {
    let done = 0;
    try {
      while (done < bytes.length) {
        const n = this.io.write(this.fd, bytes, done, bytes.length - done);
        if (!(n > 0)) throw new Error(`short write: ${done + Math.max(0, n || 0)} of ${bytes.length} bytes written`);
        done += n;
      }
      this.io.fsync(this.fd);
      this.size += bytes.length;
    } catch (error) {
      try {
        this.io.ftruncate(this.fd, this.size); // drop the partial record: the chain stays whole
        this.io.fsync(this.fd);
      } catch {
        /* nothing more can be done; verify names the cut record */
      }
      throw error;
    }
  }

  /**
   * Appends one event (with `seq` and `prev`) and fsyncs it.
   * @throws AuditWriteError when the record could not be written whole (the file is then cut back to its last whole record).
   */
  record(event: RunEvent): void {
    try {
      this.logger.info({ seq: this.seq + 1, prev: this.prev, ...event });
      this.seq++;
    } catch (error) {
      throw new AuditWriteError(this.file, error);
    }
  }

  /** The chain position, for resuming. */
  position(): { prev: string; seq: number } {
    return { prev: this.prev, seq: this.seq };
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

/** Outcome of {@link verifyAuditText}. */
export type AuditVerification = { ok: true; records: number } | { ok: false; records: number; line: number; reason: string };

/**
 * Verifies an audit log's text: every line is JSON with a valid own `hash`, `seq` counts 1, 2, 3… and `prev` equals
 * the previous record's `hash`. Returns the first broken record (1-based line) and why.
 */
export function verifyAuditText(text: string): AuditVerification {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const broken = (reason: string): AuditVerification => ({ ok: false, records: lines.length, line: i + 1, reason });
    const m = /^(\{.*),"hash":"([0-9a-f]{64})"\}$/.exec(line);
    if (!m) return broken('no trailing "hash" field (record truncated or edited)');
    const body = `${m[1]}}`;
    if (sha256(body) !== m[2]) return broken('its content does not match its hash (record edited)');
    let rec: { seq?: unknown; prev?: unknown };
    try {
      rec = JSON.parse(body);
    } catch {
      return broken('not valid JSON');
    }
    if (rec.seq !== i + 1) return broken(`seq is ${JSON.stringify(rec.seq)}, expected ${i + 1} (a record was removed, added or reordered)`);
    if (rec.prev !== prev) return broken("prev does not match the previous record's hash (the chain is broken)");
    prev = m[2]!;
  }
  return { ok: true, records: lines.length };
}
