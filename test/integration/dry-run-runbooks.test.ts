/**
 * Dry-runs of the emergency and failback runbooks write nothing, and plan exactly what the real runs then write.
 * One story on the shared sandbox with live traffic (`sandbox traffic`): the whole primary is SIGKILLed; the
 * emergency runbook is dry-run (`run --dry-run`) and then run; primary comes back, producers write on dr, reverse
 * MM2 catches up and producers freeze; the failback runbook is dry-run (`plan`) and then run.
 * For each runbook:
 * - nothing written by the dry-run: topics, log start / high watermark of every partition (MM2's own internal topics
 *   excepted: MM2 writes them by itself) and every group's committed offsets on both clusters, read with a separate
 *   client before and after; MM2 processes and the traffic generator's consumers left as they were;
 * - the plan's `write.would` records equal the real run's `write.done` records (the canary's random marker aside);
 * - the real run is frozen (SIGSTOP of its process group) right after its last offset write, before the redirect can
 *   move any consumer, and the target is read back with a separate client: the committed offsets are exactly the
 *   planned ones (emergency: also exactly MM2's newest checkpoints, read from the checkpoints topic).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_TOPIC } from '../../src/engine/lock.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { decodeCheckpoint } from '../../src/mm2/records.js';
import { failbackClustersFilePath } from '../../src/rehearsal/sandbox/clusters-file.js';
import { sandboxStatus, sandboxUp, stopComponents } from '../../src/rehearsal/sandbox/sandbox.js';
import { eventually, readAll, resetSharedSandbox, runCli, sandbox, startSandboxTraffic, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('dr').replace('dr-', '');
const topic = `orders-${id}`;
const groups = [`billing-${id}`, `shipping-${id}`];
let tmp: string;
let traffic: ResultPromise;
let primary: KafkaPort;
let dr: KafkaPort;
let emergencyDone = false;
type Ev = Record<string, any>;
const events = (stdout: string): Ev[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);
const stateDir = () => sandbox().options.stateDir;
const sets = () => ['--set', `stateDir=${stateDir()}`, '--set', `groups=${groups.join('|')}`, '--set', `topics=${topic}`];
const ctl = (action: string) => runCli(['sandbox', 'traffic-ctl', action, '--state-dir', stateDir()]);

/** MM2 writes these by itself (heartbeats, checkpoints, offset syncs, its Connect topics): existence only. */
const MM2_OWN = /^(__|mm2-)|(^|\.)heartbeats$|\.internal$/;

/** What a write to a cluster would change: topics, every partition's log bounds, every group's committed offsets. */
async function clusterState(port: KafkaPort) {
  const topics = (await port.listTopics()).sort();
  const logs: Record<string, string> = {};
  for (const t of topics.filter((x) => !MM2_OWN.test(x) || x === LEASE_TOPIC)) {
    for (const p of await port.partitionOffsets(t)) logs[`${t}/${p.partition}`] = `${p.logStartOffset}..${p.highWatermark}`;
  }
  const committed: Record<string, number> = {};
  for (const g of (await port.listGroups()).map((x) => x.groupId).sort()) {
    for (const c of await port.committedOffsets(g)) committed[`${g} ${c.topic}/${c.partition}`] = c.offset;
  }
  return { topics, logs, committed };
}

/** write.would / write.done records as comparable values (the canary carries a random marker per run). */
function writes(ev: Ev[], kind: 'write.would' | 'write.done') {
  return (
    ev
      .filter((e) => e.kind === kind)
      .map((e) => {
        const w = structuredClone(e.write) as Ev;
        if (w.action === 'produce canary record') {
          expect(w.details.value).toMatch(/^canary-/);
          w.details.value = 'canary-…';
        }
        return { step: e.step as string, ...w } as Ev;
      })
      // A step's group resets run concurrently (bounded), so they complete in any order: compare them by group, steps
      // in the order they ran.
      .map((w, _i, all) => ({ w, at: all.findIndex((x) => x.step === w.step), group: String(w.details?.group ?? '') }))
      .sort((a, b) => a.at - b.at || a.group.localeCompare(b.group))
      .map((x) => x.w)
  );
}

