/**
 * A broker fault in the middle of `reset-consumer-groups`: the dr broker is killed (SIGKILL) right after the first
 * group was written, and started again once a group's write is pending against the dead broker (its `write.intent`
 * in the audit log, no `write.done`). The write is retried across the outage (by the client, or by the step: then a
 * second `write.intent` for the group) and the step ends correct — every group at its planned offsets on dr, read
 * back with a separate client — or fails saying exactly which groups were and were not written, and dr agrees.
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
import { sandboxUp, startComponents, stopComponents } from '../../src/sandbox/sandbox.js';
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
  it('retries through a dr broker restart (retry audited) and ends correct, or fails saying exactly what was and was not written; dr agrees', async () => {
    const runbook = path.join(tmp, 'rb.yaml');
    writeFileSync(runbook, `apiVersion: kafka-failover/v1\nname: fault\nflow: primary->dr\nparameters: { groups: { type: string } }\nsteps:\n  - { id: translate, kind: translate-offsets, with: { groups: "\${params.groups}" } }\n  - id: reset\n    kind: reset-consumer-groups\n    with: { plan: "\${steps.translate.outputs.plan}" }\n    retries: { max: 8, backoffMs: 1000 }\n`);
    const child = execa(process.execPath, [path.resolve('bin/kafka-failover.js'), 'run', runbook, '--yes', '--output', 'json', '--clusters', sandbox().clustersFile, '--runs-dir', path.join(tmp, 'runs'), '--set', `groups=bf-${id}-.*`], { reject: false, buffer: false });
    type Ev = { kind: string; step?: string; runId?: string; error?: string; time?: string; outputs?: Record<string, unknown>; write?: { key: string; details: { group: string } } };
    let out = '';
    const seen: Ev[] = [];
    let killedAt = 0;
    let restartingAt = 0;
    let pendingAtRestart = new Set<string>();
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
          // dr stays down until a write is pending against it (or the step gave up), then comes back: a condition.
          await waitFor('a group write to be pending while dr is down (or the step to end)', async () => {
            const doneKeys = new Set(seen.filter((e) => e.kind === 'write.done').map((e) => e.write!.key));
            if (seen.some((e) => e.kind === 'write.intent' && !doneKeys.has(e.write!.key)) || seen.some((e) => e.kind === 'step.failed' || e.kind === 'run.finished')) return true;
            throw new Error(`${doneKeys.size} group(s) written, none pending`);
          }, { timeoutMs: 60_000, intervalMs: 100 });
          pendingAtRestart = new Set(seen.filter((e) => e.kind === 'write.intent').map((e) => e.write!.key));
          for (const e of seen) if (e.kind === 'write.done') pendingAtRestart.delete(e.write!.key);
          restartingAt = Date.now();
          await startComponents(sandbox().options.stateDir, 'dr-1');
        })();
      }
    });
    const done = await child;
    await faulted;
    const events = out.trim().split('\n').map((l) => JSON.parse(l) as Ev);
    const runId = events.find((e) => e.kind === 'run.started')!.runId!;
    const audit = readFileSync(path.join(tmp, 'runs', runId, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Ev);
    const doneWrites = audit.filter((e) => e.kind === 'write.done');
    const written = doneWrites.map((e) => e.write!.details.group);
    // The reference is the plan this run computed (MM2 may have moved a checkpoint since beforeAll).
    const runPlan = audit.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!.outputs!.plan as { group: string; topic: string; partition: number; targetOffset: number }[];
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
        want[g] = written.includes(g) ? runPlan.filter((p) => p.group === g).sort((a, b) => a.partition - b.partition).map((p) => p.targetOffset) : 'none';
      }
      expect(onDr).toEqual(want);
      if (done.exitCode === 0) {
        expect(new Set(written)).toEqual(new Set(groups));
        // The retry across the outage, in the audit log: the write pending while dr was down (intent before the
        // restart) completed only after dr came back; a step-level retry shows as a repeated intent for the group.
        expect(pendingAtRestart.size, 'writes pending while dr was down').toBe(1);
        const [pendingKey] = [...pendingAtRestart];
        const intents = audit.filter((e) => e.kind === 'write.intent');
        const pendingIntent = intents.find((e) => e.write!.key === pendingKey)!;
        const pendingDone = doneWrites.find((e) => e.write!.key === pendingKey)!;
        expect(at(pendingIntent)).toBeLessThan(restartingAt);
        expect(at(pendingDone), 'the pending write completed only once dr-1 was started again').toBeGreaterThan(restartingAt);
        const retried = intents.filter((e, i) => intents.findIndex((x) => x.write!.key === e.write!.key) !== i).length;
        console.info(`broker fault: dr killed after ${beforeKill} group(s); the pending write (${pendingKey}) completed ${at(pendingDone) - killedAt} ms after the kill, ${retried} step-level retr${retried === 1 ? 'y' : 'ies'}; all ${groups.length} groups written and read back`);
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
