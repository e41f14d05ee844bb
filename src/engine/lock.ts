/**
 * One run at a time per cluster pair (docs/design/run-lock.md):
 * - every run attempt (process) carries its own random **token**; the lock and the lease compare holders on it,
 *   never on the run id, so two processes of one run id (two `resume <id>` at once) are two holders;
 * - a **local lock**: generation files `<runs dir>/.lock-<source>-<target>.<n>.json`, the highest `n` being the
 *   lock's state, each created whole and atomically with `link()` (fails if it exists): of processes racing to
 *   replace generation n, exactly one creates n + 1. A holder that is dead on this host is stale and taken over
 *   (reported, for the audit log); a holder on another host cannot be checked and is refused unless stolen;
 * - a **lease** on the target cluster: keyed records in the compacted topic `kafka-failover-lease.internal`
 *   (key `<source>-><target>`; MM2's default topics.exclude never replicates it). A runner reads the latest record,
 *   refuses when another holder's lease is unexpired (unless that holder is the dead process whose local lock it
 *   just replaced), writes its own, and reads back: the latest record in the partition wins. The holder renews every
 *   ttl/3 and checks it still holds the lease before every write; a holder that stops renewing (crashed) loses it
 *   after `ttlMs`.
 * Both are released compare-and-release: only by the token that holds them. `--steal-lock --reason` takes a live
 * lock or lease over (audited).
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode, KafkaFailoverError } from '../errors.js';
import { isAlive, processStartTime, type ProcessRecord } from '../util/processes.js';

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
  /**
   * Random per run attempt ({@link holderFor}): the lock and the lease compare holders on it. It tells processes
   * apart; it is not a secret and authenticates nothing (anyone who may write the lease topic can write any record).
   * Records written before tokens existed have none and match no holder.
   */
  token: string;
}

/** Another run holds the lock: exit code 5, naming the holder. */
export class LockHeldError extends KafkaFailoverError {
  constructor(
    readonly holder: LockHolder,
    where: string,
    detail = '',
  ) {
    super(
      `Another run holds the ${where} for this cluster pair: run ${holder.runId} by ${holder.operator}@${holder.host} (pid ${holder.pid}) since ${holder.since}${holder.expiresAt ? `, lease valid until ${new Date(holder.expiresAt).toISOString()}` : ''}.${detail ? ` ${detail}` : ''}`,
      {
        exitCode: ExitCode.LockHeld,
        hint: 'Wait for it to finish. If it crashed, its lease expires on its own; to take over now use --steal-lock --reason "<why>" (audited).',
      },
    );
  }
}

/** The lease was lost (taken over, or not renewed in time): no further write is allowed. */
export class LeaseLostError extends KafkaFailoverError {
  constructor(pair: string, now: LockHolder | undefined) {
    super(
      `The lease for ${pair} is no longer held by this run${now ? ` (now held by run ${now.runId} of ${now.operator}@${now.host})` : ''}; stopping before any further write.`,
    );
  }
}

/** The content of one generation file: a holder, or (`released`) the release of the generation below it. */
type LocalLockFile = LockHolder & { process: ProcessRecord; released?: boolean };

/** A local lock this process holds. */
export interface LocalLock {
  /** The generation file that holds it. */
  file: string;
  /** Releases it, only if this holder still holds it (a thief's lock is left alone). Idempotent. */
  release: () => void;
  /** The holder whose process was dead on this host (a crash): its stale lock was replaced. */
  replacedStale?: LockHolder;
  /** The holder taken over with `steal` (alive, or on another host). */
  stolenFrom?: LockHolder;
}

const holderOf = (f: LocalLockFile): LockHolder => ({
  runId: f.runId,
  operator: f.operator,
  host: f.host,
  pid: f.pid,
  since: f.since,
  expiresAt: f.expiresAt,
  token: f.token,
});

/** Writes `content` to a new private file and fsyncs it, so a link to it is never seen half-written. */
function writeWhole(file: string, content: string): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `link()`s `from` to `to`; false when `to` exists (someone else created that generation first). */
function linkNew(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Takes the local lock of a cluster pair in `runsDir`.
 * Reads the highest generation: free (none, or released), stale (holder dead on this host), held (alive, or taken on
 * another host — refused unless `steal`). Then links its own generation n + 1 (atomic: fails if another process
 * created it first) and checks that n + 1 is still the highest; lower generations are removed.
 * @returns the lock, with the stale or stolen holder it replaced.
 * @throws LockHeldError (exit 5) when another holder — another process, even of the same run id — holds it.
 */
export function takeLocalLock(runsDir: string, pair: string, me: LockHolder, steal: boolean): LocalLock {
  const base = `.lock-${pair.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  const genFile = (n: number) => path.join(runsDir, `${base}.${n}.json`);
  const generations = () =>
    readdirSync(runsDir)
      .flatMap((name) => (name.startsWith(`${base}.`) && /^\d+\.json$/.test(name.slice(base.length + 1)) ? [Number(name.slice(base.length + 1, -5))] : []))
      .sort((a, b) => a - b);
  const content: LocalLockFile = {
    ...me,
    process: { pid: process.pid, startTime: processStartTime(process.pid) ?? '', argv: [], logFile: '', startedAt: me.since },
  };
  const tmp = path.join(runsDir, `${base}.tmp-${me.token}`);
  writeWhole(tmp, JSON.stringify(content));
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      const top = generations().at(-1);
      let held: LocalLockFile | undefined;
      if (top !== undefined) {
        try {
          held = JSON.parse(readFileSync(genFile(top), 'utf8')) as LocalLockFile;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // superseded meanwhile: look again
          held = undefined; // unreadable: no holder can be named; treated as stale
        }
      }
      let replacedStale: LockHolder | undefined;
      let stolenFrom: LockHolder | undefined;
      if (held && !held.released) {
        const otherHost = held.host !== os.hostname();
        if (otherHost || isAlive(held.process)) {
          if (!steal)
            throw new LockHeldError(
              holderOf(held),
              'local run lock',
              otherHost ? `It was taken on another host (${held.host}), where this host cannot check whether its process still runs.` : '',
            );
          stolenFrom = holderOf(held);
        } else replacedStale = holderOf(held);
      }
      const mine = (top ?? -1) + 1;
      if (!linkNew(tmp, genFile(mine))) continue; // another process took generation `mine` first: judge it
      if (generations().at(-1) !== mine) {
        // A slow process re-created a generation that had been removed below the highest: not the lock.
        rmSync(genFile(mine), { force: true });
        continue;
      }
      for (const g of generations()) if (g < mine) rmSync(genFile(g), { force: true });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        // Compare-and-release: a release record one generation up, which cannot be created once a thief took it.
        const marker = path.join(runsDir, `${base}.tmp-${me.token}-release`);
        writeWhole(marker, JSON.stringify({ ...content, released: true }));
        try {
          if (linkNew(marker, genFile(mine + 1))) rmSync(genFile(mine), { force: true });
        } finally {
          rmSync(marker, { force: true });
        }
      };
      return { file: genFile(mine), release, ...(replacedStale ? { replacedStale } : {}), ...(stolenFrom ? { stolenFrom } : {}) };
    }
    throw new Error(`could not take the local lock ${genFile(0)}: other processes kept replacing it (50 attempts)`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The holder record of a new run attempt in this process, with a fresh random token. */
export function holderFor(runId: string, operator: string): LockHolder {
  return { runId, operator, host: os.hostname(), pid: process.pid, since: new Date().toISOString(), expiresAt: 0, token: randomUUID() };
}
