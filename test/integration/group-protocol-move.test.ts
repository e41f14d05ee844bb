import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { eventually, kafkaFor, resetSharedSandbox, runCli, sandbox, sandboxRunArgs, uniqueName, waitForCheckpoints, waitForFreeLease } from './helpers.js';
import { backgroundJava, consoleConsumerArgs, kafkaToolsLibs, killBackground, plannedFailoverWithRedirect, printedLines } from './jvm-clients.js';

const id = uniqueName('gpm').replace('gpm-', '');
const topic = `gpm-${id}`;
const remote = `primary.${topic}`;
const modern = `gpm-modern-${id}`;
const legacy = `gpm-legacy-${id}`;
const PARTITIONS = 3;
const FIRST = 300; // records before the groups stop on primary
const TOTAL = 450; // … and after: the groups stop mid-stream, 150 more records behind them
const value = (n: number) => `r-${String(n).padStart(4, '0')}`;
const everyValue = Array.from({ length: TOTAL }, (_, n) => value(n));

let tmp: string;
let libs: string;
let primary: KafkaPort;
let dr: KafkaPort;
/** What each group printed on primary before the failover (its committed progress). */
const readOnPrimary: Record<string, string[]> = {};

/** Runs a console consumer to its end (`maxMessages`) and returns the values it printed, one per line. */
async function consumeAndExit(alias: 'primary' | 'dr', o: { topic: string; group: string; protocol: 'consumer' | 'classic'; maxMessages: number }) {
  const r = await execa(
    'java',
    consoleConsumerArgs(libs, {
      bootstrap: sandbox().clusters[alias].bootstrapServers[0]!,
      topic: o.topic,
      group: o.group,
      protocol: o.protocol,
      clientId: `kf-${o.protocol}-${alias}`,
      maxMessages: o.maxMessages,
      fromBeginning: true,
      autoCommit: true,
    }),
    { reject: false, timeout: 120_000 },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l.startsWith('r-'));
}

/** Committed offsets summed over the topic's partitions, read with a separate kafkajs admin client. */
async function committedTotal(alias: 'primary' | 'dr', group: string, t: string): Promise<number> {
  const admin = kafkaFor(alias).admin();
  await admin.connect();
  try {
    const [res] = await admin.fetchOffsets({ groupId: group, topics: [t] });
    return res!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The planned failover runbook whose redirect starts the two groups on dr with the consumer protocol, in the
 * background, printing to files and leaving their PIDs for the test to stop them.
 */
function runbookForConsoleConsumers(): Promise<string> {
  const start = (group: string) =>
    backgroundJava(
      tmp,
      group,
      consoleConsumerArgs(libs, {
        bootstrap: sandbox().clusters.dr.bootstrapServers[0]!,
        topic: remote,
        group,
        protocol: 'consumer',
        clientId: `kf-consumer-dr-${group.split('-')[1]}`,
        autoCommit: true,
      }),
    );
  return plannedFailoverWithRedirect(tmp, [start(modern), start(legacy)]);
}

/** Values printed so far by a group's consumer on dr (started by the redirect hook). */
const printedOnDr = (group: string) => printedLines(tmp, group);

const stopDrConsumers = () => killBackground(tmp, [modern, legacy]);

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-group-protocol-'));
  libs = await kafkaToolsLibs(sandbox().options.kafkaVersion);
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await primary.createTopic(topic, PARTITIONS);
  const produce = (from: number, to: number) =>
    primary.produce(
      topic,
      Array.from({ length: to - from }, (_, i) => ({ key: value(from + i), value: value(from + i), partition: (from + i) % PARTITIONS })),
    );
  await produce(0, FIRST);
  // The groups consume part of the topic on primary and stop, committing what they printed.
  readOnPrimary[modern] = await consumeAndExit('primary', { topic, group: modern, protocol: 'consumer', maxMessages: 120 });
  readOnPrimary[legacy] = await consumeAndExit('primary', { topic, group: legacy, protocol: 'classic', maxMessages: 70 });
  await produce(FIRST, TOTAL);
  // The premise of the ledger: each group committed exactly what it printed.
  expect(readOnPrimary[modern]).toHaveLength(120);
  expect(await committedTotal('primary', modern, topic)).toBe(120);
  expect(readOnPrimary[legacy]).toHaveLength(70);
  expect(await committedTotal('primary', legacy, topic)).toBe(70);
  expect((await primary.describeGroups([modern, legacy])).map((g) => [g.type, g.state])).toEqual([
    ['consumer', 'Empty'],
    ['classic', 'Empty'],
  ]);
  await waitForCheckpoints({ groups: [modern, legacy], topics: [topic], minReplicated: TOTAL });
  // On dr, `modern` already exists as an empty consumer group: a consumer-protocol member read a record and left.
  await consumeAndExit('dr', { topic: remote, group: modern, protocol: 'consumer', maxMessages: 1 });
  const [onDr] = await dr.describeGroups([modern]);
  expect(onDr).toMatchObject({ type: 'consumer', state: 'Empty', members: 0 });
}, 600_000);

