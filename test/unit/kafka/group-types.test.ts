/**
 * `describeTypedGroups` routes each group to the API its type needs and fails closed: a group it cannot describe is
 * type `unknown`, never empty. The fake brokers answer with bytes in the layouts of the message JSONs (as a broker
 * would), through the same `connectionPool.send` seam kafkajs uses; DescribeGroups answers as kafkajs decodes it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { describeTypedGroups } from '../../../src/kafka/group-types.js';
import type { KafkajsCluster } from '../../../src/kafka/kafkajs-client.js';
import type { ListedGroup } from '../../../src/kafka/port.js';

type Enc = {
  writeInt16(v: number): Enc;
  writeInt32(v: number): Enc;
  writeUVarInt(v: number): Enc;
  writeUVarIntString(s: string | null): Enc;
  writeUVarIntArray(a: Enc[]): Enc;
  writeEncoder(e: Enc): Enc;
  buffer: Buffer;
};
const Encoder = createRequire(import.meta.url)('kafkajs/src/protocol/encoder.js') as new () => Enc;
const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };
const e = () => new Encoder();

/** A ConsumerGroupDescribe v0 answer (ConsumerGroupDescribeResponse.json); members have empty assignments. */
function cgdAnswer(groups: { id: string; error?: number; state?: string; members?: [string, string, string][] }[]): Buffer {
  const emptyAssignment = e().writeUVarIntArray([]).writeUVarInt(0);
  const member = ([id, client, host]: [string, string, string]) =>
    e()
      .writeUVarIntString(id)
      .writeUVarIntString(null)
      .writeUVarIntString(null)
      .writeInt32(1)
      .writeUVarIntString(client)
      .writeUVarIntString(host)
      .writeUVarIntArray([])
      .writeUVarIntString(null)
      .writeEncoder(emptyAssignment)
      .writeEncoder(emptyAssignment)
      .writeUVarInt(0);
  const group = (g: (typeof groups)[number]) =>
    e()
      .writeInt16(g.error ?? 0)
      .writeUVarIntString(g.error ? 'refused' : null)
      .writeUVarIntString(g.id)
      .writeUVarIntString(g.state ?? '')
      .writeInt32(1)
      .writeInt32(1)
      .writeUVarIntString('uniform')
      .writeUVarIntArray((g.members ?? []).map(member))
      .writeInt32(0)
      .writeUVarInt(0);
  return e().writeUVarInt(0).writeInt32(0).writeUVarIntArray(groups.map(group)).writeUVarInt(0).buffer;
}

interface Sent {
  apiKey: number;
  apiVersion: number;
}

