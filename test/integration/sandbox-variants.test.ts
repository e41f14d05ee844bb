/**
 * The other sandbox shapes users run, each on its own ports and state folder, brought up and down here:
 * a 3-broker primary (one broker down vs the whole cluster down), MM2 in Kafka Connect mode, and Kafka 3.9.1.
 * After each `down`, no process of that sandbox is left.
 */
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../src/kafka/kafkajs-client.js';
import { connectorStatus } from '../../src/sandbox/connect-rest.js';
import { MIRROR_CONNECTORS, connectorName } from '../../src/sandbox/configs.js';
import { sandboxDown, sandboxUp, startComponents, stopComponents } from '../../src/sandbox/sandbox.js';
import { extraSandboxOptions, liveProcessesMentioning, uniqueName } from './helpers.js';

describe('sandbox variants', () => {
  it('--brokers 3: RF 3 / min.insync.replicas 2 survives one broker down, refuses acks=all writes with two down', async () => {
    const opts = { ...extraSandboxOptions('three-brokers', 31090), primaryBrokers: 3 as const };
    try {
      const s = await sandboxUp(opts);
      expect(s.clusters.primary.brokers).toHaveLength(3);
      const kafka = createKafka({ bootstrapServers: s.clusters.primary.bootstrapServers });
      const admin = kafka.admin();
      await admin.connect();
      const topic = uniqueName('rf3');
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]!.partitions.every((p) => p.replicas.length === 3)).toBe(true);
      await admin.disconnect();

      await stopComponents(opts.stateDir, 'primary-3', 'kill');
      const p1 = createKafka({ bootstrapServers: [s.clusters.primary.bootstrapServers[0]!], retry: { retries: 8 } } as never).producer();
      await p1.connect();
      await p1.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ value: `one-down-${i}` })) });
      await p1.disconnect();

      await stopComponents(opts.stateDir, 'primary-2', 'kill');
      const p2 = createKafka({ bootstrapServers: [s.clusters.primary.bootstrapServers[0]!] }).producer({ retry: { retries: 1 } });
      await p2.connect();
      const refused = await p2.send({ topic, acks: -1, timeout: 3000, messages: [{ value: 'two-down' }] }).then(() => 'accepted', (e: Error) => e.message);
      await p2.disconnect();
      expect(refused).not.toBe('accepted');

      expect(await startComponents(opts.stateDir, 'primary')).toEqual(['primary-2', 'primary-3']);
    } finally {
      await sandboxDown({ ...opts, wipe: true });
    }
    expect(await liveProcessesMentioning(opts.stateDir)).toEqual([]);
  });

  it('--mm2-mode connect runs the three Mirror connectors behind the Connect REST API and replicates', async () => {
    const opts = { ...extraSandboxOptions('connect', 32090), mm2Mode: 'connect' as const };
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
    const opts = { ...extraSandboxOptions('kafka-3.9', 33090), kafkaVersion: '3.9.1' };
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
