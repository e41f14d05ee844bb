/**
 * The group requests kafkajs lacks, byte for byte against the layouts of Apache Kafka's message JSONs
 * (ListGroups v3–v5, ConsumerGroupDescribe v0–v1, ShareGroupDescribe v0–v1, FindCoordinator v4), and version
 * negotiation.
 * Responses are built here field by field in the order of the JSON files, with kafkajs's own encoder.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  decodeConsumerGroupDescribe,
  decodeFindCoordinators,
  decodeListGroups,
  decodeShareGroupDescribe,
  encodeDescribeGroups,
  encodeFindGroupCoordinators,
  encodeListGroups,
  negotiateVersion,
  SUPPORTED_VERSIONS,
} from '../../../src/kafka/group-requests.js';

/** kafkajs's encoder (src/protocol/encoder.js), the methods the test writes responses with. */
interface Enc {
  writeInt8(v: number): Enc;
  writeInt16(v: number): Enc;
  writeInt32(v: number): Enc;
  writeUVarInt(v: number): Enc;
  writeUVarIntString(v: string | null): Enc;
  writeUVarIntArray(a: Enc[]): Enc;
  writeBuffer(b: Buffer): Enc;
  writeEncoder(e: Enc): Enc;
  buffer: Buffer;
}
const Encoder = createRequire(import.meta.url)('kafkajs/src/protocol/encoder.js') as new () => Enc;
const e = () => new Encoder();
const str = (s: string | null) => e().writeUVarIntString(s);
const arr = (items: Enc[]) => e().writeUVarIntArray(items);
const TAGS = 0; // an empty tagged-field section is one 0 byte

/** An Assignment struct: one topic with partitions, as ConsumerGroupDescribeResponse.json's commonStructs. */
const assignment = (topic: string, partitions: number[]) =>
  e()
    .writeEncoder(
      arr([
        e()
          .writeBuffer(Buffer.alloc(16, 7))
          .writeEncoder(str(topic))
          .writeEncoder(arr(partitions.map((p) => e().writeInt32(p))))
          .writeUVarInt(TAGS),
      ]),
    )
    .writeUVarInt(TAGS);

function consumerMember(version: number, memberId: string, clientId: string, host: string): Enc {
  const m = e()
    .writeEncoder(str(memberId))
    .writeEncoder(str(null)) // InstanceId
    .writeEncoder(str('rack-a')) // RackId
    .writeInt32(3) // MemberEpoch
    .writeEncoder(str(clientId))
    .writeEncoder(str(host))
    .writeEncoder(arr([str('orders'), str('payments')])) // SubscribedTopicNames
    .writeEncoder(str(null)) // SubscribedTopicRegex
    .writeEncoder(assignment('orders', [0, 1]))
    .writeEncoder(assignment('orders', [0, 1, 2]));
  if (version >= 1) m.writeInt8(1); // MemberType (KIP-1099)
  return m.writeUVarInt(TAGS);
}

function describeResponse(groups: { errorCode: number; errorMessage: string | null; groupId: string; state: string; members: Enc[] }[]): Buffer {
  return e()
    .writeUVarInt(TAGS) // response header v1
    .writeInt32(0) // ThrottleTimeMs
    .writeEncoder(
      arr(
        groups.map((g) =>
          e()
            .writeInt16(g.errorCode)
            .writeEncoder(str(g.errorMessage))
            .writeEncoder(str(g.groupId))
            .writeEncoder(str(g.state))
            .writeInt32(5)
            .writeInt32(5)
            .writeEncoder(str('uniform'))
            .writeEncoder(arr(g.members))
            .writeInt32(-2147483648)
            .writeUVarInt(TAGS),
        ),
      ),
    )
    .writeUVarInt(TAGS).buffer;
}

describe('ListGroups v3–v5', () => {
  it('requests every group: v5 sends empty StatesFilter and TypesFilter, v4 only StatesFilter, v3 neither', () => {
    expect([...encodeListGroups(5)]).toEqual([0, 1, 1, 0]);
    expect([...encodeListGroups(4)]).toEqual([0, 1, 0]);
    expect([...encodeListGroups(3)]).toEqual([0, 0]);
  });

  it('decodes GroupState (v4+) and GroupType (v5+) per group', () => {
    const group = (v: number, id: string, pt: string, state: string, type: string) => {
      const g = e().writeEncoder(str(id)).writeEncoder(str(pt));
      if (v >= 4) g.writeEncoder(str(state));
      if (v >= 5) g.writeEncoder(str(type));
      return g.writeUVarInt(TAGS);
    };
    const response = (v: number) =>
      e()
        .writeUVarInt(TAGS)
        .writeInt32(0)
        .writeInt16(0)
        .writeEncoder(arr([group(v, 'billing', 'consumer', 'Stable', 'Consumer'), group(v, 'legacy', 'consumer', 'Empty', 'Classic')]))
        .writeUVarInt(TAGS).buffer;
    expect(decodeListGroups(5, response(5))).toEqual({
      errorCode: 0,
      groups: [
        { groupId: 'billing', protocolType: 'consumer', groupState: 'Stable', groupType: 'Consumer' },
        { groupId: 'legacy', protocolType: 'consumer', groupState: 'Empty', groupType: 'Classic' },
      ],
    });
    expect(decodeListGroups(3, response(3)).groups[0]).toEqual({ groupId: 'billing', protocolType: 'consumer', groupState: null, groupType: null });
  });
});

