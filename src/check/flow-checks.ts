/**
 * Per-flow readiness checks (../shared/reference/mm2-internals.md): MM2 checkpoints missing or stale, source groups
 * without checkpoints (offset sync off, filtered, or lagging), remote topics on the target with min.insync.replicas
 * below the threshold (MM2 never syncs that config), bidirectional identity-policy flows (a replication loop MM2
 * cannot detect), topics of the same unprefixed name written in both clusters (active-active conflicts), and under
 * the identity policy, replicated topics whose target log has passed the source's (written on the target too).
 */
import type { FlowConfig } from '../clusters/schema.js';
import type { KafkaPort } from '../kafka/port.js';
import { checkpointsTopicCandidates, isInternalTopic, pickExisting, remoteTopic, upstreamTopic } from '../mm2/naming.js';
import { translateOffsets } from '../mm2/translate.js';
import { checkGraph } from './graph-checks.js';
import type { Finding } from './findings.js';

/** Thresholds of the flow checks. */
export interface FlowThresholds {
  /** A checkpoint older than this (ms) while its group moved on the source is stale (default 5 min). */
  maxCheckpointAgeMs: number;
  minInsyncReplicas: number;
}

const flowName = (f: FlowConfig) => `${f.source}->${f.target}`;

/** Static checks over the clusters file's flows. */
export function checkFlowsStatic(flows: FlowConfig[]): Finding[] {
  const out: Finding[] = [];
  for (const f of flows) {
    const back = flows.find((g) => g.source === f.target && g.target === f.source);
    if (back && f.replicationPolicy === 'identity' && back.replicationPolicy === 'identity' && f.source < f.target) {
      out.push({
        id: 'identity-bidirectional',
        severity: 'critical',
        where: `${flowName(f)} + ${flowName(back)}`,
        subject: 'replication policy',
        evidence: { flows: [flowName(f), flowName(back)], replicationPolicy: 'identity' },
        fix: "With IdentityReplicationPolicy in both directions MM2 cannot tell a record's origin and replicates it back and forth: use DefaultReplicationPolicy (prefixed remote topics) in at least one direction, or run one direction at a time.",
      });
    }
  }
  // Longer cycles through an identity flow, and topics reaching a cluster by two paths (graph-checks.ts).
  out.push(...checkGraph(flows));
  return out;
}

