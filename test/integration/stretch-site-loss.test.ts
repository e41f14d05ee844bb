/**
 * Stretch cluster site loss and recovery on the good layout (racks a/b, 2 brokers each, RF 4, min.insync.replicas 3,
 * voters 1@a, 3@b, 5@c): one stretch sandbox of its own (port base 20090, state folder under the test sandbox dir),
 * shared by the tests of this file and torn down in afterAll. Live acks=all traffic with a consumer group runs
 * through the loss; the oracle is independent of the tool: partition metadata and topic configs read with a separate
 * kafkajs admin, and every acknowledged sequence read back from the log with a groupless reader. The same sandbox
 * then serves `drill --kind stretch` (a second loss of site a, driven by the drill, with `sandbox traffic`).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DrillMeasurements } from '../../src/drill/measure.js';
import { createKafka, protocolCluster } from '../../src/kafka/kafkajs-client.js';
import { readPartition } from '../../src/kafka/read-partition.js';
import { clientBootstrapFile, killSite, startSite, stretchUp, type StretchStatus } from '../../src/rehearsal/sandbox/stretch.js';
import { sandboxDown } from '../../src/rehearsal/sandbox/sandbox.js';
import { parseTrafficValue } from '../../src/rehearsal/traffic/ledger.js';
import { startTraffic, type Traffic } from '../../src/rehearsal/traffic/generator.js';
import { sendTrafficCommand } from '../../src/rehearsal/traffic/control.js';
import { eventually, runCli } from './helpers.js';

const STATE_DIR = path.join(path.resolve(process.env.KAFKA_FAILOVER_TEST_SANDBOX_DIR ?? '.kafka-failover/test-sandbox'), 'stretch-good');
// Fixed for CI; KAFKA_FAILOVER_TEST_STRETCH_PORT_BASE moves it for a local run (the fixed base lies below Linux's ephemeral ports, 32768+).
const PORT_BASE = Number(process.env.KAFKA_FAILOVER_TEST_STRETCH_PORT_BASE ?? 20090);
const TOPICS = [
  { name: 'orders', partitions: 3 },
  { name: 'payments', partitions: 2 },
];
const GROUP = 'billing';
const LOWERED = 'orders,payments,__consumer_offsets';

let s: StretchStatus;

/** Records of an audit log (JSON lines). */
async function audit(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
const auditFileOf = (out: string) => /audit log: (\S+audit\.jsonl)/.exec(out)?.[1] ?? '';
const outputsOf = (records: Record<string, unknown>[], step: string) =>
  records.find((r) => r.kind === 'step.succeeded' && r.step === step)?.outputs as Record<string, unknown> | undefined;

/** Acknowledged sequences of `run` (0…n−1 per `topic/partition`) missing from the log, read back with a groupless reader of the test's own. */
async function lostAcknowledged(run: string, acknowledged: Record<string, number>): Promise<{ acknowledged: number; lost: number }> {
  const kafka = createKafka({ bootstrapServers: s.bootstrapServers, clientId: 'stretch-oracle' });
  const cluster = protocolCluster(kafka);
  const admin = kafka.admin();
  await Promise.all([cluster.connect(), admin.connect()]);
  try {
    let lost = 0;
    let total = 0;
    for (const [key, n] of Object.entries(acknowledged)) {
      const [topic, p] = [key.slice(0, key.lastIndexOf('/')), Number(key.slice(key.lastIndexOf('/') + 1))];
      const ends = await admin.fetchTopicOffsets(topic);
      const seen = new Set<number>();
      await readPartition(cluster, topic, p, { fromOffset: 0, toOffset: Number(ends.find((e) => e.partition === p)!.high) }, (r) => {
        const v = parseTrafficValue(r.value);
        if (v?.run === run) seen.add(v.seq);
      });
      total += n;
      for (let seq = 0; seq < n; seq++) if (!seen.has(seq)) lost++;
    }
    return { acknowledged: total, lost };
  } finally {
    await Promise.allSettled([cluster.disconnect(), admin.disconnect()]);
  }
}

/** Partition metadata and a topic config, read with a client of the test's own. */
async function independentView(topics: string[]) {
  const admin = createKafka({ bootstrapServers: s.siteBootstrap.b.concat(s.siteBootstrap.a), clientId: 'stretch-oracle' }).admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics });
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: topics.map((name) => ({ type: 2, name })) });
    const minIsr = Object.fromEntries(
      cfg.resources.map((r) => {
        const e = r.configEntries.find((x) => x.configName === 'min.insync.replicas')!;
        // ConfigSource 1 = DYNAMIC_TOPIC_CONFIG (a topic-level value); otherwise the broker's (static or default).
        return [r.resourceName, { value: Number(e.configValue), topicLevel: e.configSource === 1 }];
      }),
    );
    return { partitions: meta.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p }))), minIsr };
  } finally {
    await admin.disconnect();
  }
}

