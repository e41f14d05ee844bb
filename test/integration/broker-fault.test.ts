/**
 * A broker fault in the middle of `reset-consumer-groups`: the dr broker is killed (SIGKILL) right after the first
 * group was written and started again 3 s later. The step retries (retryable errors only) and ends correct, or fails
 * saying which groups were and were not written — never a silent partial state.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { translateOffsets } from '../../src/mm2/translate.js';
import { sandboxUp, startComponents, stopComponents } from '../../src/sandbox/sandbox.js';
import { eventually, sandbox, sandboxFlow, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('bf').replace('bf-', '');
const topic = `fault-${id}`;
const groups = Array.from({ length: 30 }, (_, g) => `bf-${id}-g${g}`);
let primary: KafkaPort;
let tmp: string;

beforeAll(async () => {
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-fault-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  const dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await primary.createTopic(topic, 3);
  for (let p = 0; p < 3; p++) await primary.produce(topic, Array.from({ length: 50 }, (_, i) => ({ value: `v${i}`, partition: p })));
  for (const [g, group] of groups.entries()) await primary.commitOffsets(group, [0, 1, 2].map((p) => ({ topic, partition: p, offset: 50 - (g % 5) })));
  await eventually('MM2 to checkpoint every group', async () => {
    const r = await translateOffsets({ flow: sandboxFlow(), source: primary, target: dr, include: [new RegExp(`^bf-${id}-`)] });
    return r.partitions.filter((p) => p.basis === 'checkpoint').length === groups.length * 3 ? r : undefined;
  }, 120_000);
  await dr.close();
});

afterAll(async () => {
  await startComponents(sandbox().options.stateDir, 'dr');
  await sandboxUp({ stateDir: sandbox().options.stateDir });
  await primary?.close();
});

describe('broker fault during reset-consumer-groups', () => {
  it('retries through a dr broker restart and ends correct, or fails saying exactly what was and was not written', async () => {
    const runbook = path.join(tmp, 'rb.yaml');
    writeFileSync(runbook, `apiVersion: kafka-failover/v1\nname: fault\nflow: primary->dr\nparameters: { groups: { type: string } }\nsteps:\n  - { id: translate, kind: translate-offsets, with: { groups: "\${params.groups}" } }\n  - id: reset\n    kind: reset-consumer-groups\n    with: { plan: "\${steps.translate.outputs.plan}" }\n    retries: { max: 8, backoffMs: 1000 }\n`);
    const child = execa(process.execPath, [path.resolve('bin/kafka-failover.js'), 'run', runbook, '--yes', '--output', 'json', '--clusters', sandbox().clustersFile, '--runs-dir', path.join(tmp, 'runs'), '--set', `groups=bf-${id}-.*`], { reject: false, buffer: false });
    let out = '';
    let faulted: Promise<unknown> | undefined;
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (!faulted && out.includes('"kind":"write.done"')) {
        faulted = (async () => {
          await stopComponents(sandbox().options.stateDir, 'dr-1', 'kill');
          await new Promise((r) => setTimeout(r, 3000));
          await startComponents(sandbox().options.stateDir, 'dr-1');
        })();
      }
    });
    const done = await child;
    await faulted;
    const events = out.trim().split('\n').map((l) => JSON.parse(l));
    const written = events.filter((e) => e.kind === 'write.done').map((e) => e.write.details.group);
    // The reference is the plan this run computed (MM2 may have moved a checkpoint since beforeAll).
    const runPlan = events.find((e) => e.kind === 'step.succeeded' && e.step === 'translate').outputs.plan as { group: string; targetOffset: number }[];
    expect(runPlan).toHaveLength(groups.length * 3);
    const dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
    try {
      // Whatever the outcome, every group the audit says was written is at its planned offsets on dr.
      for (const g of written) {
        const want = runPlan.filter((p) => p.group === g).map((p) => p.targetOffset).sort();
        expect((await dr.committedOffsets(g)).map((c) => c.offset).sort(), g).toEqual(want);
      }
      // Either outcome the issue allows, each checked strictly: all groups written, or a failure that names exactly
      // the written groups (those with write.done) and every other one as not written.
      expect([0, 1]).toContain(done.exitCode);
      if (done.exitCode === 0) {
        expect(new Set(written)).toEqual(new Set(groups));
        console.info(`broker fault: dr killed after the first group; the step retried and wrote all ${groups.length} groups`);
      } else {
        const failed = events.find((e) => e.kind === 'step.failed');
        const m = /written so far: (.*); not written: (.*)$/.exec(failed.error)!;
        expect(m, failed.error).not.toBeNull();
        expect(new Set(m[1]!.split(', '))).toEqual(new Set(written));
        expect(new Set([...written, ...m[2]!.split(', ')])).toEqual(new Set(groups));
        console.info(`broker fault: the step failed cleanly after writing ${written.length} of ${groups.length} groups: ${failed.error.slice(0, 200)}`);
      }
    } finally {
      await dr.close();
    }
  });
});
