/**
 * Two processes, one run id (lock tokens), against the sandbox's target cluster:
 * - two `resume <id>` of the same paused run started at once (one runs directory): exactly one proceeds; the other
 *   exits 5 naming the holder (run id, pid); the audit log stays one intact chain (`audit verify`);
 * - the same through the lease on the target cluster: a copy of the paused run in another runs directory (another
 *   host) is refused while the first resume holds the lease.
 * The runbook's `hold` step waits for a file the test creates, so the holder keeps the lock as long as the test
 * needs, without guessing durations.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, resetSharedSandbox, runCli, sandbox, waitForFreeLease } from './helpers.js';

const cli = path.resolve('bin/kafka-failover.js');
let tmp: string;
let runbook: string;
let goFile: string;

interface Cli {
  child: ResultPromise;
  events: { kind: string; [k: string]: unknown }[];
  /** Resolves with `lock.acquired` once the process holds the lock, or with its exit code when it exits first. */
  lockedOrExited: Promise<'locked' | number>;
}

/** Starts the CLI with JSON output, collecting its events. */
function start(args: string[]): Cli {
  const child = execa(process.execPath, [cli, ...args, '--output', 'json'], {
    reject: false,
    buffer: { stdout: false, stderr: true },
    env: { ...process.env, NO_COLOR: '1' },
  });
  const events: Cli['events'] = [];
  let carry = '';
  const lockedOrExited = new Promise<'locked' | number>((resolve) => {
    child.stdout!.on('data', (c: Buffer) => {
      carry += c.toString();
      const lines = carry.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        const e = JSON.parse(line) as Cli['events'][number];
        events.push(e);
        if (e.kind === 'lock.acquired') resolve('locked');
      }
    });
    void child.then((r) => resolve(r.exitCode ?? -1));
  });
  return { child, events, lockedOrExited };
}

/** Runs the runbook until it is inside `hold`, then pauses it with SIGTERM (exit 6). @returns its run id. */
async function pausedRun(runsDir: string): Promise<string> {
  const run = start(['run', runbook, '--yes', '--clusters', sandbox().clustersFile, '--runs-dir', runsDir]);
  await eventually(
    'the run to reach its hold step',
    async () => (run.events.some((e) => e.kind === 'step.started' && e.step === 'hold') ? true : undefined),
    60_000,
  );
  run.child.kill('SIGTERM');
  const done = await run.child;
  expect(done.exitCode, String(done.stderr)).toBe(6);
  expect(run.events.at(-1)).toMatchObject({ kind: 'run.paused', step: 'hold' });
  return run.events.find((e) => e.kind === 'run.started')!.runId as string;
}

const auditOf = (runsDir: string, runId: string) => path.join(runsDir, runId, 'audit.jsonl');
const kinds = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { kind: string }).kind);

beforeAll(async () => {
  await resetSharedSandbox(); // every node and MM2 running, whatever an earlier file left stopped
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-lock-tokens-'));
  goFile = path.join(tmp, 'go');
  runbook = path.join(tmp, 'hold.yaml');
  writeFileSync(
    runbook,
    `apiVersion: kafka-failover/v1\nname: hold\nflow: primary->dr\nsteps:\n  - { id: first, kind: exec, with: { command: ["true"] } }\n  - { id: hold, kind: exec, with: { command: [sh, -c, "while [ ! -e '${goFile}' ]; do sleep 0.1; done"] } }\n  - { id: last, kind: exec, with: { command: ["true"] } }\n`,
  );
  // Earlier test files share this cluster pair: wait until no run of theirs holds the lease.
  await waitForFreeLease();
});

describe('two processes, one run id', () => {
  it('two resume <id> at once: exactly one proceeds, the other exits 5 naming the holder; one intact audit chain', async () => {
    rmSync(goFile, { force: true });
    const runsDir = path.join(tmp, 'runs-1');
    const runId = await pausedRun(runsDir);
    const resumes = [start(['resume', runId, '--runs-dir', runsDir]), start(['resume', runId, '--runs-dir', runsDir])];
    try {
      const states = await Promise.all(resumes.map((r) => r.lockedOrExited));
      expect([...states].sort()).toEqual([5, 'locked']);
      const winner = resumes[states.indexOf('locked')]!;
      const loser = await resumes[states.indexOf(5)]!.child;
      expect(String(loser.stderr)).toMatch(new RegExp(`local run lock for this cluster pair: run ${runId} by \\S+@\\S+ \\(pid ${winner.child.pid}\\)`));
      writeFileSync(goFile, '');
      const done = await winner.child;
      expect(done.exitCode, String(done.stderr)).toBe(0);
    } finally {
      writeFileSync(goFile, '');
      await Promise.all(resumes.map((r) => r.child));
    }
    const verify = await runCli(['audit', 'verify', auditOf(runsDir, runId)]);
    expect(verify.exitCode, verify.stdout + verify.stderr).toBe(0);
    const k = kinds(auditOf(runsDir, runId));
    expect(k.filter((x) => x === 'run.resumed')).toHaveLength(1);
    expect(k.filter((x) => x === 'run.finished')).toHaveLength(1);
  });

  it('a copy of the paused run in another runs directory (another host) is refused by the lease while one resume holds it', async () => {
    rmSync(goFile, { force: true });
    const runsA = path.join(tmp, 'runs-a');
    const runsB = path.join(tmp, 'runs-b');
    const runId = await pausedRun(runsA);
    cpSync(path.join(runsA, runId), path.join(runsB, runId), { recursive: true });
    const a = start(['resume', runId, '--runs-dir', runsA]);
    let b: Cli | undefined;
    try {
      expect(await a.lockedOrExited).toBe('locked');
      b = start(['resume', runId, '--runs-dir', runsB]);
      expect(await b.lockedOrExited).toBe(5);
      expect(String((await b.child).stderr)).toContain(`lease on the target cluster for this cluster pair: run ${runId} by`);
      expect(existsSync(goFile)).toBe(false);
      writeFileSync(goFile, '');
      expect((await a.child).exitCode).toBe(0);
    } finally {
      writeFileSync(goFile, '');
      await Promise.all([a.child, b?.child]);
    }
    expect(kinds(auditOf(runsB, runId)).filter((x) => x === 'run.resumed')).toHaveLength(0); // B wrote nothing
  });
});
