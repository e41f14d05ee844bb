/**
 * `check-streams-drained`'s gate: records a Kafka Streams application wrote to its repartition topics and has not
 * consumed yet are counted per partition (over an in-memory cluster: test/unit/mm2/memory-kafka.ts).
 */
import { describe, expect, it } from 'vitest';
import { repartitionBacklog, streamsDrainedGate } from '../../../src/gates/streams-drained.js';
import type { GroupInfo } from '../../../src/kafka/port.js';
import { MemoryKafka } from '../mm2/memory-kafka.js';

function cluster(o: { committed: number[]; topologyOnly?: boolean }) {
  const k = new MemoryKafka('primary');
  k.partitionWith('words', 0, [0, 1, 2]);
  k.partitionWith('wc-by-word-repartition', 0, [0, 1, 2, 3, 4]);
  k.partitionWith('wc-by-word-repartition', 1, [0, 1]);
  k.commit('wc', 'words', 0, 3);
  if (!o.topologyOnly) o.committed.forEach((offset, partition) => k.commit('wc', 'wc-by-word-repartition', partition, offset));
  k.commit('plain', 'words', 0, 1);
  const describe = async (ids: string[]): Promise<GroupInfo[]> =>
    ids.map((groupId) => ({
      groupId,
      type: groupId === 'wc' ? 'streams' : 'classic',
      state: 'Stable',
      protocolType: 'consumer',
      members: 1,
      memberDetails: [],
      ...(groupId === 'wc' ? { streamsTopology: { sourceTopics: ['words'], repartitionTopics: ['wc-by-word-repartition'], changelogTopics: [] } } : {}),
    }));
  return { ...k.port(), describeGroups: describe };
}

describe('streams-repartition-drained', () => {
  it("counts the records between each repartition partition's committed offset and its log end", async () => {
    const backlog = await repartitionBacklog(cluster({ committed: [3, 2] }), ['wc', 'plain']);
    expect(backlog.map((b) => [b.application, b.topic, b.partition, b.committedOffset, b.inFlightRecords])).toEqual([
      ['wc', 'wc-by-word-repartition', 0, 3, 2],
      ['wc', 'wc-by-word-repartition', 1, 2, 0],
    ]);
    expect(streamsDrainedGate(backlog, 0, 'primary')).toMatchObject({
      ok: false,
      observed: { applications: ['wc'], inFlightRecords: 2, partitions: ['wc wc-by-word-repartition/0: committed 3, log end 5 (2 in flight)'] },
      remaining: { value: 2 },
    });
  });

  it('holds once drained; a repartition topic known only from the topology counts from the log start', async () => {
    expect(streamsDrainedGate(await repartitionBacklog(cluster({ committed: [5, 2] }), ['wc']), 0, 'primary').ok).toBe(true);
    const fromTopology = await repartitionBacklog(cluster({ committed: [], topologyOnly: true }), ['wc']);
    expect(fromTopology.map((b) => [b.partition, b.committedOffset, b.inFlightRecords])).toEqual([
      [0, null, 5],
      [1, null, 2],
    ]);
  });

  it('no application among the groups: passes with nothing found', async () => {
    expect(streamsDrainedGate(await repartitionBacklog(cluster({ committed: [] }), ['plain']), 0, 'primary')).toMatchObject({
      ok: true,
      observed: { applications: [], inFlightRecords: 0 },
    });
  });
});
