/**
 * Shared by the move tests on sandboxes of their own (active-active.test.ts, hub-spoke.test.ts): the run's JSON
 * events, its offset plan, and the traffic generator's delivery report as the oracle of skipped and duplicated records.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { expect } from 'vitest';
import { createKafka } from '../../src/kafka/kafkajs-client.js';
import type { GroupDelivery } from '../../src/rehearsal/traffic/ledger.js';
import type { Ev } from './helpers-resume.js';
import { sandboxDown } from '../../src/rehearsal/sandbox/sandbox.js';
import { eventually, liveProcessesMentioning, runCli } from './helpers.js';

/** The JSON-lines events of a `run`/`plan --output json`. */
export const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);
export const gateOf = (e: Ev) => e.gate as { id: string; ok: boolean } | undefined;
/** The failed final gates and failed steps, as text for an assertion message. */
export const failedGates = (ev: Ev[]) => JSON.stringify(ev.filter((e) => (e.kind === 'gate' && e.final && !gateOf(e)?.ok) || e.kind === 'step.failed'));
export type PlanRow = { group: string; topic: string; sourceTopic: string; partition: number; basis: string; path?: string; reReadRecords: number | null };
/** The offset plan of the `translate` step (translate-move's output `plan`). */
export const planOf = (ev: Ev[]) => ev.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!.outputs!.plan as PlanRow[];

/** The traffic process's delivery report now (`traffic-ctl report`). */
export async function delivery(stateDir: string): Promise<GroupDelivery[]> {
  const r = await runCli(['sandbox', 'traffic-ctl', 'report', '--state-dir', stateDir]);
  expect(r.exitCode, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { groups: GroupDelivery[] }).groups;
}

/**
 * Waits until every group has processed every record acknowledged so far at least once (a record never processed
 * stays "skipped" forever, so a real skip fails here by timeout, naming the ranges), and returns the report.
 * @param trafficLog the traffic process's stderr file (its last lines go into the error).
 */
export async function allDelivered(stateDir: string, trafficLog: string): Promise<GroupDelivery[]> {
  let last: GroupDelivery[] = [];
  try {
    return await eventually(
      'every group to have processed every acknowledged record',
      async () => {
        last = await delivery(stateDir);
        return last.every((g) => g.skipped === 0) ? last : undefined;
      },
      90_000,
    );
  } catch (error) {
    const gaps = last.flatMap((g) =>
      g.partitions.filter((p) => p.skippedCount).map((p) => `${g.groupId} ${p.topic}/${p.partition} ${JSON.stringify(p.skipped)}`),
    );
    const log = readFileSync(trafficLog, 'utf8').trim().split('\n').slice(-12).join('\n');
    throw new Error(`${(error as Error).message}; not processed: ${gaps.join('; ')}\ntraffic log (last lines):\n${log}`);
  }
}

/** Duplicated records over all groups of a delivery report. */
export const duplicates = (d: GroupDelivery[]) => d.reduce((n, g) => n + g.duplicates, 0);

/** Sum of the plan's re-read records; a row whose count is unknown makes the bound unusable (fails the test). */
export const reported = (plan: PlanRow[]) => {
  expect(plan.filter((p) => p.reReadRecords === null)).toEqual([]);
  return plan.reduce((n, p) => n + (p.reReadRecords ?? 0), 0);
};

/** Committed offsets of the groups on one cluster, read by a kafkajs admin of the test's own. */
export async function committedOn(bootstrap: string[], groups: string[]): Promise<Record<string, { topic: string; partitions: { offset: string }[] }[]>> {
  const admin = createKafka({ bootstrapServers: bootstrap, clientId: 'kafka-failover-test-oracle' }).admin();
  await admin.connect();
  try {
    const out: Record<string, { topic: string; partitions: { offset: string }[] }[]> = {};
    for (const g of groups) out[g] = (await admin.fetchOffsets({ groupId: g })).filter((t) => t.partitions.some((p) => p.offset !== '-1'));
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** A topic's high watermarks summed over its partitions, read by a kafkajs admin of the test's own. */
export async function highWatermark(bootstrap: string[], topic: string): Promise<number> {
  const admin = createKafka({ bootstrapServers: bootstrap, clientId: 'kafka-failover-test-oracle' }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * `sandbox traffic` as a child process on a sandbox of the test's own: its report goes to `<dir>/report.json` when it
 * stops, its stderr (progress lines every 5 s, consumer crashes: they explain a failure, see {@link allDelivered}) to
 * `<dir>/traffic.log`.
 */
export function spawnTraffic(stateDir: string, o: { rate: number; topics: string; groups: string; dir: string }): ResultPromise {
  return execa(
    process.execPath,
    [
      path.resolve('bin/kafka-failover.js'),
      ...['sandbox', 'traffic', '--state-dir', stateDir, '--rate', String(o.rate), '--topics', o.topics],
      ...['--groups', o.groups, '--report', path.join(o.dir, 'report.json')],
    ],
    { reject: false, env: { ...process.env, NO_COLOR: '1' }, stderr: { file: path.join(o.dir, 'traffic.log') } },
  );
}

/**
 * The traffic of a move test: {@link spawnTraffic} at 20 records/s on `topic` (3 partitions) with the two groups,
 * then waits until both groups have committed on `partitions` partitions of the cluster at `bootstrap` (`what` names
 * them in a timeout). The comment of the caller says which topics those are. Returns the running child.
 */
export async function startMoveTraffic(
  stateDir: string,
  o: { topic: string; groups: string[]; dir: string; bootstrap: () => string[]; partitions: number; what: string; timeoutMs?: number },
): Promise<{ traffic: ResultPromise }> {
  const traffic = spawnTraffic(stateDir, { rate: 20, topics: `${o.topic}:3`, groups: `${o.groups[0]},${o.groups[1]}:2`, dir: o.dir });
  await eventually(
    o.what,
    async () => {
      const c = await committedOn(o.bootstrap(), o.groups);
      return o.groups.every((g) => (c[g] ?? []).reduce((n, t) => n + t.partitions.length, 0) === o.partitions) ? true : undefined;
    },
    o.timeoutMs ?? 120_000,
  );
  // Wrapped: a subprocess is a promise of its result, and an async function returning it would wait for its end.
  return { traffic };
}

/** The end of a move test file: the traffic stopped (SIGINT, its report written), the sandbox down and wiped, no process left. */
export async function endMoveFile(traffic: ResultPromise | undefined, stateDir: string): Promise<void> {
  traffic?.kill('SIGINT');
  await traffic;
  await sandboxDown({ stateDir, wipe: true });
  expect(await liveProcessesMentioning(stateDir)).toEqual([]);
}
