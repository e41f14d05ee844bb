/**
 * `resume` does not repeat a write whose `write.done` is in the audit log, keyed or not (README, "Crash safety"):
 * a hook (a keyless write, identified by step, action and argv) completed just before the process died is not run
 * again; a hook whose write.done records a non-zero exit is. The kill is emulated faithfully: the run's directory is
 * put back as it was at the moment after the write.done record (audit prefix and the machine snapshot then), and
 * the run resumed from it. Fake step kinds, no Kafka.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyAuditText } from '../../../src/engine/audit.js';
import { loadRunForResume, runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { defineStep } from '../../../src/engine/step.js';
import { clusters, fakeKafka } from './fixtures.js';

class Crash extends Error {}

/** Hooks run, with the exit code each returns; `crashAfter`: the hook after whose write.done the process "dies". */
interface World {
  runs: string[];
  exitCodes: Record<string, number[]>;
  crashAfter?: string;
  runsDir: string;
  image: string;
}

function registry(w: World) {
  return new StepRegistry().register(
    defineStep({
      kind: 'hook',
      description: 'a keyless write, like exec / freeze-writes / stop-replication hooks',
      writes: true,
      input: z.strictObject({ name: z.string() }),
      async check() {
        return {};
      },
      async apply(ctx, i) {
        const r = await ctx.write({ action: 'run hook', details: { argv: [i.name] } }, async () => {
          w.runs.push(i.name);
          const code = w.exitCodes[i.name]?.shift();
          return { exitCode: code === undefined ? 0 : code };
        });
        if (w.crashAfter === i.name) {
          // The process dies here: keep the run directory as it is now (audit up to write.done, current snapshot).
          w.crashAfter = undefined;
          const runDir = path.join(w.runsDir, readdirSync(w.runsDir)[0]!);
          mkdirSync(w.image, { recursive: true });
          for (const f of readdirSync(runDir)) copyFileSync(path.join(runDir, f), path.join(w.image, f));
          throw new Crash('killed');
        }
        if (r && r.exitCode !== 0) throw new Error(`hook exited with ${r.exitCode}`);
      },
    }),
  );
}

async function crashThenResume(w: World) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-resume-keys-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(
    file,
    'apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n  - id: stop\n    kind: hook\n    with: { name: stop }\n  - id: after\n    kind: hook\n    with: { name: after }\n',
  );
  w.runsDir = path.join(dir, 'runs');
  w.image = path.join(dir, 'image');
  const reg = registry(w);
  const runbook = await loadRunbook(file, reg);
  const first = await runRunbook({ runbook, clusters, registry: reg, dryRun: false, yes: true, runsDir: w.runsDir, kafka: fakeKafka, lock: false });
  for (const f of readdirSync(w.image)) copyFileSync(path.join(w.image, f), path.join(first.runDir, f)); // as killed
  const killedAudit = readFileSync(first.auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; step?: string });
  const { resume } = loadRunForResume(w.runsDir, first.runId);
  const again = await runRunbook({ runbook, clusters, registry: reg, dryRun: false, yes: true, runsDir: w.runsDir, kafka: fakeKafka, lock: false, resume });
  const audit = readFileSync(first.auditFile, 'utf8');
  return {
    killedAudit,
    again,
    audit,
    events: audit
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; step?: string; message?: string }),
  };
}

describe('resume and keyless writes (hooks)', () => {
  it('a hook whose write.done is in the audit log is not run again', async () => {
    const w = { runs: [], exitCodes: {}, crashAfter: 'stop' } as unknown as World;
    const r = await crashThenResume(w);
    expect(r.killedAudit.at(-1)).toMatchObject({ kind: 'write.done', step: 'stop' }); // where the process stopped
    expect(r.again.outcome).toBe('succeeded');
    expect(w.runs).toEqual(['stop', 'after']);
    expect(r.events.find((e) => e.kind === 'step.note' && e.step === 'stop')?.message).toBe(
      'already done before the interruption (audit log): run hook [["stop","run hook",{"argv":["stop"]}]]',
    );
    expect(r.events.filter((e) => e.kind === 'write.done' && e.step === 'stop')).toHaveLength(1);
    expect(verifyAuditText(r.audit).ok).toBe(true);
  });

  it('a hook whose write.done records a non-zero exit runs again', async () => {
    const w = { runs: [], exitCodes: { stop: [1, 0] }, crashAfter: 'stop' } as unknown as World;
    const r = await crashThenResume(w);
    expect(r.killedAudit.at(-1)).toMatchObject({ kind: 'write.done', step: 'stop', result: { exitCode: 1 } });
    expect(r.again.outcome).toBe('succeeded');
    expect(w.runs).toEqual(['stop', 'stop', 'after']);
  });

  it('a hook whose write.done records no exit code (killed by the pause or the crash) runs again', async () => {
    const w = { runs: [], exitCodes: { stop: [null, 0] }, crashAfter: 'stop' } as unknown as World;
    const r = await crashThenResume(w);
    expect(r.killedAudit.at(-1)).toMatchObject({ kind: 'write.done', step: 'stop', result: { exitCode: null } });
    expect(r.again.outcome).toBe('succeeded');
    expect(w.runs).toEqual(['stop', 'stop', 'after']);
  });
});
