/**
 * Hub and spoke end to end, on a sandbox of its own (`--topology hub-spoke --spokes 2`: clusters hub, spoke1, spoke2,
 * one MirrorMaker 2 process running spoke1->hub, hub->spoke1, spoke2->hub, hub->spoke2; port base 14090, state
 * folder under the test sandbox folder, wiped at start and brought down after).
 * Live traffic: a producer on every cluster writes its own `orders-…` (one ledger: records carry `spoke1.orders-…`,
 * `hub.orders-…`, `spoke2.orders-…`), and two groups on spoke1 read spoke1's `orders-…` and the hub's copy
 * `hub.orders-…`.
 * - `up` wrote a clusters file with every cluster and every flow; `down` leaves no process (afterAll).
 * - `plan` of the move spoke1 → hub changes nothing (read back with a client of the test's own: no group offsets on
 *   the hub, no canary topic, MM2 still running, spoke1's producer still writing) and names each partition's path:
 *   `orders-…` → `spoke1.orders-…` on the hub (spoke1->hub), `hub.orders-…` → `orders-…` on the hub (hub->spoke1
 *   offset syncs read backwards).
 * - runbooks/active-active-move.yaml spoke1 → hub, then back hub → spoke1: the ledger's sequence numbers show 0
 *   records skipped and no more duplicates than the plan reported, after each move.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import { createKafka } from '../../src/kafka/kafkajs-client.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { hubSpokeStatusOf, hubSpokeUp, type HubSpokeStatus } from '../../src/rehearsal/sandbox/hub-spoke.js';
import { sandboxDown } from '../../src/rehearsal/sandbox/sandbox.js';
import { loadState } from '../../src/rehearsal/sandbox/state.js';
import { TEST_STATE_DIR } from './global-setup.js';
import { eventually, runCli, uniqueName } from './helpers.js';
import {
  startMoveTraffic,
  endMoveFile,
  allDelivered,
  committedOn,
  delivery,
  duplicates,
  events,
  failedGates,
  highWatermark,
  planOf,
  type PlanRow,
  reported,
} from './helpers-moves.js';

const stateDir = path.join(TEST_STATE_DIR, 'extra-hub-spoke');
const id = uniqueName('hs').replace('hs-', '');
const topic = `orders-${id}`;
const groups = [`billing-${id}`, `shipping-${id}`];
let s: HubSpokeStatus;
let tmp: string;
let traffic: ResultPromise;
const fileStarted = Date.now();

const bootstrap = (alias: string) => s.clusters.find((c) => c.alias === alias)!.bootstrapServers;
/** The active-active move runbook on the test's hub-and-spoke sandbox; `extra` are more `--set`s. */
const move = (command: 'run' | 'plan', extra: string[] = []) =>
  runCli([
    command,
    'runbooks/active-active-move.yaml',
    ...(command === 'run' ? ['--yes'] : []),
    '--output',
    'json',
    '--clusters',
    s.clustersFile,
    '--runs-dir',
    path.join(tmp, 'runs'),
    '--set',
    'from=spoke1',
    '--set',
    'to=hub',
    '--set',
    `stateDir=${stateDir}`,
    '--set',
    `groups=${groups.join('|')}`,
    '--set',
    `topics=${topic}`,
    '--set',
    `quietTopics=${topic}`,
    ...extra,
  ]);

beforeAll(async () => {
  await sandboxDown({ stateDir, wipe: true });
  s = await hubSpokeUp({ stateDir, portBase: 14090, spokes: 2 }, (l) => process.stderr.write(`[hub-spoke sandbox] ${l}\n`));
  process.stderr.write(
    `[hub-spoke] up in ${s.startupMs} ms; RSS MiB: ${JSON.stringify(Object.fromEntries([...s.clusters.map((c) => [c.node, Math.round((c.rssBytes ?? 0) / 1048576)]), ['mm2', Math.round((s.mm2.rssBytes ?? 0) / 1048576)]]))}\n`,
  );
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-hub-spoke-'));
  ({ traffic } = await startMoveTraffic(stateDir, {
    topic,
    groups,
    dir: tmp,
    bootstrap: () => bootstrap('spoke1'),
    partitions: 6,
    what: 'both groups to commit on orders-… and hub.orders-… (6 partitions each) on spoke1',
  }));
}, 300_000);

afterAll(async () => {
  await endMoveFile(traffic, stateDir);
  process.stderr.write(`[hub-spoke] file took ${((Date.now() - fileStarted) / 1000).toFixed(1)} s\n`);
}, 120_000);

