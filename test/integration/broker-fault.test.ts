/**
 * A broker fault in the middle of `reset-consumer-groups`: the dr broker is killed (SIGKILL) right after the first
 * group was written, and started again as soon as its port refuses connections. The audit log must show the kill
 * between two groups' writes and no write while dr-1 was down; the step ends correct — every group at its planned
 * offsets on dr, read back with a separate client — or fails saying exactly which groups were and were not
 * written, and dr agrees.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { translateOffsets } from '../../src/mm2/translate.js';
import { sandboxUp, startComponents, stopComponents } from '../../src/rehearsal/sandbox/sandbox.js';
import { waitFor } from '../../src/util/wait.js';
import { eventually, resetSharedSandbox, sandbox, sandboxFlow, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('bf').replace('bf-', '');
const topic = `fault-${id}`;
const groups = Array.from({ length: 30 }, (_, g) => `bf-${id}-g${g}`);
let primary: KafkaPort;
let tmp: string;

beforeAll(async () => {
  await resetSharedSandbox(); // dr up and MM2 checkpointing, whatever the file before this one left
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-fault-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  const dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await primary.createTopic(topic, 3);
  for (let p = 0; p < 3; p++)
    await primary.produce(
      topic,
      Array.from({ length: 50 }, (_, i) => ({ value: `v${i}`, partition: p })),
    );
  for (const [g, group] of groups.entries())
    await primary.commitOffsets(
      group,
      [0, 1, 2].map((p) => ({ topic, partition: p, offset: 50 - (g % 5) })),
    );
  await eventually(
    'MM2 to checkpoint every group',
    async () => {
      const r = await translateOffsets({ flow: sandboxFlow(), source: primary, target: dr, include: [new RegExp(`^bf-${id}-`)] });
      return r.partitions.filter((p) => p.basis === 'checkpoint').length === groups.length * 3 ? r : undefined;
    },
    120_000,
  );
  await dr.close();
});

afterAll(async () => {
  await startComponents(sandbox().options.stateDir, 'dr');
  await sandboxUp({ stateDir: sandbox().options.stateDir });
  await primary?.close();
});

// The groups are written one after another here (maxInFlight 1), so the kill can land between two groups' writes.
describe('broker fault during reset-consumer-groups', () => {
  it('rides out a dr broker restart (no write while it is down) and ends correct, or fails saying exactly what was and was not written; dr agrees', async () => {
    const runbook = path.join(tmp, 'rb.yaml');
    writeFileSync(
      runbook,
      `apiVersion: kafka-failover/v1\nname: fault\nflow: primary->dr\nparameters: { groups: { type: string } }\nsteps:\n  - { id: translate, kind: translate-offsets, with: { groups: "\${params.groups}" } }\n  - id: reset\n    kind: reset-consumer-groups\n    with: { plan: "\${steps.translate.outputs.plan}", maxInFlight: 1 }\n    retries: { max: 8, backoffMs: 1000 }\n`,
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
        `groups=bf-${id}-.*`,
      ],
      { reject: false, buffer: false },
    );
    type Ev = {
      kind: string;
      step?: string;
      runId?: string;
      error?: string;
      time?: string;
      outputs?: Record<string, unknown>;
      write?: { key: string; details: { group: string } };
    };
    let out = '';
    const seen: Ev[] = [];
    let killedAt = 0;
    let restartingAt = 0;
    let faulted: Promise<unknown> | undefined;
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const lines = out.split('\n');
      seen.length = 0;
      for (const l of lines.slice(0, -1)) seen.push(JSON.parse(l) as Ev);
      if (!faulted && seen.some((e) => e.kind === 'write.done')) {
        faulted = (async () => {
          await stopComponents(sandbox().options.stateDir, 'dr-1', 'kill');
          killedAt = Date.now();
          // dr-1 is down (its port refuses connections) — a condition — then it is started again at once. The run
          // cannot write meanwhile: each write first checks its lease on dr (fencing), which waits for dr.
          await waitFor(
            'dr-1 to refuse connections',
            () =>
              new Promise<void>((resolve, reject) => {
                const [host, port] = sandbox().clusters.dr.bootstrapServers[0]!.split(':');
                const sock = net.connect(Number(port), host!);
                sock.once('connect', () => {
                  sock.destroy();
                  reject(new Error('dr-1 still accepts connections'));
                });
                sock.once('error', () => resolve());
              }),
            { timeoutMs: 30_000, intervalMs: 100 },
          );
          restartingAt = Date.now();
          await startComponents(sandbox().options.stateDir, 'dr-1');
        })();
      }
    });
    const done = await child;
    await faulted;
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Ev);
    const runId = events.find((e) => e.kind === 'run.started')!.runId!;
    const audit = readFileSync(path.join(tmp, 'runs', runId, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Ev);
    const doneWrites = audit.filter((e) => e.kind === 'write.done');
    const written = doneWrites.map((e) => e.write!.details.group);
    // The reference is the plan this run computed (MM2 may have moved a checkpoint since beforeAll).
    const runPlan = audit.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!.outputs!.plan as {
      group: string;
      topic: string;
      partition: number;
      targetOffset: number;
    }[];
    expect(runPlan).toHaveLength(groups.length * 3);
    // The kill landed mid-step: between two groups' writes (one done before it, at least one group after it or never).
    const at = (e: Ev) => Date.parse(e.time!);
    expect(killedAt, 'the fault was injected').toBeGreaterThan(0);
    const beforeKill = doneWrites.filter((e) => at(e) <= killedAt).length;
    expect(beforeKill, 'groups written before the kill').toBeGreaterThanOrEqual(1);
    expect(groups.length - beforeKill, 'groups not yet written at the kill').toBeGreaterThanOrEqual(1);
    const dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
    try {
      // Every group read back on dr with a separate client: written → at the planned offsets; not written → nothing.
      const onDr: Record<string, number[] | 'none'> = {};
      const want: Record<string, number[] | 'none'> = {};
      for (const g of groups) {
        const got = (await dr.committedOffsets(g)).sort((a, b) => a.partition - b.partition).map((c) => c.offset);
        onDr[g] = got.length ? got : 'none';
        want[g] = written.includes(g)
          ? runPlan
              .filter((p) => p.group === g)
              .sort((a, b) => a.partition - b.partition)
              .map((p) => p.targetOffset)
          : 'none';
      }
      expect(onDr).toEqual(want);
      if (done.exitCode === 0) {
        expect(new Set(written)).toEqual(new Set(groups));
        // The outage in the audit log: nothing was written while dr-1 was down (no write record between the kill and
        // the restart), and the run went on writing once dr-1 was started again. (Retries inside the step or the
        // client are not audited as such; a step-level retry would show as a repeated intent for the same group.)
        const writesDuringOutage = audit.filter((e) => e.kind.startsWith('write.') && at(e) > killedAt && at(e) < restartingAt);
        expect(writesDuringOutage, 'write records while dr-1 was down').toEqual([]);
        expect(doneWrites.filter((e) => at(e) > restartingAt).length, 'groups written after dr-1 was started again').toBe(groups.length - beforeKill);
        const intents = audit.filter((e) => e.kind === 'write.intent');
        const retried = intents.filter((e, i) => intents.findIndex((x) => x.write!.key === e.write!.key) !== i).length;
        console.info(
          `broker fault: dr killed after ${beforeKill} group(s); first write after the restart ${Math.min(...doneWrites.filter((e) => at(e) > restartingAt).map(at)) - restartingAt} ms after it began; ${retried} repeated intent(s); all ${groups.length} groups written and read back`,
        );
      } else {
        expect(done.exitCode).toBe(1);
        const failed = events.find((e) => e.kind === 'step.failed')!;
        const m = /written so far: (.*); not written: (.*)$/.exec(failed.error!)!;
        expect(m, failed.error).not.toBeNull();
        expect(new Set(m[1]!.split(', '))).toEqual(new Set(written));
        expect(new Set([...written, ...m[2]!.split(', ')])).toEqual(new Set(groups));
        console.info(`broker fault: the step failed cleanly after writing ${written.length} of ${groups.length} groups: ${failed.error!.slice(0, 200)}`);
      }
    } finally {
      await dr.close();
    }
  });
});
