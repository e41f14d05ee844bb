/**
 * Retries are on record: a step whose apply fails with a retryable error (a connection refused) and whose `retries`
 * allow another attempt leaves a `step.retry` record in the audit log — after the failed attempt, before the next —
 * and a non-retryable error is neither retried nor recorded as a retry.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyAuditText } from '../../../src/engine/audit.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { defineStep } from '../../../src/engine/step.js';
import { clusters, fakeKafka } from './fixtures.js';

/** A writing step that fails `failures` times with `error()` before its write goes through. */
function flakyRegistry(failures: number, error: () => Error, attempts: number[]) {
  let n = 0;
  return new StepRegistry().register(
    defineStep({
      kind: 'flaky',
      description: 'fails, then writes',
      writes: true,
      input: z.strictObject({}),
      async check() {
        return {};
      },
      async apply(ctx) {
        attempts.push(++n);
        if (n <= failures) throw error();
        await ctx.write({ action: 'write', cluster: 'b', details: { attempt: n } }, async () => n);
        return {};
      },
    }),
  );
}

async function run(failures: number, error: () => Error) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-retry-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, 'apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n  - id: w\n    kind: flaky\n    retries: { max: 3, backoffMs: 10 }\n');
  const attempts: number[] = [];
  const reg = flakyRegistry(failures, error, attempts);
  const runbook = await loadRunbook(file, reg);
  const r = await runRunbook({ runbook, clusters, registry: reg, dryRun: false, yes: true, runsDir: path.join(dir, 'runs'), kafka: fakeKafka, lock: false });
  const text = readFileSync(r.auditFile, 'utf8');
  expect(verifyAuditText(text).ok).toBe(true);
  return {
    r,
    attempts,
    records: text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; failedAttempt?: number; retriesLeft?: number; error?: string }),
  };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:29104'), { code: 'ECONNREFUSED' });

describe('step retries in the audit log', () => {
  it('each retry of a retryable failure is recorded, between the failed attempt and the write that succeeded', async () => {
    const { r, attempts, records } = await run(2, refused);
    expect(r.outcome).toBe('succeeded');
    expect(attempts).toEqual([1, 2, 3]);
    const retries = records.filter((e) => e.kind === 'step.retry');
    expect(retries.map((e) => [e.failedAttempt, e.retriesLeft])).toEqual([
      [1, 3],
      [2, 2],
    ]);
    expect(retries.every((e) => e.error?.includes('ECONNREFUSED'))).toBe(true);
    const kinds = records.map((e) => e.kind);
    expect(kinds.lastIndexOf('step.retry')).toBeLessThan(kinds.indexOf('write.intent'));
  });

  it('a non-retryable error is not retried and leaves no step.retry record', async () => {
    const { r, attempts, records } = await run(1, () => new Error('GROUP_NOT_EMPTY'));
    expect(r.outcome).toBe('failed');
    expect(attempts).toEqual([1]);
    expect(records.filter((e) => e.kind === 'step.retry')).toEqual([]);
  });
});
