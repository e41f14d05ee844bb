/**
 * MM2 topic naming (connect/mirror-client DefaultReplicationPolicy / IdentityReplicationPolicy, and the internal
 * topic names of ../shared/reference/mm2-internals.md §1): remote and upstream names under both policies and a
 * custom separator, provenance only from the configured alias, both spellings of the internal topics (internal
 * separator on, then off), MM2's internal-topic rule.
 */
import { describe, expect, it } from 'vitest';
import {
  checkpointsTopicCandidates,
  heartbeatTopicCandidates,
  isInternalTopic,
  offsetSyncsTopicCandidates,
  pickExisting,
  remoteTopic,
  upstreamTopic,
  type NamingFlow,
} from '../../../src/mm2/naming.js';

const flow: NamingFlow = { source: 'primary', target: 'dr', replicationPolicy: 'default', separator: '.' };
const underscore: NamingFlow = { ...flow, separator: '_' };
const identity: NamingFlow = { ...flow, replicationPolicy: 'identity' };

describe('MM2 naming', () => {
  it('default policy: remote = <source><sep><topic>, upstream strips exactly one prefix', () => {
    expect(remoteTopic(flow, 'orders')).toBe('primary.orders');
    expect(remoteTopic(underscore, 'orders')).toBe('primary_orders');
    expect(remoteTopic(flow, 'heartbeats')).toBe('primary.heartbeats');
    expect(upstreamTopic(flow, 'primary.orders')).toBe('orders');
    expect(upstreamTopic(flow, 'primary.dr.orders')).toBe('dr.orders'); // multi-hop: one hop back
    expect(upstreamTopic(underscore, 'primary_orders')).toBe('orders');
    expect(upstreamTopic(underscore, 'primary.orders')).toBeUndefined(); // wrong separator
  });

  it('provenance only from the configured alias: a dotted local topic is not remote', () => {
    expect(upstreamTopic(flow, 'my.topic')).toBeUndefined();
    expect(upstreamTopic(flow, 'primaryorders')).toBeUndefined();
    expect(upstreamTopic(flow, 'primary.')).toBeUndefined(); // nothing after the prefix
    expect(upstreamTopic(flow, 'dr.orders')).toBeUndefined(); // the other direction's remote topic
  });

  it('identity policy: names unchanged except heartbeats, which stay prefixed', () => {
    expect(remoteTopic(identity, 'orders')).toBe('orders');
    expect(remoteTopic(identity, 'heartbeats')).toBe('primary.heartbeats');
    expect(upstreamTopic(identity, 'orders')).toBe('orders');
  });

  it('internal topic candidates: configured separator first, then the dot; deduplicated', () => {
    expect(checkpointsTopicCandidates(flow)).toEqual(['primary.checkpoints.internal']);
    expect(checkpointsTopicCandidates(underscore)).toEqual(['primary_checkpoints.internal', 'primary.checkpoints.internal']);
    expect(offsetSyncsTopicCandidates(flow)).toEqual(['mm2-offset-syncs.dr.internal']);
    expect(offsetSyncsTopicCandidates(underscore)).toEqual(['mm2-offset-syncs_dr_internal', 'mm2-offset-syncs.dr.internal']);
    expect(heartbeatTopicCandidates(flow)).toEqual(['heartbeats', 'primary.heartbeats']);
  });

  it('pickExisting takes the first candidate that exists, whatever the listing order', () => {
    const c = checkpointsTopicCandidates(underscore);
    expect(pickExisting(c, ['primary.checkpoints.internal', 'primary_checkpoints.internal'])).toBe('primary_checkpoints.internal');
    expect(pickExisting(c, ['x', 'primary.checkpoints.internal'])).toBe('primary.checkpoints.internal');
    expect(pickExisting(c, ['orders'])).toBeUndefined();
  });

  it('internal topics as MM2 sees them: __*, .*, *.internal, *-internal', () => {
    for (const t of ['__consumer_offsets', '.hidden', 'primary.checkpoints.internal', 'mm2-configs-internal']) expect(isInternalTopic(t), t).toBe(true);
    for (const t of ['orders', 'internal.orders', 'orders.internals', 'a_b', 'heartbeats']) expect(isInternalTopic(t), t).toBe(false);
  });
});
