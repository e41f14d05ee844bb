/**
 * MirrorMaker 2's IdentityReplicationPolicy end to end, on a sandbox of its own (`replicationPolicy: identity`, port
 * base 18090, state folder under the test sandbox folder, wiped at start and brought down after): dr's copy of
 * `orders` is named `orders`.
 * - `check` names the flow's policy and, once dr is written during the DR period, reports its topics as ahead of
 *   primary's (`identity-target-ahead`).
 * - A planned failover (runbooks/planned-failover.yaml, live traffic) plans every group on the identity names, records
 *   dr's log-end offsets when MM2 stopped, and no group skips a record (ledger).
 * - A DR period with producers on dr, then runbooks/failback.yaml with `failoverRun`: the reverse flow starts at the
 *   recorded offsets and primary -> dr restarts at primary's log-end offsets. Oracle, read back with a separate
 *   client: each sequence number the traffic generator had acknowledged appears exactly once in primary's topics —
 *   every DR-period record copied back once, no pre-failover record a second time — and, once MM2 primary -> dr has
 *   run again, exactly once in dr's; no group skipped a record.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, protocolCluster } from '../../src/kafka/kafkajs-client.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { readPartition } from '../../src/kafka/read-partition.js';
import { translateOffsets } from '../../src/mm2/translate.js';
import { failbackClustersFilePath } from '../../src/rehearsal/sandbox/clusters-file.js';
import { sandboxDown, sandboxUp, type SandboxStatus } from '../../src/rehearsal/sandbox/sandbox.js';
import { parseTrafficValue, type GroupDelivery } from '../../src/rehearsal/traffic/ledger.js';
import { TEST_STATE_DIR } from './global-setup.js';
import type { Ev } from './helpers-resume.js';
import { eventually, liveProcessesMentioning, runCli, sandboxFlow, uniqueName } from './helpers.js';

const stateDir = path.join(TEST_STATE_DIR, 'extra-identity');
const id = uniqueName('id').replace('id-', '');
const topics = [
  { name: `orders-${id}`, partitions: 3 },
  { name: `payments-${id}`, partitions: 2 },
];
const groups = [`billing-${id}`, `shipping-${id}`];
const identityFlow = { ...sandboxFlow(), replicationPolicy: 'identity' as const };
let s: SandboxStatus;
let tmp: string;
let traffic: ResultPromise;
let primary: KafkaPort;
let dr: KafkaPort;
/** The planned failover's run directory and the offsets its stop-mm2 step recorded (dr's log-end when MM2 stopped). */
let failoverRunDir: string;
let recorded: { topic: string; partition: number; offset: number }[];

const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);
const ctl = (action: string) => runCli(['sandbox', 'traffic-ctl', action, '--state-dir', stateDir]);
const sets = () => ['--set', `stateDir=${stateDir}`, '--set', `groups=${groups.join('|')}`, '--set', `topics=${topics.map((t) => t.name).join('|')}`];
const gateOf = (e: Ev) => e.gate as { id: string; ok: boolean } | undefined;
const failedGates = (ev: Ev[]) => JSON.stringify(ev.filter((e) => (e.kind === 'gate' && e.final && !gateOf(e)?.ok) || e.kind === 'step.failed'));

/** Every partition of the topics read to its end by every group on a cluster. */
async function caughtUp(port: KafkaPort): Promise<true | undefined> {
  for (const g of groups) {
    const committed = await port.committedOffsets(g);
    for (const t of topics)
      for (const p of await port.partitionOffsets(t.name))
        if ((committed.find((c) => c.topic === t.name && c.partition === p.partition)?.offset ?? -1) < p.highWatermark) return undefined;
  }
  return true;
}

/**
 * How many times each traffic sequence number occurs in a partition, read from offset `from` to the end with a
 * plain kafkajs client of its own (no consumer group, not the tool's port).
 */
async function sequencesIn(bootstrap: string[], topic: string, partition: number, from = 0): Promise<Map<number, number>> {
  const kafka = createKafka({ bootstrapServers: bootstrap, clientId: 'kafka-failover-test-oracle' });
  const admin = kafka.admin();
  const cluster = protocolCluster(kafka);
  try {
    await admin.connect();
    const end = Number((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition)?.high ?? 0);
    await cluster.connect();
    const counts = new Map<number, number>();
    await readPartition(cluster, topic, partition, { fromOffset: from, toOffset: end }, (r) => {
      const v = parseTrafficValue(r.value);
      if (v) counts.set(v.seq, (counts.get(v.seq) ?? 0) + 1);
    });
    return counts;
  } finally {
    await Promise.allSettled([admin.disconnect(), cluster.disconnect()]);
  }
}

