/**
 * The ACLs a secured sandbox grants, created through the brokers' principal (a super user) once both clusters answer.
 * Idempotent: CreateAcls of a binding that exists is a no-op on the broker (StandardAuthorizer keeps one copy).
 *
 * - `User:failover` (the tool) gets the least-privilege set of a DR cycle of the sandbox's topics (`orders…`,
 *   `payments…`) and groups (`billing…`, `shipping…`, `analytics…`), as a drill runs it: a planned failover
 *   primary → dr ({@link leastPrivilegeAcls}: exactly what the steps of runbooks/planned-failover.yaml declare,
 *   `StepKind.acls`, checked by its `check-permissions` step, plus the run lock's topics; the emergency runbook needs a
 *   subset of it) and the failback dr → primary ({@link failbackAcls}: what runbooks/failback.yaml declares beyond
 *   that). Prefixed patterns so that test runs' suffixed names (`orders-<id>`) are covered; literal names for MM2's
 *   internal topics and the tool's own topics. No cluster ACL, no DESCRIBE on the cluster. The read-only `check` adds
 *   DESCRIBE and DESCRIBE_CONFIGS on every topic ({@link checkAcls}): no data, no write.
 * - `User:app` (the traffic generator: the sandbox's "applications") gets ALL on the cluster, every topic, group and
 *   transactional id, as applications' principals have whatever they have; the tool never uses it.
 * Measured and documented in README.md ("ACLs the tool needs"); design note docs/design/permissions.md.
 */
import kafkajs, { type AclEntry } from 'kafkajs';
import { createKafka } from '../../kafka/kafkajs-client.js';
import type { AclOperation } from '../../kafka/authorized-operations.js';
import { ANCHOR_TOPIC } from '../../engine/audit-anchor.js';
import { LEASE_TOPIC } from '../../engine/lock.js';
import { sandboxAdminSecurity } from './readiness.js';
import { APP_USER, TOOL_USER } from './security.js';
import type { SandboxState } from './state.js';
import { bootstrapServers, DR, PRIMARY, topology, type ClusterAlias } from './topology.js';

// kafkajs is CommonJS: its enums are reached through the default export.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** One ALLOW binding for a principal on one cluster, as `kafka-acls --add` takes it. */
export interface SandboxAcl {
  cluster: ClusterAlias;
  resource: 'topic' | 'group' | 'cluster' | 'transactional-id';
  pattern: 'literal' | 'prefixed';
  name: string;
  operation: AclOperation | 'ALL';
}

/** One {@link SandboxAcl}, positionally. */
const acl = (cluster: ClusterAlias, resource: SandboxAcl['resource'], pattern: SandboxAcl['pattern'], name: string, operation: AclOperation): SandboxAcl => ({
  cluster,
  resource,
  pattern,
  name,
  operation,
});

/** The sandbox's topic and group name prefixes (`sandbox traffic` defaults and the runbooks' default parameters). */
export const SANDBOX_TOPIC_PREFIXES = ['orders', 'payments'] as const;
export const SANDBOX_GROUP_PREFIXES = ['billing', 'shipping', 'analytics'] as const;

/**
 * The least-privilege ACLs of the tool's principal for a planned failover primary → dr (see module doc).
 * @param remote the name of a primary topic on dr (the sandbox's replication policy: `primary.orders`, or `orders`).
 */
export function leastPrivilegeAcls(remote: (topic: string) => string): SandboxAcl[] {
  return [
    // primary (source): read the topics (lag, translation), MM2's offset syncs; describe the groups' committed offsets.
    ...SANDBOX_TOPIC_PREFIXES.map((t) => acl(PRIMARY, 'topic', 'prefixed', t, 'READ')),
    acl(PRIMARY, 'topic', 'literal', `mm2-offset-syncs.${DR}.internal`, 'READ'),
    ...SANDBOX_GROUP_PREFIXES.map((g) => acl(PRIMARY, 'group', 'prefixed', g, 'DESCRIBE')),
    // dr (target): read the replicated topics, MM2's checkpoints and heartbeats; commit the groups' offsets (READ).
    ...SANDBOX_TOPIC_PREFIXES.map((t) => acl(DR, 'topic', 'prefixed', remote(t), 'READ')),
    acl(DR, 'topic', 'literal', `${PRIMARY}.checkpoints.internal`, 'READ'),
    // MM2's heartbeats: dr's own, and primary's as replicated by a reverse flow (once a failback has run one).
    acl(DR, 'topic', 'literal', 'heartbeats', 'READ'),
    acl(DR, 'topic', 'literal', `${PRIMARY}.heartbeats`, 'READ'),
    ...SANDBOX_GROUP_PREFIXES.map((g) => acl(DR, 'group', 'prefixed', g, 'READ')),
    // dr: the tool's own topics (run lock lease, audit anchor, canary): create when missing, write, read.
    ...[LEASE_TOPIC, ANCHOR_TOPIC, 'kafka-failover-canary'].flatMap((t) =>
      (['CREATE', 'WRITE', 'READ'] as const).map((op) => acl(DR, 'topic', 'literal', t, op)),
    ),
  ];
}

/**
 * What a failback dr → primary (runbooks/failback.yaml, flow `dr->primary`) needs beyond {@link leastPrivilegeAcls}
 * (which it shares: primary's topics and MM2 offset syncs, dr's copies and groups): dr's own topics (written during
 * the DR period) and the reverse flow's offset syncs on dr; on primary the reverse flow's copies, checkpoints and
 * heartbeats, the groups' offset commits (READ), and the tool's own topics.
 * @param remoteBack the name of a dr topic on primary (`dr.orders`, or `orders` under the identity policy).
 */
