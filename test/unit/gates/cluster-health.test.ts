/**
 * Cluster health and the confirm-scope gates: offline = no live leader; under-replicated = live leader, ISR smaller
 * than the replicas; missing brokers, offline or under-replicated partitions make a cluster `degraded`. A target or a
 * planned failover's source must answer with 0 offline partitions; an emergency failover needs the source down, and a
 * degraded source (one broker down) blocks it.
 */
import { describe, expect, it } from 'vitest';
import {
  clusterHealth,
  partitionOffline,
  partitionUnderReplicated,
  sourceDown,
  sourceServing,
  targetServing,
  unreachableHealth,
} from '../../../src/gates/cluster-health.js';
import type { ClusterDescription, TopicInfo } from '../../../src/kafka/port.js';

const cluster = (ids: number[]): ClusterDescription => ({
  clusterId: 'c',
  controllerId: ids[0] ?? null,
  brokers: ids.map((nodeId) => ({ nodeId, host: 'h', port: 9092 })),
});
const part = (partition: number, leader: number, isr: number[]) => ({ partition, leader, replicas: [1, 2, 3], isr, offlineReplicas: [] });
const topics: TopicInfo[] = [{ name: 'orders', partitions: [part(0, 1, [1, 2, 3]), part(1, 2, [2, 3]), part(2, -1, []), part(3, 9, [9])] }];

describe('cluster health', () => {
  it('classifies partitions: no leader or a leader that does not answer is offline; a short ISR under a live leader is under-replicated', () => {
    const live = new Set([1, 2, 3]);
    expect(topics[0]!.partitions.map((p) => [partitionOffline(p, live), partitionUnderReplicated(p, live)])).toEqual([
      [false, false],
      [false, true],
      [true, false],
      [true, false],
    ]);
  });

  it('counts them and calls the cluster degraded; healthy with every broker and partition in place', () => {
    expect(clusterHealth(cluster([1, 2, 3]), topics, 3)).toEqual({
      reachable: true,
      brokers: 3,
      controllerId: 1,
      offlinePartitions: 2,
      underReplicatedPartitions: 1,
      verdict: 'degraded',
    });
    expect(clusterHealth(cluster([1, 2, 3]), [{ name: 'orders', partitions: [part(0, 1, [1, 2, 3])] }], 3).verdict).toBe('healthy');
  });

  it('calls a cluster with fewer brokers than expected degraded', () => {
    expect(clusterHealth(cluster([1, 2]), [], 3).verdict).toBe('degraded');
    expect(clusterHealth(cluster([1, 2]), [], undefined).verdict).toBe('healthy');
  });
});

describe('gates target-serving, source-serving', () => {
  const healthy = clusterHealth(cluster([1, 2, 3]), [], undefined);
  it('pass when the cluster answers with no offline partitions', () => {
    expect(targetServing('dr', healthy)).toEqual({
      id: 'target-serving',
      description: 'target dr answers with no offline partitions',
      observed: { reachable: true, offlinePartitions: 0 },
      expected: 'reachable, 0 offline partitions',
      ok: true,
    });
    expect(sourceServing('primary', healthy)).toEqual({
      id: 'source-serving',
      description: 'source primary answers with no offline partitions (planned failover)',
      observed: { reachable: true, offlinePartitions: 0 },
      expected: 'reachable, 0 offline partitions',
      ok: true,
    });
  });

  it('fail on an unreachable cluster and on offline partitions', () => {
    expect(targetServing('dr', unreachableHealth())).toMatchObject({ observed: { reachable: false, offlinePartitions: 0 }, ok: false });
    expect(sourceServing('primary', clusterHealth(cluster([1, 2, 3]), topics, undefined))).toMatchObject({
      observed: { reachable: true, offlinePartitions: 2 },
      ok: false,
    });
  });
});

describe('gate source-down', () => {
  it('passes when no broker of the source answers', () => {
    expect(sourceDown('primary', unreachableHealth())).toEqual({
      id: 'source-down',
      description: 'no broker of primary answers',
      observed: { verdict: 'cluster-down', brokers: 0 },
      expected: 'verdict cluster-down (no broker answers)',
      ok: true,
    });
  });

  it('fails on a degraded source, saying one broker down is not a disaster', () => {
    const g = sourceDown('primary', clusterHealth(cluster([1, 2]), [], 3));
    expect(g).toEqual({
      id: 'source-down',
      description: 'source primary still serves (2 broker(s) answer): one broker down is not a disaster — do not fail over',
      observed: { verdict: 'degraded', brokers: 2 },
      expected: 'verdict cluster-down (no broker answers)',
      ok: false,
    });
  });

  it('fails on a healthy source', () => {
    expect(sourceDown('primary', clusterHealth(cluster([1]), [], undefined))).toMatchObject({
      description: 'no broker of primary answers',
      observed: { verdict: 'healthy', brokers: 1 },
      ok: false,
    });
  });
});
