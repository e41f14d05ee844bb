/**
 * `set-replication-start` on faithful fakes of the Kafka and Connect ports: nothing under the default policy; under
 * identity it blocks while the opposite flow still appends (heartbeats), without recorded offsets, or (Connect) while
 * the source connector is not STOPPED; otherwise it writes MM2's own offset records (dedicated: `offset − 1` in
 * `mm2-offsets.<source>.internal`, on murmur2's partition; Connect: PATCH with `offset − 1`, null for 0) and reads
 * them back; it reports the old primary's records that never reached dr (from the forward offset syncs).
 */
import { describe, expect, it } from 'vitest';
import type { ConnectPort, ConnectSourceOffset } from '../../../src/adapters/connect.js';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import type { GateResult } from '../../../src/engine/events.js';
import type { StepContext } from '../../../src/engine/step.js';
import type { KafkaPort, ReadRecord } from '../../../src/kafka/port.js';
import { encodeOffsetSync } from '../../../src/mm2/records.js';
import { offsetRecordKey, offsetsTopicPartition } from '../../../src/mm2/source-offsets.js';
import { setReplicationStart } from '../../../src/steps/set-replication-start.js';

/** A cluster as the step sees it: topics of partitions holding records (key, value). */
class FakeCluster {
  topics = new Map<string, { key: Buffer | null; value: Buffer | null }[][]>();
  constructor(init: Record<string, number[]>) {
    for (const [t, ends] of Object.entries(init))
      this.topics.set(
        t,
        ends.map((n) => Array.from({ length: n }, () => ({ key: null, value: Buffer.from('x') }))),
      );
  }
  put(topic: string, partition: number, r: { key: Buffer; value: Buffer }) {
    this.topics.get(topic)![partition]!.push(r);
  }
  append(topic: string, partition = 0) {
    this.topics.get(topic)![partition]!.push({ key: null, value: Buffer.from('hb') });
  }
  port(): KafkaPort {
    return {
      listTopics: async () => [...this.topics.keys()],
      partitionOffsets: async (t: string) => {
        const parts = this.topics.get(t);
        if (!parts) throw new Error(`unknown topic ${t}`);
        return parts.map((p, partition) => ({ partition, logStartOffset: 0, highWatermark: p.length }));
      },
      readRange: async (t: string, partition: number, from: number, to: number, on: (r: ReadRecord) => void) => {
        this.topics
          .get(t)!
          [partition]!.slice(from, to)
          .forEach((r, i) => on({ offset: from + i, timestamp: 0, key: r.key, value: r.value, headers: {} } as unknown as ReadRecord));
      },
      createTopic: async (t: string, partitions: number) => {
        if (!this.topics.has(t))
          this.topics.set(
            t,
            Array.from({ length: partitions }, () => []),
          );
      },
      describeCluster: async () => ({ brokers: [{ nodeId: 1 }] }),
      produce: async (t: string, records: { key?: string | Buffer | null; value: string | Buffer; partition?: number }[]) =>
        records.map((r) => {
          const p = this.topics.get(t)![r.partition!]!;
          p.push({ key: r.key ? Buffer.from(r.key) : null, value: Buffer.from(r.value) });
          return { partition: r.partition!, offset: p.length - 1 };
        }),
    } as unknown as KafkaPort;
  }
}

const reverse: FlowConfig = {
  source: 'dr',
  target: 'primary',
  replicationPolicy: 'identity',
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: [],
  topicsExclude: [],
  mm2: { hooks: { stop: ['stop'], start: ['start'] } },
};
const stoppedAt = {
  flow: 'primary->dr',
  cluster: 'dr',
  replicationPolicy: 'identity' as const,
  recordedAtMs: 0,
  logEndOffsets: [
    { topic: 'orders', partition: 0, offset: 40 },
    { topic: 'orders', partition: 1, offset: 0 },
    { topic: 'other', partition: 0, offset: 5 },
  ],
};

function setup(o: { flow?: FlowConfig; heartbeatsDuringWindow?: boolean; connector?: string } = {}) {
  // dr: its orders (written on since the failover), the forward flow's heartbeats and checkpoints; primary: offset syncs.
  const dr = new FakeCluster({ orders: [55, 3], other: [5], heartbeats: [10], 'primary.checkpoints.internal': [7] });
  // primary: orders/0 has 7 records after the 40 that reached dr (an emergency failover's tail); the forward flow's
  // offset syncs map primary offsets 0 and 30 to dr offsets 0 and 30.
  const primary = new FakeCluster({ orders: [47, 0], 'mm2-offset-syncs.dr.internal': [0] });
  for (const u of [0, 30])
    primary.put('mm2-offset-syncs.dr.internal', 0, encodeOffsetSync({ topic: 'orders', partition: 0, upstreamOffset: u, downstreamOffset: u }));
  const patched: { connector: string; offsets: ConnectSourceOffset[] }[] = [];
  const connect = {
    status: async () => ({ connector: o.connector ?? 'STOPPED', tasks: [] }),
    alterOffsets: async (connector: string, offsets: ConnectSourceOffset[]) => {
      patched.push({ connector, offsets });
      return { status: 200 };
    },
    offsets: async () => patched.at(-1)?.offsets ?? [],
  } as unknown as ConnectPort;
  const ports = { dr: dr.port(), primary: primary.port() };
  const ctx = {
    stepId: 'reverse-start',
    dryRun: false,
    flow: o.flow ?? reverse,
    kafka: (alias: 'dr' | 'primary') => ports[alias],
    reachable: async () => true,
    connect: () => connect,
    write: async (_w: unknown, fn: () => Promise<unknown>) => fn(),
    note: () => {},
    sleep: async () => {
      if (o.heartbeatsDuringWindow) dr.append('heartbeats');
    },
    now: () => 0,
    signal: new AbortController().signal,
  } as unknown as StepContext;
  return { ctx, dr, primary, patched };
}
const gate = (gates: GateResult[] | undefined, id: string) => gates?.find((g) => g.id === id);

