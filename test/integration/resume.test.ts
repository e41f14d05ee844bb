/**
 * Crash safety: the CLI is killed with SIGKILL at every step boundary of a failover runbook and in the middle of
 * `reset-consumer-groups` (after its first group was written), then `kafka-failover resume <run-id>` finishes the
 * run. Each resumed run must end with the target offsets an uninterrupted run produces (the translation), each
 * group written once, and an audit log whose hash chain verifies across the interruption.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditText } from '../../src/engine/audit.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { decodeCheckpoint } from '../../src/mm2/records.js';
import { translateOffsets } from '../../src/mm2/translate.js';
import { eventually, readAll, resetSharedSandbox, runCli, sandbox, sandboxFlow, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('rs').replace('rs-', '');
const topic = `resume-${id}`;
/**
 * Where the run is killed: after the event matching each predicate; `resetsBefore` is how many of the 3 groups the
 * killed process must have written (write.done in its audit log) — proof that the kill landed where named.
 */
const crashPoints: { name: string; at: (e: { kind: string; step?: string; write?: { action: string } }) => boolean; resetsBefore: [number, number] }[] = [
  { name: 'after run.started', at: (e) => e.kind === 'run.started', resetsBefore: [0, 0] },
  { name: 'after scope', at: (e) => e.kind === 'step.succeeded' && e.step === 'scope', resetsBefore: [0, 0] },
  { name: 'after preflight', at: (e) => e.kind === 'step.succeeded' && e.step === 'preflight', resetsBefore: [0, 0] },
  { name: 'after translate', at: (e) => e.kind === 'step.succeeded' && e.step === 'translate', resetsBefore: [0, 0] },
  // The reset writes its groups concurrently (a bounded number in flight): by the time the kill lands, the other groups'
  // writes may be done too — but not the step.
  { name: 'mid reset (first group written)', at: (e) => e.kind === 'write.done' && e.write?.action === 'reset consumer group offsets', resetsBefore: [1, 3] },
  { name: 'after reset', at: (e) => e.kind === 'step.succeeded' && e.step === 'reset', resetsBefore: [3, 3] },
];
const groupsOf = (k: number) => [0, 1, 2].map((g) => `rs${k}-${id}-g${g}`);

let tmp: string;
let runbookFile: string;
let primary: KafkaPort;
let dr: KafkaPort;

beforeAll(async () => {
  await resetSharedSandbox(); // MM2 must be checkpointing, whatever the file before this one left
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-resume-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await primary.createTopic(topic, 3);
  for (let p = 0; p < 3; p++)
    await primary.produce(
      topic,
      Array.from({ length: 100 }, (_, i) => ({ value: `v${i}`, partition: p })),
    );
  // One set of groups per crash point, and one more for the finished-run test (so tests in any order start clean).
  for (let k = 0; k <= crashPoints.length; k++) {
    for (const [g, group] of groupsOf(k).entries()) {
      await primary.commitOffsets(
        group,
        [0, 1, 2].map((p) => ({ topic, partition: p, offset: 100 - 10 * g - p })),
      );
    }
  }
  await eventually(
    'MM2 to checkpoint every scenario group',
    async () => {
      const r = await translateOffsets({ flow: sandboxFlow(), source: primary, target: dr, include: [new RegExp(`^rs\\d+-${id}-`)] });
      return r.partitions.filter((p) => p.basis === 'checkpoint').length === (crashPoints.length + 1) * 9 ? true : undefined;
    },
    120_000,
  );
  runbookFile = path.join(tmp, 'failover.yaml');
  writeFileSync(
    runbookFile,
    [
      'apiVersion: kafka-failover/v1',
      'name: resume-test',
      'flow: primary->dr',
      'parameters: { groups: { type: string }, release: { type: string } }',
      'steps:',
      '  - { id: scope, kind: confirm-scope, with: { expect: reachable } }',
      '  - { id: preflight, kind: check-target-groups, with: { groups: "${params.groups}" } }',
      // MM2's own translation (method mm2): the plan is then checked against MM2's raw checkpoints below.
      '  - { id: translate, kind: translate-offsets, with: { groups: "${params.groups}", method: mm2 } }',
      '  - { id: reset, kind: reset-consumer-groups, with: { plan: "${steps.translate.outputs.plan}" } }',
      '  - { id: canary, kind: validate, with: { plan: [] } }',
      // Holds the run open until the test has killed it (a condition, not a duration): no crash point races the end.
      '  - { id: settle, kind: exec, with: { command: [sh, -c, \'until [ -e "$0" ]; do sleep 0.05; done\', "${params.release}"] } }',
      '',
    ].join('\n'),
  );
});

