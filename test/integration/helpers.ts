/** Shared helpers for integration tests against the real sandbox. */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { inject } from 'vitest';
import { createKafka, protocolCluster } from '../../src/kafka/kafkajs-client.js';
import { readPartition, type RawRecord } from '../../src/kafka/read-partition.js';
import { waitFor } from '../../src/util/wait.js';

/** The sandbox started by the global setup. */
export const sandbox = () => inject('sandbox');

/** A kafkajs client for a sandbox cluster. */
export function kafkaFor(alias: 'primary' | 'dr') {
  return createKafka({ bootstrapServers: sandbox().clusters[alias].bootstrapServers, clientId: 'kafka-failover-test' });
}

/** A topic name no other test uses. */
export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * Reads every record of one partition, from offset 0 to the end offset at call time, without a consumer group.
 * Read again (up to 30 s) while it fails: a broker started a moment ago answers NOT_LEADER_FOR_PARTITION until it
 * leads its partitions again, and kafkajs's admin does not retry that.
 */
export function readAll(alias: 'primary' | 'dr', topic: string, partition = 0): Promise<RawRecord[]> {
  return waitFor(`to read ${alias} ${topic}/${partition} to its end`, () => readAllOnce(alias, topic, partition), { timeoutMs: 30_000, intervalMs: 500 });
}

async function readAllOnce(alias: 'primary' | 'dr', topic: string, partition: number): Promise<RawRecord[]> {
  const kafka = kafkaFor(alias);
  const admin = kafka.admin();
  const cluster = protocolCluster(kafka);
  try {
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    const end = Number(offsets.find((o) => o.partition === partition)?.high ?? 0);
    await cluster.connect();
    const out: RawRecord[] = [];
    await readPartition(cluster, topic, partition, { fromOffset: 0, toOffset: end }, (r) => out.push(r));
    return out;
  } finally {
    await Promise.allSettled([admin.disconnect(), cluster.disconnect()]);
  }
}

/**
 * Polls until `probe` returns a value that is not undefined (default 90 s). `observed` says what was seen at the last
 * poll (figures, for the timeout's message).
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000, observed?: () => string): Promise<T> {
  return waitFor(
    what,
    async () => {
      const v = await probe();
      if (v === undefined) throw new Error(observed ? `not yet: ${observed()}` : 'not yet');
      return v;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/**
 * The arguments that point a runbook at the shared sandbox: its clusters file, a runs directory, and `--set` for
 * `stateDir` and each of `params` (e.g. `{ groups: 'a|b', topics: 't' }`).
 */
export function sandboxRunArgs(runsDir: string, params: Record<string, string>): string[] {
  return [
    '--clusters',
    sandbox().clustersFile,
    '--runs-dir',
    runsDir,
    ...Object.entries({ stateDir: sandbox().options.stateDir, ...params }).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
  ];
}

/** Runs the built CLI (`bin/kafka-failover.js`) and returns its exit code and output; never throws on exit ≠ 0. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await execa(process.execPath, [path.resolve('bin/kafka-failover.js'), ...args], {
    reject: false,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    timeout: 300_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Live (non-zombie) processes whose command line mentions `needle` (e.g. a sandbox state folder): after
 * `sandbox down` there must be none. Reads /proc, so it sees processes of any parent.
 */
