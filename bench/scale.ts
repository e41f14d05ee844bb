/**
 * Benchmark (issue 15, scale): G consumer groups × 10 partitions, translated by record matching, reset on dr and read
 * back, on loopback and over the sandbox's WAN link (Toxiproxy in front of dr, docs/design/wan-link.md), side by side
 * with Apache Kafka's own `kafka-consumer-groups --reset-offsets --from-file --execute`, one JVM run per group as the
 * manual procedure does (measured on a sample of groups, its mean × G shown).
 *
 * Per shape and link: `translate` = translateOffsets({ method: 'record-match' }) (the groups' committed offsets on
 * primary, MM2's checkpoints and offset syncs, one source and one target span per partition); `reset` = the
 * reset-consumer-groups step as a runbook runs it: check (describe on dr, current offsets, the continuity proof
 * reading both clusters) and apply (commit each group, read it back). Peak RSS of this process is sampled every 20 ms.
 *
 * Usage: npm run bench:scale -- [--groups 1000,10000] [--latency 0,50] [--cli-sample 5] [--keep]. Peak RSS is this
 * process's, so for a figure per shape run one shape per process (`--keep` reuses the sandbox). Figures →
 * docs/benchmarks.md.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import kafkajs from 'kafkajs';
import type { FlowConfig } from '../src/clusters/schema.js';
import type { StepContext } from '../src/engine/step.js';
import { createKafkaPort } from '../src/kafka/kafkajs-adapter.js';
import { translateOffsets } from '../src/mm2/translate.js';
import { sandboxDown, sandboxUp, setWanLink } from '../src/rehearsal/sandbox/sandbox.js';
import { resetConsumerGroups } from '../src/steps/reset-consumer-groups.js';
import { mapBounded } from '../src/util/bounded.js';
import { waitFor } from '../src/util/wait.js';
import { kafkaToolsLibs } from '../test/integration/jvm-clients.js';

const { Kafka, logLevel } = kafkajs;

const { values } = parseArgs({
  options: {
    groups: { type: 'string', default: '1000,10000' },
    latency: { type: 'string', default: '0,50' },
    'cli-sample': { type: 'string', default: '5' },
    /** Leave the benchmark sandbox up (a next run reuses it and its topic). */
    keep: { type: 'boolean', default: false },
  },
});
const shapes = values.groups.split(',').map(Number);
const latencies = values.latency.split(',').map(Number);
const cliSample = Number(values['cli-sample']);
const PARTITIONS = 10;
const RECORDS = 2_000; // per partition

const stateDir = path.resolve('.kafka-failover/bench-scale');
const s = await sandboxUp({ stateDir, portBase: 23090, wan: { latencyMs: latencies[0] ?? 0 } });
const primary = createKafkaPort('primary', { bootstrapServers: s.clusters.primary.bootstrapServers });
const dr = createKafkaPort('dr', { bootstrapServers: s.clusters.dr.bootstrapServers });
const flow: FlowConfig = {
  source: 'primary',
  target: 'dr',
  replicationPolicy: 'default',
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: ['console-consumer-.*', 'connect-.*', '__.*'],
  topicsExclude: [],
};
const topic = 'scale-orders';
const tools = await kafkaToolsLibs(s.options.kafkaVersion);
const rows: string[] = [];

if (!(await primary.listTopics()).includes(topic)) {
  await primary.createTopic(topic, PARTITIONS);
  for (let p = 0; p < PARTITIONS; p++)
    for (let b = 0; b < RECORDS / 500; b++)
      await primary.produce(
        topic,
        Array.from({ length: 500 }, (_, i) => ({ key: `k${i % 50}`, value: `p${p}-r${b * 500 + i}`, partition: p })),
      );
}
await waitFor(
  'MM2 to replicate the benchmark topic',
  async () => {
    const src = await primary.partitionOffsets(topic);
    const dst = await dr.partitionOffsets(`primary.${topic}`);
    if (src.some((p) => dst.find((d) => d.partition === p.partition)?.highWatermark !== p.highWatermark)) throw new Error('not yet');
  },
  { timeoutMs: 300_000, intervalMs: 1000 },
);

/** A step context over the two ports, as the engine gives one (writes run at once; notes dropped). */
const ctx = {
  flow,
  dryRun: false,
  kafka: (alias: string) => (alias === 'primary' ? primary : dr),
  reachable: async () => true,
  note: () => {},
  write: async (_w: unknown, fn: () => Promise<unknown>) => fn(),
} as unknown as StepContext;

