/**
 * What translation reports besides offsets, against the real sandbox:
 * - a group excluded by MM2's groups filter, a group on a topic MM2 does not replicate, and a group MM2 has not
 *   checkpointed yet (MM2 stopped) — each listed with its reason; the last one translated by the offset-sync
 *   fallback, whose value equals the checkpoint MM2 writes once it runs again;
 * - corrupt records in a checkpoints topic: reported with topic/partition/offset, skipped, never translated;
 * - `offsets translate --output json` from the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowConfig } from '../../src/clusters/schema.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/mm2/records.js';
import { translateOffsets } from '../../src/mm2/translate.js';
import { sandboxUp, startComponents, stopComponents } from '../../src/rehearsal/sandbox/sandbox.js';
import { eventually, readAll, resetSharedSandbox, runCli, sandbox, sandboxFlow, uniqueName } from './helpers.js';

const flow: FlowConfig = sandboxFlow();

let primary: KafkaPort;
let dr: KafkaPort;
const id = uniqueName('r');
const topic = `items-${id}`;
const hiddenTopic = `audit-${id}-internal`; // matches MM2's default topics.exclude .*[\-\.]internal

beforeAll(async () => {
  await resetSharedSandbox(); // MM2 running with its defaults (a crashed file may have left it stopped or syncing groups)
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  const admin = (await import('./helpers.js')).kafkaFor('primary').admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 2 },
      { topic: hiddenTopic, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  for (const p of [0, 1])
    await primary.produce(
      topic,
      Array.from({ length: 50 }, (_, i) => ({ value: `v${i}`, partition: p })),
    );
  await primary.produce(hiddenTopic, [{ value: 'x' }, { value: 'y' }]);
  // MM2 has replicated the topic before the groups commit.
  await eventually(`primary.${topic} to be replicated`, async () => {
    if (!(await dr.listTopics()).includes(`primary.${topic}`)) return undefined;
    const o = await dr.partitionOffsets(`primary.${topic}`);
    return o.every((p) => p.highWatermark === 50) ? true : undefined;
  });
});

afterAll(async () => {
  await startComponents(sandbox().options.stateDir, 'mm2');
  await Promise.all([primary.close(), dr.close()]);
});

describe('translation reports', () => {
  it('lists excluded, not-replicated and not-yet-checkpointed groups with their reasons; the fallback equals MM2', async () => {
    const excluded = `console-consumer-${id}`;
    const hidden = `auditor-${id}`;
    const late = `late-${id}`;
    await primary.commitOffsets(excluded, [{ topic, partition: 0, offset: 10 }]);
    await primary.commitOffsets(hidden, [{ topic: hiddenTopic, partition: 0, offset: 1 }]);
    // MM2 stopped: the late group's commit cannot have been checkpointed. It commits at the log end: after a
    // restart MM2 keeps only the newest offset sync per partition, so an older position would get no checkpoint.
    await stopComponents(sandbox().options.stateDir, 'mm2', 'graceful');
    await primary.commitOffsets(late, [
      { topic, partition: 0, offset: 50, metadata: 'late-meta' },
      { topic, partition: 1, offset: 50 },
    ]);
    const r = await translateOffsets({ flow, source: primary, target: dr, include: [new RegExp(id)] });
    const reasons = Object.fromEntries(r.untranslated.map((u) => [`${u.group}/${u.partition}`, [u.reason, u.fallback]]));
    expect(reasons).toEqual({
      [`${excluded}/0`]: ['excluded-by-mm2-groups-filter', false],
      [`${hidden}/0`]: ['topic-not-replicated', false],
      [`${late}/0`]: ['not-yet-checkpointed', true],
      [`${late}/1`]: ['not-yet-checkpointed', true],
    });
    const fallback = r.partitions.filter((p) => p.group === late);
    expect(fallback.map((p) => p.basis)).toEqual(['offset-sync-fallback', 'offset-sync-fallback']);

    // MM2 running again checkpoints the late group: its values equal the fallback's (same ≥ 3.5 rule).
    await sandboxUp({ stateDir: sandbox().options.stateDir });
    const checkpointed = await eventually(
      'MM2 to checkpoint the late group',
      async () => {
        const again = await translateOffsets({ flow, source: primary, target: dr, include: [new RegExp(`^${late}$`)] });
        return again.partitions.length === 2 && again.partitions.every((p) => p.basis === 'checkpoint') ? again : undefined;
      },
      60_000,
    );
    expect(checkpointed.partitions.map((p) => p.targetOffset)).toEqual(fallback.map((p) => p.targetOffset));
  });

  it('reports corrupt checkpoint records with topic/partition/offset, skips them, and still translates the valid ones', async () => {
    // A flow of its own ("fake" → dr) so MM2's real checkpoints topic is never touched.
    const fake: FlowConfig = { ...flow, source: `fake${id.replace(/-/g, '')}` };
    const ckTopic = `${fake.source}.checkpoints.internal`;
    const data = `${fake.source}.data`;
    const admin = (await import('./helpers.js')).kafkaFor('dr').admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: ckTopic, numPartitions: 1 },
        { topic: data, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    await dr.produce(
      data,
      Array.from({ length: 20 }, (_, i) => ({ value: `d${i}` })),
    );
    const good = encodeCheckpoint({ group: 'g1', topic: data, partition: 0, upstreamOffset: 15, downstreamOffset: 12, metadata: 'm' });
    const badVersion = encodeCheckpoint({ group: 'g2', topic: data, partition: 0, upstreamOffset: 5, downstreamOffset: 5, metadata: '' });
    badVersion.value.writeInt16BE(7, 0);
    const written = await dr.produce(ckTopic, [
      { key: Buffer.from([0, 9, 1]), value: Buffer.from([1, 2, 3]) },
      { key: good.key, value: good.value },
      { key: badVersion.key, value: badVersion.value },
    ]);
    const r = await translateOffsets({ flow: fake, target: dr });
    expect(r.partitions.map((p) => [p.group, p.topic, p.targetOffset, p.metadata])).toEqual([['g1', data, 12, 'm']]);
    expect(r.corrupt).toEqual([
      { topic: ckTopic, partition: 0, offset: written[0]!.offset, reason: expect.stringContaining('truncated') },
      { topic: ckTopic, partition: 0, offset: written[0]!.offset + 2, reason: expect.stringContaining('unsupported checkpoint version 7') },
    ]);
    // The source is not reachable in this flow: re-reads are unknown, and say why.
    expect(r.partitions[0]!.reReadRecords).toBeNull();
    expect(r.partitions[0]!.reReadNote).toContain('source unreachable');
  });

  it('offsets translate --output json prints one object per translated partition with group, topic, partition, targetOffset', async () => {
    const group = `json-${id}`;
    await primary.commitOffsets(group, [{ topic, partition: 1, offset: 20 }]);
    const rows = await eventually(
      'the CLI to show the group',
      async () => {
        const r = await runCli(['offsets', 'translate', '--clusters', sandbox().clustersFile, '--group', `^${group}$`, '--method', 'mm2', '--output', 'json']);
        if (r.exitCode !== 0) throw new Error(r.stderr);
        const lines = r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        return lines.some((l) => l.kind === 'translated' && l.basis === 'checkpoint') ? lines : undefined;
      },
      60_000,
    );
    const t = rows.find((l) => l.kind === 'translated');
    expect(t).toMatchObject({ group, topic: `primary.${topic}`, partition: 1, basis: 'checkpoint' });
    // The values, against MM2's own checkpoint read raw from dr with a separate client (not through the tool): the
    // offset is the checkpoint's, within 1..20 (MM2's rule never passes the group's commit), and the re-read
    // records are those between it and the commit (the topic is new: offsets are the same on both clusters).
    const ck = (await readAll('dr', 'primary.checkpoints.internal'))
      .map((r) => decodeCheckpoint(r.key, r.value))
      .flatMap((d) => (d.ok && d.value.group === group && d.value.partition === 1 ? [d.value] : []))
      .at(-1);
    expect(ck).toMatchObject({ topic: `primary.${topic}`, upstreamOffset: 20 });
    expect(t.targetOffset).toBe(ck!.downstreamOffset);
    expect(t.targetOffset).toBeGreaterThanOrEqual(1);
    expect(t.targetOffset).toBeLessThanOrEqual(20);
    expect(t.reReadRecords).toBe(20 - t.targetOffset);
    expect(rows.at(-1)).toMatchObject({ kind: 'summary', sourceReachable: true });
  });
});
