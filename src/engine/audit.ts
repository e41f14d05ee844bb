/**
 * The audit log: append-only JSON lines written synchronously by pino, one record per {@link RunEvent}. Each record
 * carries `seq`, `prev` (the previous record's hash) and, last, `hash`: the sha256 (hex) of the record's text without
 * its `hash` field. Changing any byte of any record — the last one included — breaks its own hash or the chain
 * ({@link verifyAuditFile}). A record is on disk (fsync) before the write it describes is sent. If a record cannot be written the
 * run stops: {@link AuditLog.record} throws {@link AuditWriteError} and the engine performs no further write.
 * The file is created with mode 0600.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { KafkaFailoverError } from '../errors.js';
import type { RunEvent } from './events.js';

/** The audit log could not be written: the run must stop before any further write. */
export class AuditWriteError extends KafkaFailoverError {
  constructor(file: string, cause: unknown) {
    super(`Cannot write the audit log ${file}: ${(cause as Error)?.message ?? String(cause)}. The run stopped before any further write.`, {
      hint: 'Check free space and permissions of the run directory, then resume.',
      cause,
    });
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The `prev` of the first record. */
export const GENESIS = '0'.repeat(64);

/** Writes audit records to one file. */
export class AuditLog {
  private readonly logger: Logger;
  private readonly fd: number;
  private prev = GENESIS;
  private seq = 0;

  /**
   * @param file path of the JSON-lines file (created 0600, appended to).
   * @param chain when resuming, the last record's hash and seq so the chain continues.
   * @param writeLine how a line reaches the disk (default: write + fsync); tests inject failures (a full disk).
   */
  constructor(
    readonly file: string,
    chain?: { prev: string; seq: number },
    writeLine?: (fd: number, line: string) => void,
  ) {
    this.fd = openSync(file, 'a', 0o600);
    if (chain) {
      this.prev = chain.prev;
      this.seq = chain.seq;
    }
    // pino formats each record; the line is hashed as written (a custom destination sees the exact bytes).
    const dest = {
      write: (line: string) => {
        const body = line.replace(/\n$/, '');
        const hash = sha256(body);
        const full = `${body.slice(0, -1)},"hash":"${hash}"}\n`;
        if (writeLine) writeLine(this.fd, full);
        else {
          writeSync(this.fd, full);
          fsyncSync(this.fd);
        }
        this.prev = hash;
      },
    };
    this.logger = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, dest);
  }

  /**
   * Appends one event (with `seq` and `prev`) and fsyncs it.
   * @throws AuditWriteError when the record could not be written.
   */
  record(event: RunEvent): void {
    try {
      this.seq++;
      this.logger.info({ seq: this.seq, prev: this.prev, ...event });
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
    if (rec.prev !== prev) return broken('prev does not match the previous record\'s hash (the chain is broken)');
    prev = m[2]!;
  }
  return { ok: true, records: lines.length };
}
