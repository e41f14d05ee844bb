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

describe('replication graph checks honour topics.exclude (flows[].topicsExclude)', () => {
  const excl = (f: FlowConfig, ...topicsExclude: string[]): FlowConfig => ({ ...f, topicsExclude });
  const loops = (flows: FlowConfig[]) => checkGraph(flows).filter((f) => f.id === 'identity-loop');

  it('an identity loop whose returning names every origin is stopped at is not reported', () => {
    // a's t: a.t on b, b.a.t on c, b.a.t on a (identity). c's t: t on a, a.t on b, b.a.t on c. b's t: b.t on c, b.t on a,
    // then a->b's own cycle test stops it (prefix b = its target).
    const cycle = [flow('a', 'b'), flow('b', 'c'), flow('c', 'a', 'identity')];
    expect(loops(cycle)[0]?.evidence).toMatchObject({ returns: { a: { as: 'b.a.t' }, c: { as: 'b.a.t' } }, stopped: { b: { reason: 'cycle' } } });
    // b->c refuses a's copies: neither a's nor c's topics come back.
    expect(loops([flow('a', 'b'), excl(flow('b', 'c'), 'a\\..*'), flow('c', 'a', 'identity')])).toEqual([]);
  });

  it('an exclusion that stops one origin but not another leaves the loop reported for the other', () => {
    const r = loops([flow('a', 'b'), flow('b', 'c'), excl(flow('c', 'a', 'identity'), 'b\\.a\\..*')]);
    // c->a refuses b.a.* (a's topics coming home), but c's t has come back to c as b.a.t before that hop sees it.
    expect(r).toHaveLength(1);
    expect(r[0]!.evidence).toMatchObject({
      returns: { c: { as: 'b.a.t', lapsCompleted: 1 } },
      stopped: { a: { flow: 'c->a', name: 'b.a.t', reason: 'topics.exclude', pattern: 'b\\.a\\..*', lapsCompleted: 0 } },
    });
  });

  it('an exclusion naming one topic does not break a loop for the others', () => {
    expect(loops([flow('a', 'b', 'identity'), excl(flow('b', 'a'), 'orders')])).toHaveLength(1);
  });

  it('a second path that topics.exclude stops is not reported; one it does not stop still is', () => {
    const graph = (bc: FlowConfig) => checkGraph([flow('a', 'c'), flow('a', 'b'), bc]).filter((f) => f.id === 'topic-two-paths');
    expect(graph(excl(flow('b', 'c'), 'a\\..*'))).toEqual([]);
    const still = graph(excl(flow('b', 'c'), 'orders', 'x\\..*'));
    expect(still).toMatchObject([{ where: 'c', evidence: { origin: 'a', paths: [{ topic: 'a.t' }, { topic: 'b.a.t' }] } }]);
  });
});
