import { describe, expect, it } from 'vitest';
import { decodeDescribeCluster, decodeDescribeQuorum, encodeAlterTopicConfigs, encodeElectPreferredLeaders } from '../../../src/kafka/cluster-requests.js';

/** Compact (flexible) encodings written by hand from the message JSON, independent of kafkajs's encoder. */
const uvarint = (n: number) => Buffer.from([n]); // values < 128 here
const cstr = (s: string | null) => (s === null ? uvarint(0) : Buffer.concat([uvarint(Buffer.byteLength(s) + 1), Buffer.from(s)]));
const i16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const i64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
};
const tags = uvarint(0);

describe('cluster requests (DescribeQuorum, DescribeCluster, ElectLeaders, IncrementalAlterConfigs)', () => {
  it('decodes DescribeQuorum v2: leader, high watermark, voters with their fetch times, nodes', () => {
    const replica = (id: number, leo: number, fetch: number) => Buffer.concat([i32(id), Buffer.alloc(16, 7), i64(leo), i64(fetch), i64(fetch), tags]);
    const partition = Buffer.concat([
      i32(0),
      i16(0),
      cstr(null),
      i32(5),
      i32(2),
      i64(271),
      uvarint(3),
      replica(1, 271, 1000),
      replica(5, 271, -1),
      uvarint(1),
      tags,
    ]);
    const topic = Buffer.concat([cstr('__cluster_metadata'), uvarint(2), partition, tags]);
    const node = Buffer.concat([i32(5), uvarint(2), cstr('CONTROLLER'), cstr('127.0.0.1'), Buffer.from([0x9c, 0xf5]), tags, tags]);
    const body = Buffer.concat([tags, i16(0), cstr(null), uvarint(2), topic, uvarint(2), node, tags]);
    const r = decodeDescribeQuorum(2, body);
    expect(r).toMatchObject({ errorCode: 0, leaderId: 5, leaderEpoch: 2, highWatermark: 271, observers: [] });
    expect(r.voters).toEqual([
      { replicaId: 1, logEndOffset: 271, lastFetchTimestamp: 1000, lastCaughtUpTimestamp: 1000 },
      { replicaId: 5, logEndOffset: 271, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 },
    ]);
    expect(r.nodes).toEqual([{ nodeId: 5, listeners: [{ name: 'CONTROLLER', host: '127.0.0.1', port: 40181 }] }]);
  });

  it('decodes DescribeCluster v2 with racks and fenced brokers', () => {
    const b = (id: number, rack: string | null, fenced: boolean) =>
      Buffer.concat([i32(id), cstr('127.0.0.1'), i32(9000 + id), cstr(rack), Buffer.from([fenced ? 1 : 0]), tags]);
    const body = Buffer.concat([
      tags,
      i32(0),
      i16(0),
      cstr(null),
      Buffer.from([1]),
      cstr('abc'),
      i32(5),
      uvarint(3),
      b(1, 'a', true),
      b(3, 'b', false),
      i32(-2147483648),
      tags,
    ]);
    expect(decodeDescribeCluster(2, body).brokers).toEqual([
      { nodeId: 1, host: '127.0.0.1', port: 9001, rack: 'a', fenced: true },
      { nodeId: 3, host: '127.0.0.1', port: 9003, rack: 'b', fenced: false },
    ]);
  });

  it('encodes ElectLeaders v2 as a PREFERRED election (type 0), never unclean', () => {
    const buf = encodeElectPreferredLeaders([{ topic: 'orders', partitions: [0, 2] }], 30_000);
    expect(buf).toEqual(Buffer.concat([tags, Buffer.from([0]), uvarint(2), cstr('orders'), uvarint(3), i32(0), i32(2), tags, i32(30_000), tags]));
  });

  it('encodes IncrementalAlterConfigs v1: SET (0) a value, DELETE (1) back to the broker default', () => {
    const buf = encodeAlterTopicConfigs([{ topic: 'orders', configs: { 'min.insync.replicas': '2', 'retention.ms': null } }]);
    const cfg = (name: string, op: number, value: string | null) => Buffer.concat([cstr(name), Buffer.from([op]), cstr(value), tags]);
    expect(buf).toEqual(
      Buffer.concat([
        tags,
        uvarint(2),
        Buffer.from([2]),
        cstr('orders'),
        uvarint(3),
        cfg('min.insync.replicas', 0, '2'),
        cfg('retention.ms', 1, null),
        tags,
        Buffer.from([0]),
        tags,
      ]),
    );
  });
});
