/**
 * The public library API, used the way a program outside this repository uses it: examples/custom-step imports
 * 'kafka-failover' by its package name (resolved through package.json `exports` to dist/index.js, so `npm run build`
 * first), registers its own step kind beside the built-in ones, and plans / runs a runbook that uses it. Kafka is an
 * in-memory fake port here (the example's step only lists, describes and creates topics).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EventSink, KafkaPort, RunEvent, RunResult } from 'kafka-failover';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// The example is plain JavaScript with JSDoc types: imported as a user would run it.
const example = (await import(path.join(root, 'examples/custom-step/run.js'))) as {
  runExample(o: {
    apply?: boolean;
    sets?: Record<string, string>;
    runsDir?: string;
    kafka?: (alias: string) => KafkaPort;
    lock?: false;
    sinks?: EventSink[];
  }): Promise<RunResult>;
};

/** One in-memory cluster: topics by name with a partition count; records every createTopic. */
function memoryCluster(topics: Record<string, number>) {
  const created: { name: string; partitions: number }[] = [];
  const port = (alias: string) =>
    ({
      alias,
      describeCluster: async () => ({ clusterId: `id-${alias}`, controllerId: 1, brokers: [{ nodeId: 1, host: 'h', port: 1 }] }),
      listTopics: async () => Object.keys(topics),
      describeTopics: async (names: string[]) =>
        names.map((name) => ({
          name,
          partitions: Array.from({ length: topics[name]! }, (_, partition) => ({ partition, leader: 1, replicas: [1], isr: [1], offlineReplicas: [] })),
        })),
      createTopic: async (name: string, partitions: number) => {
        created.push({ name, partitions });
        topics[name] = partitions;
      },
      close: async () => {},
    }) as unknown as KafkaPort;
  return { port, created };
}

const runsDir = () => mkdtempSync(path.join(os.tmpdir(), 'kf-example-runs-'));

describe('examples/custom-step: a step kind registered from outside the package', () => {
  it("resolves 'kafka-failover' through package.json exports to the built library entry", () => {
    expect(fileURLToPath(import.meta.resolve('kafka-failover'))).toBe(path.join(root, 'dist/index.js'));
  });

  it('plans the runbook with the custom kind: the missing topic becomes a "would" write with its exact values, nothing is created', async () => {
    const kafka = memoryCluster({ orders: 3 });
    const events: RunEvent[] = [];
    const result = await example.runExample({ kafka: kafka.port, runsDir: runsDir(), sinks: [(e: RunEvent) => events.push(e)] });
    expect(result.exitCode).toBe(0);
    expect(events.find((e) => e.kind === 'step.started')).toMatchObject({ step: 'audit-topic', stepKind: 'example/ensure-topic' });
    const would = events.filter((e) => e.kind === 'write.would');
    expect(would).toEqual([
      {
        kind: 'write.would',
        step: 'audit-topic',
        write: {
          action: 'create topic',
          cluster: 'dr',
          details: { topic: 'audit-events', partitions: 6, replicationFactor: null },
          key: 'create-topic:audit-events',
        },
      },
    ]);
    expect(kafka.created).toEqual([]);
  });

  it('runs it for real (--apply): the topic is created on the target through ctx.write, audited as intent then done', async () => {
    const kafka = memoryCluster({});
    const events: RunEvent[] = [];
    const result = await example.runExample({
      apply: true,
      lock: false,
      sets: { partitions: '4' },
      kafka: kafka.port,
      runsDir: runsDir(),
      sinks: [(e: RunEvent) => events.push(e)],
    });
    expect(result.exitCode).toBe(0);
    // (A finished real run also creates the audit-anchor topic on the target: only the example's topic is counted.)
    expect(kafka.created.filter((t) => t.name === 'audit-events')).toEqual([{ name: 'audit-events', partitions: 4 }]);
    expect(events.filter((e) => e.kind.startsWith('write.')).map((e) => e.kind)).toEqual(['write.intent', 'write.done']);
    expect(result.outputs['audit-topic']).toMatchObject({ created: true });
  });

  it("blocks (exit 3) on the custom kind's gate when the topic exists with too few partitions, writing nothing", async () => {
    const kafka = memoryCluster({ 'audit-events': 2 });
    const events: RunEvent[] = [];
    const result = await example.runExample({ apply: true, lock: false, kafka: kafka.port, runsDir: runsDir(), sinks: [(e: RunEvent) => events.push(e)] });
    expect(result.exitCode).toBe(3);
    expect(events.find((e) => e.kind === 'gate' && e.final)).toMatchObject({
      gate: { id: 'partitions', observed: '2 partitions', expected: '≥ 6 partitions', ok: false },
    });
    expect(events.filter((e) => e.kind.startsWith('write.'))).toEqual([]);
    expect(kafka.created.filter((t) => t.name === 'audit-events')).toEqual([]);
  });
});

describe("the library entry ('kafka-failover')", () => {
  it('does not load the CLI, the sandbox or the traffic tooling (they start JVMs and generators, not failovers)', async () => {
    const { build } = await import('esbuild');
    const out = await build({
      entryPoints: [path.join(root, 'dist/index.js')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const modules = Object.keys(out.metafile.inputs);
    expect(modules.length).toBeGreaterThan(20);
    // Process liveness for the run lock (pid + start time) comes from src/util/processes.ts, not the sandbox.
    expect(modules.filter((m) => /dist\/(cli|rehearsal|drill)\//.test(m))).toEqual([]);
  });
});