/** A fresh stretch sandbox (whatever an earlier run or test left is wiped first). */
async function freshStretch(): Promise<void> {
  await sandboxDown({ stateDir: STATE_DIR, wipe: true });
  const started = Date.now();
  s = await stretchUp({ stateDir: STATE_DIR, portBase: PORT_BASE }, (l) => process.stderr.write(`[stretch] ${l}\n`));
  process.stderr.write(`[stretch] good layout up in ${Date.now() - started} ms\n`);
}

beforeAll(freshStretch);

// A test that fails part-way leaves a site down, min ISR lowered or clients redirected: the next test gets a fresh
// sandbox instead, so it passes or fails on its own behaviour.
afterEach(async ({ task }) => {
  if (task.result?.state === 'fail') await freshStretch();
});

afterAll(async () => {
  await sandboxDown({ stateDir: STATE_DIR, wipe: true });
});

// One ordered story: check clean, the loss and recovery, then the planted anti-patterns (which would block the loss).
describe('stretch cluster (good layout)', { shuffle: false }, () => {
  it('check reports no finding on the good layout (racks set, replicas across sites, min ISR needs both, quorum survives any one site)', async () => {
    const r = await runCli(['check', '--clusters', s.clustersFile, '--controller-sites', s.controllerSites, '--output', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
  });

  it('site a lost under acks=all traffic: the runbook reports the site, quorum and blocked partitions; after the gated min ISR decision and the redirect writes and reads go on; recovery restores settings, ISR and leaders; 0 acknowledged records lost', async () => {
    const traffic: Traffic = await startTraffic({
      bootstrapServers: s.bootstrapServers,
      topics: TOPICS,
      ratePerSecond: 40,
      groups: [{ groupId: GROUP, topics: TOPICS.map((t) => t.name) }],
    });
    try {
      await eventually(
        'traffic to flow (100 acknowledged, 50 consumed)',
        async () => (traffic.ledger.producedTotal() >= 100 && traffic.ledger.consumedTotal(GROUP) >= 50 ? true : undefined),
        90_000,
        () => `acknowledged ${traffic.ledger.producedTotal()}, consumed ${traffic.ledger.consumedTotal(GROUP)}, failed sends ${traffic.sendFailures}`,
      );

      await killSite(STATE_DIR, 'a');
      const failuresAtLoss = traffic.sendFailures;
      // acks=all writes are refused once the ISR shrinks below min.insync.replicas 3 (2 replicas left in site b).
      await eventually('acks=all writes to be refused', async () => (traffic.sendFailures > failuresAtLoss + 2 ? true : undefined));

      const runsDir = path.join(STATE_DIR, 'runs');
      const loss = await runCli([
        'run',
        'runbooks/stretch-site-loss.yaml',
        '--clusters',
        s.clustersFile,
        '--runs-dir',
        runsDir,
        '--yes',
        ...['stateDir', STATE_DIR, 'controllerSites', s.controllerSites, 'topics', 'orders|payments|__consumer_offsets', 'lowerTopics', LOWERED].flatMap(
          (v, i, a) => (i % 2 === 0 ? ['--set', `${v}=${a[i + 1]}`] : []),
        ),
        '--set',
        'reason=site a lost (drill): resume acks=all writes on site b with two copies',
      ]);
      expect(loss.exitCode, loss.stdout + loss.stderr).toBe(0);
      const lossAudit = await audit(auditFileOf(loss.stdout + loss.stderr));
      expect(outputsOf(lossAudit, 'confirm')).toMatchObject({ verdict: 'site-lost', lostSite: 'a', survivingSites: 'b', quorumState: 'available' });
      expect(outputsOf(lossAudit, 'quorum')).toMatchObject({ quorumState: 'available', votersAnswering: 2, voters: 3 });
      // Blocked partitions as the tool reported them = the partitions the cluster had under min ISR 3 (every one:
      // RF 4 on 4 brokers leaves 2 in sync), counted here from TopicInfo the runbook wrote vs the topics' sizes.
      const isr = outputsOf(lossAudit, 'isr')!;
      expect(String(isr.blockedTopics).split(',').sort()).toEqual(['__consumer_offsets', 'orders', 'payments']);
      const offsetsPartitions = (await independentView(['__consumer_offsets'])).partitions.length;
      expect(isr.blockedPartitions).toBe(3 + 2 + offsetsPartitions);
      expect(isr.offlinePartitions).toBe(0);
      // The decision is audited with its reason and the value to restore.
      type WriteDone = { kind: string; write: { action: string; details: { restore: string; reason: string } } };
      const lowered = (lossAudit as unknown as WriteDone[]).filter((r) => r.kind === 'write.done' && r.write.action === 'lower min.insync.replicas');
      expect(lowered).toHaveLength(3);
      const view = await independentView(['orders', 'payments', '__consumer_offsets']);
      for (const t of ['orders', 'payments', '__consumer_offsets']) expect(view.minIsr[t]).toEqual({ value: 2, topicLevel: true });

      // Clients follow the redirect (the sandbox's stand-in for DNS): producer and group move to site b's brokers.
      const redirected = JSON.parse(await readFile(clientBootstrapFile(STATE_DIR), 'utf8')) as { site: string; bootstrapServers: string[] };
      expect(redirected).toMatchObject({ site: 'b', bootstrapServers: s.siteBootstrap.b });
      const producedAtRedirect = traffic.ledger.producedTotal();
      await traffic.moveProducer(redirected.bootstrapServers);
      await traffic.stopGroup(GROUP);
      await traffic.startGroup({ groupId: GROUP, topics: TOPICS.map((t) => t.name) }, redirected.bootstrapServers);
      await eventually(
        'production and consumption to continue on site b',
        async () =>
          traffic.ledger.producedTotal() >= producedAtRedirect + 100 && traffic.ledger.consumedTotal(GROUP) >= producedAtRedirect + 50 ? true : undefined,
        90_000,
        () =>
          `acknowledged ${traffic.ledger.producedTotal() - producedAtRedirect} since the redirect (want 100), consumed ${traffic.ledger.consumedTotal(GROUP)} (want ${producedAtRedirect + 50}), group running: ${traffic.runningGroups().includes(GROUP)}, failed sends ${traffic.sendFailures} (last: ${traffic.lastSendError ?? 'none'})`,
      );

      // Site a returns; the recovery runbook restores what the loss run's audit log recorded.
      await startSite(STATE_DIR, 'a');
      expect(lowered.every((r) => r.write.details.reason.startsWith('site a lost (drill)'))).toBe(true);
      const restore = lowered.map((r) => r.write.details.restore).join(',');
      expect(restore.split(',').sort()).toEqual(['__consumer_offsets=default', 'orders=default', 'payments=default']);
      const recovery = await runCli([
        'run',
        'runbooks/stretch-site-recovery.yaml',
        '--clusters',
        s.clustersFile,
        '--runs-dir',
        runsDir,
        '--yes',
        '--set',
        `stateDir=${STATE_DIR}`,
        '--set',
        `controllerSites=${s.controllerSites}`,
        '--set',
        'topics=orders|payments|__consumer_offsets',
        '--set',
        `restore=${restore}`,
      ]);
      expect(recovery.exitCode, recovery.stdout + recovery.stderr).toBe(0);
      const after = await independentView(['orders', 'payments', '__consumer_offsets']);
      for (const t of ['orders', 'payments', '__consumer_offsets']) expect(after.minIsr[t]).toEqual({ value: 3, topicLevel: false });
      expect(after.partitions.filter((p) => p.isr.length !== 4)).toEqual([]);
      const business = after.partitions.filter((p) => p.topic !== '__consumer_offsets');
      expect(business.filter((p) => p.leader !== p.replicas[0])).toEqual([]);
      const rackOf = (id: number) => (id <= 2 ? 'a' : 'b');
      expect(new Set(business.map((p) => rackOf(p.leader)))).toEqual(new Set(['a', 'b']));
    } finally {
      await traffic.stop();
    }

    // Oracle: every acknowledged sequence is in the log, read back without a group by a client of the test's own.
    const oracle = await lostAcknowledged(traffic.ledger.run, Object.fromEntries(traffic.ledger.producedCounts()));
    expect(oracle.acknowledged).toBeGreaterThan(200);
    expect(oracle.lost).toBe(0);
  });

  it('drill --kind stretch: kills site a under acks=all traffic, runs site loss and recovery unattended; per topic the time writes were blocked, from the generator, is > 0 and ends only once the cause is gone; 0 acknowledged records lost (read back by the test); settings restored', async () => {
    // Outside the sandbox folder (wiped in afterAll): the runs' audit logs, the drill's report and the traffic log stay
    // for a post-mortem.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-stretch-drill-'));
    const trafficReport = path.join(dir, 'traffic-report.json');
    const trafficLogFile = path.join(dir, 'traffic.log');
    const orders = 'drill-orders';
    const payments = 'drill-payments';
    const group = 'drill-billing';
    // `sandbox traffic` on the stretch sandbox (the drill commands it): it follows `sandbox redirect-site` by itself.
    const traffic = execa(
      process.execPath,
      [
        path.resolve('bin/kafka-failover.js'),
        ...[
          'sandbox',
          'traffic',
          '--state-dir',
          STATE_DIR,
          '--rate',
          '40',
          '--topics',
          `${orders}:3,${payments}:2`,
          '--groups',
          group,
          '--report',
          trafficReport,
        ],
      ],
      { reject: false, env: { ...process.env, NO_COLOR: '1' }, stderr: { file: trafficLogFile } },
    );
    let m: DrillMeasurements & { reportDir: string };
    try {
      let seen = 'no report from the generator yet';
      await eventually(
        'traffic to flow (60 acknowledged, 30 consumed)',
        async () => {
          const r = (await sendTrafficCommand(STATE_DIR, 'report').catch(() => undefined)) as
            | { produced: number; groups: { groupId: string; consumed: number }[] }
            | undefined;
          if (r) seen = `acknowledged ${r.produced}, consumed ${r.groups[0]?.consumed ?? 0}`;
          return r && r.produced >= 60 && (r.groups[0]?.consumed ?? 0) >= 30 ? true : undefined;
        },
        90_000,
        () => seen,
      );
      const r = await runCli([
        'drill',
        ...['--kind', 'stretch', '--site', 'a', '--sandbox-state-dir', STATE_DIR, '--traffic-state-dir', STATE_DIR],
        ...['--failover', 'runbooks/stretch-site-loss.yaml', '--failback', 'runbooks/stretch-site-recovery.yaml', '--clusters', s.clustersFile],
        // Every business topic of the cluster (the first test's too): the recovery's balance check judges them all, so
        // its preferred-leader election must cover them all.
        ...['--set', `stateDir=${STATE_DIR}`, '--set', `controllerSites=${s.controllerSites}`],
        ...['--set', `topics=${TOPICS.map((t) => t.name).join('|')}|${orders}|${payments}|__consumer_offsets`],
        // The gated decision, non-interactively: lower drill-orders (and the group's offsets), leave drill-payments blocked.
        ...['--set', `lowerTopics=${orders},__consumer_offsets`, '--set', 'reason=site a lost (drill): resume drill-orders on site b'],
        ...['--dr-period', '3s', '--runs-dir', path.join(dir, 'runs'), '--reports-dir', path.join(dir, 'reports'), '--output', 'json'],
      ]);
      expect(r.stdout, `no measurements (a setup error): ${r.stderr.slice(-2000)}`).not.toBe('');
      m = JSON.parse(r.stdout) as DrillMeasurements & { reportDir: string };
      // On failure: which step of which run stopped, and the last records of its audit log (the runs dir is wiped with the sandbox).
      const why = () =>
        [m.failover, m.failback]
          .filter((x) => x !== null && x.exitCode !== 0)
          .map((x) => `${x!.runbook}: ${x!.outcome}; ${readFileSync(x!.auditFile, 'utf8').trim().split('\n').slice(-4).join('\n')}`)
          .join('\n') + r.stderr.slice(-2000);
      expect(r.exitCode, why()).toBe(0);
    } finally {
      traffic.kill('SIGINT');
      // A generator whose event loop is starved never handles SIGINT (seen twice after the site loss, cause not found):
      // SIGKILL it after 30 s rather than hang the file and leave it spinning.
      const exited = await Promise.race([traffic.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 30_000).unref())]);
      if (!exited) traffic.kill('SIGKILL');
      await traffic;
    }
    const trafficLog = readFileSync(trafficLogFile, 'utf8');
    expect(m.outcome).toBe('succeeded');
    // The generator's clients followed the runbooks' redirects (site b during the loss, every site after recovery).
    expect(trafficLog).toContain('clients follow the redirect to site b');
    expect(trafficLog).toContain('clients follow the redirect to site all');
    expect(JSON.parse(readFileSync(path.join(m.reportDir, 'drill.json'), 'utf8'))).toMatchObject({ drillId: m.drillId, siteLoss: m.siteLoss });
    const x = m.siteLoss!;
    expect(x).toMatchObject({ site: 'a', lostBy: 'drill' });
    // RTO per topic, from the generator's acknowledgements: drill-orders writes resumed only once its min ISR was
    // lowered (the decide step had started), drill-payments only once site a was starting again (an ISR of 3 needs it).
    const decide = m.phases.find((p) => p.run === 'failover' && p.step === 'decide')!;
    const blocked = Object.fromEntries(x.topics.map((t) => [t.topic, t]));
    expect(Object.keys(blocked).sort()).toEqual([orders, payments]);
    for (const t of x.topics) expect(t.writesBlockedMs).toBeGreaterThan(0);
    expect(blocked[orders]!.firstAckAtMs).toBeGreaterThanOrEqual(decide.startMs);
    expect(blocked[payments]!.firstAckAtMs).toBeGreaterThanOrEqual(x.restoreStartedAtMs!);
    // RPO: the drill's read-back and the test's own agree — nothing acknowledged is missing; the drill counted every
    // record the generator reports as acknowledged when it stopped (it produced nothing after the drill's freeze).
    const own = JSON.parse(readFileSync(trafficReport, 'utf8')) as {
      run: string;
      produced: number;
      producedByPartition: Record<string, number>;
      groups: { groupId: string; skipped: number; duplicates: number }[];
    };
    expect(x.readBack).toMatchObject({ acknowledged: own.produced, lost: 0 });
    const oracle = await lostAcknowledged(own.run, own.producedByPartition);
    expect(oracle).toEqual({ acknowledged: own.produced, lost: 0 });
    expect(own.produced).toBeGreaterThan(100);
    // Consumer side: the group skipped nothing; its duplicates as the generator's ledger counted them.
    expect(m.groups.find((g) => g.group === group)).toMatchObject({ skippedMeasured: 0, duplicatesMeasured: own.groups[0]!.duplicates });
    // Recovery restored what the loss run lowered (the drill carried its `restore` output over), read back here.
    const after = await independentView([orders, payments, '__consumer_offsets']);
    for (const t of [orders, payments, '__consumer_offsets']) expect(after.minIsr[t]).toEqual({ value: 3, topicLevel: false });
    expect(after.partitions.filter((p) => p.isr.length !== 4)).toEqual([]);
    expect(readFileSync(path.join(m.reportDir, 'report.md'), 'utf8')).toContain('## Site loss (stretch cluster)');
    console.info(
      `stretch drill: writes blocked ${x.topics.map((t) => `${t.topic} ${t.writesBlockedMs} ms (${t.failedSends} failed sends)`).join(', ')}; acknowledged ${own.produced}, lost ${x.readBack!.lost}; duplicates in log ${x.readBack!.duplicatesInLog}; loss run ${m.failover.rtoMs} ms, recovery run ${m.failback!.rtoMs} ms`,
    );
  }, 420_000);

  it('check finds each planted anti-pattern: replicas of a partition all in rack a, a min ISR one site satisfies alone', async () => {
    const admin = createKafka({ bootstrapServers: s.bootstrapServers, clientId: 'stretch-plant' }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: 'planted-one-rack', replicaAssignment: [{ partition: 0, replicas: [1, 2] }], configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
          { topic: 'planted-weak-min-isr', numPartitions: 1, replicationFactor: 4, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    const r = await runCli(['check', '--clusters', s.clustersFile, '--controller-sites', s.controllerSites, '--topics', 'planted-.*', '--output', 'json']);
    const findings = (JSON.parse(r.stdout) as { findings: { id: string; subject: string }[] }).findings.filter((f) => f.id.startsWith('stretch-'));
    expect(findings.map((f) => `${f.id} ${f.subject}`).sort()).toEqual([
      'stretch-min-isr-one-site planted-weak-min-isr',
      'stretch-replicas-one-rack planted-one-rack',
    ]);
    expect(r.exitCode).toBe(12); // critical: a site loss takes every copy of planted-one-rack
  });
});
