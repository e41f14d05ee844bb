/**
 * Static checks of the replication graph a clusters file describes (its MM2 flows), beyond one flow at a time
 * (docs/design/topologies.md):
 * - `identity-loop` (critical): a directed cycle of flows with at least one IdentityReplicationPolicy flow that is
 *   not two identity flows facing each other (those are `identity-bidirectional`, flow-checks.ts). MM2 stops a record
 *   from going around only by its prefixes (MirrorSourceConnector.isCycle walks `topicSource`/`upstreamTopic` and
 *   stops at the target alias); an identity hop drops the prefix (IdentityReplicationPolicy.topicSource is null for
 *   every topic but heartbeats), so past it the copy looks like an original and comes around again — forever.
 *   Cycles of prefixed (default-policy) flows only are safe: active-active is one.
 * - `topic-two-paths` (medium): records of one cluster's topics reach another cluster by two or more simple paths of
 *   flows (e.g. A->C and A->B->C put `A.t` and `B.A.t` on C). A consumer reading both reads every record twice; a
 *   move must pick one path. Reported per (origin, destination) with the remote name each path produces.
 */
import type { FlowConfig } from '../clusters/schema.js';
import { remoteTopic } from '../mm2/naming.js';
import type { Finding } from './findings.js';

const flowName = (f: Pick<FlowConfig, 'source' | 'target'>) => `${f.source}->${f.target}`;

/** Simple directed cycles of the flow graph (each once, starting at its smallest alias), as lists of flows. */
export function flowCycles(flows: readonly FlowConfig[]): FlowConfig[][] {
  const out: FlowConfig[][] = [];
  const aliases = [...new Set(flows.flatMap((f) => [f.source, f.target]))].sort();
  for (const start of aliases) {
    // Only cycles whose smallest alias is `start`: each cycle is found once.
    const walk = (at: string, path: FlowConfig[], seen: Set<string>) => {
      for (const f of flows.filter((x) => x.source === at && x.target >= start)) {
        if (f.target === start) out.push([...path, f]);
        else if (!seen.has(f.target)) walk(f.target, [...path, f], new Set([...seen, f.target]));
      }
    };
    walk(start, [], new Set([start]));
  }
  return out;
}

/** Simple paths of flows from `from` to `to` (no cluster visited twice). */
export function flowPaths(flows: readonly FlowConfig[], from: string, to: string): FlowConfig[][] {
  const out: FlowConfig[][] = [];
  const walk = (at: string, path: FlowConfig[], seen: Set<string>) => {
    for (const f of flows.filter((x) => x.source === at && !seen.has(x.target))) {
      if (f.target === to) out.push([...path, f]);
      else walk(f.target, [...path, f], new Set([...seen, f.target]));
    }
  };
  walk(from, [], new Set([from]));
  return out;
}

/** The name a topic `t` of the path's first cluster gets on its last one, hop by hop. */
export function nameAlong(path: readonly FlowConfig[], topic = 't'): string {
  return path.reduce((name, f) => remoteTopic(f, name), topic);
}

/** The graph findings of a clusters file's flows (stretch "flows" excluded by the caller). */
export function checkGraph(flows: readonly FlowConfig[]): Finding[] {
  const findings: Finding[] = [];
  for (const cycle of flowCycles(flows)) {
    const identity = cycle.filter((f) => f.replicationPolicy === 'identity');
    if (identity.length === 0) continue;
    if (cycle.length === 2 && identity.length === 2) continue; // identity-bidirectional (flow-checks.ts)
    findings.push({
      id: 'identity-loop',
      severity: 'critical',
      where: cycle.map(flowName).join(' + '),
      subject: 'replication graph',
      evidence: { cycle: cycle.map(flowName), identityFlows: identity.map(flowName), namesAround: cycle.map((_, i) => nameAlong(cycle.slice(0, i + 1))) },
      fix: `MM2 detects a cycle only by topic prefixes, and ${identity.map(flowName).join(', ')} ${identity.length === 1 ? 'drops them' : 'drop them'} (IdentityReplicationPolicy): a record goes around ${cycle.map((f) => f.source).join(' → ')} → ${cycle[0]!.source} again and again. Use DefaultReplicationPolicy on every flow of the cycle, or exclude the returning topics with topics.exclude (and say so in flows[].topicsExclude).`,
    });
  }
  const aliases = [...new Set(flows.flatMap((f) => [f.source, f.target]))].sort();
  for (const from of aliases)
    for (const to of aliases) {
      if (from === to) continue;
      const paths = flowPaths(flows, from, to);
      if (paths.length < 2) continue;
      findings.push({
        id: 'topic-two-paths',
        severity: 'medium',
        where: to,
        subject: `topics of ${from}`,
        evidence: { origin: from, paths: paths.map((p) => ({ via: p.map(flowName), topic: nameAlong(p) })) },
        fix: `A topic t of ${from} reaches ${to} by ${paths.length} paths (${paths.map((p) => nameAlong(p)).join(', ')}): a consumer reading more than one copy reads every record more than once, and a group moved to ${to} must be planned on one of them. Keep one path (topics.exclude on the others), or make sure consumers on ${to} read one copy.`,
      });
    }
  return findings;
}