describe('ConsumerGroupDescribe / ShareGroupDescribe', () => {
  it('request: header tags, compact array of group ids, IncludeAuthorizedOperations false, body tags', () => {
    expect([...encodeDescribeGroups(['ab', 'c'])]).toEqual([0, 3, 3, 0x61, 0x62, 2, 0x63, 0, 0]);
  });

  for (const version of [0, 1]) {
    it(`ConsumerGroupDescribe v${version}: state and each member's id, client id and host, past assignments${version ? ' and MemberType' : ''}`, () => {
      const raw = describeResponse([
        {
          errorCode: 0,
          errorMessage: null,
          groupId: 'billing',
          state: 'Stable',
          members: [consumerMember(version, 'm-1', 'console-1', '/127.0.0.1'), consumerMember(version, 'm-2', 'console-2', '/10.0.0.9')],
        },
        { errorCode: 69, errorMessage: 'Group legacy is not a consumer group.', groupId: 'legacy', state: '', members: [] },
      ]);
      expect(decodeConsumerGroupDescribe(version, raw)).toEqual([
        {
          errorCode: 0,
          errorMessage: null,
          groupId: 'billing',
          groupState: 'Stable',
          members: [
            { memberId: 'm-1', clientId: 'console-1', clientHost: '/127.0.0.1' },
            { memberId: 'm-2', clientId: 'console-2', clientHost: '/10.0.0.9' },
          ],
        },
        { errorCode: 69, errorMessage: 'Group legacy is not a consumer group.', groupId: 'legacy', groupState: '', members: [] },
      ]);
    });
  }

  it('ShareGroupDescribe: members without instance id, regex or target assignment', () => {
    const member = e()
      .writeEncoder(str('s-1'))
      .writeEncoder(str(null))
      .writeInt32(1)
      .writeEncoder(str('share-1'))
      .writeEncoder(str('/127.0.0.1'))
      .writeEncoder(arr([str('orders')]))
      .writeEncoder(assignment('orders', [0]))
      .writeUVarInt(TAGS);
    expect(decodeShareGroupDescribe(describeResponse([{ errorCode: 0, errorMessage: null, groupId: 'queue', state: 'Stable', members: [member] }]))).toEqual([
      {
        errorCode: 0,
        errorMessage: null,
        groupId: 'queue',
        groupState: 'Stable',
        members: [{ memberId: 's-1', clientId: 'share-1', clientHost: '/127.0.0.1' }],
      },
    ]);
  });

  it('a truncated answer throws instead of describing fewer members', () => {
    const raw = describeResponse([{ errorCode: 0, errorMessage: null, groupId: 'billing', state: 'Stable', members: [consumerMember(1, 'm-1', 'c', 'h')] }]);
    expect(() => decodeConsumerGroupDescribe(1, raw.subarray(0, raw.length - 12))).toThrow();
  });
});

describe('negotiateVersion', () => {
  it('takes the highest common version; null when the broker lacks the API or only has versions we cannot read', () => {
    expect(negotiateVersion({ minVersion: 0, maxVersion: 5 }, SUPPORTED_VERSIONS.ListGroups)).toBe(5);
    expect(negotiateVersion({ minVersion: 0, maxVersion: 4 }, SUPPORTED_VERSIONS.ListGroups)).toBe(4);
    expect(negotiateVersion({ minVersion: 0, maxVersion: 2 }, SUPPORTED_VERSIONS.ListGroups)).toBeNull(); // kafkajs's own ListGroups then
    expect(negotiateVersion({ minVersion: 1, maxVersion: 1 }, SUPPORTED_VERSIONS.ShareGroupDescribe)).toBe(1); // 4.1 dropped v0
    expect(negotiateVersion({ minVersion: 2, maxVersion: 3 }, SUPPORTED_VERSIONS.ConsumerGroupDescribe)).toBeNull();
    expect(negotiateVersion(undefined, SUPPORTED_VERSIONS.ConsumerGroupDescribe)).toBeNull(); // a 3.9 broker
  });
});

describe('FindCoordinator v4 (FindCoordinatorRequest.json / FindCoordinatorResponse.json)', () => {
  it('request: header tags, KeyType GROUP (0), CoordinatorKeys as a compact array, body tags', () => {
    expect([...encodeFindGroupCoordinators(['a', 'bc'])]).toEqual([TAGS, 0, 3, 2, 0x61, 3, 0x62, 0x63, TAGS]);
  });

  it('response: one answer per key with node, host, port, error code and message', () => {
    const coordinator = (key: string, nodeId: number, errorCode: number, message: string | null) =>
      e()
        .writeEncoder(str(key))
        .writeInt32(nodeId)
        .writeEncoder(str(errorCode ? '' : '127.0.0.1'))
        .writeInt32(errorCode ? -1 : 29092)
        .writeInt16(errorCode)
        .writeEncoder(str(message))
        .writeUVarInt(TAGS);
    const raw = e()
      .writeUVarInt(TAGS)
      .writeInt32(0)
      .writeEncoder(arr([coordinator('billing', 1, 0, null), coordinator('audit', -1, 14, 'loading')]))
      .writeUVarInt(TAGS).buffer;
    expect(decodeFindCoordinators(raw)).toEqual([
      { key: 'billing', nodeId: 1, host: '127.0.0.1', port: 29092, errorCode: 0, errorMessage: null },
      { key: 'audit', nodeId: -1, host: '', port: -1, errorCode: 14, errorMessage: 'loading' },
    ]);
  });
});
