/**
 * The reset step's own gate (`target-groups-empty` in `reset-consumer-groups`), with the preflight out of the way:
 * the runbook's preflight passes (the group is empty on dr), then a consumer joins the group on dr before the reset
 * step runs. The reset step must block on its own gate (exit 3) naming the group, write nothing (no write intent in
 * the audit log), and leave the group on dr without any committed offset (read back with a separate client).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { translateOffsets } from '../../src/mm2/translate.js';
import { eventually, joinLiveConsumer, resetSharedSandbox, sandbox, sandboxFlow, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('rg').replace('rg-', '');
const topic = `gate-${id}`;
const group = `rg-${id}`;
let tmp: string;
let primary: KafkaPort;
let dr: KafkaPort;
const releases: string[] = [];

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-reset-gate-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await primary.createTopic(topic, 2);
  for (const p of [0, 1])
    await primary.produce(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: p })),
    );
  await primary.commitOffsets(
    group,
    [0, 1].map((p) => ({ topic, partition: p, offset: 30 })),
  );
  await eventually(
    'MM2 to checkpoint the group',
    async () => {
      const r = await translateOffsets({ flow: sandboxFlow(), source: primary, target: dr, include: [new RegExp(`^${group}$`)] });
      return r.partitions.filter((p) => p.basis === 'checkpoint').length === 2 ? true : undefined;
    },
    120_000,
  );
});

afterAll(async () => {
  releases.forEach((f) => writeFileSync(f, ''));
  await Promise.all([primary?.close(), dr?.close()]);
});

describe('reset-consumer-groups gate', () => {
  it('blocks (exit 3) when a member joins the group on dr after the preflight passed, and writes nothing', async () => {
    const release = path.join(tmp, 'release');
    releases.push(release);
    const runbook = path.join(tmp, 'rb.yaml');
    writeFileSync(
      runbook,
      [
        'apiVersion: kafka-failover/v1',
        'name: reset-gate',
        'flow: primary->dr',
        'parameters: { groups: { type: string }, release: { type: string } }',
        'steps:',
        '  - { id: preflight, kind: check-target-groups, with: { groups: "${params.groups}" } }',
        '  - { id: translate, kind: translate-offsets, with: { groups: "${params.groups}" } }',
        // Holds the run between translate and reset until the test has a member in the group (a condition).
        '  - { id: hold, kind: exec, with: { command: [sh, -c, \'until [ -e "$0" ]; do sleep 0.05; done\', "${params.release}"] } }',
        '  - { id: reset, kind: reset-consumer-groups, with: { plan: "${steps.translate.outputs.plan}" } }',
        '',
      ].join('\n'),
    );
    const child = execa(
      process.execPath,
      [
        path.resolve('bin/kafka-failover.js'),
        'run',
        runbook,
        '--yes',
        '--output',
        'json',
        '--clusters',
        sandbox().clustersFile,
        '--runs-dir',
        path.join(tmp, 'runs'),
        '--set',
        `groups=^${group}$`,
        '--set',
        `release=${release}`,
      ],
      { reject: false, buffer: false },
    );
    let out = '';
    let joining: Promise<Awaited<ReturnType<typeof joinLiveConsumer>>> | undefined;
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (!joining && out.includes('"kind":"step.started","step":"hold"')) {
        joining = joinLiveConsumer(group, `primary.${topic}`).then((consumer) => {
          writeFileSync(release, '');
          return consumer;
        });
      }
    });
    const done = await child;
    const consumer = await joining;
    try {
      const events = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, any>);
      const runId = events.find((e) => e.kind === 'run.started')!.runId as string;
      const audit = readFileSync(path.join(tmp, 'runs', runId, 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, any>);
      // The preflight saw the group empty and passed: the block comes from the reset step's own gate.
      expect(audit.find((e) => e.kind === 'gate' && e.final && e.step === 'preflight')).toMatchObject({ gate: { ok: true } });
      expect(consumer, 'the member joined during the hold').toBeDefined();
      const gate = audit.find((e) => e.kind === 'gate' && e.final && e.step === 'reset');
      expect(gate).toMatchObject({ gate: { id: 'target-groups-empty', ok: false, expected: '0 groups with members' } });
      expect(gate!.gate.observed.groupsWithMembers).toEqual([
        expect.stringMatching(new RegExp(`^${group} \\(type classic, \\w+, 1 member\\(s\\): \\S+ client kafka-failover-test host \\S+\\)$`)),
      ]);
      expect(audit.filter((e) => String(e.kind).startsWith('write.') && e.step === 'reset')).toEqual([]);
      expect(audit.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'blocked', exitCode: 3 });
      expect(done.exitCode).toBe(3);
      // Read back on dr: nothing was committed for the group.
      expect(await dr.committedOffsets(group)).toEqual([]);
    } finally {
      await consumer?.disconnect();
    }
  });
});
