/**
 * `resume` after kill -9 in the middle of every writing step kind, on the shipped failback runbook
 * (runbooks/failback.yaml, run from a copy so the sha256 refusal can be shown): one failback, after a planned
 * failover and a DR period with writes on dr, killed at seven points in turn — start-replication during its hook,
 * freeze-writes after its hook, exec during its hook, translate-back during its reads, stop-replication after its
 * hook, reset-consumer-groups with its group writes in flight, redirect after its confirmation — each resumed by the next process.
 * Before each resume the test proves where the killed process stopped (the last record of its audit log); once a
 * resume was refused because the runbook changed (exit 2, nothing appended to the audit log). At the end: the audit
 * chain verifies across the 8 processes, no write with a `write.done` was done again, the committed offsets read on
 * primary with a separate client (kafkajs admin) at the redirect equal the plan, and the traffic ledger shows no
 * record skipped by any group.
 */
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditText } from '../../src/engine/audit.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { failbackClustersFilePath } from '../../src/rehearsal/sandbox/clusters-file.js';
import { sandboxUp, stopComponents } from '../../src/rehearsal/sandbox/sandbox.js';
import type { GroupDelivery } from '../../src/rehearsal/traffic/ledger.js';
import { eventually, kafkaFor, runCli, sandbox, startSandboxTraffic, uniqueName, waitForFreeLease } from './helpers.js';
import { auditEvents, runUntilKilled, type Ev, type Stopped } from './helpers-resume.js';

const id = uniqueName('re').replace('re-', '');
const topics = [
  { name: `orders-${id}`, partitions: 3 },
  { name: `payments-${id}`, partitions: 2 },
];
const groups = [`billing-${id}`, `shipping-${id}`, `analytics-${id}`];
const sets = () => [
  '--set',
  `stateDir=${sandbox().options.stateDir}`,
  '--set',
  `groups=${groups.join('|')}`,
  '--set',
  `topics=${topics.map((t) => t.name).join('|')}`,
];
const ctl = (action: string) => runCli(['sandbox', 'traffic-ctl', action, '--state-dir', sandbox().options.stateDir]);
const is = (kind: string, step: string) => (e: Ev) => e.kind === kind && e.step === step;

/**
 * The kill points, in runbook order, and what the audit log's last record must be when the process is frozen there.
 * A hook takes seconds (npx start-up), the freeze and stop-replication verifications sleep before their next record,
 * translate-back reads for seconds before its first: those stops are exact. Between two groups' resets and after a
 * confirmation the next record may already be out, so those accept the records of the same step that can follow.
 */
const killPoints: { name: string; at: (e: Ev) => boolean; stoppedAt: (last: Ev, audit: Ev[]) => void }[] = [
  {
    name: 'start-replication, during its hook',
    at: is('write.intent', 'start-reverse'),
    stoppedAt: (last) => expect(last).toMatchObject({ kind: 'write.intent', step: 'start-reverse', write: { action: 'run hook: start MM2' } }),
  },
  {
    name: 'freeze-writes, after its hook',
    at: is('write.done', 'freeze'),
    stoppedAt: (last) => expect(last).toMatchObject({ kind: 'write.done', step: 'freeze', write: { action: 'run hook: freeze writes' } }),
  },
  {
    name: 'exec, during its hook',
    at: is('write.intent', 'stop-consumers'),
    stoppedAt: (last) => expect(last).toMatchObject({ kind: 'write.intent', step: 'stop-consumers' }),
  },
  {
    name: 'translate-back, during its reads',
    at: is('step.started', 'translate'),
    stoppedAt: (last) => expect(last).toMatchObject({ kind: 'step.started', step: 'translate' }),
  },
  {
    name: 'stop-replication, after its hook',
    at: is('write.done', 'stop-reverse'),
    stoppedAt: (last) => expect(last).toMatchObject({ kind: 'write.done', step: 'stop-reverse', write: { action: 'run hook: stop MM2' } }),
  },
  {
    // Stopped on the first group's write intent, with the groups' writes in flight: they are written concurrently and
    // all finish within a few ms (2–4 ms from the first write.done to the step's end, measured), so a stop sent on the
    // first write.done could land after the step (seen once in CI: stopped at redirect). Each write takes ~10 ms.
    name: 'reset-consumer-groups, with the group writes in flight',
    at: (e) => e.kind === 'write.intent' && e.write?.action === 'reset consumer group offsets',
    stoppedAt: (last, audit) => {
      expect(last.step).toBe('reset');
      expect(audit.filter((e) => e.kind === 'write.intent' && e.step === 'reset').length).toBeGreaterThanOrEqual(1);
      expect(audit.some(is('step.succeeded', 'reset'))).toBe(false);
    },
  },
  {
    name: 'redirect, after its confirmation',
    at: is('confirm', 'redirect'),
    stoppedAt: (last) => {
      expect(last.step).toBe('redirect');
      expect(['confirm', 'write.intent']).toContain(last.kind);
    },
  },
];