afterAll(() => Promise.all([primary?.close(), dr?.close()]));

describe('resume after kill -9', () => {
  it(`resumes correctly from each of the ${crashPoints.length} crash points`, async () => {
    const results: string[] = [];
    for (const [k, point] of crashPoints.entries()) {
      const groups = groupsOf(k);
      const release = path.join(tmp, `release-${k}`);
      const child = execa(
        process.execPath,
        [
          path.resolve('bin/kafka-failover.js'),
          'run',
          runbookFile,
          '--yes',
          '--output',
          'json',
          '--clusters',
          sandbox().clustersFile,
          '--runs-dir',
          path.join(tmp, 'runs'),
          '--set',
          `groups=rs${k}-${id}-.*`,
          '--set',
          `release=${release}`,
        ],
        { reject: false, buffer: false },
      );
      let runId = '';
      let killedAfter = '';
      let carry = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        carry += chunk.toString();
        const lines = carry.split('\n');
        carry = lines.pop() ?? '';
        for (const line of lines) {
          const e = JSON.parse(line);
          if (e.kind === 'run.started') runId = e.runId;
          if (!killedAfter && point.at(e)) {
            killedAfter = e.kind;
            child.kill('SIGKILL');
          }
        }
      });
      const first = await child;
      expect(first.signal, `${point.name}: the run finished before it could be killed`).toBe('SIGKILL');
      writeFileSync(release, '');

      // Where the killed process stopped, from its own audit log: the crash event is recorded, no run.finished, and
      // exactly the reset writes the crash point implies are done (mid reset: some groups, not all).
      const before = readFileSync(path.join(tmp, 'runs', runId, 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(
        before.some((e) => point.at(e)),
        `${point.name}: crash event in the audit log`,
      ).toBe(true);
      expect(
        before.map((e) => e.kind),
        point.name,
      ).not.toContain('run.finished');
      const doneBefore = before
        .filter((e) => e.kind === 'write.done' && e.write.action === 'reset consumer group offsets')
        .map((e) => e.write.details.group as string);
      const [lo, hi] = point.resetsBefore;
      expect(
        doneBefore.length >= lo && doneBefore.length <= hi,
        `${point.name}: ${doneBefore.length} group(s) written before the kill, expected ${lo}–${hi}; last audit record: ${JSON.stringify(before.at(-1)).slice(0, 300)}`,
      ).toBe(true);
      const keysBefore = new Set(before.filter((e) => e.kind === 'write.done' && e.write.key).map((e) => e.write.key as string));

      const resumed = await runCli(['resume', runId, '--runs-dir', path.join(tmp, 'runs'), '--output', 'json']);
      const events = resumed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(events[0]).toMatchObject({ kind: 'run.resumed', runId, completedWrites: keysBefore.size });
      // The resumed process writes exactly the groups the killed one had not — except one whose commit landed before
      // the kill without its write.done (the groups are written concurrently): its write.intent is in the killed
      // process's log, and the resumed reset finds it at the planned offsets and says so rather than write it again.
      const resumedResets = events
        .filter((e) => e.kind === 'write.done' && e.write.action === 'reset consumer group offsets')
        .map((e) => e.write.details.group as string);
      const foundWritten = groups.filter((g) =>
        events.some((e) => e.kind === 'step.note' && String(e.message).startsWith(`group ${g} already at the planned offsets`)),
      );
      const intendedBefore = before
        .filter((e) => e.kind === 'write.intent' && e.write.action === 'reset consumer group offsets')
        .map((e) => e.write.details.group as string);
      expect([...resumedResets, ...foundWritten.filter((g) => !doneBefore.includes(g))].sort(), point.name).toEqual(
        groups.filter((g) => !doneBefore.includes(g)).sort(),
      );
      for (const g of foundWritten.filter((x) => !doneBefore.includes(x))) expect(intendedBefore, `${point.name}: ${g}`).toContain(g);
      expect(events.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded' });
      expect(resumed.exitCode).toBe(0);

      // Target offsets equal the plan the run computed (what an uninterrupted run writes; MM2 may move a checkpoint
      // between runs, so the reference is this run's own translate step).
      const auditEvents = readFileSync(path.join(tmp, 'runs', runId, 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const planRows = auditEvents.find((e) => e.kind === 'step.succeeded' && e.step === 'translate').outputs.plan as {
        group: string;
        topic: string;
        partition: number;
        targetOffset: number;
      }[];
      expect(planRows).toHaveLength(9);
      for (const g of groups) {
        const want = planRows.filter((p) => p.group === g).map((p) => ({ topic: p.topic, partition: p.partition, offset: p.targetOffset }));
        const got = (await dr.committedOffsets(g))
          .map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset }))
          .sort((a, b) => a.partition - b.partition);
        want.sort((a, b) => a.partition - b.partition);
        expect(got, `${point.name}: ${g}`).toEqual(want);
      }
      // Independent of the tool's own records: each planned offset is MM2's last checkpoint of that group partition,
      // read raw from dr (the groups do not move on primary, so MM2 has nothing newer to checkpoint).
      const lastCheckpoint = new Map<string, number>();
      for (const rec of await readAll('dr', 'primary.checkpoints.internal')) {
        const d = decodeCheckpoint(rec.key, rec.value);
        if (d.ok && groups.includes(d.value.group)) lastCheckpoint.set(`${d.value.group} ${d.value.topic}/${d.value.partition}`, d.value.downstreamOffset);
      }
      expect(
        Object.fromEntries(planRows.map((p) => [`${p.group} ${p.topic}/${p.partition}`, p.targetOffset])),
        `${point.name}: plan vs MM2's checkpoints`,
      ).toEqual(Object.fromEntries(lastCheckpoint));
      // Each group written exactly once across both processes, and the chain verifies across the interruption.
      const auditText = readFileSync(path.join(tmp, 'runs', runId, 'audit.jsonl'), 'utf8');
      expect(verifyAuditText(auditText)).toMatchObject({ ok: true });
      const writes = auditText
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((e) => e.kind === 'write.done' && e.write.action === 'reset consumer group offsets');
      // …once: a write.done, or (commit landed before the kill, see above) found at the planned offsets on resume.
      const onceEach = writes.map((w) => w.write.details.group as string);
      expect(
        onceEach.filter((g, i) => onceEach.indexOf(g) !== i),
        `${point.name}: written twice`,
      ).toEqual([]);
      expect([...new Set([...onceEach, ...foundWritten])].sort()).toEqual([...groups].sort());
      results.push(point.name);
    }
    console.info(`${results.length} of ${crashPoints.length} crash points resumed correctly: ${results.join('; ')}`);
    expect(results).toHaveLength(crashPoints.length);
  });

  it('refuses to resume a run that already finished (exit 2)', async () => {
    const release = path.join(tmp, 'release-finished');
    writeFileSync(release, '');
    const r = await runCli([
      'run',
      runbookFile,
      '--yes',
      '--output',
      'json',
      '--clusters',
      sandbox().clustersFile,
      '--runs-dir',
      path.join(tmp, 'runs'),
      '--set',
      `groups=rs${crashPoints.length}-${id}-.*`,
      '--set',
      `release=${release}`,
    ]);
    const runId = JSON.parse(r.stdout.split('\n')[0]!).runId;
    const again = await runCli(['resume', runId, '--runs-dir', path.join(tmp, 'runs')]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('already finished (succeeded)');
  });
});
