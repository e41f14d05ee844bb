/**
 * Aggregate clusters end to end, on a sandbox of its own (`--topology aggregate`: regional clusters r1 and r2, aggregate
 * clusters agg1 and agg2, one MirrorMaker 2 process running r1->agg1, r2->agg1, r1->agg2, r2->agg2 — no flow between
 * the aggregates; port base 11090, state folder under the test sandbox folder, wiped at start and brought down after).
 * Live traffic: a producer on each region writes its own `orders-…` (one ledger: records carry `r1.orders-…` and
 * `r2.orders-…`), and two groups on agg1 read both copies `r1.orders-…` and `r2.orders-…`. The copies start with
 * records of an earlier generation (7 per partition on agg1, 19 on agg2), so the same record has three different
 * offsets on r1, agg1 and agg2.
 * - `up` wrote a clusters file with the four clusters and the four regional flows (no agg1->agg2).
 * - `plan runbooks/aggregate-move.yaml` (agg1 → agg2, `requireFlow: false`) changes nothing (read back with a client
 *   of the test's own: no group offsets on agg2, no canary topic) and names each partition's path through its
 *   region's offsets; `offsets move --flow agg1->agg2` plans the same read-only.
 * - The move, run: the ledger's sequence numbers show 0 records skipped and no more duplicates than the plan
 *   reported; the groups commit on agg2's copies; the regional flows kept running (their checkpoints cannot write the
 *   groups: gate stop-covers-writers).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/kafkajs-client.js';
import { AGGREGATE_LAYOUT, multiClusterUp, type MultiClusterStatus } from '../../src/rehearsal/sandbox/multi-cluster.js';
import { sandboxDown } from '../../src/rehearsal/sandbox/sandbox.js';
import { TEST_STATE_DIR } from './global-setup.js';
import { runCli, uniqueName } from './helpers.js';
import { allDelivered, committedOn, delivery, duplicates, endMoveFile, events, failedGates, planOf, reported, startMoveTraffic } from './helpers-moves.js';

const stateDir = path.join(TEST_STATE_DIR, 'extra-aggregate');
const id = uniqueName('ag').replace('ag-', '');
const topic = `orders-${id}`;
const copies = [`r1.${topic}`, `r2.${topic}`];
const groups = [`billing-${id}`, `shipping-${id}`];
let s: MultiClusterStatus;
let tmp: string;
let traffic: ResultPromise;
const fileStarted = Date.now();

const bootstrap = (alias: string) => s.clusters.find((c) => c.alias === alias)!.bootstrapServers;
/** The aggregate move runbook on the test's sandbox. */
const move = (command: 'run' | 'plan') =>
  runCli([
    command,
    'runbooks/aggregate-move.yaml',
    ...(command === 'run' ? ['--yes'] : []),
    ...['--output', 'json', '--clusters', s.clustersFile, '--runs-dir', path.join(tmp, 'runs')],
    ...['--set', `stateDir=${stateDir}`, '--set', `groups=${groups.join('|')}`, '--set', `topics=${topic}`],
  ]);

beforeAll(async () => {
  await sandboxDown({ stateDir, wipe: true });
  s = await multiClusterUp(AGGREGATE_LAYOUT, { stateDir, portBase: 11090 }, (l) => process.stderr.write(`[aggregate sandbox] ${l}\n`));
  process.stderr.write(
    `[aggregate] up in ${s.startupMs} ms; RSS MiB: ${JSON.stringify(Object.fromEntries([...s.clusters.map((c) => [c.node, Math.round((c.rssBytes ?? 0) / 1048576)]), ['mm2', Math.round((s.mm2.rssBytes ?? 0) / 1048576)]]))}\n`,
  );
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-aggregate-'));
  // The two copies must not share offsets, or a move that copied agg1's offsets to agg2 unchanged (or skipped either
  // hop's translation) would pass: before MM2 sees the regions' topics, each aggregate's copies get records of an
  // earlier generation — 7 per partition on agg1, 19 on agg2 — so a region's record u sits at u + 7 on agg1 and u + 19
  // on agg2. An offset carried over unchanged re-reads 12 records per partition (more than the 0 the plan reports);
  // a hop 1 that took agg1's offset for r1's would skip 7.
  for (const [alias, n] of [
    ['agg1', 7],
    ['agg2', 19],
  ] as const) {
    const kafka = createKafka({ bootstrapServers: bootstrap(alias), clientId: 'kafka-failover-test-oracle' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: copies.map((t) => ({ topic: t, numPartitions: 3, replicationFactor: 1 })), waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (const t of copies)
      for (let partition = 0; partition < 3; partition++)
        await producer.send({ topic: t, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ partition, value: `earlier-generation-${alias}-${i}` })) });
    await producer.disconnect();
  }
  ({ traffic } = await startMoveTraffic(stateDir, {
    topic,
    groups,
    dir: tmp,
    bootstrap: () => bootstrap('agg1'),
    partitions: 6,
    what: 'both groups to commit on r1.orders-… and r2.orders-… (6 partitions each) on agg1',
  }));
}, 300_000);

