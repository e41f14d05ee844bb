/**
 * The audit log: append-only JSON lines written synchronously by pino, one record per {@link RunEvent}, each
 * carrying `seq` and the sha256 of the previous record's line (`prev`), so that removing or changing a record breaks
 * the chain. A record is on disk (fsync) before the write it describes is sent. If a record cannot be written the
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

/** sha256 hex of the first record's `prev`. */
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
        if (writeLine) writeLine(this.fd, line);
        else {
          writeSync(this.fd, line);
          fsyncSync(this.fd);
        }
        this.prev = createHash('sha256').update(line.replace(/\n$/, '')).digest('hex');
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

