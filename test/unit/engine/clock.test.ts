/**
 * The run's clock is injected through the run options (issue 13, item 3): gate waits, `ctx.sleep`/`ctx.now`,
 * durations, the run id and run.json's `createdAt` all follow it — so an hour-long gate wait is tested in
 * milliseconds, without real waiting.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Clock } from '../../../src/engine/clock.js';
import type { RunEvent } from '../../../src/engine/events.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { defineStep } from '../../../src/engine/step.js';
import { clusters, fakeKafka } from './fixtures.js';

/** 2030-01-01T00:00:00Z (ms since the epoch). */
const T0 = Date.UTC(2030, 0, 1);

/** A fake clock: a sleep moves the time forward by its length at once (and still honours its abort signal). */
function fakeClock(): Clock & { sleeps: number[] } {
  let now = T0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms, signal) {
      signal.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
  };
}

const registry = new StepRegistry()
  .register(
    defineStep({
      kind: 'never',
      description: 'a gate that never holds',
      writes: false,
      input: z.strictObject({}),
      async check() {
        return { gates: [{ id: 'ready', description: 'never ready', observed: 'no', expected: 'yes', ok: false }] };
      },
    }),
  )
  .register(
    defineStep({
      kind: 'nap',
      description: 'sleeps through its context',
      writes: false,
      input: z.strictObject({ ms: z.number() }),
      async check(ctx, i) {
        const before = ctx.now();
        await ctx.sleep(i.ms);
        return { outputs: { slept: ctx.now() - before } };
      },
    }),
  );

async function run(steps: string, clock: Clock) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-clock-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, `apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n${steps}`);
  const runbook = await loadRunbook(file, registry);
  const events: RunEvent[] = [];
  const startedAt = Date.now();
  const result = await runRunbook({
    runbook,
    clusters,
    registry,
    dryRun: true,
    yes: true,
    runsDir: path.join(dir, 'runs'),
    kafka: fakeKafka,
    lock: false,
    operator: 'tester',
    clock,
    sinks: [(e) => events.push(e)],
  });
  return { result, events, realMs: Date.now() - startedAt };
}

describe('an injected clock', () => {
  it('runs an hour-long gate wait (60 polls, 1 min apart) to its timeout without real waiting, and blocks', async () => {
    const clock = fakeClock();
    const { result, events, realMs } = await run('  - id: w\n    kind: never\n    wait: { timeoutMs: 3600000, intervalMs: 60000 }\n', clock);
    expect(result.exitCode).toBe(3);
    expect(clock.sleeps).toEqual(Array(60).fill(60_000));
    expect(events.filter((e) => e.kind === 'gate' && !e.final)).toHaveLength(60);
    expect(events.find((e) => e.kind === 'step.failed')).toMatchObject({ step: 'w', durationMs: 3_600_000 });
    expect(events.find((e) => e.kind === 'run.finished')).toMatchObject({ outcome: 'blocked', durationMs: 3_600_000 });
    expect(realMs).toBeLessThan(3000);
  });

  it('is the time of ctx.now/ctx.sleep, of durations, of the run id and of run.json', async () => {
    const clock = fakeClock();
    const { result, events } = await run('  - id: n\n    kind: nap\n    with: { ms: 600000 }\n', clock);
    expect(result.outcome).toBe('succeeded');
    expect(result.outputs.n).toEqual({ slept: 600_000 });
    expect(events.find((e) => e.kind === 'step.succeeded')).toMatchObject({ durationMs: 600_000 });
    expect(result.runId).toMatch(/^20300101T000000-[0-9a-f]{6}$/);
    expect(JSON.parse(readFileSync(path.join(result.runDir, 'run.json'), 'utf8'))).toMatchObject({ createdAt: '2030-01-01T00:00:00.000Z' });
  });
});