for (const latency of latencies) {
  await setWanLink(stateDir, { latencyMs: latency });
  for (const groups of shapes) {
    const prefix = `scale-${latency}ms-${groups}-${Date.now().toString(36)}`;
    const ids = Array.from({ length: groups }, (_, g) => `${prefix}-g${g}`);
    // Each group committed on primary at spread positions (0 and the end included).
    await mapBounded(
      ids,
      (id) => {
        const g = Number(id.slice(id.lastIndexOf('g') + 1));
        // A new group (its id is new): described as such, so the set-up does not list the cluster's groups per commit.
        return primary.commitOffsets(
          id,
          Array.from({ length: PARTITIONS }, (_, p) => ({ topic, partition: p, offset: ((g * 37 + p * 11) % 41) * (RECORDS / 40) })),
          { groupId: id, type: 'classic', state: 'Dead', protocolType: '', members: 0, memberDetails: [] },
        );
      },
      32,
    );
    let peak = process.memoryUsage().rss;
    let peakHeap = process.memoryUsage().heapUsed;
    const rssBefore = peak;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 20);
    /** Live JS heap after a full GC (only with node --expose-gc), MiB: what a phase keeps, not its garbage. */
    const retained = () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) return 'n/a';
      gc();
      return `${Math.round(process.memoryUsage().heapUsed / 1048576)} MiB`;
    };
    const live: string[] = [`before ${retained()}`];
    const t0 = performance.now();
    const r = await translateOffsets({ flow, source: primary, target: dr, include: [new RegExp(`^${prefix}-`)], method: 'record-match' });
    const t1 = performance.now();
    live.push(`after translate ${retained()} (peak ${Math.round(peakHeap / 1048576)} MiB)`);
    peakHeap = 0;
    const plan = r.partitions;
    if (plan.length !== groups * PARTITIONS || plan.some((p) => p.basis !== 'record-match' || p.problem))
      throw new Error(`${plan.length} rows, ${plan.filter((p) => p.basis !== 'record-match').length} not matched`);
    // KF_BENCH_HEAP_PROFILE=<file>: V8's sampling heap profiler over the reset check, garbage included (where the peak
    // heap comes from), written as a .heapprofile (Chrome DevTools format).
    const profileFile = process.env.KF_BENCH_HEAP_PROFILE;
    const inspector = profileFile ? new (await import('node:inspector/promises')).Session() : undefined;
    if (inspector) {
      inspector.connect();
      await inspector.post('HeapProfiler.startSampling', {
        samplingInterval: 64 * 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      } as object);
    }
    const input = resetConsumerGroups.input.parse({ plan });
    const checked = await resetConsumerGroups.check(ctx, input);
    if (inspector && profileFile) {
      const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as { profile: unknown };
      await writeFile(profileFile, JSON.stringify(profile));
      inspector.disconnect();
    }
    live.push(`after check ${retained()} (peak ${Math.round(peakHeap / 1048576)} MiB)`);
    peakHeap = 0;
    const failed = checked.gates?.filter((g) => !g.ok) ?? [];
    if (failed.length) throw new Error(`gates failed: ${JSON.stringify(failed)}`);
    await resetConsumerGroups.apply!(ctx, input, checked.plan);
    const t2 = performance.now();
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    console.error(
      `${groups} groups at ${latency} ms: translate ${((t1 - t0) / 1000).toFixed(1)} s, reset ${((t2 - t1) / 1000).toFixed(1)} s; RSS ${Math.round(rssBefore / 1048576)} MiB before, peak ${Math.round(peak / 1048576)} MiB; live heap ${live.join(', ')}, apply's peak heap ${Math.round(peakHeap / 1048576)} MiB`,
    );

    // Kafka's own tool, one JVM per group, on a sample: the same offsets from a CSV file.
    const dir = await import('node:fs/promises').then((f) => f.mkdtemp(path.join(os.tmpdir(), 'kf-bench-cli-')));
    const sample = ids.slice(0, cliSample);
    const c0 = performance.now();
    for (const id of sample) {
      const csv = path.join(dir, `${id}.csv`);
      await writeFile(
        csv,
        plan
          .filter((p) => p.group === id)
          .map((p) => `${p.topic},${p.partition},${p.targetOffset}`)
          .join('\n') + '\n',
      );
      await execa('java', [
        '-Xms64m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-cp',
        `${tools}/*`,
        'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
        '--bootstrap-server',
        [s.clusters.dr.bootstrapServers].flat().join(','),
        '--reset-offsets',
        '--from-file',
        csv,
        '--group',
        `${id}-cli`,
        '--execute',
      ]);
    }
    const perGroupCli = (performance.now() - c0) / sample.length;
    // The shape's groups deleted on both clusters (kafkajs Admin.deleteGroups, DeleteGroups), so runs with --keep do
    // not pile groups up in the sandbox's small brokers (60,000 left over ran primary out of heap).
    for (const [cluster, gs] of [
      [s.clusters.primary.bootstrapServers, ids],
      [s.clusters.dr.bootstrapServers, [...ids, ...sample.map((id) => `${id}-cli`)]],
    ] as const) {
      const admin = new Kafka({ brokers: [cluster].flat(), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      // kafkajs looks up each group's coordinator one after another: 100-group chunks, 16 at once, so the clean-up at
      // 50 ms does not take minutes.
      const chunks: string[][] = [];
      for (let i = 0; i < gs.length; i += 100) chunks.push(gs.slice(i, i + 100));
      await mapBounded(chunks, (c) => admin.deleteGroups(c), 16);
      await admin.disconnect();
    }
    const tool = (t2 - t0) / 1000;
    const cli = (perGroupCli * groups) / 1000;
    rows.push(
      `| ${latency} ms | ${groups.toLocaleString('en')} × ${PARTITIONS} | ${((t1 - t0) / 1000).toFixed(1)} s | ${((t2 - t1) / 1000).toFixed(1)} s | **${tool.toFixed(1)} s** | ${Math.round(peak / 1048576)} MiB | ${(perGroupCli / 1000).toFixed(2)} s × ${groups.toLocaleString('en')} = ${cli.toFixed(0)} s | ${Math.round(cli / tool)}× |`,
    );
    process.stderr.write(`${rows.at(-1)}\n`);
  }
}
await Promise.all([primary.close(), dr.close()]);
if (!values.keep) await sandboxDown({ stateDir, wipe: true });
process.stdout.write(
  `| round trip to dr | groups × partitions | translate (record match) | reset (check, proof, write, read back) | tool total | peak RSS | kafka-consumer-groups, one run per group (sample mean × groups) | tool faster by |\n|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
);
