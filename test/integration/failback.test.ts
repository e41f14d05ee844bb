/**
 * `runbooks/failback.yaml` on the sandbox, after a planned failover, with traffic throughout:
 * - the DR period: producers write to dr's own topics while the groups read those and the replicated ones;
 * - 7 records written to the old primary after replication stopped (the tail an outage leaves) are reported by
 *   partition and offset range and exported to a file — exactly those 7;
 * - the failback (reverse MM2 started and stopped by the runbook, translation back, reset, redirect, validate,
 *   forward MM2 restored) succeeds non-interactively, and once the groups have caught up on primary no group has
 *   skipped a record produced at any point (sequence numbers from the traffic generator).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { failbackClustersFilePath } from '../../src/rehearsal/sandbox/clusters-file.js';
import { sandboxStatus, sandboxUp, stopComponents } from '../../src/rehearsal/sandbox/sandbox.js';
import type { GroupDelivery } from '../../src/rehearsal/traffic/ledger.js';
import { eventually, resetSharedSandbox, runCli, sandbox, startSandboxTraffic, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('fb').replace('fb-', '');
const topics = [
  { name: `orders-${id}`, partitions: 3 },
  { name: `payments-${id}`, partitions: 2 },
];
const groups = [`billing-${id}`, `shipping-${id}`];
let tmp: string;
let traffic: ResultPromise;
let primary: KafkaPort;
let dr: KafkaPort;
const sets = () => [
  '--set',
  `stateDir=${sandbox().options.stateDir}`,
  '--set',
  `groups=${groups.join('|')}`,
  '--set',
  `topics=${topics.map((t) => t.name).join('|')}`,
];
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
const ctl = (action: string) => runCli(['sandbox', 'traffic-ctl', action, '--state-dir', sandbox().options.stateDir]);

/** Every partition of `names` on a cluster read to its end by every group. */
async function caughtUp(port: KafkaPort, names: string[]): Promise<true | undefined> {
  for (const g of groups) {
    const committed = await port.committedOffsets(g);
    for (const t of names) {
      for (const p of await port.partitionOffsets(t)) {
        if ((committed.find((c) => c.topic === t && c.partition === p.partition)?.offset ?? -1) < p.highWatermark) return undefined;
      }
    }
  }
  return true;
}

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-fb-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  traffic = (
    await startSandboxTraffic({
      rate: 100,
      topics: topics.map((t) => `${t.name}:${t.partitions}`),
      groups: [groups[0]!, `${groups[1]}:5`],
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

describe('failback (runbooks/failback.yaml)', () => {
  it('after a failover and a DR period with writes on dr: reports and exports what never left primary, fails back, skips nothing', async () => {
    // 1. Planned failover primary -> dr (consumers move; producers are frozen).
    const over = await runCli([
      'run',
      'runbooks/planned-failover.yaml',
      '--yes',
      '--output',
      'json',
      '--clusters',
      sandbox().clustersFile,
      '--runs-dir',
      path.join(tmp, 'runs'),
      ...sets(),
    ]);
    expect(events(over.stdout).at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded' });

    // 2. The old primary takes 7 writes that MM2 (stopped) never carries over.
    await primary.produce(
      topics[0]!.name,
      Array.from({ length: 7 }, (_, i) => ({ value: `stranded-${i}`, partition: 0 })),
    );

    // 3. DR period: producers write to dr's own topics; the groups read them beside the replicated ones.
    expect((await ctl('produce-on-dr')).exitCode).toBe(0);
    await eventually(
      'records produced on dr',
      async () =>
        (await dr.listTopics()).includes(topics[0]!.name) && (await dr.partitionOffsets(topics[0]!.name)).some((p) => p.highWatermark > 50) ? true : undefined,
      60_000,
    );
    // A DR period worth failing back from, as conditions: ≥ 800 records on dr's own topics, and every group has
    // committed on each of their partitions (what the reverse checkpoints will carry).
    await eventually(
      "800 records on dr's own topics, and the groups committing on every partition of them",
      async () => {
        let total = 0;
        for (const t of topics) total += (await dr.partitionOffsets(t.name)).reduce((s, p) => s + p.highWatermark, 0);
        if (total < 800) return undefined;
        for (const g of groups) {
          const committed = await dr.committedOffsets(g);
          for (const t of topics) for (let p = 0; p < t.partitions; p++) if (!committed.some((c) => c.topic === t.name && c.partition === p)) return undefined;
        }
        return true;
      },
      60_000,
    );

    // 4. Failback on the reverse flow.
    const exportFile = path.join(tmp, 'never-replicated.jsonl');
    const back = await runCli([
      'run',
      'runbooks/failback.yaml',
      '--yes',
      '--output',
      'json',
      '--clusters',
      failbackClustersFilePath(sandbox().options.stateDir),
      '--runs-dir',
      path.join(tmp, 'runs'),
      ...sets(),
      '--set',
      `exportFile=${exportFile}`,
    ]);
    const ev = events(back.stdout);
    expect(ev.at(-1), JSON.stringify(ev.filter((e) => (e.kind === 'gate' && e.final && !e.gate.ok) || e.kind === 'step.failed'))).toMatchObject({
      kind: 'run.finished',
      outcome: 'succeeded',
      exitCode: 0,
    });
    const translated = ev.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!.outputs as {
      plan: { group: string; topic: string; basis: string }[];
      neverReplicated: { topic: string; partition: number; fromOffset: number; toOffset: number; records: number }[];
      neverReplicatedRecords: number;
    };
    expect(translated.neverReplicatedRecords).toBe(7);
    expect(translated.neverReplicated).toEqual([expect.objectContaining({ topic: topics[0]!.name, partition: 0, records: 7 })]);
    const exported = readFileSync(exportFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { offset: number; value: string });
    expect(exported.map((r) => Buffer.from(r.value, 'base64').toString())).toEqual(Array.from({ length: 7 }, (_, i) => `stranded-${i}`));
    expect(exported[0]!.offset).toBe(translated.neverReplicated[0]!.fromOffset);
    // Both kinds of topics were planned: the returning ones by name on primary (record matching through the forward
    // offset syncs reversed, or those syncs alone), dr's own through the reverse flow (record matching, or its
    // checkpoints) — never the coarser offset-sync fallback.
    expect(new Set(translated.plan.map((p) => (p.topic.startsWith('dr.') ? 'dr' : 'returning')))).toEqual(new Set(['returning', 'dr']));
    const allowed = (p: { topic: string; basis: string }) =>
      p.topic.startsWith('dr.') ? ['record-match', 'checkpoint'].includes(p.basis) : ['record-match', 'forward-offset-sync-reversed'].includes(p.basis);
    expect(translated.plan.filter((p) => !allowed(p))).toEqual([]);
    console.info(
      `failback plan bases: ${JSON.stringify(Object.fromEntries([...new Set(translated.plan.map((p) => p.basis))].map((b) => [b, translated.plan.filter((p) => p.basis === b).length])))}`,
    );
    const status = await sandboxStatus(sandbox().options.stateDir);
    expect({ forward: status.mm2.running, reverse: status.mm2Reverse.running }).toEqual({ forward: true, reverse: false });

    // 5. Producers (back on primary) stop; the groups read the original topics and dr.<topic> to the end; nothing
    // produced at any point was skipped.
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
      `failback: produced ${report.produced}; ${report.groups.map((g) => `${g.groupId.split('-')[0]} skipped ${g.skipped}, duplicates ${g.duplicates}`).join('; ')}; never replicated 7 (exported)`,
    );
    expect(report.produced).toBeGreaterThan(1000);
    for (const g of report.groups) expect({ group: g.groupId, skipped: g.skipped }).toEqual({ group: g.groupId, skipped: 0 });
  });
});
