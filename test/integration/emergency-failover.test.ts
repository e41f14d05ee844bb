/**
 * `runbooks/emergency-failover.yaml` on the sandbox: live traffic, then the whole primary cluster is killed (SIGKILL)
 * with no warning.
 * - a pipeline run accepting a window smaller than the estimate blocks (exit 3) before any write;
 * - run non-interactively with an accepted window it brings the groups up on dr (exit 0) from checkpoints alone;
 * - no group skips a record that had been replicated (sequence numbers from the traffic generator);
 * - the reported data-loss window bounds the records actually lost: MM2 is stopped 3 s before the kill (a lagging
 *   replication at the moment of the outage); after the test restarts primary (MM2 stays stopped), every
 *   acknowledged record that never reached dr has a produce timestamp inside the window.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { sandboxUp } from '../../src/rehearsal/sandbox/sandbox.js';
import type { GroupDelivery } from '../../src/rehearsal/traffic/ledger.js';
import { eventually, readAll, resetSharedSandbox, runCli, sandbox, startSandboxTraffic, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('em').replace('em-', '');
const topics = [
  { name: `orders-${id}`, partitions: 3 },
  { name: `payments-${id}`, partitions: 2 },
];
const groups = [`billing-${id}`, `shipping-${id}`];
let tmp: string;
let traffic: ResultPromise;
let dr: KafkaPort;

const args = () => [
  '--clusters',
  sandbox().clustersFile,
  '--runs-dir',
  path.join(tmp, 'runs'),
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

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-em-'));
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  // Checkpoints and heartbeats flowing, records in flight.
  traffic = (
    await startSandboxTraffic({
      rate: 200,
      topics: topics.map((t) => `${t.name}:${t.partitions}`),
      groups: [groups[0]!, `${groups[1]}:5`],
      report: path.join(tmp, 'report.json'),
      minReplicated: 1000,
    })
  ).child;
});

afterAll(async () => {
  traffic?.kill('SIGINT');
  await traffic;
  await dr?.close();
  await sandboxUp({ stateDir: sandbox().options.stateDir }); // primary and MM2 back for the next test file
});

describe('emergency failover (runbooks/emergency-failover.yaml)', () => {
  it('with primary killed: blocks on a too-small accepted window, then fails over within the accepted one; nothing replicated is skipped; the window bounds what was lost', async () => {
    // MM2 falls behind first (stopped for 3 s while producers keep writing), then the whole primary dies: records
    // acknowledged on primary in those seconds never reach dr — the loss the window must bound.
    const primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
    const primaryEnd = async () => {
      let n = 0;
      for (const t of topics) n += (await primary.partitionOffsets(t.name)).reduce((s, p) => s + p.highWatermark, 0);
      return n;
    };
    expect((await runCli(['sandbox', 'stop', 'mm2', '--state-dir', sandbox().options.stateDir])).exitCode).toBe(0);
    const mm2StoppedAt = Date.now(); // MM2's process has exited: nothing on dr is newer
    // The lag is a condition, not a duration: ≥ 600 records (~3 s at 200 records/s) acknowledged on primary after
    // MM2 stopped, which can never reach dr.
    const atStop = await primaryEnd();
    await eventually(
      '600 records acknowledged on primary while MM2 is stopped',
      async () => ((await primaryEnd()) - atStop >= 600 ? true : undefined),
      30_000,
    ).finally(() => primary.close());
    const kill = await runCli(['sandbox', 'kill', 'primary', '--state-dir', sandbox().options.stateDir]);
    expect(kill.exitCode).toBe(0);
    const killedAt = Date.now();

    // 1. A pipeline accepting 1 ms: blocked at the estimate, before any write.
    const small = await runCli(['run', 'runbooks/emergency-failover.yaml', '--yes', '--accept-data-loss-window', '1ms', '--output', 'json', ...args()]);
    expect(small.exitCode).toBe(3);
    const se = events(small.stdout);
    expect(se.find((e) => e.kind === 'gate' && e.final && e.step === 'scope' && e.gate.id === 'source-down')).toMatchObject({
      gate: { ok: true, observed: { verdict: 'cluster-down' } },
    });
    const blocked = se.find((e) => e.kind === 'gate' && e.final && e.gate.id === 'loss-window-accepted');
    expect(blocked).toMatchObject({ step: 'estimate', gate: { ok: false, observed: { acceptedWindowMs: 1 } } });
    expect(blocked!.gate.observed.estimatedWindowMs).toBeGreaterThan(1);
    expect(se.filter((e) => String(e.kind).startsWith('write.'))).toEqual([]);

    // 2. Accepting 10 minutes: the failover runs to the end.
    const r = await runCli(['run', 'runbooks/emergency-failover.yaml', '--yes', '--accept-data-loss-window', '10m', '--output', 'json', ...args()]);
    const runEndedAt = Date.now();
    const ev = events(r.stdout);
    expect(ev.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const estimate = ev.find((e) => e.kind === 'step.succeeded' && e.step === 'estimate')!.outputs as {
      windowStart: number;
      windowEnd: number;
      estimatedWindowMs: number;
      heartbeat: { ageMs: number } | null;
      activePartitions: number;
    };
    expect(estimate.activePartitions).toBeGreaterThanOrEqual(topics.reduce((s, t) => s + t.partitions, 0));
    // Both ends bounded: the window closes after the kill and no later than the run that estimated it; it opens no
    // later than MM2 had stopped (dr holds no evidence newer than that).
    expect(estimate.windowEnd).toBeGreaterThanOrEqual(killedAt);
    expect(estimate.windowEnd).toBeLessThanOrEqual(runEndedAt);
    expect(estimate.windowStart).toBeLessThanOrEqual(mm2StoppedAt);
    expect(estimate.estimatedWindowMs).toBe(estimate.windowEnd - estimate.windowStart);
    const translate = ev.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!.outputs as {
      sourceReachable: boolean;
      groups: { group: string }[];
    };
    expect(translate.sourceReachable).toBe(false);
    expect(translate.groups.map((g) => g.group).sort()).toEqual([...groups].sort());

    // 3. The groups consume on dr to the end of every replicated partition.
    await eventually(
      'the groups to reach the end of every partition on dr',
      async () => {
        for (const g of groups) {
          const committed = await dr.committedOffsets(g);
          for (const t of topics) {
            for (const p of await dr.partitionOffsets(`primary.${t.name}`)) {
              if ((committed.find((c) => c.topic === `primary.${t.name}` && c.partition === p.partition)?.offset ?? -1) < p.highWatermark) return undefined;
            }
          }
        }
        return true;
      },
      120_000,
    );
    traffic.kill('SIGINT');
    await traffic;
    const report = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as {
      run: string;
      produced: number;
      groups: GroupDelivery[];
      producedByPartition: Record<string, number>;
    };

    // 4. Primary back (MM2 stays stopped): what was acknowledged there but never reached dr, with produce times.
    expect((await runCli(['sandbox', 'start', 'primary', '--state-dir', sandbox().options.stateDir])).exitCode).toBe(0);
    let lost = 0;
    let replicated = 0;
    const outside: string[] = [];
    const skippedReplicated: string[] = [];
    for (const t of topics) {
      for (let p = 0; p < t.partitions; p++) {
        const onDr = new Set<number>();
        for (const rec of await readAll('dr', `primary.${t.name}`, p)) {
          const v = JSON.parse(rec.value!.toString()) as { run: string; seq: number };
          if (v.run === report.run) onDr.add(v.seq);
        }
        replicated += onDr.size;
        const acked = report.producedByPartition[`${t.name}/${p}`] ?? 0;
        for (const rec of await readAll('primary', t.name, p)) {
          const v = JSON.parse(rec.value!.toString()) as { run: string; seq: number; ts: number };
          if (v.run !== report.run || v.seq >= acked || onDr.has(v.seq)) continue;
          lost++;
          if (v.ts < estimate.windowStart || v.ts > estimate.windowEnd) outside.push(`${t.name}/${p}#${v.seq} at ${new Date(v.ts).toISOString()}`);
        }
        // Every skipped sequence of every group must be one that never reached dr.
        for (const g of report.groups) {
          for (const part of g.partitions.filter((x) => x.topic === t.name && x.partition === p)) {
            for (const [a, b] of part.skipped) for (let s = a; s <= b; s++) if (onDr.has(s)) skippedReplicated.push(`${g.groupId} ${t.name}/${p}#${s}`);
          }
        }
      }
    }
    console.info(
      `emergency failover: acknowledged ${report.produced}, replicated ${replicated}, lost ${lost}; estimated window ${estimate.estimatedWindowMs} ms from ${new Date(estimate.windowStart).toISOString()} (heartbeat age ${estimate.heartbeat?.ageMs ?? 'none'} ms); groups: ${report.groups.map((g) => `${g.groupId} skipped ${g.skipped}, duplicates ${g.duplicates}`).join('; ')}`,
    );
    expect(skippedReplicated).toEqual([]);
    expect(outside).toEqual([]);
    expect(replicated).toBeGreaterThan(1000);
    expect(lost).toBeGreaterThan(100); // ~3 s of writes at 200 records/s
    // A group misses only lost records it had not processed on primary before the outage.
    for (const g of report.groups) expect(g.skipped).toBeLessThanOrEqual(lost);
  });
});
