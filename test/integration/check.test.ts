/**
 * `kafka-failover check` against its own sandbox with 3 brokers on each side (RF 3, min.insync.replicas 2 by
 * default): nothing to report on the clean setup, then one test per planted anti-pattern, each finding named with
 * its evidence. Read-only: the check itself writes nothing (the tests plant through kafkajs admin).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Finding } from '../../src/check/findings.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import { createKafka } from '../../src/kafka/kafkajs-client.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { sandboxDown, sandboxUp, stopComponents } from '../../src/rehearsal/sandbox/sandbox.js';
import { eventually, extraSandboxOptions, liveProcessesMentioning, runCli, uniqueName } from './helpers.js';
import kafkajs from 'kafkajs';

const opts = { ...extraSandboxOptions('check', 28090), primaryBrokers: 3 as const, drBrokers: 3 as const };
let clustersFile: string;
let primary: KafkaPort;
let dr: KafkaPort;
let bootstrap: { primary: string[]; dr: string[] };
const id = uniqueName('ck').replace('ck-', '');
const cleanTopic = `clean-${id}`;
const cleanGroup = `clean-group-${id}`;

async function check(extra: string[] = [], file = clustersFile) {
  const r = await runCli(['check', '--clusters', file, '--output', 'json', ...extra]);
  const report = JSON.parse(r.stdout) as { findings: Finding[]; notes: string[]; exitCode: number; worst: string };
  expect(r.exitCode).toBe(report.exitCode);
  return report;
}
const find = (r: { findings: Finding[] }, id: string, subject: string) => r.findings.find((f) => f.id === id && f.subject === subject);

async function alterTopicConfig(servers: string[], topic: string, name: string, value: string) {
  const admin = createKafka({ bootstrapServers: servers }).admin();
  await admin.connect();
  try {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name, value }] }] });
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  await sandboxDown({ ...opts, wipe: true }); // a sandbox an earlier, crashed run left on these ports is wiped first
  const s = await sandboxUp(opts);
  clustersFile = s.clustersFile;
  bootstrap = { primary: s.clusters.primary.bootstrapServers, dr: s.clusters.dr.bootstrapServers };
  primary = createKafkaPort('primary', { bootstrapServers: bootstrap.primary });
  dr = createKafkaPort('dr', { bootstrapServers: bootstrap.dr });
  // A replicated topic with a consumer group checkpointed by MM2: the clean setup has something to check.
  await primary.createTopic(cleanTopic, 3);
  await primary.produce(
    cleanTopic,
    Array.from({ length: 30 }, (_, i) => ({ value: `r${i}`, partition: i % 3 })),
  );
  await primary.commitOffsets(
    cleanGroup,
    [0, 1, 2].map((partition) => ({ topic: cleanTopic, partition, offset: 5 })),
  );
  await eventually(
    'MM2 to checkpoint the clean group',
    async () => {
      const r = await runCli(['offsets', 'translate', '--clusters', clustersFile, '--group', cleanGroup, '--output', 'json']);
      return r.stdout.split('\n').filter((l) => l.includes('"kind":"translated"')).length === 3 ? true : undefined;
    },
    120_000,
  );
});

afterAll(async () => {
  await Promise.allSettled([primary?.close(), dr?.close()]);
  await sandboxDown({ ...opts, wipe: true });
  expect(await liveProcessesMentioning(opts.stateDir)).toEqual([]);
});

// One scenario in order (a clean setup first, then anti-patterns planted one after another over the same sandbox):
// kept in order under --sequence.shuffle, which still shuffles the files.
describe('kafka-failover check', { shuffle: false }, () => {
  it('reports nothing on a clean setup (RF 3, min.insync.replicas 2, checkpoints fresh) and exits 0', async () => {
    const r = await check();
    expect(r.findings).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  it('replication factor 1 on a topic', async () => {
    const topic = `rf1-${id}`;
    await primary.createTopic(topic, 2, 1);
    const f = find(await check(), 'replication-factor-low', topic);
    expect(f).toMatchObject({ severity: 'high', where: 'primary', evidence: { replicationFactor: 1, expected: '≥ 3', partitions: 2 } });
  });

  it('min.insync.replicas 1 on a replicated topic', async () => {
    const topic = `minisr1-${id}`;
    await primary.createTopic(topic, 1, 3, { 'min.insync.replicas': '1' });
    expect(find(await check(), 'min-insync-low', topic)).toMatchObject({ severity: 'medium', evidence: { minInsyncReplicas: 1, replicationFactor: 3 } });
  });

  it('unclean leader election enabled', async () => {
    const topic = `unclean-${id}`;
    await primary.createTopic(topic, 1, 3, { 'unclean.leader.election.enable': 'true' });
    expect(find(await check(), 'unclean-leader-election', topic)).toMatchObject({ severity: 'high', where: 'primary' });
  });

  it('a replicated topic on the target with min.insync.replicas 1 (MM2 does not sync it)', async () => {
    await alterTopicConfig(bootstrap.dr, `primary.${cleanTopic}`, 'min.insync.replicas', '1');
    const r = await check();
    expect(find(r, 'target-min-insync-low', `primary.${cleanTopic}`)).toMatchObject({
      severity: 'medium',
      where: 'dr',
      evidence: { minInsyncReplicas: 1, flow: 'primary->dr' },
    });
    expect(find(r, 'min-insync-low', `primary.${cleanTopic}`)).toBeUndefined(); // one finding, with the flow's fix
  });

  it('a group MM2 never checkpoints (excluded by its default groups filter)', async () => {
    const group = `console-consumer-${id}`;
    await primary.commitOffsets(group, [{ topic: cleanTopic, partition: 0, offset: 3 }]);
    const f = find(await check(), 'group-not-checkpointed', group);
    expect(f).toMatchObject({ severity: 'high', where: 'primary->dr', evidence: { reasons: ['excluded-by-mm2-groups-filter'] } });
  });

  it('a topic of the same unprefixed name written in both clusters (active-active)', async () => {
    const topic = `shared-${id}`;
    await primary.createTopic(topic, 1);
    await dr.createTopic(topic, 1);
    await primary.produce(topic, [{ value: 'from primary' }]);
    await dr.produce(topic, [{ value: 'from dr' }, { value: 'from dr too' }]);
    expect(find(await check(), 'active-active-topic', topic)).toMatchObject({
      severity: 'medium',
      evidence: { recordsOnSource: 1, recordsOnTarget: 2, replicatedAs: `primary.${topic}` },
    });
  });

  it('bidirectional flows with the identity replication policy (a loop MM2 cannot detect)', async () => {
    const doc = YAML.parse(readFileSync(clustersFile, 'utf8')) as { flows: Record<string, unknown>[] };
    doc.flows = [
      { source: 'primary', target: 'dr', replicationPolicy: 'identity' },
      { source: 'dr', target: 'primary', replicationPolicy: 'identity' },
    ];
    const file = path.join(opts.stateDir, 'identity-both-ways.yaml');
    writeFileSync(file, YAML.stringify(doc));
    const r = await check([], file);
    expect(find(r, 'identity-bidirectional', 'replication policy')).toMatchObject({
      severity: 'critical',
      where: 'dr->primary + primary->dr',
      evidence: { flows: ['dr->primary', 'primary->dr'] },
    });
    expect(r.exitCode).toBe(12);
  });

  it('a flow without MM2 checkpoints (failover without offset sync)', async () => {
    // dr -> primary is declared but nothing replicates it: a group on dr has commits and no checkpoints topic exists.
    await dr.commitOffsets(`reverse-${id}`, [{ topic: `shared-${id}`, partition: 0, offset: 1 }]);
    const doc = YAML.parse(readFileSync(clustersFile, 'utf8')) as { flows: Record<string, unknown>[] };
    doc.flows.push({ source: 'dr', target: 'primary' });
    const file = path.join(opts.stateDir, 'reverse-flow.yaml');
    writeFileSync(file, YAML.stringify(doc));
    const f = find(await check([], file), 'checkpoints-missing', 'dr.checkpoints.internal');
    expect(f).toMatchObject({ severity: 'critical', where: 'dr->primary', evidence: { checkpointsTopic: null } });
  });

  it('stale checkpoints: MM2 stopped while the group keeps committing', async () => {
    await stopComponents(opts.stateDir, 'mm2', 'graceful');
    await primary.commitOffsets(
      cleanGroup,
      [0, 1, 2].map((partition) => ({ topic: cleanTopic, partition, offset: 9 })),
    );
    // Until the newest checkpoint is older than 2 s (a condition, polled; not a fixed wait).
    const f = await eventually(
      "check to report the clean group's checkpoints as stale",
      async () => find(await check(['--max-checkpoint-age', '2s']), 'checkpoints-stale', cleanGroup),
      30_000,
    );
    expect(f).toMatchObject({ severity: 'high', where: 'primary->dr', evidence: { partitions: 3, maxAgeMs: 2000, recordsCommittedSinceCheckpoint: 12 } });
    expect((f!.evidence as { oldestCheckpointAgeMs: number }).oldestCheckpointAgeMs).toBeGreaterThan(2000);
  });

  // One broker down plants three anti-patterns at once; each has its own test over the same state.
  const single = `on-broker-3-${id}`;
  it('a broker down: an offline partition (its only replica was on that broker)', async () => {
    const admin = createKafka({ bootstrapServers: bootstrap.primary }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: single, replicaAssignment: [{ partition: 0, replicas: [3] }] }], waitForLeaders: true });
    await admin.disconnect();
    await stopComponents(opts.stateDir, 'primary-3', 'kill');
    const r = await eventually(
      'the controller to fence primary-3 (ISR shrink, offline partition)',
      async () => {
        const x = await check();
        return find(x, 'offline-partitions', single) && find(x, 'isr-at-or-below-min', cleanTopic) ? x : undefined;
      },
      60_000,
    );
    expect(find(r, 'offline-partitions', single)).toMatchObject({
      severity: 'critical',
      where: 'primary',
      evidence: { offlinePartitions: 1, of: 1, replicas: [[3]] },
    });
    expect(r.exitCode).toBe(12);
  });

  it('a broker down: under-replicated partitions', async () => {
    expect(find(await check(), 'under-replicated-partitions', cleanTopic)).toMatchObject({
      severity: 'medium',
      evidence: { underReplicatedPartitions: 3, of: 3 },
    });
  });

  it('a broker down: ISR at min.insync.replicas (one more failure stops acks=all writes)', async () => {
    expect(find(await check(), 'isr-at-or-below-min', cleanTopic)).toMatchObject({ severity: 'high', evidence: { partitions: 3, minInsyncReplicas: 2 } });
  });
});
