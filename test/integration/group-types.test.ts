/**
 * Group types on a real Kafka 4.x broker (issue 14, item 1). A KIP-848 consumer — Kafka's own console consumer with
 * `group.protocol=consumer`, from the kafka-tools jar on Maven Central — holds a live member in a group on dr.
 * DescribeGroups (all kafkajs speaks) answers such a group as `Dead` with no members; the port must describe it with
 * ConsumerGroupDescribe:
 * - the planned failover blocks at its preflight gate (exit 3), the gate naming the group as type consumer with its
 *   one member, and writes nothing (committed offsets on dr, read back with a separate client, are unchanged);
 * - the adapter's own pre-commit check refuses an admin commit to the group, naming type, state and member;
 * - a classic group (a kafkajs consumer) is still described by DescribeGroups: type classic, its member, its state.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import { GroupNotEmptyError, type KafkaPort } from '../../src/kafka/port.js';
import { eventually, joinLiveConsumer, kafkaFor, resetSharedSandbox, runCli, sandbox, sandboxRunArgs, uniqueName, waitForFreeLease } from './helpers.js';
import { consoleConsumerArgs, kafkaToolsLibs } from './jvm-clients.js';

const id = uniqueName('gt').replace('gt-', '');
const topic = `gt-${id}`;
const modernGroup = `gt-modern-${id}`;
const classicGroup = `gt-classic-${id}`;
let tmp: string;
let dr: KafkaPort;
let consoleConsumer: ResultPromise | undefined;
let consoleOut = '';

/** Committed offsets of a group on dr, read with a separate kafkajs admin client (not the port under test). */
async function committedOnDr(group: string) {
  const admin = kafkaFor('dr').admin();
  await admin.connect();
  try {
    return (await admin.fetchOffsets({ groupId: group, topics: [topic] })).flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset })),
    );
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-group-types-'));
  const libs = await kafkaToolsLibs(sandbox().options.kafkaVersion);
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await dr.createTopic(topic, 1);
  await dr.produce(
    topic,
    Array.from({ length: 5 }, (_, i) => ({ value: `v${i}`, partition: 0 })),
  );
  // Offsets before any member: the admin commit creates a simple classic group, which the consumer-protocol member
  // converts to a consumer group when it joins (GroupMetadataManager.getOrMaybeCreateConsumerGroup).
  await dr.commitOffsets(modernGroup, [{ topic, partition: 0, offset: 2 }]);
  consoleConsumer = execa(
    'java',
    // The member never commits (auto commit off): offsets on dr stay as set above.
    consoleConsumerArgs(libs, {
      bootstrap: sandbox().clusters.dr.bootstrapServers[0]!,
      topic,
      group: modernGroup,
      protocol: 'consumer',
      clientId: 'kf-console-848',
      autoCommit: false,
    }),
    { reject: false, buffer: false },
  );
  consoleConsumer.stdout!.on('data', (c: Buffer) => (consoleOut += c.toString()));
  consoleConsumer.stderr!.on('data', (c: Buffer) => (consoleOut += c.toString()));
  // Live and assigned, by its own output: it printed the records after the committed offset.
  await eventually('the console consumer (group.protocol=consumer) to print v2..v4', async () => (consoleOut.includes('v4') ? true : undefined), 90_000);
}, 900_000);

afterAll(async () => {
  consoleConsumer?.kill('SIGKILL');
  await consoleConsumer;
  await dr?.close();
});

describe('group types on Kafka 4.x', { shuffle: false }, () => {
  it('the port lists and describes the KIP-848 group as type consumer with its live member (client id and host)', async () => {
    expect((await dr.listGroups()).find((g) => g.groupId === modernGroup)).toMatchObject({ type: 'consumer', protocolType: 'consumer' });
    const [g] = await dr.describeGroups([modernGroup]);
    expect(g).toMatchObject({ groupId: modernGroup, type: 'consumer', state: 'Stable', members: 1 });
    expect(g!.memberDetails).toEqual([{ memberId: expect.stringMatching(/\S/), clientId: 'kf-console-848', host: expect.stringContaining('127.0.0.1') }]);
  });

  it('a live consumer-protocol member on dr blocks the planned failover at preflight (exit 3), gate naming type consumer and 1 member; zero writes', async () => {
    const before = await committedOnDr(modernGroup);
    expect(before).toEqual([{ topic, partition: 0, offset: '2' }]);
    const r = await runCli([
      'run',
      'runbooks/planned-failover.yaml',
      '--yes',
      ...sandboxRunArgs(path.join(tmp, 'runs'), { groups: modernGroup, topics: topic }),
    ]);
    expect(r.exitCode, r.stderr).toBe(3);
    const file = /audit log: (\S+)/.exec(r.stderr)?.[1];
    const audit = (await readFile(file!, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    const gate = audit.find((e) => e.kind === 'gate' && e.gate.ok === false);
    expect(gate).toMatchObject({
      step: 'preflight',
      gate: {
        id: 'target-groups-empty',
        observed: {
          groupApis: { ListGroups: 'v5', ConsumerGroupDescribe: 'v1', ShareGroupDescribe: 'v1', ConsumerGroupHeartbeat: expect.stringMatching(/^v\d+$/) },
        },
      },
    });
    expect(gate!.gate.observed.groupsWithMembers).toEqual([
      expect.stringMatching(new RegExp(`^${modernGroup} \\(type consumer, Stable, 1 member\\(s\\): \\S+ client kf-console-848 host \\S*127\\.0\\.0\\.1\\)$`)),
    ]);
    expect(audit.filter((e) => String(e.kind).startsWith('write.'))).toEqual([]);
    expect(audit.filter((e) => e.kind === 'step.started').map((e) => e.step)).toEqual(['permissions', 'scope', 'preflight']); // no freeze hook ran
    expect(audit.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'blocked', exitCode: 3 });
    expect(await committedOnDr(modernGroup)).toEqual(before);
  });

  it('the adapter refuses an admin commit to the live KIP-848 group before sending it, naming type, state and member', async () => {
    const err = await dr.commitOffsets(modernGroup, [{ topic, partition: 0, offset: 0 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GroupNotEmptyError);
    expect(err).toMatchObject({ type: 'consumer', state: 'Stable', members: 1 });
    expect((err as Error).message).toMatch(/is Stable with 1 member\(s\), type consumer: \S+ client kf-console-848 host/);
    expect(await committedOnDr(modernGroup)).toEqual([{ topic, partition: 0, offset: '2' }]);
  });

  it('a classic group is described by DescribeGroups as before (type classic, Stable, its member); a missing group is Dead', async () => {
    const consumer = await joinLiveConsumer(classicGroup, topic);
    try {
      expect((await dr.listGroups()).find((g) => g.groupId === classicGroup)).toMatchObject({ type: 'classic', protocolType: 'consumer' });
      const [g, missing] = await dr.describeGroups([classicGroup, `gt-none-${id}`]);
      expect(g).toMatchObject({ groupId: classicGroup, type: 'classic', state: 'Stable', protocolType: 'consumer', members: 1 });
      expect(g!.memberDetails).toEqual([
        { memberId: expect.stringContaining('kafka-failover-test'), clientId: 'kafka-failover-test', host: expect.stringContaining('127.0.0.1') },
      ]);
      expect(missing).toMatchObject({ groupId: `gt-none-${id}`, type: 'classic', state: 'Dead', members: 0 });
    } finally {
      await consumer.disconnect();
    }
  });
});