/** Checks one flow against its clusters. `source` undefined: unreachable (group checks are skipped, with a note). */
export async function checkFlow(
  flow: FlowConfig,
  target: KafkaPort,
  source: KafkaPort | undefined,
  topicFilter: RegExp,
  t: FlowThresholds,
): Promise<{ findings: Finding[]; notes: string[] }> {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const where = flowName(flow);
  const targetTopics = await target.listTopics();

  // Remote topics on the target: min.insync.replicas is not synced by MM2 (DefaultConfigPropertyFilter).
  const remote = targetTopics.filter(
    (x) => !isInternalTopic(x) && x !== remoteTopic(flow, 'heartbeats') && upstreamTopic(flow, x) !== undefined && topicFilter.test(x),
  );
  if (remote.length && flow.replicationPolicy !== 'identity') {
    const cfg = await target.describeConfigs('topic', remote);
    for (const name of remote) {
      const minIsr = Number(cfg.get(name)?.get('min.insync.replicas') ?? '1');
      if (minIsr < t.minInsyncReplicas) {
        findings.push({
          id: 'target-min-insync-low',
          severity: 'medium',
          where: flow.target,
          subject: name,
          evidence: { minInsyncReplicas: minIsr, expected: `≥ ${t.minInsyncReplicas}`, flow: where },
          fix: `After a failover producers write here with acks=all acknowledged by ${minIsr} replica(s): MM2 does not copy min.insync.replicas, so set it on the target topic or as the target brokers' default (min.insync.replicas=${t.minInsyncReplicas}).`,
        });
      }
    }
  }

  if (!source) {
    notes.push(`${where}: source ${flow.source} does not answer — checkpoint, group and active-active checks need it and were skipped.`);
    return { findings, notes };
  }

  // Kafka Streams applications whose state stores would restart empty on the target: their changelog topics
  // (`<application.id>-…-changelog`) are replicated under a prefix the application never reads.
  if (flow.replicationPolicy !== 'identity') {
    const sourceTopicList = await source.listTopics();
    const targetSet = new Set(targetTopics);
    for (const g of await source.listGroups()) {
      const changelogs = sourceTopicList.filter((x) => x.startsWith(`${g.groupId}-`) && x.endsWith('-changelog')).sort();
      if (changelogs.length === 0) continue;
      findings.push({
        id: 'streams-state-not-replicated',
        severity: 'high',
        where,
        subject: g.groupId,
        evidence: {
          groupType: g.type,
          changelogTopics: changelogs,
          onTargetAs: changelogs.map((c) => (targetSet.has(remoteTopic(flow, c)) ? remoteTopic(flow, c) : `${remoteTopic(flow, c)} (not on ${flow.target})`)),
          readOnTargetFrom: changelogs,
        },
        fix: `Kafka Streams application "${g.groupId}" restores its state stores from ${changelogs.length === 1 ? changelogs[0] : 'its changelog topics'} on whichever cluster it runs; MM2 copies them to ${flow.target} as ${remoteTopic(flow, changelogs[0]!)}${changelogs.length > 1 ? ', …' : ''}, which it never reads, so after a failover its state starts empty (counts, joins and windows restart). Rebuild state on ${flow.target} from the input topics, replicate changelogs under their own names (IdentityReplicationPolicy for them), or accept and document the reset.`,
      });
    }
  }

  // Same unprefixed topic name with records in both clusters (default policy: the target's copy is prefixed, so a
  // local topic of the same name is written by someone else — after a failover both streams mix).
  if (flow.replicationPolicy !== 'identity') {
    const sourceTopics = new Set(await source.listTopics());
    for (const name of targetTopics.filter(
      (x) => sourceTopics.has(x) && !isInternalTopic(x) && !x.startsWith('_') && topicFilter.test(x) && x !== 'heartbeats',
    )) {
      const [s, d] = await Promise.all([source.partitionOffsets(name), target.partitionOffsets(name)]);
      const sRecords = s.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0);
      const dRecords = d.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0);
      if (sRecords > 0 && dRecords > 0) {
        findings.push({
          id: 'active-active-topic',
          severity: 'medium',
          where,
          subject: name,
          evidence: { recordsOnSource: sRecords, recordsOnTarget: dRecords, replicatedAs: remoteTopic(flow, name) },
          fix: `"${name}" is written in both clusters while MM2 replicates it as "${remoteTopic(flow, name)}": consumers failing over read two streams of the same name. Give each cluster's writers their own topic, or make sure only one side writes.`,
        });
      }
    }
  }

  // Identity: the target's `t` is the source's `t` copied record for record, so its log-end offset never passes the
  // source's (upstream offsets only skip ahead: transaction markers, compaction). A partition ahead was written on
  // the target too (a DR period, or a producer on the wrong cluster): one log now mixes both clusters' records, and a
  // failback that starts the reverse flow anywhere but at the failover's log-end offsets copies records back twice.
  if (flow.replicationPolicy === 'identity') {
    const sourceTopics = new Set(await source.listTopics());
    for (const name of targetTopics.filter(
      (x) => sourceTopics.has(x) && !isInternalTopic(x) && !x.startsWith('mm2-') && x !== 'heartbeats' && !x.endsWith('.heartbeats') && topicFilter.test(x),
    )) {
      const [s, d] = await Promise.all([source.partitionOffsets(name), target.partitionOffsets(name)]);
      const ahead = d
        .map((p) => ({ partition: p.partition, target: p.highWatermark, source: s.find((x) => x.partition === p.partition)?.highWatermark ?? 0 }))
        .filter((p) => p.target > p.source);
      if (ahead.length === 0) continue;
      findings.push({
        id: 'identity-target-ahead',
        severity: 'medium',
        where,
        subject: name,
        evidence: {
          replicationPolicy: 'identity',
          partitionsAhead: ahead.length,
          recordsAhead: ahead.reduce((n, p) => n + p.target - p.source, 0),
          logEndOffsets: ahead.slice(0, 10),
        },
        fix: `Under IdentityReplicationPolicy "${name}" on ${flow.target} is the copy of ${flow.source}'s "${name}", yet it holds more records: something writes to it on ${flow.target} (expected only during a DR period after a failover). Stop writers on ${flow.target} while ${where} runs; to fail back, run failback.yaml with failoverRun=<the failover run's directory> so the reverse flow starts at the log-end offsets recorded at the failover.`,
      });
    }
  }

  // Checkpoints: present, fresh for groups that moved, and covering every group with source commits.
  const checkpoints = pickExisting(checkpointsTopicCandidates(flow), targetTopics);
  if (!checkpoints) {
    const withCommits: string[] = [];
    for (const g of await source.listGroups()) {
      if ((await source.committedOffsets(g.groupId)).some((c) => topicFilter.test(c.topic) && !isInternalTopic(c.topic))) withCommits.push(g.groupId);
    }
    if (withCommits.length) {
      findings.push({
        id: 'checkpoints-missing',
        severity: 'critical',
        where,
        subject: checkpointsTopicCandidates(flow)[0]!,
        evidence: { checkpointsTopic: null, groupsWithCommitsOnSource: withCommits.length, groups: withCommits.slice(0, 20) },
        fix: `No MM2 checkpoints on ${flow.target}: groups would restart at earliest or latest after a failover. Run the MirrorCheckpointConnector for ${where} (emit.checkpoints.enabled=true) and check its groups filter.`,
      });
    } else {
      // Nothing of the flow is visible: MM2 never ran — or this tool's principal may not see topics and groups. On a
      // cluster with an authorizer, Metadata and ListGroups leave out what the principal may not Describe, so a
      // principal without ACLs sees an empty cluster; that must not pass as "no findings" (fail closed).
      findings.push({
        id: 'mm2-not-visible',
        severity: 'high',
        where,
        subject: checkpointsTopicCandidates(flow)[0]!,
        evidence: { checkpointsTopic: null, targetTopicsVisible: targetTopics.length, groupsWithCommitsOnSource: 0 },
        fix: `Neither MM2 checkpoints on ${flow.target} nor groups with commits on ${flow.source} are visible: start MM2 for ${where}, or — on a cluster with an authorizer — grant this tool's principal Describe on the topics and groups (and Describe on the cluster to list groups); a principal without ACLs sees an empty cluster.`,
      });
    }
    return { findings, notes };
  }
  const all = await translateOffsets({ flow, target, source });
  const r = {
    partitions: all.partitions.filter((p) => topicFilter.test(p.sourceTopic)),
    untranslated: all.untranslated.filter((u) => topicFilter.test(u.sourceTopic)),
  };
  const stale = new Map<string, { partitions: number; oldestAgeMs: number; commitsSinceCheckpoint: number }>();
  for (const p of r.partitions) {
    if (!p.checkpoint || p.checkpoint.ageMs <= t.maxCheckpointAgeMs || !p.commitsSinceCheckpoint || p.commitsSinceCheckpoint <= 0) continue;
    const s = stale.get(p.group) ?? { partitions: 0, oldestAgeMs: 0, commitsSinceCheckpoint: 0 };
    s.partitions++;
    s.oldestAgeMs = Math.max(s.oldestAgeMs, p.checkpoint.ageMs);
    s.commitsSinceCheckpoint += p.commitsSinceCheckpoint;
    stale.set(p.group, s);
  }
  for (const [group, s] of stale) {
    findings.push({
      id: 'checkpoints-stale',
      severity: 'high',
      where,
      subject: group,
      evidence: {
        partitions: s.partitions,
        oldestCheckpointAgeMs: s.oldestAgeMs,
        maxAgeMs: t.maxCheckpointAgeMs,
        recordsCommittedSinceCheckpoint: s.commitsSinceCheckpoint,
      },
      fix: "The group moved on the source but its checkpoints did not: MM2's checkpoint task is stopped, failing, or lagging. Check the MirrorCheckpointConnector's status and logs; a failover now re-reads everything since the checkpoint.",
    });
  }
  const byGroup = new Map<string, { reasons: Set<string>; partitions: number }>();
  for (const u of r.untranslated) {
    // A running Kafka Streams application's internal topics: never moved, so not a checkpoint gap.
    if (u.reason === 'streams-internal-topic' || u.reason === 'streams-repartition-in-flight') continue;
    const g = byGroup.get(u.group) ?? { reasons: new Set<string>(), partitions: 0 };
    g.reasons.add(u.reason);
    g.partitions++;
    byGroup.set(u.group, g);
  }
  for (const [group, g] of byGroup) {
    if (g.reasons.size === 1 && g.reasons.has('group-type-not-checkpointed')) {
      const u = r.untranslated.find((x) => x.group === group)!;
      findings.push({
        id: 'group-type-not-checkpointed',
        severity: 'high',
        where,
        subject: group,
        evidence: {
          partitionsWithoutCheckpoint: g.partitions,
          detail: u.detail,
          translatableFromOffsetSyncs: r.untranslated.filter((x) => x.group === group && x.fallback).length,
        },
        fix: "MM2 never checkpoints streams or share groups. A planned failover (source reachable) moves it from MM2's offset syncs; an emergency failover (source down) cannot translate it at all. Keep offset syncs frequent (offset.lag.max) and plan how this group restarts if the source is lost.",
      });
      continue;
    }
    findings.push({
      id: 'group-not-checkpointed',
      severity: 'high',
      where,
      subject: group,
      evidence: { partitionsWithoutCheckpoint: g.partitions, reasons: [...g.reasons] },
      fix: g.reasons.has('excluded-by-mm2-groups-filter')
        ? "MM2's groups filter (groups.exclude / groups) leaves this group out: it restarts at earliest or latest after a failover. Rename the group or change the filter."
        : g.reasons.has('topic-not-replicated')
          ? 'The group reads topics MM2 does not replicate: after a failover there is nothing to read on the target. Replicate them or leave the group out of the failover.'
          : 'MM2 has not checkpointed this group yet (new group, refresh.groups.interval.seconds, or offset.lag.max): wait one interval and check again before relying on it.',
    });
  }
  return { findings, notes };
}
