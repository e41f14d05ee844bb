import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/kafkajs-client.js';
import { sandboxDown, sandboxStatus, sandboxUp, type SandboxStatus } from '../../src/rehearsal/sandbox/sandbox.js';
import { TEST_STATE_DIR } from './global-setup.js';
import type { Ev } from './helpers-resume.js';
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
  gateOf,
  highWatermark,
  planOf,
  reported,
} from './helpers-moves.js';

const stateDir = path.join(TEST_STATE_DIR, 'extra-active-active');
const id = uniqueName('aa').replace('aa-', '');
const topic = `orders-${id}`;
const groups = [`billing-${id}`, `shipping-${id}`];
let s: SandboxStatus;
let tmp: string;
let traffic: ResultPromise;

type Side = { cluster: string; exists: boolean; appendedRecords: number };
type ConflictRow = {
  topic: string;
  source: Side;
  target: Side;
  bothWritten: boolean;
  keys?: { source: number; target: number; onBoth: number; examples: string[] } | null;
};
/** The conflict report row of the test's topic name (translate-move's output `conflicts`). */
const conflictOf = (ev: Ev[]) =>
  (ev.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!.outputs!.conflicts as ConflictRow[]).find((c) => c.topic === topic);
const finalGate = (ev: Ev[], id: string) =>
  ev.filter((e) => e.kind === 'gate' && e.final && gateOf(e)?.id === id).map((e) => e.gate as { ok: boolean; observed: { appendedRecords: number } });
/** The runbook on the test's sandbox; `extra` are more `--set`s. */
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
  s = await sandboxUp({ stateDir, portBase: 13090, activeActive: true }, (l) => process.stderr.write(`[active-active sandbox] ${l}\n`));
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-active-active-'));
  // shipping a little slower (2 ms a record): the groups sit at different positions; at 2 × 20 records/s it still
  // catches up after each move on a loaded 2-core CI machine (5 ms did not, within the 90 s of allDelivered).
  // Both groups have committed on all six partitions (three of each origin) on primary.
  ({ traffic } = await startMoveTraffic(stateDir, {
    topic,
    groups,
    dir: tmp,
    bootstrap: () => s.clusters.primary.bootstrapServers,
    partitions: 6,
    what: 'both groups to commit on orders-… and dr.orders-… (6 partitions each) on primary',
    timeoutMs: 180_000,
  }));
}, 420_000);

afterAll(async () => endMoveFile(traffic, stateDir), 120_000);

