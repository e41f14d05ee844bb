/**
 * `kafka-failover audit verify` verdicts without a reachable cluster (the run's clusters file does not exist here):
 * an intact finished log is OK and says the anchor was not reached; the same log with its run.finished deleted is
 * OPEN with exit 7 — never OK (today it prints OK, exit 0); a changed record is BROKEN, exit 1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { main } from '../../../src/cli/main.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { defineStep } from '../../../src/engine/step.js';
import { clusters, fakeKafka } from './fixtures.js';

async function finishedLog(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-verify-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, 'apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n  - { id: n, kind: note, with: {} }\n');
  const reg = new StepRegistry().register(
    defineStep({
      kind: 'note',
      description: 'notes',
      writes: false,
      input: z.strictObject({}),
      async check(ctx) {
        ctx.note('hello');
        return {};
      },
    }),
  );
  const r = await runRunbook({
    runbook: await loadRunbook(file, reg),
    clusters,
    registry: reg,
    dryRun: false,
    yes: true,
    runsDir: path.join(dir, 'runs'),
    kafka: fakeKafka,
    lock: false,
  });
  expect(r.outcome).toBe('succeeded');
  return r.auditFile;
}

async function verify(file: string): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  try {
    const code = await main(['node', 'kafka-failover', 'audit', 'verify', file]);
    return { code, out };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('audit verify (anchor not reachable)', () => {
  it('intact and finished: OK, saying the anchor could not be reached', async () => {
    const file = await finishedLog();
    const r = await verify(file);
    expect(r.out).toMatch(/: OK, \d+ records, hash chain intact, run finished; anchor could not be reached/);
    expect(r.code).toBe(0);
  });

  it('run.finished deleted: OPEN with exit 7, never OK', async () => {
    const file = await finishedLog();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    writeFileSync(file, lines.slice(0, -1).join('\n') + '\n');
    const r = await verify(file);
    expect(r.out).toMatch(new RegExp(`: OPEN, ${lines.length - 1} records, hash chain intact, no run\\.finished`));
    expect(r.code).toBe(7);
  });

  it('a changed record: BROKEN at that record, exit 1', async () => {
    const file = await finishedLog();
    writeFileSync(file, readFileSync(file, 'utf8').replace('hello', 'HELLO'));
    const r = await verify(file);
    expect(r.out).toMatch(/: BROKEN at record 3 of \d+: its content does not match its hash/);
    expect(r.code).toBe(1);
  });
});