export function failbackAcls(remoteBack: (topic: string) => string): SandboxAcl[] {
  // Identity policy: the copy is primary's topic of the same name, already READ in the failover set.
  const copies = SANDBOX_TOPIC_PREFIXES.map((t) => remoteBack(t)).filter((t) => !(SANDBOX_TOPIC_PREFIXES as readonly string[]).includes(t));
  return [
    // dr (the failback's source): its own topics (DR-period writes) and the reverse flow's offset syncs.
    ...SANDBOX_TOPIC_PREFIXES.map((t) => acl(DR, 'topic', 'prefixed', t, 'READ')),
    acl(DR, 'topic', 'literal', `mm2-offset-syncs.${PRIMARY}.internal`, 'READ'),
    // primary (the failback's target): the reverse flow's copies, checkpoints and heartbeats; the groups' commits.
    ...copies.map((t) => acl(PRIMARY, 'topic', 'prefixed', t, 'READ')),
    acl(PRIMARY, 'topic', 'literal', `${DR}.checkpoints.internal`, 'READ'),
    acl(PRIMARY, 'topic', 'literal', 'heartbeats', 'READ'),
    acl(PRIMARY, 'topic', 'literal', `${DR}.heartbeats`, 'READ'),
    ...SANDBOX_GROUP_PREFIXES.map((g) => acl(PRIMARY, 'group', 'prefixed', g, 'READ')),
    ...[LEASE_TOPIC, ANCHOR_TOPIC, 'kafka-failover-canary'].flatMap((t) =>
      (['CREATE', 'WRITE', 'READ'] as const).map((op) => acl(PRIMARY, 'topic', 'literal', t, op)),
    ),
  ];
}

/**
 * What the read-only `check` adds for the tool's principal on each cluster: DESCRIBE and DESCRIBE_CONFIGS on every
 * topic (it lists topics and reads their configs: replication factor, min.insync.replicas …). No data, no write.
 */
export function checkAcls(cluster: ClusterAlias): SandboxAcl[] {
  return (['DESCRIBE', 'DESCRIBE_CONFIGS'] as const).map((operation) => ({
    cluster,
    resource: 'topic' as const,
    pattern: 'literal' as const,
    name: '*',
    operation,
  }));
}

/** The traffic generator's grant (see module doc): ALL on everything of one cluster. */
export function appAcls(cluster: ClusterAlias): SandboxAcl[] {
  return (['cluster', 'topic', 'group', 'transactional-id'] as const).map((resource) => ({
    cluster,
    resource,
    pattern: 'literal' as const,
    name: resource === 'cluster' ? 'kafka-cluster' : '*',
    operation: 'ALL' as const,
  }));
}

const RESOURCE = { topic: 'TOPIC', group: 'GROUP', cluster: 'CLUSTER', 'transactional-id': 'TRANSACTIONAL_ID' } as const;

/** A {@link SandboxAcl} as kafkajs's CreateAcls/DeleteAcls take it. */
export function toAclEntry(a: SandboxAcl, principal: string): AclEntry {
  return {
    principal,
    host: '*',
    operation: AclOperationTypes[a.operation as keyof typeof AclOperationTypes],
    permissionType: AclPermissionTypes.ALLOW,
    resourceType: AclResourceTypes[RESOURCE[a.resource]],
    resourceName: a.name,
    resourcePatternType: a.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
  };
}

/** The tool's whole grant on a sandbox: a DR cycle (failover and failback) and `check` (see module doc). */
export function toolAcls(state: SandboxState): SandboxAcl[] {
  const identity = state.options.replicationPolicy === 'identity';
  return [
    ...leastPrivilegeAcls((t) => (identity ? t : `${PRIMARY}.${t}`)),
    ...failbackAcls((t) => (identity ? t : `${DR}.${t}`)),
    ...checkAcls(PRIMARY),
    ...checkAcls(DR),
  ];
}

/** Every binding a secured sandbox grants on one cluster: the tool's least privilege and the traffic generator's. */
export function sandboxAclEntries(state: SandboxState, cluster: ClusterAlias): AclEntry[] {
  return [
    ...toolAcls(state)
      .filter((a) => a.cluster === cluster)
      .map((a) => toAclEntry(a, `User:${TOOL_USER}`)),
    ...appAcls(cluster).map((a) => toAclEntry(a, `User:${APP_USER}`)),
  ];
}

/** Grants {@link sandboxAclEntries} on one cluster of a secured sandbox (nothing for plaintext). */
export async function grantToolAcls(state: SandboxState, cluster: ClusterAlias): Promise<void> {
  if (!state.options.security || state.options.security === 'plaintext') return;
  const extra = await sandboxAdminSecurity(state);
  const admin = createKafka({
    bootstrapServers: bootstrapServers(topology(state.options), cluster),
    clientId: 'kafka-failover-sandbox',
    ...(extra ? { extra } : {}),
  }).admin();
  await admin.connect();
  try {
    // A sandbox made before the least-privilege grant gave the tool ALL on everything: take that back.
    await admin.deleteAcls({
      filters: appAcls(cluster).map((a) => ({ ...toAclEntry(a, `User:${TOOL_USER}`) })),
    });
    await admin.createAcls({ acl: sandboxAclEntries(state, cluster) });
  } finally {
    await admin.disconnect();
  }
}