describe('active-active (sandbox --topology active-active)', () => {
  it('plan of the move primary → dr writes nothing and names every partition’s path', async () => {
    const before = {
      dr: await committedOn(s.clusters.dr.bootstrapServers, groups),
      produced: await highWatermark(s.clusters.primary.bootstrapServers, topic),
      producedOnDr: await highWatermark(s.clusters.dr.bootstrapServers, topic),
    };
    expect(before.dr).toEqual({ [groups[0]!]: [], [groups[1]!]: [] });

    const r = await move('plan');
    const ev = events(r.stdout);
    expect(ev.at(-1), failedGates(ev)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const plan = planOf(ev);
    // 2 groups × (3 partitions of primary's own topic + 3 of dr's copy on primary).
    expect(plan.length).toBe(12);
    for (const p of plan.filter((x) => x.sourceTopic === topic)) {
      expect(p.topic).toBe(`primary.${topic}`);
      expect(p.path).toMatch(new RegExp(`^primary:${topic} → dr:primary\\.${topic} \\(primary's own topic: primary->dr `));
    }
    for (const p of plan.filter((x) => x.sourceTopic === `dr.${topic}`)) {
      expect(p.topic).toBe(topic);
      expect(p.path).toMatch(new RegExp(`^primary:dr\\.${topic} → dr:${topic} \\(copy of dr's topic: dr->primary offset syncs read backwards`));
    }
    expect(plan.filter((x) => x.sourceTopic !== topic && x.sourceTopic !== `dr.${topic}`)).toEqual([]);
    // The conflict report: both sites' producers write orders-… during the plan (its freeze hook does not run). What it
    // counted in its window is at most what the test's own client sees appended over the whole plan, on each side.
    const grown = {
      primary: (await highWatermark(s.clusters.primary.bootstrapServers, topic)) - before.produced,
      dr: (await highWatermark(s.clusters.dr.bootstrapServers, topic)) - before.producedOnDr,
    };
    const conflict = conflictOf(ev)!;
    expect(conflict).toMatchObject({ bothWritten: true, source: { cluster: 'primary', exists: true }, target: { cluster: 'dr', exists: true } });
    expect(conflict.source.appendedRecords).toBeGreaterThan(0);
    expect(conflict.source.appendedRecords).toBeLessThanOrEqual(grown.primary);
    expect(conflict.target.appendedRecords).toBeGreaterThan(0);
    expect(conflict.target.appendedRecords).toBeLessThanOrEqual(grown.dr);
    // Keys: the traffic generator keys every record `<site>.<topic>-<partition>-<sequence>` (its own ledger), so each
    // record of the window has a key of its own and no key is written on both sides: the keys read back in the window
    // are exactly the records counted, and none is shared.
    expect(conflict.keys).toEqual({ source: conflict.source.appendedRecords, target: conflict.target.appendedRecords, onBoth: 0, examples: [] });
    expect(finalGate(ev, 'source-writes-frozen')).toEqual([]); // a plan reports, the gate needs the freeze to have run

    // Nothing changed: read back with the test's own clients.
    expect(await committedOn(s.clusters.dr.bootstrapServers, groups)).toEqual(before.dr);
    const admin = createKafka({ bootstrapServers: s.clusters.dr.bootstrapServers, clientId: 'kafka-failover-test-oracle' }).admin();
    await admin.connect();
    expect((await admin.listTopics()).includes('kafka-failover-canary')).toBe(false);
    await admin.disconnect();
    const status = await sandboxStatus(stateDir);
    expect([status.mm2.running, status.mm2Reverse.running]).toEqual([true, true]);
    // The freeze hook did not run: primary's producer still writes.
    await eventually('primary’s orders to grow after the plan', async () =>
      (await highWatermark(s.clusters.primary.bootstrapServers, topic)) > before.produced ? true : undefined,
    );
  }, 240_000);

  it('a group reading a topic with no path to dr blocks the move (offsets move exits 3, naming it)', async () => {
    // A topic MM2 never replicates (its default topics.exclude takes ".*[-.]internal") with a commit of its own group.
    const stuckTopic = `nopath-${id}.internal`;
    const stuckGroup = `stuck-${id}`;
    const admin = createKafka({ bootstrapServers: s.clusters.primary.bootstrapServers, clientId: 'kafka-failover-test-oracle' }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: stuckTopic, numPartitions: 1 }], waitForLeaders: true });
      await admin.setOffsets({ groupId: stuckGroup, topic: stuckTopic, partitions: [{ partition: 0, offset: '0' }] });
    } finally {
      await admin.disconnect();
    }
    const r = await runCli(['offsets', 'move', '--clusters', s.clustersFile, '--flow', 'primary->dr', '--group', stuckGroup, '--output', 'json']);
    expect(r.exitCode, r.stderr).toBe(3);
    const gates = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; id?: string; ok?: boolean; observed?: { untranslatable?: string[] } })
      .filter((e) => e.kind === 'gate');
    expect(gates.find((g) => g.id === 'groups-translated')).toMatchObject({ ok: false });
    expect(gates.find((g) => g.id === 'groups-translated')!.observed!.untranslatable!.join(' ')).toContain(`${stuckGroup} ${stuckTopic}/0`);
  }, 60_000);

  it('moves the groups primary → dr (0 skipped, duplicates ≤ reported), then back dr → primary (0 skipped)', async () => {
    const start = duplicates(await delivery(stateDir));
    const there = await move('run');
    const evThere = events(there.stdout);
    expect(evThere.at(-1), failedGates(evThere)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const planThere = planOf(evThere);
    expect(planThere.length).toBe(12);
    // Frozen: primary's orders-… took nothing during translate's window (the gate passed on it), while dr's producer wrote on.
    expect(finalGate(evThere, 'source-writes-frozen')).toMatchObject([{ ok: true, observed: { appendedRecords: 0 } }]);
    expect(conflictOf(evThere)).toMatchObject({ bothWritten: false, source: { appendedRecords: 0 } });
    const afterThere = await allDelivered(stateDir, path.join(tmp, 'traffic.log'));
    expect(duplicates(afterThere) - start).toBeLessThanOrEqual(reported(planThere));
    // The groups now commit on dr, on both origins: dr's own orders-… and primary's copy.
    const onDr = (await committedOn(s.clusters.dr.bootstrapServers, groups)) as Record<string, { topic: string }[]>;
    expect(onDr[groups[0]!]!.map((t) => t.topic).sort()).toEqual([topic, `primary.${topic}`]);

    // The return: dr keeps producers of its own (its orders-… cannot go quiet) and its lag to primary need not be 0
    // (dr stays up; what has not crossed yet follows once dr->primary restarts).
    const back = await move('run', ['--set', 'from=dr', '--set', 'to=primary', '--set', 'quietTopics=', '--set', 'maxLagRecords=100000']);
    const evBack = events(back.stdout);
    expect(evBack.at(-1), failedGates(evBack)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const planBack = planOf(evBack);
    expect(planBack.length).toBe(12);
    // The return freezes nothing on dr (quietTopics empty): the report is made, the gate is not.
    expect(finalGate(evBack, 'source-writes-frozen')).toEqual([]);
    expect(conflictOf(evBack)).toMatchObject({ source: { cluster: 'dr', exists: true }, target: { cluster: 'primary', exists: true } });
    expect(
      planBack
        .filter((p) => p.sourceTopic === `primary.${topic}`)
        .every((p) => p.topic === topic && p.path?.includes('primary->dr offset syncs read backwards')),
    ).toBe(true);
    const afterBack = await allDelivered(stateDir, path.join(tmp, 'traffic.log'));
    expect(duplicates(afterBack) - duplicates(afterThere)).toBeLessThanOrEqual(reported(planBack));
    const status = await sandboxStatus(stateDir);
    expect([status.mm2.running, status.mm2Reverse.running]).toEqual([true, true]);
    process.stderr.write(
      `[active-active] delivery after both moves: ${JSON.stringify(afterBack.map((g) => ({ group: g.groupId, skipped: g.skipped, duplicates: g.duplicates, produced: g.partitions.reduce((n, p) => n + p.produced, 0) })))}\n`,
    );
  }, 300_000);
});