beforeAll(async () => {
  await sandboxDown({ stateDir, wipe: true });
  s = await sandboxUp({ stateDir, portBase: 18090, replicationPolicy: 'identity' }, (l) => process.stderr.write(`[identity sandbox] ${l}\n`));
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-identity-'));
  primary = createKafkaPort('primary', { bootstrapServers: s.clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: s.clusters.dr.bootstrapServers });
  traffic = execa(
    process.execPath,
    [
      path.resolve('bin/kafka-failover.js'),
      'sandbox',
      'traffic',
      '--state-dir',
      stateDir,
      '--rate',
      '100',
      '--topics',
      topics.map((t) => `${t.name}:${t.partitions}`).join(','),
      '--groups',
      `${groups[0]},${groups[1]}:5`,
      '--report',
      path.join(tmp, 'report.json'),
    ],
    { reject: false, env: { ...process.env, NO_COLOR: '1' } },
  );
  // MM2 has checkpointed every committed partition of both groups, under the identity names.
  await eventually(
    'MM2 to checkpoint every partition of both groups (identity names)',
    async () => {
      const r = await translateOffsets({ flow: identityFlow, source: primary, target: dr, include: groups.map((g) => new RegExp(`^${g}$`)) }).catch(
        () => undefined,
      );
      return r && r.partitions.filter((p) => p.basis === 'checkpoint').length === groups.length * 5 ? true : undefined;
    },
    180_000,
  );
}, 420_000);

afterAll(async () => {
  traffic?.kill('SIGINT');
  await traffic;
  await Promise.allSettled([primary?.close(), dr?.close()]);
  await sandboxDown({ stateDir, wipe: true });
  expect(await liveProcessesMentioning(stateDir)).toEqual([]);
}, 120_000);

