/**
 * What a step kind declares it needs from Kafka's authorizer: the ACLs (resource, name, operation, cluster) a run of
 * the step performs requests under. Each step kind declares its own next to its code (`StepKind.acls`); the
 * `check-permissions` step (src/steps/check-permissions.ts) gathers the declarations of every step of the runbook and
 * asks each cluster whether the tool's principal holds them. Design note: docs/design/permissions.md.
 *
 * Kafka's rules behind the declarations (Kafka docs "Authorization and ACLs", the operations table per request):
 * Metadata needs DESCRIBE on a topic to show it; ListOffsets DESCRIBE; Fetch READ; Produce WRITE; CreateTopics
 * CREATE on the cluster or on the topic name; OffsetFetch DESCRIBE on the group (and DESCRIBE on each topic, whose
 * partitions are left out otherwise); OffsetCommit READ on the group and READ on each topic; DescribeGroups and
 * FindCoordinator DESCRIBE on the group; DescribeConfigs DESCRIBE_CONFIGS. READ, WRITE, DELETE and ALTER imply
 * DESCRIBE, so a step that reads a topic declares READ alone.
 */
import type { FlowConfig } from '../clusters/schema.js';
import type { AclOperation, AuthorizedOperations, ResourceAuthz } from '../kafka/authorized-operations.js';
import { remoteTopic, upstreamTopic } from '../mm2/naming.js';

/** Kafka ACL resource types this tool needs (`kafka-acls --topic / --group / --cluster`). */
export type AclResource = 'topic' | 'group' | 'cluster';

/** One ACL a step needs on one cluster. */
export interface AclNeed {
  /** Cluster alias (clusters file). */
  cluster: string;
  resource: AclResource;
  /**
   * The resource's literal name (`kafka-cluster` for the cluster). A list: the first of these names that exists on
   * the cluster (e.g. MM2's checkpoints topic under one separator setting or the other); none existing: the first.
   */
  name: string | string[];
  operation: AclOperation;
  /** CREATE of a topic the tool creates only when it is missing: needed only then (on the topic name or the cluster). */
  ifMissing?: boolean;
  /** What the step does with it, e.g. "reads MM2 checkpoints". */
  why: string;
}

/** What a step kind's declaration may look at: the flow, its input, and the runbook's scope. */
export interface AclScope {
  /** The runbook's flow (a move pair of kind `move` in a runbook with `requireFlow: false`). */
  flow: FlowConfig;
  /** The clusters file's flows (the graph a move plans over: the opposite flow, third clusters' flows). */
  flows: readonly FlowConfig[];
  /** The step's input as far as it resolves before the run (`${params…}` resolved; later steps' outputs left as written). */
  with: Record<string, unknown>;
  /** The consumer groups the runbook moves, by id. */
  groups: string[];
  /** The source topics the runbook acts on, by name on the source. */
  topics: string[];
  /** A source topic's name on the target (the flow's replication policy). */
  remote(sourceTopic: string): string;
}

/** A flow MM2 runs (not a stretch cluster's, not a move pair). */
const mirrors = (f: FlowConfig) => f.kind !== 'stretch' && f.kind !== 'move';

/**
 * One copy of a third cluster's topic behind path 3 of a move X->Y (docs/design/topologies.md, "Path rules"): Z's
 * topic `origin`, copied to X by `inbound` (Z->X) and to Y by `outbound` (Z->Y), Z neither X nor Y.
 */
export interface ThirdClusterCopy {
  inbound: FlowConfig;
  outbound: FlowConfig;
  /** The topic on Z. */
  origin: string;
  /** Its copy on X (`remoteTopic(inbound, origin)`). */
  onSource: string;
  /** Its copy on Y (`remoteTopic(outbound, origin)`). */
  onTarget: string;
}

/**
 * The third clusters' copies the scope's topics stand for on the move `s.flow` (X->Y), from the clusters file's flows:
 * for each flow Z->X under the default replication policy with Z ∉ {X, Y} and a flow Z->Y. A scope topic that is
 * already a copy on X of some Z->X (`r1.orders`: a name listed on X) stands for that copy alone; any other name `t`
 * for Z's `t` under every such Z (as translate-back declares copies: by name, each path deriving its own). Pure.
 */
export function thirdClusterCopies(s: Pick<AclScope, 'flow' | 'flows' | 'topics'>): ThirdClusterCopy[] {
  const { source: x, target: y } = s.flow;
  const pairs = s.flows
    .filter((f) => mirrors(f) && f.target === x && f.source !== x && f.source !== y && f.replicationPolicy === 'default')
    .flatMap((inbound) => {
      const outbound = s.flows.find((g) => mirrors(g) && g.source === inbound.source && g.target === y);
      return outbound ? [{ inbound, outbound }] : [];
    });
  return s.topics.flatMap((t) => {
    const claimed = pairs.filter((p) => upstreamTopic(p.inbound, t) !== undefined);
    return (claimed.length ? claimed : pairs).map((p) => {
      const origin = claimed.length ? upstreamTopic(p.inbound, t)! : t;
      return { ...p, origin, onSource: remoteTopic(p.inbound, origin), onTarget: remoteTopic(p.outbound, origin) };
    });
  });
}

