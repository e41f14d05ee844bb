/**
 * The `offsets-in-range` gate of `translate-offsets`, through the CLI (`plan`): a translated offset outside the
 * target partition's log blocks the run (exit 3) before any write.
 * - below the log start: MM2's real checkpoint for a group, then the target's records below it deleted
 *   (DeleteRecords, as retention would) — resetting there would skip them silently;
 * - above the high watermark: a checkpoint past the end of the target partition (a truncated or recreated topic),
 *   written into a checkpoints topic of a flow of this file's own ("fake" → dr), so MM2's real one is never touched.
 * A control run of the same runbook over an in-range group passes, so the block is the bounds and nothing else.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { encodeCheckpoint } from '../../src/mm2/records.js';
import { eventually, kafkaFor, resetSharedSandbox, runCli, sandbox, uniqueName } from './helpers.js';

const id = uniqueName('tb').replace('tb-', '');
const topic = `bounds-${id}`;
const low = `bounds-low-${id}`;
const fine = `bounds-fine-${id}`;
let tmp: string;
let runbook: string;
let primary: KafkaPort;
let dr: KafkaPort;
const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
const plan = (clustersFile: string, groups: string) =>
  runCli(['plan', runbook, '--yes', '--output', 'json', '--clusters', clustersFile, '--runs-dir', path.join(tmp, 'runs'), '--set', `groups=${groups}`]);
const finalGate = (ev: Record<string, any>[], gate: string) =>
  ev.find((e) => e.kind === 'gate' && e.final && e.step === 'translate' && e.gate.id === gate)?.gate;

beforeAll(async () => {
  await resetSharedSandbox(); // every node and MM2 running, whatever an earlier file left stopped
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-bounds-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  runbook = path.join(tmp, 'translate.yaml');
  writeFileSync(
    runbook,
    [
      'apiVersion: kafka-failover/v1',
      'name: translate-bounds',
      'flow: ${FLOW}',
      'parameters: { groups: { type: string } }',
      'steps:',
      '  - { id: translate, kind: translate-offsets, with: { groups: "${params.groups}" } }',
      '',
    ]
      .join('\n')
      .replace('${FLOW}', 'primary->dr'),
  );
});

afterAll(() => Promise.allSettled([primary?.close(), dr?.close()]));

describe('translate-offsets: offsets outside the target log block', () => {
  it('a checkpoint below the target log start (records deleted on dr) blocks with exit 3; an in-range group passes', async () => {
    await primary.createTopic(topic, 1, 1);
    await primary.produce(
      topic,
      Array.from({ length: 200 }, (_, i) => ({ value: `v${i}`, partition: 0 })),
    );
    await primary.commitOffsets(low, [{ topic, partition: 0, offset: 150 }]);
    await primary.commitOffsets(fine, [{ topic, partition: 0, offset: 150 }]);
    await eventually(
      'MM2 to replicate the topic and checkpoint both groups',
      async () => {
        const r = await runCli(['offsets', 'translate', '--clusters', sandbox().clustersFile, '--group', `^bounds-(low|fine)-${id}$`, '--output', 'json']);
        const rows = events(r.stdout).filter((l) => l.kind === 'translated');
        return rows.length === 2 && rows.every((x) => x.highWatermark === 200) ? rows : undefined;
      },
      120_000,
    );

    // Control: in range, the same runbook passes.
    const ok = await plan(sandbox().clustersFile, fine);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(finalGate(events(ok.stdout), 'offsets-in-range')).toMatchObject({ ok: true });

    // Records deleted on dr up to 160: past the group's position (upstream 150; MM2 never translates to a downstream
    // offset beyond the upstream one on a topic replicated from its start), so whatever checkpoint MM2 holds by now
    // lies below the new log start.
    const deleteTo = 160;
    const admin = kafkaFor('dr').admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [`primary.${topic}`] }); // kafkajs needs the leaders known first
      await admin.deleteTopicRecords({ topic: `primary.${topic}`, partitions: [{ partition: 0, offset: String(deleteTo) }] });
    } finally {
      await admin.disconnect();
    }
    expect((await dr.partitionOffsets(`primary.${topic}`))[0]).toMatchObject({ logStartOffset: deleteTo, highWatermark: 200 });

    const r = await plan(sandbox().clustersFile, low);
    expect(r.exitCode).toBe(3);
    const ev = events(r.stdout);
    const gate = finalGate(ev, 'offsets-in-range');
    expect(gate).toMatchObject({ ok: false, observed: { outOfRange: [expect.any(String)] } });
    const m = new RegExp(
      `^${low} primary\\.${topic}/0: target offset (\\d+) is below the log start ${deleteTo} of primary\\.${topic}/0 \\(records deleted: the group would skip them\\)$`,
    ).exec(gate.observed.outOfRange[0]);
    expect(m, gate.observed.outOfRange[0]).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(150);
    expect(ev.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'blocked', exitCode: 3 });
    expect(ev.filter((e) => String(e.kind).startsWith('write.'))).toEqual([]);
  });

  it('a checkpoint above the target high watermark (a truncated or recreated topic) blocks with exit 3', async () => {
    const fake = `fake${id.replace(/-/g, '')}`;
    const ckTopic = `${fake}.checkpoints.internal`;
    const data = `${fake}.data`;
    const group = `bounds-high-${id}`;
    await dr.createTopic(ckTopic, 1, 1);
    await dr.createTopic(data, 1, 1);
    await dr.produce(
      data,
      Array.from({ length: 20 }, (_, i) => ({ value: `d${i}`, partition: 0 })),
    );
    const above = encodeCheckpoint({ group, topic: data, partition: 0, upstreamOffset: 500, downstreamOffset: 480, metadata: '' });
    await dr.produce(ckTopic, [{ key: above.key, value: above.value }]);
    // The flow fake -> dr; "fake" answers on dr's listener (it has no commits of the group, so the checkpoint is
    // taken as it is: the offsets checked are exactly the checkpoint's).
    const doc = YAML.parse(readFileSync(sandbox().clustersFile, 'utf8')) as { clusters: Record<string, unknown>; flows: unknown[] };
    doc.clusters[fake] = { bootstrapServers: sandbox().clusters.dr.bootstrapServers };
    doc.flows = [{ source: fake, target: 'dr', replicationPolicy: 'default', separator: '.', offsetSyncsTopicLocation: 'source' }];
    const clustersFile = path.join(tmp, 'fake-flow.yaml');
    writeFileSync(clustersFile, YAML.stringify(doc));
    const fakeRunbook = path.join(tmp, 'translate-fake.yaml');
    writeFileSync(fakeRunbook, readFileSync(runbook, 'utf8').replace('flow: primary->dr', `flow: ${fake}->dr`));

    const r = await runCli([
      'plan',
      fakeRunbook,
      '--yes',
      '--output',
      'json',
      '--clusters',
      clustersFile,
      '--runs-dir',
      path.join(tmp, 'runs'),
      '--set',
      `groups=${group}`,
    ]);
    expect(r.exitCode, r.stderr).toBe(3);
    const ev = events(r.stdout);
    expect(finalGate(ev, 'offsets-in-range')).toMatchObject({
      ok: false,
      observed: { outOfRange: [`${group} ${data}/0: target offset 480 is above the high watermark 20 of ${data}/0 (a truncated or recreated topic)`] },
    });
    expect(ev.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'blocked', exitCode: 3 });
    expect(ev.filter((e) => String(e.kind).startsWith('write.'))).toEqual([]);
  });
});
