/**
 * Moving the group types MM2 never checkpoints (issue 14, items 3, 4 and 6) with the planned failover runbook, on the
 * real Kafka 4.4 sandbox with real MirrorMaker 2, and real clients from Maven Central jars on the JVM:
 * - a share group (KIP-932), read by Kafka's console share consumer; its share-partition start offsets are translated
 *   from MM2's offset syncs and set on dr with AlterShareGroupOffsets (the API behind kafka-share-groups.sh
 *   --reset-offsets), which creates the share group there;
 * - a streams group (KIP-1071): a real Kafka Streams application (test/integration/jvm/SequenceStreamsApp.java) with a
 *   repartition topic, `group.protocol=streams`; its input-topic offsets are translated from offset syncs and
 *   committed on dr (admin commit: a simple classic group the application's first heartbeat turns into a streams
 *   group), its internal topic is not moved (it recreates its own on dr);
 * - the same Kafka Streams application on the classic protocol (a classic group MM2 checkpoints), whose commits on its
 *   repartition topic MM2 checkpoints too and the tool leaves out.
 * The planned failover's drain gate finds both applications with their repartition topics consumed (0 in flight).
 * Oracles: the values the share consumer printed on primary and on dr; the application's output topics on primary and
 * on dr (one output record per input record). Every produced record must appear at least once (0 skipped), and the
 * records seen twice must not exceed the re-reads the plan reported.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { eventually, resetSharedSandbox, runCli, sandbox, sandboxRunArgs, uniqueName, waitForFreeLease } from './helpers.js';
import {
  backgroundJava,
  consoleShareConsumerArgs,
  kafkaStreamsLibs,
  kafkaToolsLibs,
  killBackground,
  plannedFailoverWithRedirect,
  printedLines,
  sequenceStreamsAppArgs,
  shareGroupResetToEarliestArgs,
} from './jvm-clients.js';

const id = uniqueName('ssm').replace('ssm-', '');
const topic = `ssm-${id}`;
const remote = `primary.${topic}`;
const shareGroup = `ssm-share-${id}`;
/** Two Kafka Streams applications: one on the streams protocol (a streams group), one on the classic protocol. */
const apps = [
  { name: 'app', id: `ssm-app-${id}`, output: `ssm-out-${id}`, protocol: 'streams' as const },
  { name: 'capp', id: `ssm-capp-${id}`, output: `ssm-cout-${id}`, protocol: 'classic' as const },
];
const app = apps[0]!.id;
const PARTITIONS = 3;
const FIRST = 300;
const TOTAL = 450;
const SHARE_READ = 120;
const value = (n: number) => `r-${String(n).padStart(4, '0')}`;
const everyValue = Array.from({ length: TOTAL }, (_, n) => value(n));

let tmp: string;
let tools: string;
let streamsLibs: string;
let primary: KafkaPort;
let dr: KafkaPort;
let sharedOnPrimary: string[] = [];
/** Each application's output on primary (one record per input record it processed there). */
const appOutputOnPrimary: Record<string, string[]> = {};

/** Every value in a topic of a cluster, read with a separate client (no group). */
async function topicValues(port: KafkaPort, t: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of await port.partitionOffsets(t))
    await port.readRange(t, p.partition, p.logStartOffset, p.highWatermark, (r) => out.push(r.value?.toString() ?? ''));
  return out;
}

const total = async (port: KafkaPort, t: string) => (await port.partitionOffsets(t)).reduce((s, p) => s + p.highWatermark, 0);

/** An application on primary: runs until its output holds `FIRST` records, then SIGTERM (it commits and closes). */
async function runAppOnPrimaryUntilCaughtUp(a: (typeof apps)[number]) {
  const proc: ResultPromise = execa(
    'java',
    sequenceStreamsAppArgs(streamsLibs, {
      bootstrap: sandbox().clusters.primary.bootstrapServers[0]!,
      applicationId: a.id,
      input: topic,
      output: a.output,
      protocol: a.protocol,
      stateDir: path.join(tmp, `state-primary-${a.name}`),
    }),
    { reject: false, all: true },
  );
  const caughtUp = await eventually(
    `the Streams application ${a.id} on primary to process the first records`,
    async () => ((await total(primary, a.output)) >= FIRST ? true : undefined),
    120_000,
  ).catch((e: Error) => e);
  // Its repartition topic drained too (the output is written after it), so nothing is in flight when it stops.
  proc.kill('SIGTERM');
  const r = await proc;
  if (caughtUp instanceof Error) throw new Error(`${caughtUp.message}: the Streams application did not catch up:\n${r.all}`);
}