/**
 * The names the moved groups' topics have on the target: the flow's remote topics, or on a move pair (no flow between
 * the two clusters) Y's copies of the third clusters' topics ({@link thirdClusterCopies}).
 */
export function topicsOnTarget(s: AclScope): string[] {
  return s.flow.kind === 'move' ? [...new Set(thirdClusterCopies(s).map((c) => c.onTarget))] : s.topics.map(s.remote);
}

/** The names the moved groups' topics have on the source: the scope's topics, or on a move pair X's copies. */
export function topicsOnSource(s: AclScope): string[] {
  return s.flow.kind === 'move' ? [...new Set(thirdClusterCopies(s).map((c) => c.onSource))] : s.topics;
}

/** Needs for several operations on the same resource. */
export function needs(cluster: string, resource: AclResource, names: (string | string[])[], operations: AclOperation[], why: string): AclNeed[] {
  return names.flatMap((name) => operations.map((operation) => ({ cluster, resource, name, operation, why })));
}

/** The ACLs of a topic the tool creates when missing (compacted bookkeeping topics) and then writes and reads. */
export function ownTopicNeeds(cluster: string, topic: string, why: string): AclNeed[] {
  return [
    { cluster, resource: 'topic', name: topic, operation: 'CREATE', ifMissing: true, why },
    { cluster, resource: 'topic', name: topic, operation: 'WRITE', why },
    { cluster, resource: 'topic', name: topic, operation: 'READ', why },
  ];
}

/**
 * The names a whole-name regular expression selects when it is an alternation of literal names (`billing|shipping`,
 * `a\.b`), else null (it must be matched against what the cluster lists).
 */
export function literalAlternatives(regex: string): string[] | null {
  const body = regex.replace(/^\^?(?:\(\?:|\()?/, '').replace(/\)?\$?$/, '');
  const parts = body.split('|').map((p) => p.replace(/\\([.\-_])/g, '$1'));
  return parts.every((p) => /^[A-Za-z0-9._-]+$/.test(p)) && !/[()]/.test(body) ? parts : null;
}

/** Operations that imply DESCRIBE (Kafka's ACL implication rules): refused DESCRIBE means these are refused too. */
const IMPLY_DESCRIBE: ReadonlySet<AclOperation> = new Set(['DESCRIBE', 'READ', 'WRITE', 'DELETE', 'ALTER']);

/** An ACL as checked: the need (name resolved) and the verdict. */
export interface CheckedAcl {
  cluster: string;
  resource: AclNeed['resource'];
  name: string;
  operation: AclOperation;
  /** Steps (ids) that need it. */
  steps: string[];
  verdict: 'granted' | 'missing' | 'unknown' | 'not-needed';
  /** Why unknown or not needed. */
  reason?: string;
}

/**
 * The verdict on one need from what the cluster answered (pure; unit-tested).
 * - CREATE `ifMissing` of a topic that exists: not needed; of a missing topic: granted by CREATE on the topic name
 *   or on the cluster; missing when the cluster's operations are known and neither has it; else unknown.
 * - A resource the cluster refused to describe: operations implying DESCRIBE are missing, others unknown.
 */
export function judge(
  need: Omit<CheckedAcl, 'verdict' | 'reason' | 'steps'> & { ifMissing?: boolean },
  a: AuthorizedOperations | undefined,
): Pick<CheckedAcl, 'verdict' | 'reason'> {
  if (!a) return { verdict: 'unknown', reason: 'the cluster did not answer' };
  if (need.resource === 'cluster') {
    if (a.cluster === null) return { verdict: 'unknown', reason: 'Kafka reports cluster operations only to a principal that may DESCRIBE the cluster' };
    return { verdict: a.cluster.includes(need.operation) ? 'granted' : 'missing' };
  }
  const r: ResourceAuthz | undefined = (need.resource === 'topic' ? a.topics : a.groups).get(need.name);
  if (!r) return { verdict: 'unknown', reason: "not in the cluster's answer" };
  if (need.ifMissing && need.operation === 'CREATE') {
    if (r.exists === true) return { verdict: 'not-needed', reason: 'exists' };
    if (r.operations?.includes('CREATE') || a.cluster?.includes('CREATE')) return { verdict: 'granted' };
    if (r.exists === null) return { verdict: 'unknown', reason: 'whether it exists is not visible to this principal' };
    if (a.cluster !== null) return { verdict: 'missing' };
    return {
      verdict: 'unknown',
      reason:
        'CREATE on the topic name is not granted; CREATE on the cluster is not visible without DESCRIBE on the cluster (grant CREATE on the topic name to make it checkable)',
    };
  }
  if (r.describeDenied) {
    return IMPLY_DESCRIBE.has(need.operation)
      ? { verdict: 'missing', reason: 'the cluster refuses even to describe it' }
      : { verdict: 'unknown', reason: 'the cluster refuses to describe it' };
  }
  if (r.operations === null) return { verdict: 'unknown', reason: r.note ?? 'the cluster did not report its operations' };
  return { verdict: r.operations.includes(need.operation) ? 'granted' : 'missing' };
}
