/**
 * The kafkajs adapter of the Kafka port against the real sandbox, above all the offset commit with the admin
 * semantics of `kafka-consumer-groups.sh --reset-offsets --execute` (generation −1, empty member id, no join).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import { GroupNotEmptyError, type KafkaPort } from '../../src/kafka/port.js';
import { joinLiveConsumer, kafkaFor, resetSharedSandbox, sandbox, uniqueName } from './helpers.js';

let dr: KafkaPort;
const topic = uniqueName('port');

beforeAll(async () => {
  await resetSharedSandbox(); // dr up, whatever the file before this one left
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  const admin = kafkaFor('dr').admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  await dr.produce(
    topic,
    Array.from({ length: 30 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })),
  );
});
afterAll(() => dr.close());

describe('Kafka port (kafkajs adapter)', () => {
  it("commits to an empty group without joining it, and preserves each partition's metadata", async () => {
    const group = uniqueName('empty');
    await dr.commitOffsets(group, [
      { topic, partition: 0, offset: 7, metadata: 'from-primary:7' },
      { topic, partition: 1, offset: 0, metadata: '' },
    ]);
    expect(await dr.committedOffsets(group)).toEqual([
      { topic, partition: 0, offset: 7, metadata: 'from-primary:7' },
      { topic, partition: 1, offset: 0, metadata: '' },
    ]);
    // Read back with a separate client (kafkajs's own admin, not the adapter under test).
    const admin = kafkaFor('dr').admin();
    await admin.connect();
    try {
      const [fetched] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      expect(
        fetched!.partitions.map((p) => ({ partition: p.partition, offset: p.offset, metadata: p.metadata ?? '' })).sort((a, b) => a.partition - b.partition),
      ).toEqual([
        { partition: 0, offset: '7', metadata: 'from-primary:7' },
        { partition: 1, offset: '0', metadata: '' },
      ]);
      const described = await admin.describeGroups([group]);
      expect(described.groups[0]).toMatchObject({ groupId: group, state: 'Empty', members: [] });
    } finally {
      await admin.disconnect();
    }
    // A member join would leave protocol type "consumer"; an admin commit leaves the group Empty with none.
    const [g] = await dr.describeGroups([group]);
    expect(g).toMatchObject({ state: 'Empty', members: 0, protocolType: '' });
  });

  it('refuses a group with a live member with a clear error, and changes nothing', async () => {
    const group = uniqueName('live');
    await dr.commitOffsets(group, [{ topic, partition: 0, offset: 3 }]);
    const consumer = await joinLiveConsumer(group, topic);
    try {
      const err = await dr.commitOffsets(group, [{ topic, partition: 0, offset: 20 }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GroupNotEmptyError);
      expect((err as Error).message).toMatch(new RegExp(`consumer group "${group}" on dr is Stable with 1 member\\(s\\)`));
      expect((await dr.committedOffsets(group)).find((c) => c.partition === 0)?.offset).toBe(3);
    } finally {
      await consumer.disconnect();
    }
  });

  it('refuses negative offsets (the −1/−2 sentinels) before sending anything', async () => {
    const group = uniqueName('neg');
    await expect(dr.commitOffsets(group, [{ topic, partition: 0, offset: -1 }])).rejects.toThrow(/offsets must be explicit and ≥ 0/);
    expect(await dr.committedOffsets(group)).toEqual([]);
  });

  it('reports log start and high watermark, offsets by timestamp, placement and configs', async () => {
    expect(await dr.partitionOffsets(topic)).toEqual([
      { partition: 0, logStartOffset: 0, highWatermark: 15 },
      { partition: 1, logStartOffset: 0, highWatermark: 15 },
    ]);
    const future = await dr.offsetsForTimestamp(topic, Date.now() + 3_600_000);
    expect(future.map((p) => p.offset)).toEqual([-1, -1]);
    const past = await dr.offsetsForTimestamp(topic, 0);
    expect(past.map((p) => p.offset)).toEqual([0, 0]);
    const [t] = await dr.describeTopics([topic]);
    expect(t!.partitions).toHaveLength(2);
    expect(t!.partitions[0]).toMatchObject({ leader: 1, replicas: [1], isr: [1] });
    const cfg = await dr.describeConfigs('topic', [topic]);
    expect(cfg.get(topic)?.get('cleanup.policy')).toBe('delete');
    const cluster = await dr.describeCluster();
    expect(cluster.clusterId).toBe(sandbox().clusters.dr.clusterId);
    const records: string[] = [];
    await dr.readRange(topic, 0, 5, 8, (r) => records.push(r.value!.toString()));
    expect(records).toEqual(['v10', 'v12', 'v14']);
  });
});
