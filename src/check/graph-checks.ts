/**
 * Static checks of the replication graph a clusters file describes (its MM2 flows), beyond one flow at a time
 * (docs/design/topologies.md):
 * - `identity-loop` (critical): a directed cycle of flows with at least one IdentityReplicationPolicy flow that is
 *   not two identity flows facing each other (those are `identity-bidirectional`, flow-checks.ts). MM2 stops a record
 *   from going around only by its prefixes (MirrorSourceConnector.isCycle walks `topicSource`/`upstreamTopic` and
 *   stops at the target alias); an identity hop drops the prefix (IdentityReplicationPolicy.topicSource is null for
 *   every topic but heartbeats), so past it the copy looks like an original and comes back to the cluster it started from (with identity
 *   flows only, forever; with prefixed hops, until a prefix names the next target).
 *   Cycles of prefixed (default-policy) flows only are safe: active-active is one.
 * - `topic-two-paths` (medium): records of one cluster's topics reach another cluster by two or more simple paths of
 *   flows (e.g. A->C and A->B->C put `A.t` and `B.A.t` on C). A consumer reading both reads every record twice; a
 *   move must pick one path. Reported per (origin, destination) with the remote name each path produces.
 */
import type { FlowConfig } from '../clusters/schema.js';
import { isInternalTopic, remoteTopic } from '../mm2/naming.js';
import type { Finding } from './findings.js';

const flowName = (f: Pick<FlowConfig, 'source' | 'target'>) => `${f.source}->${f.target}`;

/** The probe topic name the graph checks follow: any topic of the origin cluster that no exclusion names. */
export const PROBE_TOPIC = 't';

/**
 * MM2's own cycle test for a topic on a flow's source (MirrorSourceConnector.isCycle): under the default policy the
 * name's prefixes are walked (`topicSource`, then `upstreamTopic`) and the topic is a cycle when one of them is the
 * flow's target alias; under the identity policy `topicSource` is null (but for heartbeats), so nothing is a cycle.
 */
export function mm2IsCycle(flow: Pick<FlowConfig, 'target' | 'replicationPolicy' | 'separator'>, topic: string): boolean {
  if (flow.replicationPolicy === 'identity') return false;
  // DefaultReplicationPolicy.topicSource: the part before the first separator; upstreamTopic: the part after it.
  let name = topic;
  for (;;) {
    const at = name.indexOf(flow.separator);
    if (at < 0) return false;
    if (name.slice(0, at) === flow.target) return true;
    name = name.slice(at + flow.separator.length);
  }
}

/** Why a hop does not replicate a topic, or undefined when it does. */
export type HopStop = { reason: 'internal' | 'cycle' } | { reason: 'topics.exclude'; pattern: string };

/**
 * Whether MM2 on `flow` replicates a topic of that name (MirrorSourceConnector.shouldReplicateTopic: the topic
 * filter — DefaultTopicFilter matches each `topics.exclude` pattern against the whole name —, not internal, not a
 * cycle). The clusters file has no `topics` include list: every topic not excluded is taken to be replicated.
 * @returns undefined when replicated, else why not.
 */
export function mm2Passes(flow: FlowConfig, topic: string): HopStop | undefined {
  if (isInternalTopic(topic)) return { reason: 'internal' };
  const pattern = flow.topicsExclude.find((p) => new RegExp(`^(?:${p})$`).test(topic));
  if (pattern !== undefined) return { reason: 'topics.exclude', pattern };
  if (mm2IsCycle(flow, topic)) return { reason: 'cycle' };
  return undefined;
}

/** A topic followed along flows: the names it gets, and where (and why) it stops, if it does. */
export interface Walk {
  /** The name on each cluster reached, after each hop that replicated it. */
  names: string[];
  stopped?: { flow: string; name: string } & HopStop;
}

/** Follows a topic of the path's first cluster along the path's flows while MM2 replicates it ({@link mm2Passes}). */
export function walkTopic(path: readonly FlowConfig[], topic = PROBE_TOPIC): Walk {
  const names: string[] = [];
  let name = topic;
  for (const f of path) {
    const stop = mm2Passes(f, name);
    if (stop) return { names, stopped: { flow: flowName(f), name, ...stop } };
    name = remoteTopic(f, name);
    names.push(name);
  }
  return { names };
}

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

