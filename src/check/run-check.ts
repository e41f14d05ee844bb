/**
 * `kafka-failover check`: DR readiness of every cluster and flow in a clusters file. Read-only — it never writes
 * to a cluster.
 */
import { ClusterAccessError } from '../kafka/access-errors.js';
import type { LoadedClusters } from '../clusters/load.js';
import type { KafkaPort } from '../kafka/port.js';
import { remoteTopic, upstreamTopic } from '../mm2/naming.js';
import { checkFailoverAcls } from './acl-checks.js';
import { checkCluster, type ClusterThresholds } from './cluster-checks.js';
import { CHECK_EXIT, sortFindings, worstSeverity, type Finding, type Severity } from './findings.js';
import { checkFlow, checkFlowsStatic, type FlowThresholds } from './flow-checks.js';
import { checkObserver, checkObserverFlows } from './observer-checks.js';
import { checkStretchCluster } from './stretch-checks.js';

/** Options of {@link runCheck}; thresholds default to RF ≥ 3, min.insync.replicas ≥ 2, checkpoints ≤ 5 min old. */
export interface CheckOptions extends Partial<ClusterThresholds>, Partial<Pick<FlowThresholds, 'maxCheckpointAgeMs'>> {
  clusters: LoadedClusters;
  /** Port of a cluster by alias; throws or rejects when it cannot be opened. */
  port(alias: string): KafkaPort;
  /** Topics to check (regex over topic names; default all). */
  topics?: RegExp;
  /** Stretch clusters: controller-only voters and their sites, e.g. `5=c` (combined nodes take their broker rack). */
  controllerSites?: string;
  /** Observer clusters: time between the two samples of their local topics' log-end offsets (ms, default 5000). */
  observerWindowMs?: number;
  /** Waits `ms` (default a timer); the unit tests produce to a fake cluster here. */
  sleep?(ms: number): Promise<void>;
}

/** The check's result. */
export interface CheckReport {
  findings: Finding[];
  /** What could not be checked and why. */
  notes: string[];
  worst: Severity | 'none';
  exitCode: number;
  /** `replicationPolicies`: each flow's MM2 replication policy, e.g. `{'primary->dr': 'identity'}` (flows[].replicationPolicy). */
  checked: { clusters: string[]; flows: string[]; replicationPolicies: Record<string, 'default' | 'identity'> };
}

/** A check that could not finish is a finding, never a silent pass (e.g. kafkajs refusing metadata with a leaderless partition). */
function incomplete(where: string, what: string, e: unknown): Finding {
  return {
    id: 'check-incomplete',
    severity: 'high',
    where,
    subject: what,
    evidence: { error: (e as Error).message },
    fix: 'Fix the cause shown (often partitions without a leader, reported above) and run the check again: these checks did not run to the end.',
  };
}

