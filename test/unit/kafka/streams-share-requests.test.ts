/**
 * StreamsGroupDescribe (v0–v1), DescribeShareGroupOffsets (v0–v1), AlterShareGroupOffsets (v0) and OffsetFetch (v8) against golden bytes
 * written by Kafka's own generated message classes (kafka-clients 4.4.0; fixtures/MessageFixtures.java): the requests
 * this tool encodes must equal Kafka's bytes (after the request header's tagged-field byte), and its decoders must read
 * Kafka's bytes back to the values the fixture program set.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeAlterShareGroupOffsets,
  decodeDescribeShareGroupOffsets,
  decodeOffsetFetchGroups,
  decodeStreamsGroupDescribe,
  encodeAlterShareGroupOffsets,
  encodeDescribeShareGroupOffsets,
  encodeOffsetFetchGroups,
  encodeStreamsGroupDescribe,
} from '../../../src/kafka/group-requests.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/messages-4.4.0.json', import.meta.url), 'utf8')) as Record<string, string>;
const bytes = (name: string) => Buffer.from(golden[name]!, 'hex');
/** A request as this tool sends it: the request header v2's empty tagged-field section, then the body. */
const request = (name: string) => Buffer.concat([Buffer.from([0]), bytes(name)]);

describe('StreamsGroupDescribe (API key 89), against kafka-clients 4.4.0 bytes', () => {
  for (const v of [0, 1]) {
    it(`v${v}: encodes the request as Kafka does`, () => {
      expect(encodeStreamsGroupDescribe(v, ['wordcount', 'gone']).toString('hex')).toBe(request(`StreamsGroupDescribeRequest.v${v}`).toString('hex'));
    });

    it(`v${v}: decodes members, state and topology topics, and a group answered with an error`, () => {
      const [live, gone] = decodeStreamsGroupDescribe(v, bytes(`StreamsGroupDescribeResponse.v${v}`));
      expect(live).toEqual({
        errorCode: 0,
        errorMessage: null,
        groupId: 'wordcount',
        groupState: 'Stable',
        members: [
          { memberId: 'm-1', clientId: 'wc-client-1', clientHost: '/127.0.0.1' },
          { memberId: 'm-2', clientId: 'wc-client-2', clientHost: '/10.0.0.2' },
        ],
        topology: { sourceTopics: ['words-in'], repartitionTopics: ['wordcount-counts-repartition'], changelogTopics: ['wordcount-counts-changelog'] },
      });
      expect(gone).toEqual({ errorCode: 69, errorMessage: 'Group gone not found.', groupId: 'gone', groupState: '', members: [], topology: null });
    });
  }

  it('decoding v1 bytes as v0 does not pass silently (the version matters)', () => {
    expect(() => {
      const gs = decodeStreamsGroupDescribe(0, bytes('StreamsGroupDescribeResponse.v1'));
      if (gs.length !== 2 || gs[1]?.groupId !== 'gone') throw new Error('misread');
    }).toThrow();
  });
});

describe('DescribeShareGroupOffsets (API key 90) and AlterShareGroupOffsets (API key 91)', () => {
  for (const v of [0, 1]) {
    it(`v${v}: asks for every partition of the group (Topics null) and reads start offsets`, () => {
      expect(encodeDescribeShareGroupOffsets(['shares']).toString('hex')).toBe(request(`DescribeShareGroupOffsetsRequest.v${v}`).toString('hex'));
      expect(decodeDescribeShareGroupOffsets(v, bytes(`DescribeShareGroupOffsetsResponse.v${v}`))).toEqual([
        {
          groupId: 'shares',
          errorCode: 0,
          errorMessage: null,
          partitions: [
            { topic: 'orders', partition: 0, startOffset: 120, lag: v >= 1 ? 30 : null, errorCode: 0, errorMessage: null },
            { topic: 'orders', partition: 1, startOffset: -1, lag: null, errorCode: 0, errorMessage: null },
          ],
        },
      ]);
    });
  }

  it('v0: encodes start offsets per topic as Kafka does, and reads per-partition and group errors', () => {
    const req = encodeAlterShareGroupOffsets('shares', [
      { topic: 'primary.orders', partition: 0, startOffset: 118 },
      { topic: 'primary.orders', partition: 2, startOffset: 0 },
    ]);
    expect(req.toString('hex')).toBe(request('AlterShareGroupOffsetsRequest.v0').toString('hex'));
    expect(decodeAlterShareGroupOffsets(bytes('AlterShareGroupOffsetsResponse.v0'))).toEqual({
      errorCode: 0,
      errorMessage: null,
      partitions: [
        { topic: 'primary.orders', partition: 0, errorCode: 0, errorMessage: null },
        { topic: 'primary.orders', partition: 2, errorCode: 3, errorMessage: 'This server does not host this topic-partition.' },
      ],
    });
    expect(decodeAlterShareGroupOffsets(bytes('AlterShareGroupOffsetsResponse.v0.notEmpty'))).toEqual({
      errorCode: 68,
      errorMessage: 'The group is not empty.',
      partitions: [],
    });
  });
});

describe('OffsetFetch v8 (API key 9, KIP-709): many groups in one request', () => {
  it('asks for every committed partition of each group (Topics null), RequireStable false, as Kafka encodes it', () => {
    expect(encodeOffsetFetchGroups(['billing', 'secret']).toString('hex')).toBe(request('OffsetFetchRequest.v8').toString('hex'));
  });

  it('reads each group: offsets beyond 2^32 exactly, −1 for a partition without a commit, a group-level error', () => {
    expect(decodeOffsetFetchGroups(bytes('OffsetFetchResponse.v8'))).toEqual([
      {
        groupId: 'billing',
        errorCode: 0,
        partitions: [
          { topic: 'primary.orders', partition: 0, offset: 9_000_000_000n, metadata: 'm0', errorCode: 0 },
          { topic: 'primary.orders', partition: 1, offset: -1n, metadata: null, errorCode: 0 },
        ],
      },
      { groupId: 'secret', errorCode: 30, partitions: [] },
    ]);
  });
});
