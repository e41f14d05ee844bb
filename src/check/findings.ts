/**
 * Findings of the DR readiness check (`kafka-failover check`): the configuration anti-patterns that turn an outage
 * into data loss (catalogued in ../shared/seeds: RF = 1, min.insync.replicas = 1, unclean leader election,
 * identity-policy loops, failover without offset sync), each with its evidence (numbers) and the fix.
 */

/** How bad a finding is; the check's exit code follows the worst one. */
export type Severity = 'critical' | 'high' | 'medium';

/** Worst first. */
export const SEVERITIES: Severity[] = ['critical', 'high', 'medium'];

/** Exit codes of `check` by worst severity (0: no finding). Documented in the README. */
export const CHECK_EXIT: Record<Severity | 'none', number> = { none: 0, medium: 10, high: 11, critical: 12 };

/** Stable finding ids (one per anti-pattern). */
export type FindingId =
  | 'cluster-unreachable'
  | 'check-incomplete'
  | 'replication-factor-low'
  | 'min-insync-low'
  | 'isr-at-or-below-min'
  | 'unclean-leader-election'
  | 'under-replicated-partitions'
  | 'offline-partitions'
  | 'checkpoints-missing'
  | 'mm2-not-visible'
  | 'checkpoints-stale'
  | 'group-not-checkpointed'
  | 'group-type-not-checkpointed'
  | 'streams-state-not-replicated'
  | 'target-min-insync-low'
  | 'identity-bidirectional'
  | 'identity-target-ahead'
  | 'active-active-topic'
  // The replication graph (src/check/graph-checks.ts).
  | 'identity-loop'
  | 'topic-two-paths'
  // Observer (read-only) clusters (src/check/observer-checks.ts).
  | 'observer-flow-source'
  | 'observer-written'
  // Least privilege (src/check/acl-checks.ts).
  | 'failover-acls-missing'
  // Stretch clusters (src/check/stretch-checks.ts).
  | 'stretch-replicas-one-rack'
  | 'stretch-min-isr-one-site'
  | 'stretch-quorum-one-site'
  | 'stretch-rack-missing';

/** One finding: what, where, the evidence, and how to fix it. */
export interface Finding {
  id: FindingId;
  severity: Severity;
  /** Cluster alias, or a flow `a->b`. */
  where: string;
  /** Topic, group or flow concerned. */
  subject: string;
  /** Measured values (counts, configs, ages in ms), never adjectives. */
  evidence: Record<string, unknown>;
  /** What to change. */
  fix: string;
}

/** The worst severity of a list of findings, or `none`. */
export function worstSeverity(findings: Finding[]): Severity | 'none' {
  for (const s of SEVERITIES) if (findings.some((f) => f.severity === s)) return s;
  return 'none';
}

/** Sorts findings worst first, then by id, place and subject (stable output to compare runs). */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      a.id.localeCompare(b.id) ||
      a.where.localeCompare(b.where) ||
      a.subject.localeCompare(b.subject),
  );
}