/** Runs every check. A cluster that does not answer is itself reported in `notes` (and its checks skipped). */
export async function runCheck(o: CheckOptions): Promise<CheckReport> {
  const t = {
    minReplicationFactor: o.minReplicationFactor ?? 3,
    minInsyncReplicas: o.minInsyncReplicas ?? 2,
    maxCheckpointAgeMs: o.maxCheckpointAgeMs ?? 300_000,
  };
  const topics = o.topics ?? /.*/;
  const aliases = Object.keys(o.clusters.config.clusters);
  // Stretch "flows" name one cluster over sites (no MM2): judged by the stretch checks, not the flow checks.
  const flows = o.clusters.config.flows.filter((f) => f.kind !== 'stretch');
  const stretch = [...new Set(o.clusters.config.flows.filter((f) => f.kind === 'stretch').map((f) => f.source))];
  const observers = aliases.filter((a) => o.clusters.config.clusters[a]?.role === 'observer');
  const findings: Finding[] = [...checkFlowsStatic(flows), ...checkObserverFlows(observers, flows)];
  const notes: string[] = [];
  const up = new Map<string, boolean>();
  for (const alias of aliases) {
    try {
      await o.port(alias).describeCluster();
      up.set(alias, true);
    } catch (e) {
      // Refused credentials or certificates are this tool's configuration, not a finding about the cluster.
      if (e instanceof ClusterAccessError) throw e;
      up.set(alias, false);
      // Fail closed: what cannot be checked is not reported as fine.
      findings.push({
        id: 'cluster-unreachable',
        severity: 'critical',
        where: alias,
        subject: alias,
        evidence: { error: (e as Error).message },
        fix: `Check that ${alias} is up and that its bootstrapServers and security settings in ${o.clusters.file} are right; none of its checks ran.`,
      });
    }
  }
  for (const alias of aliases.filter((a) => up.get(a))) {
    // Remote topics of flows into this cluster are judged by the flow check (their fix differs).
    const into = flows.filter((f) => f.target === alias && f.replicationPolicy !== 'identity');
    const isRemote = (topic: string) => into.some((f) => upstreamTopic(f, topic) !== undefined && topic !== remoteTopic(f, 'heartbeats'));
    try {
      findings.push(...(await checkCluster(alias, o.port(alias), topics, t, isRemote)));
    } catch (e) {
      findings.push(incomplete(alias, 'topic checks', e));
    }
  }
  // Observers: their local topics sampled twice over one window (all observers in parallel, one wait).
  const observed = await Promise.all(
    observers
      .filter((a) => up.get(a))
      .map(async (alias) => {
        const inbound = flows.filter((f) => f.target === alias);
        const sourceTopics = new Map<string, Set<string> | undefined>();
        for (const f of inbound.filter((x) => x.replicationPolicy === 'identity'))
          sourceTopics.set(f.source, up.get(f.source) ? new Set(await o.port(f.source).listTopics()) : undefined);
        try {
          return await checkObserver(alias, o.port(alias), inbound, sourceTopics, {
            topics,
            windowMs: o.observerWindowMs ?? 5000,
            sleep: o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
          });
        } catch (e) {
          return { findings: [incomplete(alias, 'observer checks (local topics written)', e)], notes: [] };
        }
      }),
  );
  for (const r of observed) {
    findings.push(...r.findings);
    notes.push(...r.notes);
  }
  for (const alias of stretch.filter((a) => up.get(a))) {
    try {
      findings.push(...(await checkStretchCluster(alias, o.port(alias), topics, o.controllerSites ?? '')));
    } catch (e) {
      findings.push(incomplete(alias, 'stretch checks (racks, min ISR per site, controller quorum)', e));
    }
  }
  for (const flow of flows) {
    if (!up.get(flow.target)) continue;
    try {
      const r = await checkFlow(flow, o.port(flow.target), up.get(flow.source) ? o.port(flow.source) : undefined, topics, t);
      // An active-active pair (the opposite flow prefixed too) writes `orders` on both sides by design: each site's own,
      // kept apart by prefixes (docs/design/topologies.md). Not a finding there.
      const pair =
        flow.replicationPolicy === 'default' && flows.some((f) => f.source === flow.target && f.target === flow.source && f.replicationPolicy === 'default');
      findings.push(...r.findings.filter((f) => !(pair && f.id === 'active-active-topic')));
      notes.push(...r.notes);
    } catch (e) {
      findings.push(incomplete(`${flow.source}->${flow.target}`, 'flow checks (checkpoints, groups, active-active)', e));
    }
  }
  // Would the tool's principal be allowed to fail each flow over (the planned failover's declared ACLs)?
  for (const flow of flows) {
    if (!up.get(flow.target) || !up.get(flow.source)) continue;
    try {
      const r = await checkFailoverAcls(flow, o.port(flow.source), o.port(flow.target), topics);
      findings.push(...r.findings);
      notes.push(...r.notes);
    } catch (e) {
      findings.push(incomplete(`${flow.source}->${flow.target}`, 'failover ACLs (check-permissions)', e));
    }
  }
  const worst = worstSeverity(findings);
  return {
    findings: sortFindings(findings),
    notes,
    worst,
    exitCode: CHECK_EXIT[worst],
    checked: {
      clusters: aliases,
      flows: flows.map((f) => `${f.source}->${f.target}`),
      replicationPolicies: Object.fromEntries(flows.map((f) => [`${f.source}->${f.target}`, f.replicationPolicy])),
    },
  };
}
