/**
 * `check`'s `failover-acls-missing` finding: would the tool's principal be allowed to fail this flow over? The ACLs
 * are the planned-failover step kinds' own declarations (`StepKind.acls`, docs/design/permissions.md) for the groups
 * the source lists and the topics the flow replicates, judged on what each cluster answers (KIP-430) — the same
 * judgement as the `check-permissions` step. Read-only.
 */
import type { FlowConfig } from '../clusters/schema.js';
import { AuthzApiUnavailableError } from '../kafka/authorized-operations.js';
import type { KafkaPort } from '../kafka/port.js';
import { isInternalTopic, remoteTopic, upstreamTopic } from '../mm2/naming.js';
import { aclLine, judgeRunbookAcls } from '../steps/check-permissions.js';
import { builtinRegistry } from '../steps/index.js';
import type { Finding } from './findings.js';

/** The step kinds of runbooks/planned-failover.yaml that declare ACLs, in order. */
export const PLANNED_FAILOVER_KINDS = [
  'check-target-groups',
  'freeze-writes',
  'check-replication-lag',
  'check-streams-drained',
  'stop-replication',
  'translate-offsets',
  'reset-consumer-groups',
  'validate',
] as const;

/**
 * The finding for one flow whose clusters both answer: none when every ACL is granted.
 * @returns findings, and a note when a cluster cannot answer for authorized operations (Kafka before 2.8).
 */
export async function checkFailoverAcls(
  flow: FlowConfig,
  source: KafkaPort,
  target: KafkaPort,
  topicFilter: RegExp,
): Promise<{ findings: Finding[]; notes: string[] }> {
  const where = `${flow.source}->${flow.target}`;
  const topics = (await target.listTopics())
    .filter((t) => !isInternalTopic(t) && t !== remoteTopic(flow, 'heartbeats'))
    .map((t) => upstreamTopic(flow, t))
    .filter((t): t is string => t !== undefined && topicFilter.test(t));
  const groups = (await source.listGroups()).map((g) => g.groupId);
  const registry = builtinRegistry();
  const ports: Record<string, KafkaPort> = { [flow.source]: source, [flow.target]: target };
  try {
    const { checked, principals } = await judgeRunbookAcls({
      flow,
      flows: [flow],
      kafka: (alias) => ports[alias]!,
      steps: PLANNED_FAILOVER_KINDS.map((k) => ({ id: k, kind: registry.get(k), with: {} })),
      groups,
      topics: [...new Set(topics)].sort(),
      asked: [flow.source, flow.target],
      reachable: async () => true,
      runLock: true,
    });
    const line = (c: (typeof checked)[number]) => aclLine(c, principals.get(c.cluster));
    const missing = checked.filter((c) => c.verdict === 'missing').map(line);
    const unknown = checked.filter((c) => c.verdict === 'unknown').map(line);
    if (missing.length === 0 && unknown.length === 0) return { findings: [], notes: [] };
    return {
      findings: [
        {
          id: 'failover-acls-missing',
          severity: 'high',
          where,
          subject: `ACLs a planned failover of ${where} needs (${groups.length} group(s), ${topics.length} topic(s))`,
          evidence: {
            missing: missing.slice(0, 20),
            unknown: unknown.slice(0, 20),
            missingCount: missing.length,
            unknownCount: unknown.length,
            checked: checked.length,
          },
          fix: `Grant them to the tool's principal (README "ACLs the tool needs"), or narrow the failover to the groups and topics it may touch: the runbook's check-permissions step would block on them (exit 3).`,
        },
      ],
      notes: [],
    };
  } catch (e) {
    if (e instanceof AuthzApiUnavailableError) return { findings: [], notes: [`${where}: ACLs not checked: ${e.message}`] };
    throw e;
  }
}