/** The planned failover runbook: the redirect hook starts the share consumer and the Streams applications on dr. */
function runbookForJvmClients(): Promise<string> {
  const drBootstrap = sandbox().clusters.dr.bootstrapServers[0]!;
  return plannedFailoverWithRedirect(tmp, [
    backgroundJava(tmp, 'share', consoleShareConsumerArgs(tools, { bootstrap: drBootstrap, topic: remote, group: shareGroup, clientId: 'kf-share-dr' })),
    ...apps.map((a) =>
      backgroundJava(
        tmp,
        a.name,
        sequenceStreamsAppArgs(streamsLibs, {
          bootstrap: drBootstrap,
          applicationId: a.id,
          input: remote,
          output: a.output,
          protocol: a.protocol,
          stateDir: path.join(tmp, `state-dr-${a.name}`),
        }),
      ),
    ),
  ]);
}

const printedBy = (name: string) => printedLines(tmp, name);

const stopDrClients = () => killBackground(tmp, ['share', ...apps.map((a) => a.name)]);

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-streams-share-'));
  tools = await kafkaToolsLibs(sandbox().options.kafkaVersion);
  streamsLibs = await kafkaStreamsLibs(sandbox().options.kafkaVersion);
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await primary.createTopic(topic, PARTITIONS);
  for (const a of apps) {
    await primary.createTopic(a.output, PARTITIONS);
    await dr.createTopic(a.output, PARTITIONS); // the application's output on dr (a dr-local topic of the same name)
  }
  const produce = (from: number, to: number) =>
    primary.produce(
      topic,
      Array.from({ length: to - from }, (_, i) => ({ key: value(from + i), value: value(from + i), partition: (from + i) % PARTITIONS })),
    );
  await produce(0, FIRST);

  // The share group starts at the log start (Kafka's own kafka-share-groups tool), reads 120 records and leaves.
  const reset = await execa(
    'java',
    shareGroupResetToEarliestArgs(tools, { bootstrap: sandbox().clusters.primary.bootstrapServers[0]!, topic, group: shareGroup }),
    {
      reject: false,
    },
  );
  expect(reset.exitCode, reset.stderr).toBe(0);
  const shared = await execa(
    'java',
    consoleShareConsumerArgs(tools, {
      bootstrap: sandbox().clusters.primary.bootstrapServers[0]!,
      topic,
      group: shareGroup,
      clientId: 'kf-share-primary',
      maxMessages: SHARE_READ,
    }),
    { reject: false, timeout: 120_000 },
  );
  expect(shared.exitCode, shared.stderr).toBe(0);
  sharedOnPrimary = shared.stdout.split('\n').filter((l) => l.startsWith('r-'));
  expect(sharedOnPrimary).toHaveLength(SHARE_READ);

  // The Streams applications process everything produced so far, then stop.
  for (const a of apps) {
    await runAppOnPrimaryUntilCaughtUp(a);
    appOutputOnPrimary[a.id] = await topicValues(primary, a.output);
  }

  // Then 150 more records: both groups stopped mid-stream.
  await produce(FIRST, TOTAL);
  const [share, streams, classic] = await primary.describeGroups([shareGroup, app, apps[1]!.id]);
  expect(share).toMatchObject({ type: 'share', state: 'Empty', members: 0 });
  expect(streams).toMatchObject({ type: 'streams', streamsTopology: { sourceTopics: [topic], repartitionTopics: [`${app}-by-value-repartition`] } });
  expect(classic).toMatchObject({ type: 'classic', protocolType: 'consumer' });
  await eventually(`dr to hold all ${TOTAL} records of ${topic}`, async () =>
    (await dr.listTopics()).includes(remote) && (await total(dr, remote)) >= TOTAL ? true : undefined,
  );
}, 600_000);

afterAll(async () => {
  stopDrClients();
  await Promise.allSettled([primary?.close(), dr?.close()]);
});

