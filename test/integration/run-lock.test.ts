/**
 * One run at a time per cluster pair, against the sandbox's target cluster:
 * - while run A holds the lock, a second run exits 5 naming the holder — through the local lock (same runs
 *   directory) and through the lease on the target cluster (another runs directory, i.e. another host);
 * - `--steal-lock --reason` takes the lease over (audited), and A — fenced — writes nothing more;
 * - a holder killed with SIGKILL keeps its lease until it expires; then a new run takes it over.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetSharedSandbox, runCli, sandbox, waitForFreeLease } from './helpers.js';

let tmp: string;
let slow: string;
let quick: string;
/** Files that let a holder's first step end (its `exec` waits for the file: the lock is held on a condition). */
const releases: string[] = [];

const cli = path.resolve('bin/kafka-failover.js');
const args = (runbook: string, runsDir: string, extra: string[] = []) => [
  'run',
  runbook,
  '--yes',
  '--output',
  'json',
  '--clusters',
  sandbox().clustersFile,
  '--runs-dir',
  path.join(tmp, runsDir),
  ...extra,
];

/**
 * Starts a run of the slow runbook in the background and resolves once it holds the lock (its `lock.acquired`
 * event). Its first step lasts until `release()` creates the file it waits for.
 */
async function startHolder(runsDir: string, extra: string[] = []) {
  const release = path.join(tmp, `release-${runsDir}`);
  releases.push(release);
  const child = execa(process.execPath, [cli, ...args(slow, runsDir, ['--set', `release=${release}`, ...extra])], {
    reject: false,
    buffer: { stdout: false, stderr: true },
  });
  let out = '';
  const runId = await new Promise<string>((resolve, reject) => {
    let id = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of out.split('\n').slice(0, -1)) {
        const e = JSON.parse(line);
        if (e.kind === 'run.started') id = e.runId;
        if (e.kind === 'lock.acquired') resolve(id);
      }
    });
    // A child that exits before holding the lock (e.g. exit 5) fails the test at once instead of hanging it.
    void child.then((r) => reject(new Error(`the holder exited (${r.exitCode}) before taking the lock:\n${out}\n${String(r.stderr ?? '')}`)));
  });
  return { child, runId, output: () => out, release: () => writeFileSync(release, '') };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-lock-'));
  slow = path.join(tmp, 'slow.yaml');
  quick = path.join(tmp, 'quick.yaml');
  writeFileSync(
    slow,
    'apiVersion: kafka-failover/v1\nname: slow\nflow: primary->dr\nparameters: { release: { type: string } }\nsteps:\n  - { id: wait, kind: exec, with: { command: [sh, -c, \'until [ -e "$0" ]; do sleep 0.05; done\', "${params.release}"] } }\n  - { id: after, kind: exec, with: { command: ["true"] } }\n',
  );
  writeFileSync(quick, 'apiVersion: kafka-failover/v1\nname: quick\nflow: primary->dr\nsteps:\n  - { id: hook, kind: exec, with: { command: ["true"] } }\n');
});

// A killed holder's waiting step (an orphaned `sh`) ends when its file exists.
afterAll(() => releases.forEach((f) => writeFileSync(f, '')));

describe('run lock', () => {
  beforeAll(async () => {
    await resetSharedSandbox();
    // Earlier test files share this cluster pair; a run of theirs that was killed or could not release (a broker was
    // down) holds the lease until it expires (30 s). Wait until a run can take it.
    await waitForFreeLease();
  });

  it('a second run exits 5 naming the holder; a steal is audited and fences the old holder', async () => {
    const a = await startHolder('runs-a');
    const local = await runCli(args(quick, 'runs-a'));
    expect(local.exitCode).toBe(5);
    expect(local.stderr).toMatch(new RegExp(`local run lock for this cluster pair: run ${a.runId} by \\S+@\\S+ \\(pid \\d+\\) since \\d{4}-`));
    const remote = await runCli(args(quick, 'runs-b'));
    expect(remote.exitCode).toBe(5);
    expect(remote.stderr).toContain(`lease on the target cluster for this cluster pair: run ${a.runId} by`);
    expect(remote.stderr).toContain('--steal-lock --reason');

    const noReason = await runCli(args(quick, 'runs-c', ['--steal-lock']));
    expect(noReason.exitCode).toBe(2);
    const steal = await runCli(args(quick, 'runs-c', ['--steal-lock', '--reason', 'run A is hung (drill)']));
    expect(steal.exitCode).toBe(0);
    const stolen = steal.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.kind === 'lock.acquired');
    expect(stolen).toMatchObject({ stolenFrom: { runId: a.runId }, reason: 'run A is hung (drill)' });

    // A's step ends and it tries its next write: it no longer holds the lease.
    a.release();
    const done = await a.child;
    expect(done.exitCode).toBe(1);
    const events = a
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.find((e) => e.kind === 'step.failed' && e.step === 'after')?.error).toContain('no longer held by this run');
    expect(events.filter((e) => e.kind === 'write.done').map((e) => e.step)).toEqual(['wait']);
  });

  it('a crashed holder keeps the lease until it expires, then a new run takes it over', async () => {
    // 10 s to live: long enough that the next CLI process (slow to start on a loaded machine) meets it unexpired.
    const d = await startHolder('runs-d', ['--lock-ttl', '10000']);
    d.child.kill('SIGKILL');
    await d.child;
    d.release();
    const early = await runCli(args(quick, 'runs-e'));
    expect(early.exitCode).toBe(5);
    await waitForFreeLease(30_000); // the dead holder's lease expires (its 10 s time-to-live), read on dr
    const later = await runCli(args(quick, 'runs-d')); // same runs directory: the dead holder's local lock is stale
    expect(later.exitCode).toBe(0);
    const lock = later.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.kind === 'lock.acquired');
    expect(lock.expiredFrom).toMatchObject({ runId: d.runId });
    expect(readFileSync(path.join(tmp, 'runs-d', d.runId, 'audit.jsonl'), 'utf8')).toContain('"lock.acquired"');
  });
});