afterAll(async () => {
  await endMoveFile(traffic, stateDir);
  process.stderr.write(`[aggregate] file took ${((Date.now() - fileStarted) / 1000).toFixed(1)} s\n`);
}, 120_000);

describe('aggregate clusters (sandbox --topology aggregate)', () => {
  it('up wrote a clusters file naming the four clusters and the regional flows, none between the aggregates', () => {
    const doc = parse(readFileSync(s.clustersFile, 'utf8')) as { clusters: Record<string, unknown>; flows: { source: string; target: string }[] };
    expect(Object.keys(doc.clusters).sort()).toEqual(['agg1', 'agg2', 'r1', 'r2']);
    expect(doc.flows.map((f) => `${f.source}->${f.target}`).sort()).toEqual(['r1->agg1', 'r1->agg2', 'r2->agg1', 'r2->agg2']);
    expect(s.mm2.running).toBe(true);
  });

  it('plan of the move agg1 → agg2 writes nothing and names every partition’s path through its region', async () => {
    const r = await move('plan');
    const ev = events(r.stdout);
    expect(ev.at(-1), failedGates(ev)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const plan = planOf(ev);
    // 2 groups × (3 partitions of r1's copy + 3 of r2's copy).
    expect(plan.length).toBe(12);
    for (const region of ['r1', 'r2']) {
      const rows = plan.filter((p) => p.sourceTopic === `${region}.${topic}`);
      expect(rows.length).toBe(6);
      for (const p of rows) {
        expect(p.topic).toBe(`${region}.${topic}`);
        expect(p.path).toMatch(
          new RegExp(
            `^agg1:${region}\\.${topic} → agg2:${region}\\.${topic} \\(copy of ${region}'s ${topic} on both: ${region}->agg1 offset syncs read backwards to ${region}:${topic}@\\d+, then ${region}->agg2 offset syncs`,
          ),
        );
      }
    }
    // The same plan, read-only, from the CLI (the two clusters have no flow between them).
    const o = await runCli(['offsets', 'move', '--clusters', s.clustersFile, '--flow', 'agg1->agg2', '--group', groups.join('|'), '--output', 'json']);
    expect(o.exitCode, o.stderr).toBe(0);
    const rows = o.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; sourceTopic?: string });
    expect(rows.filter((x) => x.kind === 'planned').length).toBe(12);
    // Nothing changed on agg2: read back with the test's own clients.
    expect(await committedOn(bootstrap('agg2'), groups)).toEqual({ [groups[0]!]: [], [groups[1]!]: [] });
    const admin = createKafka({ bootstrapServers: bootstrap('agg2'), clientId: 'kafka-failover-test-oracle' }).admin();
    await admin.connect();
    expect((await admin.listTopics()).includes('kafka-failover-canary')).toBe(false);
    await admin.disconnect();
  }, 120_000);

  it('moves agg1’s groups to agg2 through the regions’ offsets: 0 skipped, duplicates ≤ reported, MM2 never stopped', async () => {
    const start = duplicates(await delivery(stateDir));
    const r = await move('run');
    const ev = events(r.stdout);
    expect(ev.at(-1), failedGates(ev)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const plan = planOf(ev);
    expect(plan.length).toBe(12);
    const writers = ev.find((e) => e.kind === 'gate' && e.final && (e.gate as { id: string }).id === 'stop-covers-writers')?.gate as {
      ok: boolean;
      observed: { writerFlows: Record<string, string[]>; movedGroupsOnWriterSources: Record<string, string[]> };
    };
    expect(writers.ok).toBe(true);
    expect(Object.keys(writers.observed.writerFlows).sort()).toEqual(['r1->agg2', 'r2->agg2']);
    expect(writers.observed.movedGroupsOnWriterSources).toEqual({ r1: [], r2: [] });
    const after = await allDelivered(stateDir, path.join(tmp, 'traffic.log'));
    expect(duplicates(after) - start).toBeLessThanOrEqual(reported(plan));
    // The groups now commit on agg2's copies of both regions' topics.
    const onAgg2 = await committedOn(bootstrap('agg2'), groups);
    for (const g of groups) expect(onAgg2[g]!.map((t) => t.topic).sort()).toEqual(copies);
    process.stderr.write(
      `[aggregate] plan bases ${JSON.stringify(Object.fromEntries(['record-match', 'origin-offset-syncs'].map((b) => [b, plan.filter((p) => p.basis === b).length])))}; delivery after the move: ${JSON.stringify(after.map((g) => ({ group: g.groupId, skipped: g.skipped, duplicates: g.duplicates, produced: g.partitions.reduce((n, p) => n + p.produced, 0) })))}\n`,
    );
  }, 300_000);
});