let tmp: string;
let traffic: ResultPromise;
let primary: KafkaPort;
let dr: KafkaPort;

/** Every partition of `names` read to its end by every group. */
async function caughtUp(port: KafkaPort, names: string[]): Promise<true | undefined> {
  for (const g of groups) {
    const committed = await port.committedOffsets(g);
    for (const t of names) {
      for (const p of await port.partitionOffsets(t))
        if ((committed.find((c) => c.topic === t && c.partition === p.partition)?.offset ?? -1) < p.highWatermark) return undefined;
    }
  }
  return true;
}

/** Committed offsets on primary read with kafkajs's admin (not the tool's port): group → "topic/partition" → offset. */
async function committedBySeparateClient(): Promise<Record<string, Record<string, number>>> {
  const admin = kafkaFor('primary').admin();
  await admin.connect();
  try {
    const out: Record<string, Record<string, number>> = {};
    for (const g of groups) {
      out[g] = {};
      for (const t of await admin.fetchOffsets({ groupId: g }))
        for (const p of t.partitions) if (Number(p.offset) >= 0) out[g]![`${t.topic}/${p.partition}`] = Number(p.offset);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-resume-each-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await sandboxUp({ stateDir: sandbox().options.stateDir }); // forward MM2 running, whatever an earlier file left
  traffic = (
    await startSandboxTraffic({
      rate: 100,
      topics: topics.map((t) => `${t.name}:${t.partitions}`),
      groups: [groups[0]!, `${groups[1]}:5`, groups[2]!],
      report: path.join(tmp, 'report.json'),
    })
  ).child;
});

afterAll(async () => {
  traffic?.kill('SIGINT');
  await traffic;
  await Promise.all([primary?.close(), dr?.close()]);
  await stopComponents(sandbox().options.stateDir, 'mm2-reverse', 'graceful').catch(() => []);
  await sandboxUp({ stateDir: sandbox().options.stateDir });
});

describe('resume of failback.yaml after kill -9 in each writing step kind', () => {
  it(`resumes from ${killPoints.length} kills in turn: audit chain whole, no completed write repeated, offsets = plan on primary, 0 skipped`, async () => {
    const runsDir = path.join(tmp, 'runs');
    const over = await runCli([
      'run',
      'runbooks/planned-failover.yaml',
      '--yes',
      '--output',
      'json',
      '--clusters',
      sandbox().clustersFile,
      '--runs-dir',
      runsDir,
      ...sets(),
    ]);
    expect(
      over.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Ev)
        .at(-1),
    ).toMatchObject({ kind: 'run.finished', outcome: 'succeeded' });
    // DR period: producers write to dr's own topics while the groups read them beside the replicated ones.
    expect((await ctl('produce-on-dr')).exitCode).toBe(0);
    await eventually(
      '300 records produced on dr',
      async () =>
        (await dr.listTopics()).includes(topics[0]!.name) && (await dr.partitionOffsets(topics[0]!.name)).reduce((s, p) => s + p.highWatermark, 0) >= 300
          ? true
          : undefined,
      60_000,
    );

    const runbook = path.join(tmp, 'failback.yaml');
    copyFileSync('runbooks/failback.yaml', runbook);
    const auditFile = (runId: string) => path.join(runsDir, runId, 'audit.jsonl');
    let args = [
      'run',
      runbook,
      '--yes',
      '--output',
      'json',
      '--clusters',
      failbackClustersFilePath(sandbox().options.stateDir),
      '--runs-dir',
      runsDir,
      ...sets(),
      '--set',
      `exportFile=${path.join(tmp, 'never.jsonl')}`,
    ];
    let runId = '';
    const stops: string[] = [];
    let atRedirect: Record<string, Record<string, number>> | undefined;
    for (const [k, point] of killPoints.entries()) {
      // At the redirect, read the offsets on primary while the process is frozen: no consumer has moved there yet.
      const s: Stopped = await runUntilKilled(
        args,
        point.at,
        auditFile,
        point.name.startsWith('redirect') ? async () => void (atRedirect = await committedBySeparateClient()) : undefined,
      );
      runId = s.runId;
      point.stoppedAt(s.audit.at(-1)!, s.audit);
      expect(auditEvents(auditFile(runId)), `${point.name}: nothing written after the freeze`).toHaveLength(s.audit.length);
      stops.push(
        `${point.name}: last record #${s.audit.at(-1)!.seq} ${s.audit.at(-1)!.kind} ${s.audit.at(-1)!.step ?? ''}${s.hooks.length ? ` (${s.hooks.length} hook running)` : ''}`,
      );
      if (k === 0) {
        // A changed runbook is refused, and the refusal writes nothing.
        const bytes = statSync(auditFile(runId)).size;
        const original = readFileSync(runbook);
        writeFileSync(runbook, Buffer.concat([original, Buffer.from('# edited\n')]));
        const refused = await runCli(['resume', runId, '--runs-dir', runsDir, '--output', 'json']);
        expect(refused.exitCode).toBe(2);
        expect(refused.stderr).toContain(`failback.yaml changed since run ${runId} started (sha256`);
        expect(statSync(auditFile(runId)).size).toBe(bytes);
        writeFileSync(runbook, original);
      }
      args = ['resume', runId, '--runs-dir', runsDir, '--output', 'json'];
    }
    const last = await runCli(args);
    const tail = last.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Ev);
    expect(tail[0]).toMatchObject({ kind: 'run.resumed', runId });
    expect(tail.at(-1), last.stderr).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    console.info(`resume-each-step: stopped at\n  ${stops.join('\n  ')}`);

    // The audit chain verifies across the 8 processes; 7 resumptions.
    const text = readFileSync(auditFile(runId), 'utf8');
    expect(verifyAuditText(text)).toMatchObject({ ok: true });
    const audit = auditEvents(auditFile(runId));
    expect(audit.filter((e) => e.kind === 'run.resumed')).toHaveLength(killPoints.length);
    // No write that has a write.done was done again: one write.done per (step, action, details).
    const done = audit
      .filter((e) => e.kind === 'write.done' && e.write?.action !== 'produce canary record')
      .map((e) => `${e.step} ${e.write!.action} ${JSON.stringify(e.write!.details)}`);
    const repeated = done.filter((d, i) => done.indexOf(d) !== i);
    expect(repeated, 'writes done twice').toEqual([]);
    // Every group was written once: a write.done — or, for a group whose commit landed just before a kill (its
    // write.intent is in the log, its write.done is not: the groups are written concurrently), the resumed reset found
    // it at the planned offsets and said so instead of writing it again.
    const resetDone = audit.filter((e) => e.kind === 'write.done' && e.step === 'reset').map((e) => (e.write!.details as { group: string }).group);
    const foundWritten = groups.filter((g) =>
      audit.some(
        (e) =>
          e.kind === 'step.note' && e.step === 'reset' && String((e as { message?: string }).message).startsWith(`group ${g} already at the planned offsets`),
      ),
    );
    expect([...new Set([...resetDone, ...foundWritten])].sort()).toEqual([...groups].sort());
    for (const g of foundWritten.filter((x) => !resetDone.includes(x)))
      expect(audit.some((e) => e.kind === 'write.intent' && e.step === 'reset' && (e.write!.details as { group: string }).group === g)).toBe(true);

    // The offsets on primary, read with a separate client before the redirect, are the plan.
    const plan = audit.find(is('step.succeeded', 'translate'))!.outputs!.plan as { group: string; topic: string; partition: number; targetOffset: number }[];
    const want: Record<string, Record<string, number>> = Object.fromEntries(groups.map((g) => [g, {}]));
    for (const p of plan) want[p.group]![`${p.topic}/${p.partition}`] = p.targetOffset;
    expect(Object.keys(want[groups[0]!]!).length).toBe(2 * (3 + 2)); // returning and dr.<topic> partitions
    expect(atRedirect).toEqual(want);

    // Producers stop; every group reads primary's topics and dr.<topic> to the end; no record was skipped.
    expect((await ctl('freeze')).exitCode).toBe(0);
    await eventually(
      'the groups to catch up on primary',
      () => caughtUp(primary, [...topics.map((t) => t.name), ...topics.map((t) => `dr.${t.name}`)]),
      120_000,
    );
    traffic.kill('SIGINT');
    await traffic;
    const report = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as { produced: number; groups: GroupDelivery[] };
    console.info(
      `resume-each-step: produced ${report.produced}; ${report.groups.map((g) => `${g.groupId.split('-')[0]} skipped ${g.skipped}, duplicates ${g.duplicates}`).join('; ')}`,
    );
    expect(report.groups).toHaveLength(3);
    for (const g of report.groups) expect({ group: g.groupId, skipped: g.skipped }).toEqual({ group: g.groupId, skipped: 0 });
  }, 900_000);
});
