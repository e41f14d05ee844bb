/**
 * `runbooks/emergency-failover.yaml` when only ONE source broker is down: a degraded cluster, not a disaster.
 * A sandbox of its own with 3 primary brokers (RF 3, min.insync.replicas 2); one broker is SIGKILLed through the CLI
 * (`sandbox kill primary-3`); a pipeline run that would accept any data-loss window must still block at the scope
 * gate (exit 3) with the verdict `degraded` and the two brokers that answer, before any write — MM2 keeps running.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import { sandboxDown, sandboxStatus, sandboxUp } from '../../src/rehearsal/sandbox/sandbox.js';
import { eventually, extraSandboxOptions, liveProcessesMentioning, runCli, uniqueName } from './helpers.js';

const opts = { ...extraSandboxOptions('emergency-degraded', 27590), primaryBrokers: 3 as const };
const id = uniqueName('ed').replace('ed-', '');
let clustersFile: string;
let tmp: string;
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

beforeAll(async () => {
  await sandboxDown({ stateDir: opts.stateDir, wipe: true }); // a crashed earlier run's leftovers on these ports
  const s = await sandboxUp(opts);
  clustersFile = s.clustersFile;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-ed-'));
  // A replicated topic with a group on it: partitions whose ISR shrinks when a broker goes.
  const primary = createKafkaPort('primary', { bootstrapServers: s.clusters.primary.bootstrapServers });
  try {
    await primary.createTopic(`orders-${id}`, 3);
    await primary.produce(
      `orders-${id}`,
      Array.from({ length: 30 }, (_, i) => ({ value: `r${i}`, partition: i % 3 })),
    );
    await primary.commitOffsets(
      `billing-${id}`,
      [0, 1, 2].map((partition) => ({ topic: `orders-${id}`, partition, offset: 5 })),
    );
  } finally {
    await primary.close();
  }
});

afterAll(async () => {
  await sandboxDown({ stateDir: opts.stateDir, wipe: true });
  expect(await liveProcessesMentioning(opts.stateDir)).toEqual([]);
});

describe('emergency failover with one source broker down', () => {
  it('blocks at the scope gate (verdict degraded, 2 brokers answer), exit 3, nothing written, MM2 still running', async () => {
    expect((await runCli(['sandbox', 'kill', 'primary-3', '--state-dir', opts.stateDir])).exitCode).toBe(0);
    const args = [
      'run',
      'runbooks/emergency-failover.yaml',
      '--yes',
      '--accept-data-loss-window',
      '1h',
      '--output',
      'json',
      '--clusters',
      clustersFile,
      '--runs-dir',
      path.join(tmp, 'runs'),
      '--set',
      `stateDir=${opts.stateDir}`,
      '--set',
      `groups=billing-${id}`,
      '--set',
      `topics=orders-${id}`,
    ];
    // Until the controller fences primary-3, its metadata may still list it; every run meanwhile must block too.
    const runs: number[] = [];
    const last = await eventually(
      'the scope gate to see primary-3 gone',
      async () => {
        const r = await runCli(args);
        runs.push(r.exitCode);
        const gate = events(r.stdout).find((e) => e.kind === 'gate' && e.final && e.step === 'scope' && e.gate.id === 'source-down');
        return gate?.gate.observed.brokers === 2 ? { r, ev: events(r.stdout), gate: gate.gate } : undefined;
      },
      60_000,
    );
    expect(
      runs.every((c) => c === 3),
      `exit codes ${runs.join(', ')}`,
    ).toBe(true);
    expect(last.gate).toMatchObject({ ok: false, observed: { verdict: 'degraded', brokers: 2 }, expected: 'verdict cluster-down (no broker answers)' });
    expect(last.gate.description).toContain('one broker down is not a disaster');
    expect(last.ev.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'blocked', exitCode: 3 });
    expect(last.ev.filter((e) => e.kind === 'step.started').map((e) => e.step)).toEqual(['permissions', 'scope']);
    expect(last.ev.filter((e) => String(e.kind).startsWith('write.'))).toEqual([]);
    const status = await sandboxStatus(opts.stateDir);
    expect({ mm2: status.mm2.running, dr: status.clusters.dr!.brokers.every((b) => b.running) }).toEqual({ mm2: true, dr: true });
  });
});
