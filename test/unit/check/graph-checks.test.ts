/**
 * The replication-graph findings of `check` (src/check/graph-checks.ts), on clusters files' flows alone:
 * an active-active pair under DefaultReplicationPolicy is clean; a cycle through an identity flow is `identity-loop`
 * (critical) unless it is the two-flow identity pair (`identity-bidirectional`, reported by flow-checks.ts); a
 * cluster reached from one origin by two paths is `topic-two-paths` with the name each path produces.
 */
import { describe, expect, it } from 'vitest';
import { checkFlowsStatic } from '../../../src/check/flow-checks.js';
import { checkGraph, flowCycles, nameAlong } from '../../../src/check/graph-checks.js';
import type { FlowConfig } from '../../../src/clusters/schema.js';

const flow = (source: string, target: string, replicationPolicy: 'default' | 'identity' = 'default'): FlowConfig => ({
  source,
  target,
  replicationPolicy,
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: [],
  topicsExclude: [],
});
const ids = (flows: FlowConfig[]) => checkFlowsStatic(flows).map((f) => [f.id, f.where]);

describe('replication graph checks', () => {
  it('an active-active pair with prefixed remote topics has no graph finding', () => {
    expect(ids([flow('a', 'b'), flow('b', 'a')])).toEqual([]);
    expect(flowCycles([flow('a', 'b'), flow('b', 'a')]).map((c) => c.map((f) => `${f.source}->${f.target}`))).toEqual([['a->b', 'b->a']]);
  });

  it('a cycle through one identity flow is an identity loop; two identity flows facing each other keep their own finding', () => {
    expect(ids([flow('a', 'b', 'identity'), flow('b', 'a')])).toEqual([['identity-loop', 'a->b + b->a']]);
    expect(ids([flow('a', 'b', 'identity'), flow('b', 'a', 'identity')])).toEqual([['identity-bidirectional', 'a->b + b->a']]);
    const three = checkGraph([flow('a', 'b'), flow('b', 'c'), flow('c', 'a', 'identity')]);
    expect(three).toMatchObject([{ id: 'identity-loop', severity: 'critical', evidence: { cycle: ['a->b', 'b->c', 'c->a'], identityFlows: ['c->a'] } }]);
    // A cycle of prefixed flows only is safe: MM2's isCycle stops a record at the cluster its prefixes name.
    expect(checkGraph([flow('a', 'b'), flow('b', 'c'), flow('c', 'a')]).filter((f) => f.id === 'identity-loop')).toEqual([]);
  });

  it('a cluster reached from one origin by two paths is reported with the name each path gives a topic', () => {
    const r = checkGraph([flow('a', 'c'), flow('a', 'b'), flow('b', 'c')]);
    expect(r).toMatchObject([
      {
        id: 'topic-two-paths',
        severity: 'medium',
        where: 'c',
        evidence: {
          origin: 'a',
          paths: [
            { via: ['a->c'], topic: 'a.t' },
            { via: ['a->b', 'b->c'], topic: 'b.a.t' },
          ],
        },
      },
    ]);
    expect(nameAlong([flow('a', 'b', 'identity'), flow('b', 'c')], 'orders')).toBe('b.orders');
  });
});
