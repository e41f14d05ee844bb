/**
 * Issue 11, items 1 and 5, end to end through the built CLI against the real sandbox:
 * - `plan runbooks/planned-failover.yaml` with its runs directory on a real 64 KiB tmpfs with 52 KiB used stops with
 *   exit 1 and one error line naming the file and the free space (no stack), leaves no `.tmp`, an audit log whose chain
 *   is intact and OPEN (exit 7), and `resume` finishes the run once space is freed;
 * - a finished real run writes its anchor to `kafka-failover-audit-anchor.internal` on dr; `audit verify` says OK
 *   (anchor matched), BROKEN (exit 1) for a cut tail while dr answers, OPEN (exit 7) for the same cut file when the
 *   anchor cannot be reached;
 * - `resume ../../etc` is refused as not a run id (exit 2).
 * Needs root for `mount -t tmpfs` (this machine's tests run as root).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANCHOR_TOPIC } from '../../src/engine/audit-anchor.js';
import { readAll, resetSharedSandbox, runCli, sandbox, waitForFreeLease } from './helpers.js';

let tmp: string;
let small: string | undefined;

beforeAll(async () => {
  await resetSharedSandbox(); // every node and MM2 running, whatever an earlier file left stopped
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-anchor-'));
});

afterAll(() => {
  if (small) {
    try {
      execFileSync('umount', [small]);
    } catch {
      /* not mounted */
    }
  }
});

/** Every `.tmp` file under `dir`. */
const tmpFilesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));

describe('a full disk under --runs-dir (real 64 KiB tmpfs, 52 KiB used)', () => {
  it('plan stops with exit 1 and one line naming the file and the free space; the log is intact and OPEN; resume finishes once space is freed', async () => {
    // The same plan on a roomy disk, for the outcome a resumed run must reach.
    const normal = await runCli(['plan', 'runbooks/planned-failover.yaml', '--clusters', sandbox().clustersFile, '--runs-dir', path.join(tmp, 'roomy')]);
    expect([0, 3]).toContain(normal.exitCode);

    small = path.join(tmp, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small]);
    writeFileSync(path.join(small, 'filler'), Buffer.alloc(52 * 1024));
    const runsDir = path.join(small, 'runs');
    const full = await runCli(['plan', 'runbooks/planned-failover.yaml', '--clusters', sandbox().clustersFile, '--runs-dir', runsDir]);
    expect(full.exitCode, full.stderr).toBe(1);
    const errorLines = full.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(
      new RegExp(
        `^error: Cannot write ${runsDir}/[^/]+/(audit\\.jsonl|snapshot\\.json): ENOSPC: no space left on device[^\\n]*\\(\\d+ bytes free on its filesystem\\); the run stopped before any further write to a cluster\\.$`,
      ),
    );
    expect(full.stderr).not.toMatch(/^\s+at /m); // no stack
    expect(tmpFilesUnder(runsDir)).toEqual([]);
    const runId = readdirSync(runsDir).find((f) => !f.startsWith('.'))!;
    const auditFile = path.join(runsDir, runId, 'audit.jsonl');
    const open = await runCli(['audit', 'verify', auditFile]);
    expect(open.stdout).toMatch(/: OPEN, \d+ records, hash chain intact/);
    expect(open.exitCode).toBe(7);

    rmSync(path.join(small, 'filler')); // space freed
    const resumed = await runCli(['resume', runId, '--runs-dir', runsDir]);
    expect(resumed.exitCode, resumed.stderr).toBe(normal.exitCode);
    const after = await runCli(['audit', 'verify', auditFile]);
    expect(after.stdout).toContain(': OK,');
    expect(after.stdout).toContain('dry-run finished (dry-runs write no anchor)');
    expect(after.exitCode).toBe(0);
    execFileSync('umount', [small]);
    small = undefined;
  });
});

describe('the audit anchor on the target cluster', () => {
  it('a finished real run is anchored on dr: verify says OK; a cut tail is BROKEN while dr answers and OPEN when it does not', async () => {
    await waitForFreeLease();
    const runbook = path.join(tmp, 'scope.yaml');
    writeFileSync(
      runbook,
      [
        'apiVersion: kafka-failover/v1',
        'name: anchor-test',
        'flow: primary->dr',
        'steps:',
        '  - { id: scope, kind: confirm-scope, with: { expect: reachable } }',
        '',
      ].join('\n'),
    );
    const runsDir = path.join(tmp, 'runs');
    const run = await runCli(['run', runbook, '--yes', '--clusters', sandbox().clustersFile, '--runs-dir', runsDir]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('warning: the audit anchor');
    const runId = readdirSync(runsDir).find((f) => !f.startsWith('.'))!;
    const auditFile = path.join(runsDir, runId, 'audit.jsonl');
    const text = readFileSync(auditFile, 'utf8');
    const last = JSON.parse(text.trim().split('\n').at(-1)!) as { kind: string; seq: number; hash: string };
    expect(last.kind).toBe('run.finished');

    const anchors = (await readAll('dr', ANCHOR_TOPIC)).filter((r) => r.key?.toString() === runId).map((r) => JSON.parse(r.value!.toString()));
    expect(anchors).toEqual([expect.objectContaining({ runId, seq: last.seq, head: last.hash, outcome: 'succeeded', flow: 'primary->dr' })]);

    const ok = await runCli(['audit', 'verify', auditFile]);
    expect(ok.stdout).toContain(`: OK, ${last.seq} records, hash chain intact, run succeeded, anchor on dr matched (record ${last.seq})`);
    expect(ok.exitCode).toBe(0);

    writeFileSync(auditFile, text.trim().split('\n').slice(0, -1).join('\n') + '\n'); // delete run.finished
    const cut = await runCli(['audit', 'verify', auditFile]);
    expect(cut.stdout).toContain(
      `: BROKEN at record ${last.seq} of ${last.seq - 1}: the file ends at record ${last.seq - 1}, but the anchor on dr says run ${runId} finished at record ${last.seq} (the tail was cut)`,
    );
    expect(cut.exitCode).toBe(1);

    const unreachable = path.join(tmp, 'unreachable-clusters.yaml');
    writeFileSync(unreachable, readFileSync(sandbox().clustersFile, 'utf8').replace(/(localhost|127\.0\.0\.1):\d+/g, '127.0.0.1:9'));
    const offline = await runCli(['audit', 'verify', auditFile, '--clusters', unreachable]);
    expect(offline.stdout).toMatch(/: OPEN, \d+ records, hash chain intact, .*anchor not checked: dr did not answer/);
    expect(offline.exitCode).toBe(7);
  });

  it('resume refuses a run id that is a path (exit 2) instead of reading it', async () => {
    const r = await runCli(['resume', '../../etc', '--runs-dir', path.join(tmp, 'runs')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('"../../etc" is not a run id');
  });
});
