/**
 * One run at a time per cluster pair (docs/design/run-lock.md):
 * - a **local lock** file `<runs dir>/.lock-<source>-<target>.json` created exclusively, holding the PID and process
 *   start time of its holder; a file whose holder is dead is stale and taken over;
 * - a **lease** on the target cluster: keyed records in the compacted topic `kafka-failover-lease.internal`
 *   (key `<source>-><target>`; MM2's default topics.exclude never replicates it). A runner reads the latest record,
 *   refuses when another run holds an unexpired lease, writes its own, and reads back: the latest record in the
 *   partition wins, so of two runners racing exactly one sees itself. The holder renews every ttl/3 and checks it
 *   still holds the lease before every write; a holder that stops renewing (crashed) loses it after `ttlMs`.
 * `--steal-lock --reason` takes a live lease over (audited).
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pRetry from 'p-retry';
import { ExitCode, KafkaFailoverError } from '../errors.js';
import type { KafkaPort } from '../kafka/port.js';
import { isAlive, processStartTime, type ProcessRecord } from '../sandbox/processes.js';

/** The lease topic on the target cluster. */
export const LEASE_TOPIC = 'kafka-failover-lease.internal';

/** Who holds (or held) a lock. */
export interface LockHolder {
  runId: string;
  operator: string;
  host: string;
  pid: number;
  /** ISO time the holder took the lock. */
  since: string;
  /** Epoch ms after which the lease is free (0 = released). */
  expiresAt: number;
}

/** Another run holds the lock: exit code 5, naming the holder. */
export class LockHeldError extends KafkaFailoverError {
  constructor(
    readonly holder: LockHolder,
    where: string,
  ) {
    super(`Another run holds the ${where} for this cluster pair: run ${holder.runId} by ${holder.operator}@${holder.host} (pid ${holder.pid}) since ${holder.since}${holder.expiresAt ? `, lease valid until ${new Date(holder.expiresAt).toISOString()}` : ''}.`, {
      exitCode: ExitCode.LockHeld,
      hint: 'Wait for it to finish. If it crashed, its lease expires on its own; to take over now use --steal-lock --reason "<why>" (audited).',
    });
  }
}

/** The lease was lost (taken over, or not renewed in time): no further write is allowed. */
export class LeaseLostError extends KafkaFailoverError {
  constructor(pair: string, now: LockHolder | undefined) {
    super(`The lease for ${pair} is no longer held by this run${now ? ` (now held by run ${now.runId} of ${now.operator}@${now.host})` : ''}; stopping before any further write.`);
  }
}

type LocalLockFile = LockHolder & { process: ProcessRecord };

/** Takes the local lock file. @returns a release function. @throws LockHeldError when a live process holds it. */
export function takeLocalLock(runsDir: string, pair: string, me: LockHolder, steal: boolean): { release: () => void; replaced?: LockHolder } {
  const file = path.join(runsDir, `.lock-${pair.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  const content: LocalLockFile = { ...me, process: { pid: process.pid, startTime: processStartTime(process.pid) ?? '', argv: [], logFile: '', startedAt: me.since } };
  let replaced: LockHolder | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify(content));
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }), ...(replaced ? { replaced } : {}) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let held: LocalLockFile | undefined;
      try {
        held = JSON.parse(readFileSync(file, 'utf8')) as LocalLockFile;
      } catch {
        held = undefined;
      }
      const sameRun = held?.runId === me.runId;
      if (held && isAlive(held.process) && !sameRun && !steal) throw new LockHeldError(held, 'local run lock');
      replaced = held;
      rmSync(file, { force: true }); // stale (holder dead), our own run resuming, or stolen
    }
  }
  throw new Error(`could not take the local lock ${file}`);
}

/** A lease on the target cluster. */
export class TargetLease {
  private timer: NodeJS.Timeout | undefined;
  lost = false;

  private constructor(
    private readonly port: KafkaPort,
    private readonly pair: string,
    private readonly me: LockHolder,
    private readonly ttlMs: number,
  ) {}

  private async latest(): Promise<LockHolder | undefined> {
    let found: LockHolder | undefined;
    for (const p of await this.port.partitionOffsets(LEASE_TOPIC)) {
      await this.port.readRange(LEASE_TOPIC, p.partition, p.logStartOffset, p.highWatermark, (r) => {
        if (r.key?.toString() !== this.pair || !r.value) return;
        try {
          found = JSON.parse(r.value.toString()) as LockHolder;
        } catch {
          /* not a lease record */
        }
      });
    }
    return found;
  }

  private async write(expiresAt: number): Promise<void> {
    await this.port.produce(LEASE_TOPIC, [{ key: this.pair, value: JSON.stringify({ ...this.me, expiresAt }), partition: 0 }]);
  }

  /**
   * Acquires the lease. @returns the lease and the live holder it replaced when stealing.
   * @throws LockHeldError when another run holds an unexpired lease (or won a race).
   */
  static async acquire(port: KafkaPort, pair: string, me: LockHolder, ttlMs: number, steal: boolean): Promise<{ lease: TargetLease; stolenFrom?: LockHolder; expiredFrom?: LockHolder }> {
    if (!(await port.listTopics()).includes(LEASE_TOPIC)) {
      await port.createTopic(LEASE_TOPIC, 1, undefined, { 'cleanup.policy': 'compact' }).catch(() => {});
    }
    const lease = new TargetLease(port, pair, me, ttlMs);
    const before = await lease.latest();
    const live = before && before.expiresAt > Date.now() && before.runId !== me.runId;
    if (live && !steal) throw new LockHeldError(before, 'lease on the target cluster');
    await lease.write(Date.now() + ttlMs);
    const after = await lease.latest();
    if (after?.runId !== me.runId) throw new LockHeldError(after!, 'lease on the target cluster');
    lease.timer = setInterval(() => void lease.renew(), Math.max(500, Math.floor(ttlMs / 3)));
    lease.timer.unref();
    return { lease, ...(live ? { stolenFrom: before } : before && before.runId !== me.runId && before.expiresAt > 0 ? { expiredFrom: before } : {}) };
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    try {
      const now = await this.latest();
      if (now?.runId !== this.me.runId) {
        this.lost = true;
        return;
      }
      await this.write(Date.now() + this.ttlMs);
    } catch {
      /* the next renewal or the pre-write check decides */
    }
  }

  /** Checks the lease before a write. @throws LeaseLostError. */
  async assertHeld(): Promise<void> {
    const now = await this.latest();
    if (this.lost || now?.runId !== this.me.runId || now.expiresAt <= Date.now()) {
      this.lost = true;
      throw new LeaseLostError(this.pair, now);
    }
  }

  /** Stops renewing and releases the lease if this run still holds it; retries for up to 15 s (a broker may be back). */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await pRetry(
        async () => {
          if ((await this.latest())?.runId === this.me.runId) await this.write(0);
        },
        { retries: 10, minTimeout: 500, maxTimeout: 2000, maxRetryTime: 15_000 },
      );
    } catch {
      /* it expires on its own after the time-to-live */
    }
  }
}

/** The holder record for this process. */
export function holderFor(runId: string, operator: string): LockHolder {
  return { runId, operator, host: os.hostname(), pid: process.pid, since: new Date().toISOString(), expiresAt: 0 };
}