describe('moving a share group and Kafka Streams applications (streams and classic protocol) with the planned failover', { shuffle: false }, () => {
  it('all resume on dr from translated offsets: 0 skipped, duplicates ≤ reported re-reads', async () => {
    const runbook = await runbookForJvmClients();
    const capp = apps[1]!.id;
    const r = await runCli([
      'run',
      runbook,
      '--yes',
      '--output',
      'json',
      ...sandboxRunArgs(path.join(tmp, 'runs'), { groups: [shareGroup, ...apps.map((a) => a.id)].join('|'), topics: topic }),
    ]);
    const events = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, any>);
    const errTail = (name: string) => (existsSync(path.join(tmp, `${name}.err`)) ? readFileSync(path.join(tmp, `${name}.err`), 'utf8').slice(-2000) : '');
    expect(events.at(-1), `${r.stderr}\n${errTail('app')}\n${errTail('capp')}`).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    // The drain gate found both applications, nothing in flight in their repartition topics.
    const drain = events.find((e) => e.kind === 'gate' && e.step === 'drain' && e.final);
    expect(drain?.gate).toMatchObject({ id: 'streams-repartition-drained', ok: true, observed: { inFlightRecords: 0 } });
    expect([...(drain!.gate.observed.applications as string[])].sort()).toEqual(apps.map((a) => a.id).sort());

    const translated = events.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!;
    const plan = translated.outputs.plan as { group: string; topic: string; offsetKind: string; basis: string; groupType: string }[];
    // Only the input topic is moved, each group with its kind of offsets; the applications' repartition topics are not.
    expect([...new Set(plan.map((p) => `${p.group} ${p.topic} ${p.offsetKind} ${p.groupType}`))].sort()).toEqual(
      [`${app} ${remote} committed-offset streams`, `${capp} ${remote} committed-offset classic`, `${shareGroup} ${remote} share-start-offset share`].sort(),
    );
    const untranslated = translated.outputs.untranslated as { group: string; sourceTopic: string; reason: string }[];
    expect(new Set(untranslated.filter((u) => u.group !== capp && u.sourceTopic === topic).map((u) => u.reason))).toEqual(
      new Set(['group-type-not-checkpointed']),
    );
    expect(untranslated.filter((u) => u.sourceTopic !== topic).every((u) => u.reason === 'streams-internal-topic')).toBe(true);
    const reported = Object.fromEntries((translated.outputs.groups as { group: string; reReadRecords: number }[]).map((g) => [g.group, g.reReadRecords]));

    // Resumed on dr: every record seen on primary before or on dr now.
    const missing = async () => {
      const share = new Set([...sharedOnPrimary, ...printedBy('share')]);
      const out: Record<string, number> = { [shareGroup]: everyValue.filter((v) => !share.has(v)).length };
      for (const a of apps) {
        const seen = new Set([...appOutputOnPrimary[a.id]!, ...(await topicValues(dr, a.output))]);
        out[a.id] = everyValue.filter((v) => !seen.has(v)).length;
      }
      return out;
    };
    await eventually(
      'the share group and the Streams applications to get, on dr, every record they had not processed on primary',
      async () => (Object.values(await missing()).every((n) => n === 0) ? true : undefined),
      120_000,
    ).catch(async (e: Error) => {
      throw new Error(`${e.message}\nmissing: ${JSON.stringify(await missing())}`);
    });
    const described = await dr.describeGroups([shareGroup, app, capp]);
    expect(described.map((g) => [g.groupId, g.type, g.members])).toEqual([
      [shareGroup, 'share', 1],
      [app, 'streams', 1],
      [capp, 'classic', 1],
    ]);
    const onDr: Record<string, string[]> = { [shareGroup]: printedBy('share') };
    for (const a of apps) onDr[a.id] = await topicValues(dr, a.output);
    stopDrClients();

    const summary: string[] = [];
    for (const [name, before] of [[shareGroup, sharedOnPrimary], ...apps.map((a) => [a.id, appOutputOnPrimary[a.id]!] as const)] as const) {
      const after = onDr[name]!;
      const seenBefore = new Set(before);
      const duplicates = after.filter((v) => seenBefore.has(v)).length;
      const skipped = everyValue.filter((v) => !seenBefore.has(v) && !after.includes(v)).length;
      expect({ group: name, skipped }).toEqual({ group: name, skipped: 0 });
      const rows = (translated.outputs.plan as Record<string, unknown>[])
        .filter((p) => p.group === name)
        .map((p) => `${p.partition}: source ${p.sourceCommittedOffset} → ${p.targetOffset} (re-read ${p.reReadRecords}, ${p.reReadNote})`);
      const perPartition = [0, 1, 2].map((q) => before.filter((v) => Number(v.slice(2)) % PARTITIONS === q).length);
      expect(duplicates, `${name}: plan ${rows.join('; ')}; seen on primary per partition ${perPartition.join('/')}`).toBeLessThanOrEqual(reported[name]!);
      const bases = [...new Set((translated.outputs.plan as Record<string, unknown>[]).filter((p) => p.group === name).map((p) => p.basis))].join('+');
      summary.push(
        `${name}: ${seenBefore.size} on primary, ${after.length} on dr, skipped ${skipped}, duplicates ${duplicates} (reported re-read ${reported[name]}, basis ${bases})`,
      );
    }
    console.info(`streams/share move: ${summary.join('; ')}`);
  });
});
