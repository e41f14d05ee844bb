/**
 * The other sandbox shapes users run, each on its own ports and state folder, brought up and down here:
 * a 3-broker primary (one broker down vs the whole cluster down), MM2 in Kafka Connect mode, and Kafka 3.9.1.
 * After each `down`, no process of that sandbox is left.
 */
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/kafkajs-client.js';
import { connectorStatus } from '../../src/rehearsal/sandbox/connect-rest.js';
import { MIRROR_CONNECTORS, connectorName } from '../../src/rehearsal/sandbox/configs.js';
import { sandboxDown, sandboxUp, startComponents, stopComponents } from '../../src/rehearsal/sandbox/sandbox.js';
import { eventually, extraSandboxOptions, liveProcessesMentioning, uniqueName } from './helpers.js';

/** Waits until every partition of `topic` has `n` replicas in sync again. */
async function isrFull(bootstrap: string, topic: string, n: number): Promise<void> {
  const admin = createKafka({ bootstrapServers: [bootstrap] }).admin();
  await admin.connect();
  try {
    await eventually(
      `every partition of ${topic} to have ${n} in-sync replicas`,
      async () => {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        return meta.topics[0]!.partitions.every((p) => p.isr.length === n) ? true : undefined;
      },
      60_000,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Waits until every partition of `topic` is led by one of `nodes` (the others were killed). */
async function leadersOnlyOn(bootstrap: string, topic: string, nodes: number[]): Promise<void> {
  const admin = createKafka({ bootstrapServers: [bootstrap] }).admin();
  await admin.connect();
  try {
    await eventually(
      `leaders of ${topic} to move to nodes ${nodes.join(',')}`,
      async () => {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        return meta.topics[0]!.partitions.every((p) => nodes.includes(p.leader)) ? true : undefined;
      },
      60_000,
    );
  } finally {
    await admin.disconnect();
  }
}

describe('sandbox variants', () => {
  it('--brokers 3 (dedicated controller): RF 3 / min.insync.replicas 2 survives one broker down, refuses acks=all writes with two down', async () => {
    const opts = { ...extraSandboxOptions('three-brokers', 31090), primaryBrokers: 3 as const };
    await sandboxDown({ ...opts, wipe: true }); // whatever an earlier, crashed run left on these ports
    try {
      const s = await sandboxUp(opts);
      expect(s.clusters.primary.brokers).toHaveLength(3);
      expect(s.clusters.primary.controllers.map((c) => c.name)).toEqual(['primary-controller']);
      const kafka = createKafka({ bootstrapServers: s.clusters.primary.bootstrapServers });
      const admin = kafka.admin();
      await admin.connect();
      const topic = uniqueName('rf3');
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]!.partitions.every((p) => p.replicas.length === 3)).toBe(true);
      await admin.disconnect();

      // One broker down: once the controller has fenced it (broker.session.timeout.ms, 9 s by default) every
      // partition has a live leader and acks=all writes succeed with 2 of 3 replicas in sync.
      await stopComponents(opts.stateDir, 'primary-3', 'kill');
      await leadersOnlyOn(s.clusters.primary.bootstrapServers[0]!, topic, [1, 2]);
      const p1 = createKafka({ bootstrapServers: [s.clusters.primary.bootstrapServers[0]!] }).producer();
      await p1.connect();
      await p1.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ value: `one-down-${i}` })) });
      await p1.disconnect();

      // Two down: ISR shrinks to 1 < min.insync.replicas 2, so acks=all writes are refused (NOT_ENOUGH_REPLICAS).
      await stopComponents(opts.stateDir, 'primary-2', 'kill');
      await leadersOnlyOn(s.clusters.primary.bootstrapServers[0]!, topic, [1]);
      const p2 = createKafka({ bootstrapServers: [s.clusters.primary.bootstrapServers[0]!] }).producer({ retry: { retries: 1 } });
      await p2.connect();
      // The refusal is the broker's NOT_ENOUGH_REPLICAS (kafkajs wraps it once its retries are spent), not any error.
      type KErr = { type?: string; name?: string; cause?: KErr; originalError?: KErr; errors?: KErr[] };
      const chain = (e: KErr | undefined): string[] =>
        e ? [e.type ?? e.name ?? '?', ...chain(e.cause ?? e.originalError), ...(e.errors ?? []).flatMap(chain)] : [];
      const refused = await p2.send({ topic, acks: -1, timeout: 3000, messages: [{ value: 'two-down' }] }).then(
        () => ['accepted'],
        (e: KErr) => chain(e),
      );
      await p2.disconnect();
      expect(refused).toContain('NOT_ENOUGH_REPLICAS');

      expect(await startComponents(opts.stateDir, 'primary')).toEqual(['primary-2', 'primary-3']);
      await isrFull(s.clusters.primary.bootstrapServers[0]!, topic, 3);
    } finally {
      await sandboxDown({ ...opts, wipe: true });
    }
    expect(await liveProcessesMentioning(opts.stateDir)).toEqual([]);
  });

  it('--mm2-mode connect runs the three Mirror connectors behind the Connect REST API and replicates', async () => {
    const opts = { ...extraSandboxOptions('connect', 32090), mm2Mode: 'connect' as const };
    await sandboxDown({ ...opts, wipe: true }); // whatever an earlier, crashed run left on these ports
    try {
      const s = await sandboxUp(opts); // includes the probe crossing primary → dr
      expect(s.mm2).toMatchObject({ mode: 'connect', running: true, restUrl: 'http://127.0.0.1:32110' });
      for (const kind of MIRROR_CONNECTORS) {
        const st = await connectorStatus(s.mm2.restUrl!, connectorName(kind));
        expect(st.connector).toBe('RUNNING');
      }
    } finally {
      await sandboxDown({ ...opts, wipe: true });
    }
    expect(await liveProcessesMentioning(opts.stateDir)).toEqual([]);
  });

  it('--kafka-version 3.9.1 brings up both clusters and MM2 and replicates', async () => {
    const opts = { ...extraSandboxOptions('kafka-3.9', 30090), kafkaVersion: '3.9.1' };
    await sandboxDown({ ...opts, wipe: true }); // whatever an earlier, crashed run left on these ports
    try {
      const s = await sandboxUp(opts);
      expect(s.kafkaVersion).toBe('3.9.1');
      expect(s.mm2.running).toBe(true);
    } finally {
      await sandboxDown({ ...opts, wipe: true });
    }
    expect(await liveProcessesMentioning(opts.stateDir)).toEqual([]);
  });
});
