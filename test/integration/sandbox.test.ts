/**
 * The sandbox serves real replication: records cross primary → dr under the default replication policy, and a
 * group's commits on primary become checkpoints on dr. Checked with the project's own groupless reader and
 * MM2 decoders against real MirrorMaker 2.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, decodeOffsetSync } from '../../src/mm2/records.js';
import { eventually, kafkaFor, readAll, resetSharedSandbox, runCli, sandbox, uniqueName } from './helpers.js';

beforeAll(() => resetSharedSandbox()); // both clusters and MM2 up with defaults, whatever ran before

describe('sandbox replication primary → dr', () => {
  it('a record produced to a new topic on primary is read back from primary.<topic> on dr', async () => {
    const topic = uniqueName('roundtrip');
    const admin = kafkaFor('primary').admin();
    const producer = kafkaFor('primary').producer();
    await admin.connect();
    await producer.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.send({ topic, acks: -1, messages: [{ key: 'k1', value: 'hello dr' }] });
    await Promise.all([admin.disconnect(), producer.disconnect()]);

    const drAdmin = kafkaFor('dr').admin();
    await drAdmin.connect();
    const record = await eventually(`primary.${topic} on dr to hold the record`, async () => {
      if (!(await drAdmin.listTopics()).includes(`primary.${topic}`)) return undefined;
      return (await readAll('dr', `primary.${topic}`)).find((r) => r.value?.toString() === 'hello dr');
    });
    await drAdmin.disconnect();
    expect(record.key?.toString()).toBe('k1');
  });

  it('a group committed on primary gets a checkpoint in primary.checkpoints.internal on dr', async () => {
    const topic = uniqueName('ckpt');
    const group = uniqueName('ckpt-group');
    const kafka = kafkaFor('primary');
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ value: `r${i}` })) });
    // Commit offset 7 for the group on primary (the group has no members; this is the source side of the test).
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '7' }] });
    await Promise.all([admin.disconnect(), producer.disconnect()]);

    const checkpoints = await eventually(
      `a checkpoint for ${group} on dr`,
      async () => {
        const records = await readAll('dr', 'primary.checkpoints.internal');
        const mine = records
          .map((r) => decodeCheckpoint(r.key, r.value))
          .flatMap((d) => (d.ok ? [d.value] : []))
          .filter((c) => c.group === group);
        return mine.length ? mine : undefined;
      },
      120_000,
    );
    // MM2's rule (≥ 3.5, KAFKA-12468): take the newest offset sync with upstream ≤ 7; the result is its downstream
    // offset if its upstream is exactly 7, else downstream + 1. The topic is new, so every record has the same offset
    // on both clusters, and the first record always gets a sync (0 → 0): every checkpoint lies in 1..7. Above 7
    // would skip records the group never consumed (upstream 7 is the next record to read); 0 would ignore the sync.
    for (const checkpoint of checkpoints) {
      expect(checkpoint).toMatchObject({ group, topic: `primary.${topic}`, partition: 0, upstreamOffset: 7 });
      expect(checkpoint.downstreamOffset).toBeGreaterThanOrEqual(1);
      expect(checkpoint.downstreamOffset).toBeLessThanOrEqual(7);
    }
    // The exact value: MM2's rule applied to the offset syncs MM2 wrote (read raw from primary, not through the tool).
    const syncs = (await readAll('primary', 'mm2-offset-syncs.dr.internal'))
      .map((r) => decodeOffsetSync(r.key, r.value))
      .flatMap((d) => (d.ok && d.value.topic === topic && d.value.partition === 0 && d.value.upstreamOffset <= 7 ? [d.value] : []));
    const newest = syncs.reduce((a, b) => (b.upstreamOffset >= a.upstreamOffset ? b : a));
    const expected = newest.downstreamOffset + (newest.upstreamOffset === 7 ? 0 : 1);
    expect(checkpoints.at(-1)!.downstreamOffset, `syncs ≤ 7: ${JSON.stringify(syncs)}`).toBe(expected);
  });

  it('sandbox status --output json reports both clusters and a running MM2', async () => {
    const r = await runCli(['sandbox', 'status', '--output', 'json', '--state-dir', sandbox().options.stateDir]);
    expect(r.exitCode).toBe(0);
    const status = JSON.parse(r.stdout);
    expect(status.clusters.primary.bootstrapServers).toEqual(sandbox().clusters.primary.bootstrapServers);
    expect(status.clusters.dr.bootstrapServers).toEqual(sandbox().clusters.dr.bootstrapServers);
    expect(status.mm2).toMatchObject({ mode: 'dedicated', running: true });
  });
});