/**
 * Runs a runbook for real; right after the `write.done` of the last planned group reset, its whole process group is
 * stopped (SIGSTOP: the redirect hook, if already spawned, stops too), `readBack` runs, and the group continues.
 */
async function runFrozenAfterReset(args: string[], groupCount: number, readBack: () => Promise<void>) {
  const child = execa(process.execPath, [path.resolve('bin/kafka-failover.js'), ...args], {
    reject: false,
    buffer: false,
    detached: true,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const ev: Ev[] = [];
  let carry = '';
  let resets = 0;
  let frozen: Promise<void> | undefined;
  child.stdout!.on('data', (chunk: Buffer) => {
    carry += chunk.toString();
    const parts = carry.split('\n');
    carry = parts.pop() ?? '';
    for (const l of parts.filter(Boolean)) {
      const e = JSON.parse(l) as Ev;
      ev.push(e);
      if (e.kind === 'write.done' && e.step === 'reset' && ++resets === groupCount && !frozen) {
        process.kill(-child.pid!, 'SIGSTOP');
        frozen = readBack().finally(() => process.kill(-child.pid!, 'SIGCONT'));
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = await child;
  expect(frozen, `the run never wrote ${groupCount} group resets: ${stderr.slice(-2000)}`).toBeDefined();
  await frozen;
  return { exitCode: done.exitCode, events: ev, stderr };
}

/** Every group has read every partition of `topics` on a cluster to its end. */
async function caughtUp(port: KafkaPort, topics: string[]): Promise<true | undefined> {
  for (const g of groups) {
    const committed = await port.committedOffsets(g);
    for (const t of topics) {
      for (const p of await port.partitionOffsets(t)) {
        if ((committed.find((c) => c.topic === t && c.partition === p.partition)?.offset ?? -1) < p.highWatermark) return undefined;
      }
    }
  }
  return true;
}

beforeAll(async () => {
  await resetSharedSandbox(); // every node and MM2 running, whatever an earlier file left stopped
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-dry-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  traffic = (await startSandboxTraffic({ rate: 50, topics: [`${topic}:2`], groups: [groups[0]!, `${groups[1]}:5`] })).child;
  await eventually('MM2 to checkpoint both groups', async () => {
    const r = await runCli(['offsets', 'translate', '--clusters', sandbox().clustersFile, '--group', `^(${groups.join('|')})$`, '--output', 'json']);
    return events(r.stdout).filter((l) => l.kind === 'translated').length === 4 ? true : undefined;
  });
});

afterAll(async () => {
  traffic?.kill('SIGINT');
  await traffic;
  await Promise.allSettled([primary?.close(), dr?.close()]);
  await stopComponents(stateDir(), 'mm2-reverse', 'graceful').catch(() => []);
  await sandboxUp({ stateDir: stateDir() }); // primary and forward MM2 back for the next file
});

describe('dry-runs write nothing and plan exactly what the run writes', () => {
  it('emergency runbook (primary killed): run --dry-run changes nothing on dr; the run then writes exactly the plan', async () => {
    expect((await runCli(['sandbox', 'kill', 'primary', '--state-dir', stateDir()])).exitCode).toBe(0);
    const runsDir = path.join(tmp, 'runs');
    const emergency = [
      'run',
      'runbooks/emergency-failover.yaml',
      '--yes',
      '--accept-data-loss-window',
      '10m',
      '--output',
      'json',
      '--clusters',
      sandbox().clustersFile,
      '--runs-dir',
      runsDir,
      ...sets(),
    ];

    const before = await clusterState(dr);
    const dry = await runCli([...emergency, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    const after = await clusterState(dr);
    expect(after).toEqual(before);
    const planEv = events(dry.stdout);
    expect(planEv[0]).toMatchObject({ kind: 'run.started', dryRun: true });
    expect(planEv.filter((e) => ['write.intent', 'write.done', 'lock.acquired'].includes(e.kind))).toEqual([]);
    const plan = writes(planEv, 'write.would');
    expect(plan.map((w) => `${w.step}: ${w.action}`)).toEqual([
      'stop-mm2: run hook: stop MM2',
      'reset: reset consumer group offsets',
      'reset: reset consumer group offsets',
      'redirect: run hook: redirect clients',
      'validate: produce canary record',
    ]);
    expect((await sandboxStatus(stateDir())).mm2.running).toBe(true); // the stop hook was not run
    for (const g of await dr.describeGroups(groups)) expect({ group: g.groupId, members: g.members }).toEqual({ group: g.groupId, members: 0 });

    // MM2's newest checkpoint per group/partition, read from its topic on dr: what a translation from checkpoints
    // alone must give (the source is down).
    const checkpoints = new Map<string, number>();
    for (const p of await dr.partitionOffsets('primary.checkpoints.internal')) {
      for (const rec of await readAll('dr', 'primary.checkpoints.internal', p.partition)) {
        const d = decodeCheckpoint(rec.key, rec.value);
        if (d.ok && groups.includes(d.value.group)) checkpoints.set(`${d.value.group} ${d.value.topic}/${d.value.partition}`, d.value.downstreamOffset);
      }
    }
    const planned = new Map<string, number>();
    for (const w of plan.filter((x) => x.step === 'reset'))
      for (const p of w.details.partitions) planned.set(`${w.details.group} ${p.topic}/${p.partition}`, p.after);
    expect(Object.fromEntries(planned)).toEqual(Object.fromEntries(checkpoints));

    // The real run, frozen after its resets: dr holds exactly the plan.
    const readBack: Record<string, number> = {};
    const run = await runFrozenAfterReset(emergency, groups.length, async () => {
      for (const g of groups) for (const c of await dr.committedOffsets(g)) readBack[`${g} ${c.topic}/${c.partition}`] = c.offset;
    });
    expect(run.exitCode, run.stderr.slice(-2000)).toBe(0);
    expect(run.events.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded' });
    expect(readBack).toEqual(Object.fromEntries(planned));
    const audit = events(readFileSync(run.events.at(-1)!.auditFile, 'utf8'));
    expect(writes(audit, 'write.done')).toEqual(plan);
    emergencyDone = true;
  });

  it('failback runbook (after the emergency): plan changes nothing on primary or dr; the run then writes exactly the plan', async () => {
    expect(emergencyDone, 'needs the emergency failover of the previous test').toBe(true);
    // DR period: producers on dr; the old primary back (forward MM2 stays stopped); reverse MM2 started by the operator
    // ahead of the plan (a dry-run cannot start it, and the plan needs its lag).
    expect((await ctl('produce-on-dr')).exitCode).toBe(0);
    await eventually(
      `records produced to ${topic} on dr`,
      async () => ((await dr.listTopics()).includes(topic) && (await dr.partitionOffsets(topic)).some((p) => p.highWatermark > 100) ? true : undefined),
      60_000,
    );
    expect((await runCli(['sandbox', 'start', 'primary', '--state-dir', stateDir()])).exitCode).toBe(0);
    expect((await runCli(['sandbox', 'start', 'mm2-reverse', '--state-dir', stateDir()])).exitCode).toBe(0);
    expect((await ctl('freeze')).exitCode).toBe(0);
    // The old primary was killed with the traffic's consumers in its groups: its coordinator reloads those members
    // from __consumer_offsets and keeps them until their session times out (10 s), and the failback's reset rightly
    // refuses groups with members. Wait for them to expire (a zombie consumer would keep them: the test then fails here).
    await eventually(
      'the members the kill left in the groups on primary to expire',
      async () => ((await primary.describeGroups(groups)).every((g) => g.members === 0) ? true : undefined),
      60_000,
    );
    const fbClusters = failbackClustersFilePath(stateDir());
    await eventually('the groups to read dr to the end', () => caughtUp(dr, [topic, `primary.${topic}`]), 120_000);
    await eventually(
      `reverse MM2 to replicate ${topic} to primary`,
      async () => {
        const r = JSON.parse((await runCli(['offsets', 'lag', '--clusters', fbClusters, '--output', 'json'])).stdout) as {
          partitions: { sourceTopic: string; lagRecords: number | null }[];
        };
        const mine = r.partitions.filter((p) => p.sourceTopic === topic);
        return mine.length === 2 && mine.every((p) => p.lagRecords === 0) ? true : undefined;
      },
      120_000,
    );
    await eventually(
      "reverse checkpoints at the groups' last commits",
      async () => {
        const r = await runCli(['offsets', 'translate', '--clusters', fbClusters, '--group', `^(${groups.join('|')})$`, '--output', 'json']);
        const rows = events(r.stdout).filter((l) => l.kind === 'translated' && l.topic === `dr.${topic}`);
        return rows.length === 4 && rows.every((l) => l.commitsSinceCheckpoint === 0) ? true : undefined;
      },
      120_000,
    );

    const runsDir = path.join(tmp, 'runs');
    const common = ['--yes', '--output', 'json', '--clusters', fbClusters, '--runs-dir', runsDir, ...sets()];
    const before = { primary: await clusterState(primary), dr: await clusterState(dr) };
    // One export file for both: the plan describes its write (write.would) and writes no file; the run writes it.
    const exportFile = path.join(tmp, 'never-replicated.jsonl');
    const dry = await runCli(['plan', 'runbooks/failback.yaml', ...common, '--set', `exportFile=${exportFile}`]);
    expect(
      dry.exitCode,
      dry.stderr + JSON.stringify(events(dry.stdout).filter((e) => (e.kind === 'gate' && e.final && !e.gate.ok) || e.kind === 'step.failed')),
    ).toBe(0);
    const after = { primary: await clusterState(primary), dr: await clusterState(dr) };
    expect(after).toEqual(before);
    expect(existsSync(exportFile)).toBe(false);
    const planEv = events(dry.stdout);
    expect(planEv[0]).toMatchObject({ kind: 'run.started', dryRun: true });
    expect(planEv.filter((e) => ['write.intent', 'write.done', 'lock.acquired'].includes(e.kind))).toEqual([]);
    const plan = writes(planEv, 'write.would');
    expect(
      plan
        .filter((w) => w.step === 'reset')
        .map((w) => w.details.group)
        .sort(),
    ).toEqual([...groups].sort());
    const status = await sandboxStatus(stateDir());
    expect({ forward: status.mm2.running, reverse: status.mm2Reverse.running }).toEqual({ forward: false, reverse: true }); // no hook ran
    expect((await dr.describeGroups(groups)).every((g) => g.members > 0)).toBe(true); // consumers not stopped

    const planned: Record<string, number> = {};
    for (const w of plan.filter((x) => x.step === 'reset'))
      for (const p of w.details.partitions) planned[`${w.details.group} ${p.topic}/${p.partition}`] = p.after;
    const readBack: Record<string, number> = {};
    const run = await runFrozenAfterReset(['run', 'runbooks/failback.yaml', ...common, '--set', `exportFile=${exportFile}`], groups.length, async () => {
      for (const g of groups)
        for (const c of await primary.committedOffsets(g))
          if (`${g} ${c.topic}/${c.partition}` in planned) readBack[`${g} ${c.topic}/${c.partition}`] = c.offset;
    });
    expect(run.exitCode, run.stderr.slice(-2000)).toBe(0);
    expect(readBack).toEqual(planned);
    const audit = events(readFileSync(run.events.at(-1)!.auditFile, 'utf8'));
    expect(writes(audit, 'write.done')).toEqual(plan);
    // The records that never left the old primary (acknowledged there just before the kill): the run exported exactly
    // the number the plan described (no export write, and no file, when there are none).
    const plannedExport = plan.find((w) => w.action === 'export never-replicated records')?.details.records;
    const exported = existsSync(exportFile) ? readFileSync(exportFile, 'utf8').trim().split('\n').length : undefined;
    expect(exported).toBe(plannedExport);
  });
});