describe('identity replication policy (sandbox --replication-policy identity)', () => {
  it('planned failover with live traffic: plans on the identity names, records dr’s log-end offsets when MM2 stopped', async () => {
    // dr's copy carries the source name: no primary.<topic> exists.
    const onDr = await dr.listTopics();
    expect(topics.map((t) => onDr.includes(t.name))).toEqual([true, true]);
    expect(onDr.filter((t) => t.startsWith('primary.') && !t.endsWith('.internal') && t !== 'primary.heartbeats')).toEqual([]);
    const checked = await runCli(['check', '--clusters', s.clustersFile, '--output', 'json']);
    expect(JSON.parse(checked.stdout).checked.replicationPolicies).toEqual({ 'primary->dr': 'identity' });

    const r = await runCli([
      'run',
      'runbooks/planned-failover.yaml',
      '--yes',
      '--output',
      'json',
      '--clusters',
      s.clustersFile,
      '--runs-dir',
      path.join(tmp, 'runs'),
      ...sets(),
    ]);
    const ev = events(r.stdout);
    expect(ev.at(-1), failedGates(ev)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    failoverRunDir = path.dirname(ev.at(-1)!.auditFile as string);
    const plan = ev.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!.outputs!.plan as {
      group: string;
      topic: string;
      sourceTopic: string;
    }[];
    expect(plan.length).toBe(groups.length * 5);
    expect(plan.filter((p) => p.topic !== p.sourceTopic)).toEqual([]); // orders-… on both sides
    const stoppedAt = ev.find((e) => e.kind === 'step.succeeded' && e.step === 'stop-mm2')!.outputs!.stoppedAt as {
      cluster: string;
      replicationPolicy: string;
      logEndOffsets: { topic: string; partition: number; offset: number }[];
    };
    expect(stoppedAt).toMatchObject({ cluster: 'dr', replicationPolicy: 'identity' });
    recorded = stoppedAt.logEndOffsets.filter((o) => topics.some((t) => t.name === o.topic));
    expect(recorded.length).toBe(5);
    // What it recorded is dr's log end (read with a separate client): MM2 is stopped and nobody writes to dr yet.
    for (const o of recorded) expect((await dr.partitionOffsets(o.topic)).find((p) => p.partition === o.partition)!.highWatermark).toBe(o.offset);
    await eventually('the groups to read everything on dr', () => caughtUp(dr), 120_000);
  }, 300_000);

  it('failback with writes on dr: primary gets every DR-period record exactly once and no pre-failover record twice', async () => {
    expect(failoverRunDir, 'the planned failover ran').toBeDefined();
    // DR period: producers write to dr's own `orders-…` (the same log as primary's copy) while the groups read it.
    expect((await ctl('produce-on-dr')).exitCode).toBe(0);
    await eventually(
      '≥ 600 records written on dr after the failover, and the groups committing on every partition',
      async () => {
        let written = 0;
        for (const o of recorded) written += (await dr.partitionOffsets(o.topic)).find((p) => p.partition === o.partition)!.highWatermark - o.offset;
        if (written < 600) return undefined;
        for (const g of groups) if ((await dr.committedOffsets(g)).filter((c) => topics.some((t) => t.name === c.topic)).length < 5) return undefined;
        return true;
      },
      90_000,
    );
    const ahead = JSON.parse((await runCli(['check', '--clusters', s.clustersFile, '--output', 'json'])).stdout) as {
      findings: { id: string; subject: string }[];
    };
    expect(
      ahead.findings
        .filter((f) => f.id === 'identity-target-ahead')
        .map((f) => f.subject)
        .sort(),
    ).toEqual(topics.map((t) => t.name).sort());

    const back = await runCli([
      'run',
      'runbooks/failback.yaml',
      '--yes',
      '--output',
      'json',
      '--clusters',
      failbackClustersFilePath(stateDir),
      '--runs-dir',
      path.join(tmp, 'runs'),
      ...sets(),
      '--set',
      `failoverRun=${failoverRunDir}`,
    ]);
    const ev = events(back.stdout);
    expect(ev.at(-1), failedGates(ev)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    // The reverse flow started at what the failover recorded, once the forward flow was proven stopped.
    const reverseStart = ev.find((e) => e.kind === 'step.succeeded' && e.step === 'reverse-start')!.outputs!;
    expect(reverseStart.startOffsets).toEqual(expect.arrayContaining(recorded));
    // A planned failover (producers frozen, lag 0) leaves no record on primary that dr lacks.
    expect(reverseStart.neverReplicatedRecords).toBe(0);
    const stopped = ev.find((e) => e.kind === 'gate' && e.step === 'reverse-start' && e.final && gateOf(e)?.id === 'opposite-flow-stopped');
    expect(stopped && gateOf(stopped)?.ok).toBe(true);
    expect(
      ev.some((e) => e.kind === 'write.done' && e.step === 'reverse-start' && e.write?.action === 'write MM2 source offsets (dedicated MM2 offsets topic)'),
    ).toBe(true);

    // Producers are back on primary: stop them, let the groups finish there, then read the ledger.
    expect((await ctl('freeze')).exitCode).toBe(0);
    await eventually('the groups to catch up on primary', () => caughtUp(primary), 120_000);
    traffic.kill('SIGINT');
    await traffic;
    const report = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as {
      produced: number;
      groups: GroupDelivery[];
      producedByPartition: Record<string, number>;
    };
    for (const g of report.groups) expect({ group: g.groupId, skipped: g.skipped }).toEqual({ group: g.groupId, skipped: 0 });

    // The oracle: sequence numbers read back from primary's logs with a separate client.
    let drPeriod = 0;
    let preFailover = 0;
    const problems: string[] = [];
    for (const o of recorded) {
      const produced = report.producedByPartition[`${o.topic}/${o.partition}`]!;
      // DR-period records: what dr holds after the recorded offset (written there by the traffic generator).
      const onDrAfter = await sequencesIn(s.clusters.dr.bootstrapServers, o.topic, o.partition, o.offset);
      const onDrBefore = await sequencesIn(s.clusters.dr.bootstrapServers, o.topic, o.partition, 0);
      const onPrimary = await sequencesIn(s.clusters.primary.bootstrapServers, o.topic, o.partition);
      drPeriod += onDrAfter.size;
      preFailover += onDrBefore.size - onDrAfter.size;
      for (const seq of onDrAfter.keys())
        if (onPrimary.get(seq) !== 1) problems.push(`DR-period ${o.topic}/${o.partition} seq ${seq} ×${onPrimary.get(seq) ?? 0}`);
      for (const [seq, n] of onPrimary) if (n !== 1) problems.push(`${o.topic}/${o.partition} seq ${seq} ×${n} on primary`);
      for (let seq = 0; seq < produced; seq++) if (!onPrimary.has(seq)) problems.push(`${o.topic}/${o.partition} seq ${seq} missing on primary`);
    }
    console.info(
      `identity failback: produced ${report.produced}; pre-failover ${preFailover}, DR-period ${drPeriod} record(s); ${report.groups.map((g) => `${g.groupId.split('-')[0]} skipped ${g.skipped}, duplicates ${g.duplicates}`).join('; ')}; on primary ${problems.length} problem(s)`,
    );
    expect(drPeriod).toBeGreaterThanOrEqual(600);
    expect(problems.slice(0, 20)).toEqual([]);

    // MM2 primary -> dr runs again from primary's log end at the failback: dr gets primary's new records once and
    // none of the DR-period records back.
    await eventually(
      'dr to hold every record primary acknowledged (MM2 primary -> dr restored)',
      async () => {
        for (const o of recorded) {
          const end = (await dr.partitionOffsets(o.topic)).find((p) => p.partition === o.partition)!.highWatermark;
          const pEnd = (await primary.partitionOffsets(o.topic)).find((p) => p.partition === o.partition)!.highWatermark;
          if (end < pEnd) return undefined;
        }
        return true;
      },
      120_000,
    );
    const drProblems: string[] = [];
    for (const o of recorded) {
      const produced = report.producedByPartition[`${o.topic}/${o.partition}`]!;
      const onDr = await sequencesIn(s.clusters.dr.bootstrapServers, o.topic, o.partition);
      for (const [seq, n] of onDr) if (n !== 1) drProblems.push(`${o.topic}/${o.partition} seq ${seq} ×${n} on dr`);
      if (onDr.size !== produced) drProblems.push(`${o.topic}/${o.partition}: ${onDr.size} distinct of ${produced} on dr`);
    }
    expect(drProblems.slice(0, 20)).toEqual([]);
  }, 420_000);
});