/** One broker coordinating every group; `answer` plays the broker for the requests this tool encodes. */
function fakeCluster(o: {
  versions: Record<number, { minVersion: number; maxVersion: number }>;
  answer: (apiKey: number, body: Buffer) => Buffer;
  classic: Record<string, { state: string; protocolType: string; members: [string, string, string][] }>;
}) {
  const sent: Sent[] = [];
  const broker = {
    nodeId: 1,
    versions: o.versions,
    connectionPool: {
      async send({
        request,
        response,
      }: {
        request: { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
        response: { decode(b: Buffer): Promise<unknown>; parse(x: unknown): Promise<unknown> };
      }) {
        sent.push({ apiKey: request.apiKey, apiVersion: request.apiVersion });
        return response.parse(await response.decode(o.answer(request.apiKey, (await request.encode()).buffer)));
      },
    },
    async describeGroups({ groupIds }: { groupIds: string[] }) {
      // kafkajs's DescribeGroups v2, as a 4.x broker answers it: a group that is not classic (or absent) is Dead.
      return {
        groups: groupIds.map((groupId) => ({
          groupId,
          ...(o.classic[groupId] ?? { state: 'Dead', protocolType: '', members: [] }),
          members: (o.classic[groupId]?.members ?? []).map(([memberId, clientId, clientHost]) => ({ memberId, clientId, clientHost })),
        })),
      };
    },
  };
  const cluster = { findGroupCoordinator: async () => broker } as unknown as KafkajsCluster;
  return { cluster, sent };
}

const V41 = { 69: { minVersion: 0, maxVersion: 1 }, 77: { minVersion: 1, maxVersion: 1 } };
const listed = (groupId: string, type: ListedGroup['type'], rawType: string): ListedGroup => ({ groupId, protocolType: 'consumer', type, rawType });

describe('describeTypedGroups', () => {
  it('a live KIP-848 group is described by ConsumerGroupDescribe (v1 negotiated): type consumer, its member; a classic one by DescribeGroups', async () => {
    const { cluster, sent } = fakeCluster({
      versions: V41,
      answer: (k) => (k === 69 ? cgdAnswer([{ id: 'billing', state: 'Stable', members: [['m-1', 'console', '/127.0.0.1']] }]) : Buffer.alloc(0)),
      classic: { legacy: { state: 'Empty', protocolType: 'consumer', members: [] } },
    });
    const r = await describeTypedGroups(cluster, ['legacy', 'billing'], [listed('billing', 'consumer', 'Consumer'), listed('legacy', 'classic', 'Classic')]);
    expect(r).toEqual([
      { groupId: 'legacy', type: 'classic', state: 'Empty', protocolType: 'consumer', members: 0, memberDetails: [] },
      {
        groupId: 'billing',
        type: 'consumer',
        state: 'Stable',
        protocolType: 'consumer',
        members: 1,
        memberDetails: [{ memberId: 'm-1', clientId: 'console', host: '/127.0.0.1' }],
      },
    ]);
    expect(sent).toEqual([{ apiKey: 69, apiVersion: 1 }]);
  });

  it('fails closed: no API on the broker, an error answer, a streams group on a broker without StreamsGroupDescribe, an unknown type, an undecodable answer are all type unknown', async () => {
    const noApi = fakeCluster({ versions: {}, answer: () => Buffer.alloc(0), classic: {} });
    const [a] = await describeTypedGroups(noApi.cluster, ['billing'], [listed('billing', 'consumer', 'Consumer')]);
    expect(a).toMatchObject({ type: 'unknown', state: 'Unknown', members: 0, unknownReason: expect.stringContaining('no ConsumerGroupDescribe version') });

    const denied = fakeCluster({ versions: V41, answer: () => cgdAnswer([{ id: 'billing', error: 30 }]), classic: {} });
    const [b] = await describeTypedGroups(denied.cluster, ['billing'], [listed('billing', 'consumer', 'Consumer')]);
    expect(b).toMatchObject({ type: 'unknown', unknownReason: expect.stringContaining('GROUP_AUTHORIZATION_FAILED') });

    const garbage = fakeCluster({ versions: V41, answer: () => Buffer.from([0, 0, 0]), classic: {} });
    const [c] = await describeTypedGroups(garbage.cluster, ['billing'], [listed('billing', 'consumer', 'Consumer')]);
    expect(c).toMatchObject({ type: 'unknown', unknownReason: expect.stringContaining('ConsumerGroupDescribe v1 failed') });

    const other = fakeCluster({ versions: V41, answer: () => Buffer.alloc(0), classic: {} });
    const [d, f] = await describeTypedGroups(
      other.cluster,
      ['wordcount', 'future'],
      [listed('wordcount', 'streams', 'Streams'), listed('future', 'unknown', 'Quantum')],
    );
    expect(d).toMatchObject({ groupId: 'wordcount', type: 'unknown', unknownReason: expect.stringContaining('streams group') });
    expect(f).toMatchObject({ groupId: 'future', type: 'unknown', unknownReason: expect.stringContaining('"Quantum"') });
    expect(other.sent).toEqual([]);
  });

  it('a streams group is described by StreamsGroupDescribe (v1, Kafka 4.4 bytes): its members, and its topology topics', async () => {
    const golden = JSON.parse(readFileSync(new URL('./fixtures/messages-4.4.0.json', import.meta.url), 'utf8')) as Record<string, string>;
    const { cluster, sent } = fakeCluster({
      versions: { ...V41, 89: { minVersion: 0, maxVersion: 1 } },
      answer: (k) => (k === 89 ? Buffer.from(golden['StreamsGroupDescribeResponse.v1']!, 'hex') : Buffer.alloc(0)),
      classic: {},
    });
    const [wc] = await describeTypedGroups(cluster, ['wordcount'], [listed('wordcount', 'streams', 'streams')]);
    expect(wc).toEqual({
      groupId: 'wordcount',
      type: 'streams',
      state: 'Stable',
      protocolType: 'streams',
      members: 2,
      memberDetails: [
        { memberId: 'm-1', clientId: 'wc-client-1', host: '/127.0.0.1' },
        { memberId: 'm-2', clientId: 'wc-client-2', host: '/10.0.0.2' },
      ],
      streamsTopology: { sourceTopics: ['words-in'], repartitionTopics: ['wordcount-counts-repartition'], changelogTopics: ['wordcount-counts-changelog'] },
    });
    expect(sent).toEqual([{ apiKey: 89, apiVersion: 1 }]);
  });

  it('a group listed as classic that DescribeGroups calls Dead is unknown; a group that is not listed is Dead as before', async () => {
    const { cluster } = fakeCluster({ versions: V41, answer: () => Buffer.alloc(0), classic: {} });
    const [converted, absent] = await describeTypedGroups(cluster, ['converted', 'absent'], [listed('converted', 'classic', 'Classic')]);
    expect(converted).toMatchObject({ type: 'unknown', unknownReason: expect.stringContaining('DescribeGroups answers Dead') });
    expect(absent).toEqual({ groupId: 'absent', type: 'classic', state: 'Dead', protocolType: '', members: 0, memberDetails: [] });
  });
});

describe('describeTypedGroups while a coordinator is loading (a broker restarted a moment ago)', () => {
  const fast = { minTimeoutMs: 1, maxTimeoutMs: 2, retries: 3 };

  it('DescribeGroups raising kafkajs GROUP_LOAD_IN_PROGRESS then NOT_COORDINATOR_FOR_GROUP: asked again, the third answer is returned', async () => {
    const { cluster } = fakeCluster({
      versions: V41,
      answer: () => Buffer.alloc(0),
      classic: { legacy: { state: 'Empty', protocolType: 'consumer', members: [] } },
    });
    const broker = await (
      cluster as unknown as { findGroupCoordinator(): Promise<{ describeGroups: (a: { groupIds: string[] }) => Promise<unknown> }> }
    ).findGroupCoordinator();
    const real = broker.describeGroups.bind(broker);
    let calls = 0;
    broker.describeGroups = async (a) => {
      calls++;
      // kafkajs's DescribeGroups response parser throws the group's error code as a KafkaJSProtocolError (14 then 16).
      if (calls <= 2) throw createErrorFromCode(calls === 1 ? 14 : 16);
      return real(a);
    };
    const [g] = await describeTypedGroups(cluster, ['legacy'], [listed('legacy', 'classic', 'Classic')], fast);
    expect(g).toEqual({ groupId: 'legacy', type: 'classic', state: 'Empty', protocolType: 'consumer', members: 0, memberDetails: [] });
    expect(calls).toBe(3);
  });

  it('a ConsumerGroupDescribe answer with per-group error 14: asked again; still 14 on the last attempt → unknown (blocks), never empty', async () => {
    let answers = 0;
    const once = fakeCluster({
      versions: V41,
      answer: () => (++answers === 1 ? cgdAnswer([{ id: 'billing', error: 14 }]) : cgdAnswer([{ id: 'billing', state: 'Empty' }])),
      classic: {},
    });
    const [ready] = await describeTypedGroups(once.cluster, ['billing'], [listed('billing', 'consumer', 'Consumer')], fast);
    expect(ready).toMatchObject({ type: 'consumer', state: 'Empty', members: 0 });
    expect(once.sent).toHaveLength(2);

    const never = fakeCluster({ versions: V41, answer: () => cgdAnswer([{ id: 'billing', error: 14 }]), classic: {} });
    const [stuck] = await describeTypedGroups(never.cluster, ['billing'], [listed('billing', 'consumer', 'Consumer')], fast);
    expect(stuck).toMatchObject({ type: 'unknown', unknownReason: expect.stringContaining('COORDINATOR_LOAD_IN_PROGRESS') });
    expect(never.sent).toHaveLength(4);
  });
});

describe('describeTypedGroups finds coordinators with one FindCoordinator v4 request when the broker has it', () => {
  /** FindCoordinator v4 answer (FindCoordinatorResponse.json) for `keys`: key → [nodeId, errorCode]. */
  const fcAnswer = (keys: [string, number, number][]) =>
    e()
      .writeUVarInt(0)
      .writeInt32(0)
      .writeUVarIntArray(
        keys.map(([key, nodeId, error]) =>
          e()
            .writeUVarIntString(key)
            .writeInt32(nodeId)
            .writeUVarIntString('127.0.0.1')
            .writeInt32(29092)
            .writeInt16(error)
            .writeUVarIntString(null)
            .writeUVarInt(0),
        ),
      )
      .writeUVarInt(0).buffer;

  /** Two coordinators (nodes 1 and 2); the seed broker answers FindCoordinator with `coordinators(attempt)`. */
  function twoCoordinators(coordinators: (attempt: number) => [string, number, number][], down: number[] = []) {
    const sent: { node: number; apiKey: number; groups?: string[] }[] = [];
    let lookups = 0;
    const broker = (nodeId: number) => ({
      nodeId,
      versions: { 10: { minVersion: 0, maxVersion: 4 }, ...V41 },
      connectionPool: {
        async send({
          request,
          response,
        }: {
          request: { apiKey: number };
          response: { decode(b: Buffer): Promise<unknown>; parse(x: unknown): Promise<unknown> };
        }) {
          sent.push({ node: nodeId, apiKey: request.apiKey });
          if (down.includes(nodeId)) throw Object.assign(new Error(`connect ECONNREFUSED (node ${nodeId})`), { code: 'ECONNREFUSED' });
          return response.parse(await response.decode(fcAnswer(coordinators(++lookups))));
        },
      },
      async describeGroups({ groupIds }: { groupIds: string[] }) {
        sent.push({ node: nodeId, apiKey: 15, groups: groupIds });
        return { groups: groupIds.map((groupId) => ({ groupId, state: 'Empty', protocolType: 'consumer', members: [] })) };
      },
    });
    const brokers = new Map([1, 2].map((n) => [n, broker(n)]));
    const cluster = {
      brokerPool: { seedBroker: brokers.get(1), brokers: Object.fromEntries(brokers) },
      findBroker: async ({ nodeId }: { nodeId: number }) => brokers.get(nodeId),
      findGroupCoordinator: async () => {
        throw new Error('kafkajs per-group lookup used although FindCoordinator v4 is there');
      },
    } as unknown as KafkajsCluster;
    return { cluster, sent };
  }
  const classic = (id: string) => listed(id, 'classic', 'Classic');
  const fast = { minTimeoutMs: 1, maxTimeoutMs: 2, retries: 3 };

  it('three groups on two coordinators: 1 FindCoordinator, then one DescribeGroups per coordinator with its groups', async () => {
    const { cluster, sent } = twoCoordinators(() => [
      ['a', 1, 0],
      ['b', 2, 0],
      ['c', 1, 0],
    ]);
    const r = await describeTypedGroups(cluster, ['a', 'b', 'c'], ['a', 'b', 'c'].map(classic), fast);
    expect(r.map((g) => [g.groupId, g.type, g.state])).toEqual([
      ['a', 'classic', 'Empty'],
      ['b', 'classic', 'Empty'],
      ['c', 'classic', 'Empty'],
    ]);
    expect(sent).toEqual([
      { node: 1, apiKey: 10 },
      { node: 1, apiKey: 15, groups: ['a', 'c'] },
      { node: 2, apiKey: 15, groups: ['b'] },
    ]);
  });

  it('a key answered COORDINATOR_LOAD_IN_PROGRESS is looked up again; any other error code throws naming the group', async () => {
    const loading = twoCoordinators((attempt) => [
      ['a', 1, 0],
      ['b', attempt === 1 ? -1 : 2, attempt === 1 ? 14 : 0],
    ]);
    await describeTypedGroups(loading.cluster, ['a', 'b'], ['a', 'b'].map(classic), fast);
    expect(loading.sent.filter((s) => s.apiKey === 10)).toHaveLength(2);

    const denied = twoCoordinators(() => [
      ['a', 1, 0],
      ['b', -1, 30],
    ]);
    await expect(describeTypedGroups(denied.cluster, ['a', 'b'], ['a', 'b'].map(classic), fast)).rejects.toThrow(
      'FindCoordinator for group "b" answered error GROUP_AUTHORIZATION_FAILED',
    );
    expect(denied.sent.filter((s) => s.apiKey === 10)).toHaveLength(1);
  });

  it('a broker that does not answer: the lookup goes to the next one (any broker can answer FindCoordinator)', async () => {
    const { cluster, sent } = twoCoordinators(
      () => [
        ['a', 2, 0],
        ['b', 2, 0],
      ],
      [1],
    );
    const r = await describeTypedGroups(cluster, ['a', 'b'], ['a', 'b'].map(classic), fast);
    expect(r.map((g) => g.state)).toEqual(['Empty', 'Empty']);
    expect(sent).toEqual([
      { node: 1, apiKey: 10 },
      { node: 2, apiKey: 10 },
      { node: 2, apiKey: 15, groups: ['a', 'b'] },
    ]);
  });
});