describe('hub and spoke (sandbox --topology hub-spoke)', () => {
  it('up wrote a clusters file naming the hub, every spoke and every flow', () => {
    const doc = parse(readFileSync(s.clustersFile, 'utf8')) as { clusters: Record<string, unknown>; flows: { source: string; target: string }[] };
    expect(Object.keys(doc.clusters).sort()).toEqual(['hub', 'spoke1', 'spoke2']);
    expect(doc.flows.map((f) => `${f.source}->${f.target}`).sort()).toEqual(['hub->spoke1', 'hub->spoke2', 'spoke1->hub', 'spoke2->hub']);
    expect(s.mm2.running).toBe(true);
  });

  it('plan of the move spoke1 → hub writes nothing and names every partition’s path', async () => {
    const before = { hub: await committedOn(bootstrap('hub'), groups), produced: await highWatermark(bootstrap('spoke1'), topic) };
    expect(before.hub).toEqual({ [groups[0]!]: [], [groups[1]!]: [] });

    const r = await move('plan');
    const ev = events(r.stdout);
    expect(ev.at(-1), failedGates(ev)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const plan = planOf(ev);
    // 2 groups × (3 partitions of spoke1's own topic + 3 of the hub's copy on spoke1).
    expect(plan.length).toBe(12);
    for (const p of plan.filter((x) => x.sourceTopic === topic)) {
      expect(p.topic).toBe(`spoke1.${topic}`);
      expect(p.path).toMatch(new RegExp(`^spoke1:${topic} → hub:spoke1\\.${topic} \\(spoke1's own topic: spoke1->hub `));
    }
    for (const p of plan.filter((x) => x.sourceTopic === `hub.${topic}`)) {
      expect(p.topic).toBe(topic);
      expect(p.path).toMatch(new RegExp(`^spoke1:hub\\.${topic} → hub:${topic} \\(copy of hub's topic: hub->spoke1 offset syncs read backwards`));
    }
    expect(plan.filter((x) => x.sourceTopic !== topic && x.sourceTopic !== `hub.${topic}`)).toEqual([]);

    // Nothing changed: read back with the test's own clients.
    expect(await committedOn(bootstrap('hub'), groups)).toEqual(before.hub);
    const admin = createKafka({ bootstrapServers: bootstrap('hub'), clientId: 'kafka-failover-test-oracle' }).admin();
    await admin.connect();
    expect((await admin.listTopics()).includes('kafka-failover-canary')).toBe(false);
    await admin.disconnect();
    expect((await hubSpokeStatusOf((await loadState(stateDir))!)).mm2.running).toBe(true);
    // The freeze hook did not run: spoke1's producer still writes.
    await eventually('spoke1’s orders to grow after the plan', async () =>
      (await highWatermark(bootstrap('spoke1'), topic)) > before.produced ? true : undefined,
    );
  }, 120_000);

  it('hub maintenance: a hub group’s move to spoke1 is planned along three paths, each row at the copy of the record the group reads next', async () => {
    // A group of the hub's own (committed by the test's admin, half-way through each partition) on the hub's topic and
    // on its copies of both spokes' topics. Moving it to spoke1: spoke1's copy → spoke1's original (spoke1->hub offset
    // syncs read backwards); the hub's own topic → hub.orders-… on spoke1 (hub->spoke1); the copy of spoke2's topic,
    // for which spoke1 has no flow from spoke2, → hub.spoke2.orders-… on spoke1 (hub->spoke1 replicates it onward).
    const group = `maint-${id}`;
    const onHub = [topic, `spoke1.${topic}`, `spoke2.${topic}`];
    const admin = createKafka({ bootstrapServers: bootstrap('hub'), clientId: 'kafka-failover-test-oracle' }).admin();
    await admin.connect();
    const committed = new Map<string, number>();
    try {
      for (const t of onHub) {
        const offsets = await admin.fetchTopicOffsets(t);
        const partitions = offsets.map((o) => ({ partition: o.partition, offset: String(Math.floor(Number(o.high) / 2)) }));
        for (const p of partitions) committed.set(`${t}/${p.partition}`, Number(p.offset));
        await admin.setOffsets({ groupId: group, topic: t, partitions });
      }
    } finally {
      await admin.disconnect();
    }
    // The plan, read-only; hub->spoke1 checkpoints the new group within MM2's emit interval (until then: exit 3).
    const rows = await eventually(
      'offsets move hub->spoke1 to plan the hub group (exit 0)',
      async () => {
        const r = await runCli(['offsets', 'move', '--clusters', s.clustersFile, '--flow', 'hub->spoke1', '--group', group, '--output', 'json']);
        if (r.exitCode !== 0) return undefined;
        return r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as PlanRow & { kind: string; targetOffset: number; sourceCommittedOffset: number })
          .filter((x) => x.kind === 'planned');
      },
      60_000,
    );
    expect(rows.length).toBe(9);
    const pathOf = (t: string) => rows.filter((r) => r.sourceTopic === t);
    expect(pathOf(`spoke1.${topic}`).every((r) => r.topic === topic && r.path?.includes('spoke1->hub offset syncs read backwards'))).toBe(true);
    expect(pathOf(topic).every((r) => r.topic === `hub.${topic}` && r.path?.includes("hub's own topic: hub->spoke1"))).toBe(true);
    expect(pathOf(`spoke2.${topic}`).every((r) => r.topic === `hub.spoke2.${topic}` && r.path?.includes("hub's own topic: hub->spoke1"))).toBe(true);
    // Oracle: the record each row points at on spoke1 is the copy (same key and value) of the record the group reads
    // next on the hub — read with a reader of the test's own, per row.
    const hubPort = createKafkaPort('hub', { bootstrapServers: bootstrap('hub'), clientId: 'kafka-failover-test-oracle' });
    const spokePort = createKafkaPort('spoke1', { bootstrapServers: bootstrap('spoke1'), clientId: 'kafka-failover-test-oracle' });
    try {
      const at = async (port: KafkaPort, t: string, partition: number, offset: number) => {
        let found: string | undefined;
        await port.readRange(t, partition, offset, offset + 1, (r) => {
          found = `${r.key?.toString()}|${r.value?.toString()}`;
        });
        return found;
      };
      for (const r of rows) {
        expect(r.sourceCommittedOffset).toBe(committed.get(`${r.sourceTopic}/${r.partition}`));
        const next = await at(hubPort, r.sourceTopic, r.partition, r.sourceCommittedOffset);
        expect(next, `${r.sourceTopic}/${r.partition}@${r.sourceCommittedOffset}`).toBeDefined();
        expect(await at(spokePort, r.topic, r.partition, r.targetOffset), r.path).toBe(next);
      }
    } finally {
      await Promise.all([hubPort.close(), spokePort.close()]);
    }
  }, 120_000);

  it('moves spoke1’s groups to the hub (0 skipped, duplicates ≤ reported), then back (0 skipped)', async () => {
    const start = duplicates(await delivery(stateDir));
    const there = await move('run');
    const evThere = events(there.stdout);
    expect(evThere.at(-1), failedGates(evThere)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const planThere = planOf(evThere);
    expect(planThere.length).toBe(12);
    const afterThere = await allDelivered(stateDir, path.join(tmp, 'traffic.log'));
    expect(duplicates(afterThere) - start).toBeLessThanOrEqual(reported(planThere));
    // The groups now commit on the hub, on both origins: spoke1's data replicated, and the hub's own topic.
    const onHub = await committedOn(bootstrap('hub'), groups);
    expect(onHub[groups[0]!]!.map((t) => t.topic).sort()).toEqual([topic, `spoke1.${topic}`]);

    // The return: the hub keeps its own producer (its orders-… cannot go quiet) and stays up, so its lag to spoke1
    // need not be 0 (what has not crossed yet follows once hub->spoke1 restarts).
    const back = await move('run', ['--set', 'from=hub', '--set', 'to=spoke1', '--set', 'quietTopics=', '--set', 'maxLagRecords=100000']);
    const evBack = events(back.stdout);
    expect(evBack.at(-1), failedGates(evBack)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const planBack = planOf(evBack);
    expect(planBack.length).toBe(12);
    expect(
      planBack
        .filter((p) => p.sourceTopic === `spoke1.${topic}`)
        .every((p) => p.topic === topic && p.path?.includes('spoke1->hub offset syncs read backwards')),
    ).toBe(true);
    const afterBack = await allDelivered(stateDir, path.join(tmp, 'traffic.log'));
    expect(duplicates(afterBack) - duplicates(afterThere)).toBeLessThanOrEqual(reported(planBack));
    const onSpoke = await committedOn(bootstrap('spoke1'), groups);
    expect(onSpoke[groups[0]!]!.map((t) => t.topic).sort()).toEqual([`hub.${topic}`, topic]);
    process.stderr.write(
      `[hub-spoke] delivery after both moves: ${JSON.stringify(afterBack.map((g) => ({ group: g.groupId, skipped: g.skipped, duplicates: g.duplicates, produced: g.partitions.reduce((n, p) => n + p.produced, 0) })))}\n`,
    );
  }, 300_000);
});
