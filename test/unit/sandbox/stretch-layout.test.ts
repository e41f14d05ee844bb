import { describe, expect, it } from 'vitest';
import { controllerSitesSpec, stretchBootstrap, stretchLayout, stretchNodeProperties } from '../../../src/rehearsal/sandbox/stretch.js';

describe('stretch sandbox layout', () => {
  it('three-sites: voters 1@a, 3@b, 5@c; RF 4, min ISR 3; ports from the base', () => {
    const l = stretchLayout({ brokersPerSite: 2, quorum: 'three-sites' }, 40090);
    expect(l.nodes.map((n) => `${n.name}:${n.site}:${n.roles}:${n.nodeId}:${n.port ?? '-'}:${n.controllerPort ?? '-'}`)).toEqual([
      'stretch-a1:a:combined:1:40092:40093',
      'stretch-a2:a:broker:2:40094:-',
      'stretch-b1:b:combined:3:40096:40097',
      'stretch-b2:b:broker:4:40098:-',
      'stretch-c:c:controller:5:-:40101',
    ]);
    expect([l.replicationFactor, l.minInsyncReplicas]).toEqual([4, 3]);
    expect(controllerSitesSpec(l)).toBe('5=c');
    expect(stretchBootstrap(l, 'b')).toEqual(['127.0.0.1:40096', '127.0.0.1:40098']);
  });
  it('one-site: voters 1, 2 in a and 3 in b (the anti-pattern); the small variant keeps RF 2 / min ISR 2', () => {
    const l = stretchLayout({ brokersPerSite: 2, quorum: 'one-site' }, 41090);
    expect(l.nodes.filter((n) => n.roles !== 'broker').map((n) => `${n.nodeId}@${n.site}`)).toEqual(['1@a', '2@a', '3@b']);
    const small = stretchLayout({ brokersPerSite: 1, quorum: 'one-site' }, 41090);
    expect(small.nodes.map((n) => `${n.nodeId}@${n.site}:${n.roles}`)).toEqual(['1@a:combined', '2@a:controller', '3@b:combined']);
    expect([small.replicationFactor, small.minInsyncReplicas]).toEqual([2, 2]);
  });
  it('broker properties: rack, rack-aware replica selector, RF and min ISR, voters, no unclean election', () => {
    const l = stretchLayout({ brokersPerSite: 2, quorum: 'three-sites' }, 40090);
    const p = stretchNodeProperties(l.nodes[2]!, l, '4.4.0', '/tmp/x');
    expect(p).toMatchObject({
      'broker.rack': 'b',
      'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector',
      'default.replication.factor': '4',
      'offsets.topic.replication.factor': '4',
      'min.insync.replicas': '3',
      'controller.quorum.voters': '1@127.0.0.1:40093,3@127.0.0.1:40097,5@127.0.0.1:40101',
      'unclean.leader.election.enable': 'false',
      'process.roles': 'broker,controller',
    });
    expect(stretchNodeProperties(l.nodes[4]!, l, '4.4.0', '/tmp/x')['broker.rack']).toBeUndefined();
  });
});