/** Laps of a cycle a topic is followed for: enough to tell a topic that comes back once from one that goes on. */
const LAPS = 3;

/** The cycle's flows in order, starting with the flow out of `origin`. */
const rotate = (cycle: readonly FlowConfig[], origin: string) => {
  const i = cycle.findIndex((f) => f.source === origin);
  return [...cycle.slice(i), ...cycle.slice(0, i)];
};

/**
 * The graph findings of a clusters file's flows (stretch "flows" excluded by the caller). A cycle through an identity
 * flow is reported when a topic of at least one of its clusters comes back to that cluster (every hop of one lap
 * replicates it, {@link walkTopic}) — once is already a copy of the cluster's own records on itself; a pair of clusters when at least two paths deliver the origin's topics.
 */
export function checkGraph(flows: readonly FlowConfig[]): Finding[] {
  const findings: Finding[] = [];
  for (const cycle of flowCycles(flows)) {
    const identity = cycle.filter((f) => f.replicationPolicy === 'identity');
    if (identity.length === 0) continue;
    if (cycle.length === 2 && identity.length === 2) continue; // identity-bidirectional (flow-checks.ts)
    // Follow each origin's topic for up to LAPS laps: how often it comes back, and where it stops.
    const laps = cycle.map((f) => {
      const lap = rotate(cycle, f.source);
      const walk = walkTopic(Array.from({ length: LAPS }, () => lap).flat());
      return { origin: f.source, walk, laps: Math.floor(walk.names.length / cycle.length), back: walk.names[cycle.length - 1] };
    });
    const returning = laps.filter((l) => l.laps >= 1);
    if (returning.length === 0) continue; // every origin's topics are stopped on the way (topics.exclude or MM2's cycle test)
    findings.push({
      id: 'identity-loop',
      severity: 'critical',
      where: cycle.map(flowName).join(' + '),
      subject: 'replication graph',
      evidence: {
        cycle: cycle.map(flowName),
        identityFlows: identity.map(flowName),
        namesAround: cycle.map((_, i) => nameAlong(cycle.slice(0, i + 1))),
        // Per origin: the name its topic `t` comes back under, or the hop (and exclusion) that stops it.
        returns: Object.fromEntries(returning.map((l) => [l.origin, { as: l.back, lapsCompleted: l.laps, lapsFollowed: LAPS }])),
        stopped: Object.fromEntries(laps.filter((l) => l.walk.stopped).map((l) => [l.origin, { ...l.walk.stopped, lapsCompleted: l.laps }])),
      },
      fix: `MM2 detects a cycle only by topic prefixes, and ${identity.map(flowName).join(', ')} ${identity.length === 1 ? 'drops them' : 'drop them'} (IdentityReplicationPolicy): a topic t of ${returning.map((l) => `${l.origin} comes back to ${l.origin} as ${l.back}${l.laps >= LAPS ? ` (still going after ${LAPS} laps)` : ''}`).join(', ')}. Use DefaultReplicationPolicy on every flow of the cycle, or exclude the returning topics with topics.exclude on a flow of the cycle (and say so in flows[].topicsExclude).`,
    });
  }
  const aliases = [...new Set(flows.flatMap((f) => [f.source, f.target]))].sort();
  for (const from of aliases)
    for (const to of aliases) {
      if (from === to) continue;
      const all = flowPaths(flows, from, to);
      const paths = all.filter((p) => !walkTopic(p).stopped);
      if (paths.length < 2) continue;
      const broken = all.filter((p) => walkTopic(p).stopped);
      findings.push({
        id: 'topic-two-paths',
        severity: 'medium',
        where: to,
        subject: `topics of ${from}`,
        evidence: {
          origin: from,
          paths: paths.map((p) => ({ via: p.map(flowName), topic: nameAlong(p) })),
          ...(broken.length ? { stoppedPaths: broken.map((p) => ({ via: p.map(flowName), stopped: walkTopic(p).stopped })) } : {}),
        },
        fix: `A topic t of ${from} reaches ${to} by ${paths.length} paths (${paths.map((p) => nameAlong(p)).join(', ')}): a consumer reading more than one copy reads every record more than once, and a group moved to ${to} must be planned on one of them. Keep one path (topics.exclude on the others, in flows[].topicsExclude too), or make sure consumers on ${to} read one copy.`,
      });
    }
  return findings;
}
