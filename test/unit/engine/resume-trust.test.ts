/**
 * Resume trusts only what the audit log vouches for (issue 11, item 5): run.json is hashed into run.started and an
 * edited run.json is refused; a run id must match a strict pattern, so `resume ../../etc` is not read as a path.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadRunForResume, runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { defineStep } from '../../../src/engine/step.js';
import { clusters, fakeKafka } from './fixtures.js';

const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');

const registry = () =>
  new StepRegistry()
    .register(
      defineStep({
        kind: 'write',
        description: 'writes to b',
        writes: true,
        input: z.strictObject({ what: z.string() }),
        async check() {
          return {};
        },
        async apply(ctx, i) {
          await ctx.write({ action: 'write', cluster: 'b', details: { what: i.what } }, async () => undefined);
          return {};
        },
      }),
    )
    .register(
      defineStep({
        kind: 'slow',
        description: 'waits',
        writes: false,
        input: z.strictObject({}),
        async check(ctx) {
          await ctx.sleep(5000);
          return {};
        },
      }),
    );

/** A run paused (after 200 ms) in its first step, which waits. */
async function pausedRun(o: { dryRun?: boolean; yaml: string; pause: AbortSignal }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-resume-trust-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, `apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n${o.yaml}`);
  const reg = registry();
  const runsDir = path.join(dir, 'runs');
  const r = await runRunbook({
    runbook: await loadRunbook(file, reg),
    clusters,
    registry: reg,
    dryRun: o.dryRun ?? false,
    yes: true,
    runsDir,
    kafka: fakeKafka,
    lock: false,
    pauseSignal: o.pause,
  });
  return { ...r, runsDir, text: readFileSync(r.auditFile, 'utf8') };
}

describe('resume trusts only what the audit log vouches for', () => {
  it('run.json is hashed into run.started; turning a paused dry-run into a real one by editing run.json is refused', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort('test pause'), 200);
    const r = await pausedRun({
      dryRun: true,
      yaml: '  - { id: s, kind: slow, with: {} }\n  - { id: w, kind: write, with: { what: x } }\n',
      pause: ctl.signal,
    });
    expect(r.outcome).toBe('paused');
    const runJson = path.join(r.runDir, 'run.json');
    const started = JSON.parse(r.text.split('\n')[0]!) as { runJsonSha256?: string };
    expect(started.runJsonSha256).toBe(sha256(readFileSync(runJson, 'utf8')));
    expect(loadRunForResume(r.runsDir, r.runId).record.dryRun).toBe(true);
    writeFileSync(runJson, readFileSync(runJson, 'utf8').replace('"dryRun": true', '"dryRun": false'));
    expect(() => loadRunForResume(r.runsDir, r.runId)).toThrow(/run\.json of run .* changed since the run started/);
  });

  it('a run id that is a path ("../x", "/etc") is refused with exit 2 before anything is read', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort('test pause'), 200);
    const r = await pausedRun({ yaml: '  - { id: s, kind: slow, with: {} }\n', pause: ctl.signal });
    // The same run reached through a path outside --runs-dir: today it would be loaded.
    const elsewhere = path.join(path.dirname(r.runsDir), 'other-runs');
    for (const id of [`../runs/${r.runId}`, '../../etc', '/etc', '.', 'a/b', 'x'.repeat(65)]) {
      let error: unknown;
      try {
        loadRunForResume(elsewhere, id);
      } catch (e) {
        error = e;
      }
      expect(error, id).toMatchObject({ exitCode: 2, message: expect.stringContaining('is not a run id') });
    }
    expect(loadRunForResume(r.runsDir, r.runId).resume.runId).toBe(r.runId);
  });
});