afterAll(async () => {
  stopDrConsumers();
  await Promise.allSettled([primary?.close(), dr?.close()]);
});

describe('moving consumer-protocol groups (KIP-848) with the planned failover', { shuffle: false }, () => {
  it('a consumer group (empty consumer group on dr) and a classic group resuming with group.protocol=consumer: 0 skipped, duplicates ≤ reported re-reads', async () => {
    const runbook = await runbookForConsoleConsumers();
    const r = await runCli([
      'run',
      runbook,
      '--yes',
      '--output',
      'json',
      ...sandboxRunArgs(path.join(tmp, 'runs'), { groups: `${modern}|${legacy}`, topics: topic }),
    ]);
    const events = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(events.at(-1), r.stderr).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const reset = events.filter((e) => e.kind === 'write.done' && e.step === 'reset').map((e) => e.write.details.group as string);
    expect(reset.sort()).toEqual([legacy, modern].sort());
    const translated = events.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!;
    const reported = Object.fromEntries(
      (translated.outputs.groups as { group: string; reReadRecords: number | null }[]).map((g) => [g.group, g.reReadRecords]),
    );
    expect(reported[modern]).toEqual(expect.any(Number));
    expect(reported[legacy]).toEqual(expect.any(Number));

    // Resumed on dr with the consumer protocol: every record either printed on primary before or on dr now.
    await eventually(
      'both groups to print, on dr, every record they had not printed on primary',
      async () => {
        for (const g of [modern, legacy]) {
          const seen = new Set([...readOnPrimary[g]!, ...printedOnDr(g)]);
          if (everyValue.some((v) => !seen.has(v))) return undefined;
        }
        return true;
      },
      120_000,
    ).catch((e: Error) => {
      const missing = (g: string) => everyValue.filter((v) => !new Set([...readOnPrimary[g]!, ...printedOnDr(g)]).has(v));
      throw new Error(`${e.message}\nmissing for ${modern}: ${missing(modern).length}, for ${legacy}: ${missing(legacy).length}`);
    });
    // Both now run as consumer groups (type consumer) with their dr member: `legacy` was converted on join.
    const described = await dr.describeGroups([modern, legacy]);
    expect(described.map((g) => [g.groupId, g.type, g.members])).toEqual([
      [modern, 'consumer', 1],
      [legacy, 'consumer', 1],
    ]);
    stopDrConsumers();

    const summary: string[] = [];
    for (const g of [modern, legacy]) {
      const onDr = printedOnDr(g);
      const before = new Set(readOnPrimary[g]);
      const duplicates = onDr.filter((v) => before.has(v)).length;
      const skipped = everyValue.filter((v) => !before.has(v) && !onDr.includes(v)).length;
      expect({ group: g, skipped }).toEqual({ group: g, skipped: 0 });
      expect(duplicates).toBeLessThanOrEqual(reported[g]!);
      summary.push(
        `${g.split('-')[1]}: read ${before.size} on primary, ${onDr.length} on dr, skipped ${skipped}, duplicates ${duplicates} (reported re-read ${reported[g]})`,
      );
    }
    console.info(`consumer-protocol move: ${summary.join('; ')}`);
  });
});