export async function liveProcessesMentioning(needle: string): Promise<{ pid: number; cmd: string }[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (cmd.includes(needle)) out.push({ pid: Number(entry), cmd });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Options of an extra, short-lived sandbox on its own ports and state folder (for 3-broker, connect mode, 3.9). */
export function extraSandboxOptions(name: string, portBase: number) {
  return { stateDir: path.resolve('.kafka-failover', `test-${name}`), portBase };
}

/** The sandbox's flow primary → dr as the clusters file describes it (MM2 default filters). */
export function sandboxFlow(): import('../../src/clusters/schema.js').FlowConfig {
  return {
    source: 'primary',
    target: 'dr',
    replicationPolicy: 'default',
    separator: '.',
    offsetSyncsTopicLocation: 'source',
    groupsExclude: ['console-consumer-.*', 'connect-.*', '__.*'],
    topicsExclude: ['.*[\\-\\.]internal', '.*\\.replica', '__.*'],
  };
}

/** A kafkajs consumer that has joined `groupId` on dr (a live member); disconnect it when done. */
export async function joinLiveConsumer(groupId: string, topic: string) {
  const consumer = kafkaFor('dr').consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  let joined!: () => void;
  const ready = new Promise<void>((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.run({ autoCommit: false, eachMessage: async () => {} });
  await ready;
  return consumer;
}

/**
 * Waits until no unexpired lease on primary->dr is held (a run of an earlier test file that was killed, or could not
 * release while a broker was down, holds it until its time-to-live ends).
 */
export async function waitForFreeLease(timeoutMs = 60_000): Promise<void> {
  const { createKafkaPort } = await import('../../src/kafka/kafkajs-adapter.js');
  const { LEASE_TOPIC } = await import('../../src/engine/lock.js');
  const dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  try {
    await eventually(
      'the primary->dr lease to be free',
      async () => {
        if (!(await dr.listTopics()).includes(LEASE_TOPIC)) return true;
        let expiresAt = 0;
        for (const p of await dr.partitionOffsets(LEASE_TOPIC)) {
          await dr.readRange(LEASE_TOPIC, p.partition, p.logStartOffset, p.highWatermark, (r) => {
            if (r.key?.toString() === 'primary->dr' && r.value) expiresAt = (JSON.parse(r.value.toString()) as { expiresAt: number }).expiresAt;
          });
        }
        return expiresAt < Date.now() ? true : undefined;
      },
      timeoutMs,
    );
  } finally {
    await dr.close();
  }
}

/**
 * Brings the shared sandbox back to what the global setup made (every node and MM2 running, MM2 with its default
 * offset.lag.max 100 and sync.group.offsets off, no reverse MM2), whatever an earlier test file left behind (a
 * crashed test may leave a cluster stopped or `sync.group.offsets` on). Each integration file calls it in its
 * `beforeAll`, so files pass in any order.
 */
export async function resetSharedSandbox(): Promise<void> {
  const { sandboxUp, stopComponents } = await import('../../src/rehearsal/sandbox/sandbox.js');
  await stopComponents(sandbox().options.stateDir, 'mm2-reverse', 'graceful').catch(() => []);
  await sandboxUp({ stateDir: sandbox().options.stateDir, offsetLagMax: 100, syncGroupOffsets: false });
}

/**
 * Waits until MM2 has checkpointed every partition each of `groups` has committed on primary (translation basis
 * `checkpoint` for all of them), and — when `minReplicated` is given — until the replicated copies of `topics`
 * on dr hold at least that many records in total. Fails with the last observation after `timeoutMs`.
 */
export async function waitForCheckpoints(o: { groups: string[]; topics?: string[]; minReplicated?: number; timeoutMs?: number }): Promise<void> {
  const { createKafkaPort } = await import('../../src/kafka/kafkajs-adapter.js');
  const { translateOffsets } = await import('../../src/mm2/translate.js');
  const primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  const dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  try {
    await waitFor(
      `MM2 to checkpoint every committed partition of ${o.groups.join(', ')}${o.minReplicated ? ` and dr to hold ≥ ${o.minReplicated} replicated records` : ''}`,
      async () => {
        const r = await translateOffsets({ flow: sandboxFlow(), source: primary, target: dr, include: o.groups.map((g) => new RegExp(`^${esc(g)}$`)) });
        for (const g of o.groups) {
          const committed = await primary.committedOffsets(g);
          const missing = committed.filter(
            (c) => !r.partitions.some((p) => p.group === g && p.sourceTopic === c.topic && p.partition === c.partition && p.basis === 'checkpoint'),
          );
          if (committed.length === 0 || missing.length)
            throw new Error(
              `${g}: ${committed.length} committed partition(s), without checkpoint: ${missing.map((m) => `${m.topic}/${m.partition}`).join(', ') || 'none committed yet'}`,
            );
        }
        if (o.minReplicated) {
          let total = 0;
          for (const t of o.topics ?? []) {
            if (!(await dr.listTopics()).includes(`primary.${t}`)) throw new Error(`primary.${t} not on dr yet`);
            total += (await dr.partitionOffsets(`primary.${t}`)).reduce((s, p) => s + p.highWatermark, 0);
          }
          if (total < o.minReplicated) throw new Error(`${total} records replicated`);
        }
        return true;
      },
      { timeoutMs: o.timeoutMs ?? 90_000, intervalMs: 500 },
    );
  } finally {
    await Promise.allSettled([primary.close(), dr.close()]);
  }
}

/**
 * Starts `sandbox traffic` on the shared sandbox — topics as `name:partitions`, groups as `name[:delayMs]`, a
 * delivery report file when `report` is given — and waits until every group has committed on primary and MM2 has
 * checkpointed each committed partition (and, with `minReplicated`, until dr holds that many replicated records).
 * Stop `child` with `kill('SIGINT')`.
 * (Wrapped in an object: an async function returning the subprocess itself would wait for it to exit — it is a thenable.)
 */
export async function startSandboxTraffic(o: {
  topics: string[];
  groups: string[];
  rate: number;
  report?: string;
  minReplicated?: number;
}): Promise<{ child: ResultPromise }> {
  const traffic = execa(
    process.execPath,
    [
      path.resolve('bin/kafka-failover.js'),
      'sandbox',
      'traffic',
      '--state-dir',
      sandbox().options.stateDir,
      '--rate',
      String(o.rate),
      '--topics',
      o.topics.join(','),
      '--groups',
      o.groups.join(','),
      ...(o.report ? ['--report', o.report] : []),
    ],
    { reject: false, env: { ...process.env, NO_COLOR: '1' } },
  );
  const names = o.groups.map((g) => g.split(':')[0]!);
  try {
    await waitForCheckpoints({ groups: names, topics: o.topics.map((t) => t.split(':')[0]!), ...(o.minReplicated ? { minReplicated: o.minReplicated } : {}) });
  } catch (e) {
    traffic.kill('SIGINT');
    await traffic;
    throw e;
  }
  return { child: traffic };
}