describe('set-replication-start', () => {
  it('does nothing under the default policy (prefixed names: MM2 never copies them back)', async () => {
    const { ctx } = setup({ flow: { ...reverse, replicationPolicy: 'default' } });
    const r = await setReplicationStart.check(ctx, setReplicationStart.input.parse({ stoppedAt }));
    expect(r).toEqual({ outputs: { startOffsets: [], needed: false } });
  });

  it('dedicated MM2: writes MM2’s own offset records (start − 1; −1 for 0) on murmur2’s partition, creating the compacted topic, and reads them back', async () => {
    const { ctx, primary } = setup();
    const input = setReplicationStart.input.parse({ stoppedAt, topics: 'orders' });
    const r = await setReplicationStart.check(ctx, input);
    expect(r.gates?.every((g) => g.ok)).toBe(true);
    // The 7 records primary took after its last copied one are reported (the reverse flow appends after them).
    expect(r.outputs).toEqual({
      startOffsets: stoppedAt.logEndOffsets.slice(0, 2),
      needed: true,
      neverReplicated: [{ topic: 'orders', partition: 0, fromOffset: 40, toOffset: 47, records: 7 }],
      neverReplicatedRecords: 7,
    });
    await setReplicationStart.apply!(ctx, input, r.plan as never);
    const topic = primary.topics.get('mm2-offsets.dr.internal')!;
    expect(topic.length).toBe(25);
    const key = offsetRecordKey('MirrorSourceConnector', 'dr', 'orders', 0);
    expect(topic[offsetsTopicPartition(key, 25)]!.map((x) => [x.key?.toString(), x.value?.toString()])).toContainEqual([key, '{"offset":39}']);
    const key1 = offsetRecordKey('MirrorSourceConnector', 'dr', 'orders', 1);
    expect(topic[offsetsTopicPartition(key1, 25)]!.map((x) => [x.key?.toString(), x.value?.toString()])).toContainEqual([key1, '{"offset":-1}']);
    const v = await setReplicationStart.verify!(ctx, input, r.plan as never);
    expect(gate(v.gates, 'start-offsets-stored')?.ok).toBe(true);
  });

  it('blocks while the opposite flow still appends (a heartbeat during the quiet window)', async () => {
    const { ctx } = setup({ heartbeatsDuringWindow: true });
    const r = await setReplicationStart.check(ctx, setReplicationStart.input.parse({ stoppedAt }));
    expect(gate(r.gates, 'opposite-flow-stopped')).toMatchObject({
      ok: false,
      observed: { 'heartbeats on dr': { topic: 'heartbeats', appended: 1 }, 'checkpoints on dr': { appended: 0 } },
    });
  });

  it('blocks without recorded offsets, naming what to give; a missing audit log is named', async () => {
    const { ctx } = setup();
    const none = await setReplicationStart.check(ctx, setReplicationStart.input.parse({}));
    expect(gate(none.gates, 'start-offsets-recorded')).toMatchObject({ ok: false, observed: 'none given' });
    expect(gate(none.gates, 'start-offsets-recorded')!.expected).toContain('failoverRun=');
    const missing = await setReplicationStart.check(ctx, setReplicationStart.input.parse({ failoverRun: '/nonexistent/run' }));
    expect(gate(missing.gates, 'start-offsets-recorded')!.observed).toMatch(/\/nonexistent\/run: no such audit log/);
  });

  it('Connect: blocks until the source connector is STOPPED, then PATCHes start − 1 (null for 0) and reads it back', async () => {
    const flow: FlowConfig = {
      ...reverse,
      mm2: { connect: { url: 'http://connect:8083', connectors: { source: 'dr->primary.MirrorSourceConnector', checkpoint: 'cp' } } },
    };
    const running = setup({ flow, connector: 'RUNNING' });
    const blocked = await setReplicationStart.check(running.ctx, setReplicationStart.input.parse({ stoppedAt, topics: 'orders' }));
    expect(gate(blocked.gates, 'source-connector-stopped')).toMatchObject({ ok: false, observed: 'RUNNING' });

    const { ctx, patched } = setup({ flow });
    const input = setReplicationStart.input.parse({ stoppedAt, topics: 'orders' });
    const r = await setReplicationStart.check(ctx, input);
    expect(r.gates?.every((g) => g.ok)).toBe(true);
    await setReplicationStart.apply!(ctx, input, r.plan as never);
    expect(patched).toEqual([
      {
        connector: 'dr->primary.MirrorSourceConnector',
        offsets: [
          { partition: { cluster: 'dr', partition: 0, topic: 'orders' }, offset: { offset: 39 } },
          { partition: { cluster: 'dr', partition: 1, topic: 'orders' }, offset: null },
        ],
      },
    ]);
    expect(gate((await setReplicationStart.verify!(ctx, input, r.plan as never)).gates, 'start-offsets-stored')?.ok).toBe(true);
  });
});
