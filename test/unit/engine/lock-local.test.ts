/**
 * The local run lock between real processes (lock-racer.ts, bundled once with esbuild, run with plain node):
 * - four processes racing for one stale lock file: exactly one holder, 20 rounds out of 20;
 * - a second process of the same run id is refused while the first lives (lock tokens, not run ids);
 * - a lock taken on another host is refused (its process cannot be checked from here) unless stolen;
 * - a replaced stale lock is reported (for the audit record);
 * - release compares tokens: a holder whose lock was stolen does not remove the thief's lock.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { holderFor, takeLocalLock } from '../../../src/engine/lock.js';

const PAIR = 'a->b';
let bundle: string;

beforeAll(async () => {
  // esbuild comes with tsx and vitest; a bundle starts in ~50 ms where `node --import tsx` takes ~1 s.
  const { build } = await import('esbuild');
  bundle = path.join(await mkdtemp(path.join(os.tmpdir(), 'kf-racer-')), 'racer.mjs');
  await build({
    entryPoints: [path.resolve('test/unit/engine/lock-racer.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    banner: { js: "import { createRequire as __kfRequire } from 'node:module'; const require = __kfRequire(import.meta.url);" },
    logLevel: 'silent',
  });
});

interface Racer {
  child: ChildProcessWithoutNullStreams;
  next: () => Promise<string>;
  exited: Promise<void>;
}

/** Starts a racer process and waits until it is ready. */
async function racer(runsDir: string, runId: string, host?: string): Promise<Racer> {
  const child = spawn(process.execPath, [bundle, runsDir, PAIR, runId, ...(host ? [host] : [])], { stdio: 'pipe' });
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => (waiting.length ? waiting.shift()!(line) : queue.push(line)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = () =>
    queue.length
      ? Promise.resolve(queue.shift()!)
      : new Promise<string>((resolve, reject) => {
          waiting.push(resolve);
          void exited.then(() => reject(new Error(`racer ${runId} exited: ${stderr}`)));
        });
  expect(await next()).toBe('ready');
  return { child, next, exited };
}

/** Sends `go` and returns what the racer got. */
async function attempt(r: Racer): Promise<{ held: boolean; error?: string }> {
  r.child.stdin.write('go\n');
  return JSON.parse(await r.next()) as { held: boolean; error?: string };
}

/** Kills a racer without letting it release (a crash): its lock file stays, stale. */
async function crash(r: Racer): Promise<void> {
  r.child.kill('SIGKILL');
  await r.exited;
}

const tmpRuns = () => mkdtemp(path.join(os.tmpdir(), 'kf-lock-local-'));

describe('local run lock', () => {
  it('four processes racing for one stale lock: exactly one holder, 20 rounds out of 20', async () => {
    const dir = await tmpRuns();
    const first = await racer(dir, 'crashed-0');
    expect(await attempt(first)).toEqual({ held: true });
    await crash(first);
    // Four live racers; each round all four try at once (each as a new holder with its own token) and find the
    // previous round's stale lock; the round's holder then crashes and a fresh racer replaces it.
    const rs = await Promise.all([0, 1, 2, 3].map((i) => racer(dir, `racer-${i}`)));
    const holdersPerRound: number[] = [];
    for (let round = 1; round <= 20; round++) {
      rs.forEach((r, i) => r.child.stdin.write(`go run-${round}-${i}\n`));
      const results = await Promise.all(rs.map(async (r) => JSON.parse(await r.next()) as { held: boolean; error?: string }));
      const winners = results.flatMap((x, i) => (x.held ? [i] : []));
      holdersPerRound.push(winners.length);
      if (winners.length === 1) {
        for (const res of results.filter((x) => !x.held)) expect(res.error).toContain(`run run-${round}-${winners[0]} by racer@`);
      }
      for (const i of winners) {
        await crash(rs[i]!);
        rs[i] = await racer(dir, `racer-${round}-${i}`);
      }
    }
    await Promise.all(rs.map((r) => crash(r)));
    expect(holdersPerRound).toEqual(Array.from({ length: 20 }, () => 1));
  }, 120_000);

  it('a second process of the same run id is refused while the first holds the lock', async () => {
    const dir = await tmpRuns();
    const a = await racer(dir, 'run-1');
    const b = await racer(dir, 'run-1');
    try {
      expect(await attempt(a)).toEqual({ held: true });
      const second = await attempt(b);
      expect(second.held).toBe(false);
      expect(second.error).toMatch(new RegExp(`local run lock for this cluster pair: run run-1 by racer@\\S+ \\(pid ${a.child.pid}\\)`));
    } finally {
      await Promise.all([crash(a), crash(b)]);
    }
  });

  it('a lock taken on another host is refused (its process cannot be checked from here) unless stolen', async () => {
    const dir = await tmpRuns();
    const far = await racer(dir, 'run-far', 'far-host');
    expect(await attempt(far)).toEqual({ held: true });
    await crash(far); // dead here, but this host cannot know what a PID on far-host means
    expect(() => takeLocalLock(dir, PAIR, holderFor('run-here', 'op'), false)).toThrow(/run run-far by racer@far-host .*another host/s);
    const stolen = takeLocalLock(dir, PAIR, holderFor('run-here', 'op'), true);
    expect(stolen.stolenFrom).toMatchObject({ runId: 'run-far', host: 'far-host' });
    stolen.release();
  });

  it('a stale lock (holder dead on this host) is taken over and reported as replacedStale', async () => {
    const dir = await tmpRuns();
    const dead = await racer(dir, 'run-dead');
    expect(await attempt(dead)).toEqual({ held: true });
    await crash(dead);
    const lock = takeLocalLock(dir, PAIR, holderFor('run-new', 'op'), false);
    expect(lock.replacedStale).toMatchObject({ runId: 'run-dead', operator: 'racer', pid: dead.child.pid });
    lock.release();
  });

  it("release compares tokens: a holder whose lock was stolen does not remove the new holder's lock", async () => {
    const dir = await tmpRuns();
    const a = takeLocalLock(dir, PAIR, holderFor('run-a', 'op'), false);
    const b = takeLocalLock(dir, PAIR, holderFor('run-b', 'op'), true);
    a.release(); // late release of the robbed holder
    expect(() => takeLocalLock(dir, PAIR, holderFor('run-c', 'op'), false)).toThrow(/run run-b by op@/);
    b.release();
    takeLocalLock(dir, PAIR, holderFor('run-c', 'op'), false).release();
  });
});
