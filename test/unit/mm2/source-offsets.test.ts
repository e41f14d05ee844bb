import { describe, expect, it } from 'vitest';
import { dedicatedOffsetsTopic, offsetRecordKey, offsetRecordValue, offsetsTopicPartition, parseOffsetRecord } from '../../../src/mm2/source-offsets.js';

describe('MirrorSourceConnector offset records (dedicated MM2 offsets topic)', () => {
  // Oracle: a record MM2 4.3.1 (dedicated, identity policy) wrote to mm2-offsets.primary.internal on the sandbox's dr,
  // read back raw: partition 23 of 25, this exact key text and value.
  const observedKey = '["MirrorSourceConnector",{"cluster":"primary","partition":0,"topic":"sandbox-probe"}]';

  it('writes the key byte for byte as the Connect runtime does (the offset store is keyed by those bytes)', () => {
    expect(offsetRecordKey('MirrorSourceConnector', 'primary', 'sandbox-probe', 0)).toBe(observedKey);
    expect(offsetRecordValue(0)).toBe('{"offset":0}');
  });

  it("puts the key on the partition the Java producer's murmur2 partitioner picked (23 of 25)", () => {
    expect(offsetsTopicPartition(observedKey, 25)).toBe(23);
  });

  it('parses records of its connector only', () => {
    expect(parseOffsetRecord('MirrorSourceConnector', Buffer.from(observedKey), Buffer.from('{"offset":41}'))).toEqual({
      cluster: 'primary',
      topic: 'sandbox-probe',
      partition: 0,
      lastReplicated: 41,
    });
    const heartbeat = '["MirrorHeartbeatConnector",{"sourceClusterAlias":"primary","targetClusterAlias":"dr"}]';
    expect(parseOffsetRecord('MirrorSourceConnector', Buffer.from(heartbeat), Buffer.from('{"offset":0}'))).toBeUndefined();
    expect(parseOffsetRecord('MirrorSourceConnector', Buffer.from('not json'), null)).toBeUndefined();
  });

  it('names the offsets topic after the flow source (MirrorMakerConfig offset.storage.topic)', () => {
    expect(dedicatedOffsetsTopic({ source: 'dr' })).toBe('mm2-offsets.dr.internal');
  });
});
