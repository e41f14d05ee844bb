/** MM2 record codecs: exact bytes of the Java formats, round trips, and no exception on any input. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, decodeHeartbeat, decodeOffsetSync, encodeCheckpoint, encodeHeartbeat, encodeOffsetSync } from '../../../src/mm2/records.js';

const offset = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const name = fc.string({ unit: 'grapheme', maxLength: 60 });
const bytes = fc.option(
  fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)),
  { nil: null },
);

describe('checkpoint codec (Checkpoint.java v0)', () => {
  it('encodes the key of (g1, A.orders, 3) as the documented bytes', () => {
    const { key, value } = encodeCheckpoint({ group: 'g1', topic: 'A.orders', partition: 3, upstreamOffset: 10, downstreamOffset: 9, metadata: '' });
    expect(key.toString('hex')).toBe('0002' + '6731' + '0008' + Buffer.from('A.orders').toString('hex') + '00000003');
    expect(value.toString('hex')).toBe('0000' + '000000000000000a' + '0000000000000009' + '0000');
  });

  it('round-trips every valid checkpoint', () => {
    fc.assert(
      fc.property(
        name,
        name,
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        offset,
        offset,
        name,
        (group, topic, partition, upstreamOffset, downstreamOffset, metadata) => {
          const c = { group, topic, partition, upstreamOffset, downstreamOffset, metadata };
          const { key, value } = encodeCheckpoint(c);
          expect(decodeCheckpoint(key, value)).toEqual({ ok: true, value: c, encoding: 'raw' });
        },
      ),
    );
  });

  it('rejects an unknown version instead of guessing', () => {
    const { key, value } = encodeCheckpoint({ group: 'g', topic: 't', partition: 0, upstreamOffset: 1, downstreamOffset: 1, metadata: '' });
    value.writeInt16BE(1, 0);
    expect(decodeCheckpoint(key, value)).toEqual({ ok: false, reason: expect.stringContaining('unsupported checkpoint version 1') });
  });

  it('rejects truncated and padded records', () => {
    const { key, value } = encodeCheckpoint({ group: 'g', topic: 't', partition: 0, upstreamOffset: 1, downstreamOffset: 1, metadata: 'm' });
    expect(decodeCheckpoint(key, value.subarray(0, value.length - 1)).ok).toBe(false);
    expect(decodeCheckpoint(Buffer.concat([key, Buffer.from([0])]), value).ok).toBe(false);
    expect(decodeCheckpoint(null, value)).toEqual({ ok: false, reason: 'checkpoint record has a null key' });
  });

  it('unwraps JsonConverter envelopes (with and without schema) and marks them', () => {
    const { key, value } = encodeCheckpoint({ group: 'g', topic: 't', partition: 2, upstreamOffset: 5, downstreamOffset: 4, metadata: '' });
    const withSchema = Buffer.from(JSON.stringify({ schema: { type: 'bytes', optional: false }, payload: value.toString('base64') }));
    const bare = Buffer.from(JSON.stringify(key.toString('base64')));
    const d = decodeCheckpoint(bare, withSchema);
    expect(d).toMatchObject({ ok: true, encoding: 'json-envelope', value: { partition: 2, downstreamOffset: 4 } });
    expect(decodeCheckpoint(key, Buffer.from('{"payload": 12}')).ok).toBe(false);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(bytes, bytes, (k, v) => {
        const d = decodeCheckpoint(k, v);
        expect(typeof d.ok).toBe('boolean');
      }),
      { numRuns: 5000 },
    );
  });
});

describe('offset sync codec (OffsetSync.java)', () => {
  it('round-trips every valid offset sync', () => {
    fc.assert(
      fc.property(name, fc.integer({ min: 0, max: 2 ** 31 - 1 }), offset, offset, (topic, partition, upstreamOffset, downstreamOffset) => {
        const s = { topic, partition, upstreamOffset, downstreamOffset };
        const { key, value } = encodeOffsetSync(s);
        expect(value.length).toBe(16);
        expect(decodeOffsetSync(key, value)).toEqual({ ok: true, value: s, encoding: 'raw' });
      }),
    );
  });

  it('rejects a value that is not exactly 16 bytes', () => {
    const { key, value } = encodeOffsetSync({ topic: 't', partition: 0, upstreamOffset: 1, downstreamOffset: 2 });
    expect(decodeOffsetSync(key, Buffer.concat([Buffer.from([0, 0]), value]))).toMatchObject({ ok: false, reason: expect.stringContaining('exactly 16') });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(bytes, bytes, (k, v) => {
        expect(typeof decodeOffsetSync(k, v).ok).toBe('boolean');
      }),
      { numRuns: 5000 },
    );
  });
});

describe('heartbeat codec (Heartbeat.java v0)', () => {
  it('round-trips every valid heartbeat', () => {
    fc.assert(
      fc.property(name, name, offset, (sourceClusterAlias, targetClusterAlias, timestamp) => {
        const h = { sourceClusterAlias, targetClusterAlias, timestamp };
        const { key, value } = encodeHeartbeat(h);
        expect(decodeHeartbeat(key, value)).toEqual({ ok: true, value: h, encoding: 'raw' });
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(bytes, bytes, (k, v) => {
        expect(typeof decodeHeartbeat(k, v).ok).toBe('boolean');
      }),
      { numRuns: 5000 },
    );
  });
});
