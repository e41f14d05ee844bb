import { describe, expect, it } from 'vitest';
import {
  assessQuorum,
  isrReport,
  judgeSiteLoss,
  parseControllerSites,
  parseRestoreSpec,
  placementIssues,
  sitesBreakingQuorum,
} from '../../../src/gates/stretch.js';
import type { QuorumDescription, RackedBroker, TopicInfo } from '../../../src/kafka/port.js';

const broker = (nodeId: number, rack: string | null, state: 'up' | 'fenced' | 'unreachable' = 'up'): RackedBroker => ({
  nodeId,
  host: '127.0.0.1',
  port: 9000 + nodeId,
  rack,
  fenced: state === 'fenced',
  reachable: state === 'fenced' ? null : state === 'up',
});
const upAll = [broker(1, 'a'), broker(2, 'a'), broker(3, 'b'), broker(4, 'b')];
const aDead = [broker(1, 'a', 'fenced'), broker(2, 'a', 'fenced'), broker(3, 'b'), broker(4, 'b')];

describe('judgeSiteLoss', () => {
  it('every broker of site a fenced while b serves: site-lost a', () => {
    expect(judgeSiteLoss(aDead, true)).toMatchObject({ verdict: 'site-lost', lostSite: 'a', survivingSites: ['b'] });
  });
  it('one broker of a down: brokers-down, not a site loss', () => {
    expect(judgeSiteLoss([broker(1, 'a', 'fenced'), broker(2, 'a'), broker(3, 'b'), broker(4, 'b')], true).verdict).toBe('brokers-down');
  });
  it('site a unreachable from here but unfenced while the quorum works: network, not a site loss', () => {
    const b = [broker(1, 'a', 'unreachable'), broker(2, 'a', 'unreachable'), broker(3, 'b'), broker(4, 'b')];
    expect(judgeSiteLoss(b, true).verdict).toBe('network');
    // Without a quorum nothing can be fenced: unreachable and unfenced counts as lost.
    expect(judgeSiteLoss(b, false)).toMatchObject({ verdict: 'site-lost', lostSite: 'a' });
  });
  it('all up / all down', () => {
    expect(judgeSiteLoss(upAll, true).verdict).toBe('all-up');
    expect(
      judgeSiteLoss(
        upAll.map((b) => ({ ...b, reachable: false })),
        false,
      ).verdict,
    ).toBe('all-down');
  });
});

describe('controller quorum', () => {
  const q = (voters: number[], leaderId: number, fetched: Record<number, number>): QuorumDescription => ({
    leaderId,
    leaderEpoch: 3,
    highWatermark: 100,
    voters: voters.map((nodeId) => ({ nodeId, logEndOffset: nodeId === 1 ? 90 : 100, lastFetchTimestamp: fetched[nodeId] ?? -1, lastCaughtUpTimestamp: -1 })),
    observers: [],
  });
  it('voters 1@a, 3@b, 5@c (tie-breaker): no single site breaks it; a silent voter counts as not answering', () => {
    const a = assessQuorum(q([1, 3, 5], 5, { 1: 1000, 3: 9900 }), upAll, parseControllerSites('5=c'), 10_000, 5000);
    expect(a.voters.map((v) => [v.nodeId, v.site, v.answering, v.lagRecords])).toEqual([
      [1, 'a', false, 10],
      [3, 'b', true, 0],
      [5, 'c', true, 0],
    ]);
    expect(a).toMatchObject({ state: 'available', majority: 2, answering: 2, sitesWhoseLossBreaksQuorum: [] });
  });
  it('voters 1@a, 2@a, 3@b: losing a breaks it; no answer at all is "lost"', () => {
    expect(sitesBreakingQuorum(['a', 'a', 'b'])).toEqual(['a']);
    expect(sitesBreakingQuorum(['a', 'b', 'c'])).toEqual([]);
    expect(assessQuorum(undefined, upAll, new Map(), 0, 5000).state).toBe('lost');
  });
  it('controllerSites must be <node id>=<site>', () => {
    expect([...parseControllerSites('5=c, 6=a')]).toEqual([
      [5, 'c'],
      [6, 'a'],
    ]);
    expect(() => parseControllerSites('c=5')).toThrow(/not <node id>=<site>/);
  });
});

describe('ISR report and placement', () => {
  const orders: TopicInfo = {
    name: 'orders',
    partitions: [
      { partition: 0, leader: 3, replicas: [1, 3, 2, 4], isr: [3, 4], offlineReplicas: [1, 2] },
      { partition: 1, leader: 4, replicas: [4, 2, 3, 1], isr: [4, 3, 2], offlineReplicas: [1, 2] },
    ],
  };
  it('counts partitions under min ISR, expected from the brokers up, and ISRs still listing a dead broker', () => {
    const [r] = isrReport([orders], aDead, new Map([['orders', 3]]));
    expect(r).toMatchObject({
      underMinIsr: 1,
      expectedUnderMinIsr: 2,
      isrListsDownBrokers: 1,
      offline: 0,
      leadersByRack: { b: 2 },
      preferredLeadersByRack: { a: 1, b: 1 },
      notPreferredLeader: 1,
    });
  });
  it('flags replicas in one rack, a min ISR one site satisfies alone, and brokers without a rack; nothing on a good placement', () => {
    const oneRack: TopicInfo = { name: 'one', partitions: [{ partition: 0, leader: 1, replicas: [1, 2], isr: [1, 2], offlineReplicas: [] }] };
    const weak: TopicInfo = { name: 'weak', partitions: [{ partition: 0, leader: 1, replicas: [1, 3, 2, 4], isr: [1, 3, 2, 4], offlineReplicas: [] }] };
    const good: TopicInfo = { name: 'good', partitions: [{ partition: 0, leader: 1, replicas: [1, 3, 2, 4], isr: [1, 3, 2, 4], offlineReplicas: [] }] };
    const minIsr = new Map([
      ['one', 2],
      ['weak', 2],
      ['good', 3],
    ]);
    expect(placementIssues([good], upAll, minIsr)).toEqual([]);
    expect(placementIssues([oneRack, weak], upAll, minIsr).map((i) => `${i.kind} ${i.topic}`)).toEqual([
      'replicas-in-one-rack one',
      'one-site-satisfies-min-isr weak',
    ]);
    expect(placementIssues([], [broker(1, null), broker(2, 'b')], minIsr)).toEqual([
      { topic: '(brokers)', kind: 'rack-missing', evidence: { brokersWithoutRack: [1], brokers: 2 } },
    ]);
  });
  it('restore spec: topic=value|default, anything else refused', () => {
    expect(parseRestoreSpec('orders=default,payments=3')).toEqual([
      { topic: 'orders', value: null },
      { topic: 'payments', value: '3' },
    ]);
    expect(() => parseRestoreSpec('orders=two')).toThrow(/not <topic>=<min ISR>\|default/);
  });
});
