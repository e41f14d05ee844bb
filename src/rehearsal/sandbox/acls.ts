/**
 * The ACLs a secured sandbox grants the tool's principal (`User:failover`, security.ts), created through the
 * brokers' principal (a super user) once both clusters answer. Idempotent: CreateAcls of a binding that exists is a
 * no-op on the broker (StandardAuthorizer keeps one copy).
 *
 * The grant is broad but not super: ALL on the cluster, every topic, every group and every transactional id, so the
 * principal passes through the authorizer (every request is checked, none is waved through as a super user's) and
 * can run every command and the traffic generator. A least-privilege principal (exactly the ACLs each command needs)
 * is the next step (issue 16 item 3; docs/design/secured-sandbox.md).
 */
import kafkajs, { type AclEntry } from 'kafkajs';
import { createKafka } from '../../kafka/kafkajs-client.js';
import { sandboxAdminSecurity } from './readiness.js';
import { TOOL_USER } from './security.js';
import type { SandboxState } from './state.js';
import { bootstrapServers, topology, type ClusterAlias } from './topology.js';

// kafkajs is CommonJS: its enums are reached through the default export.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** The ACL bindings of the tool's principal (Kafka `kafka-acls --list` would show these). */
export function toolAcls(principal = `User:${TOOL_USER}`): AclEntry[] {
  const all = { principal, host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW };
  return [
    { ...all, resourceType: AclResourceTypes.CLUSTER, resourceName: 'kafka-cluster', resourcePatternType: ResourcePatternTypes.LITERAL },
    { ...all, resourceType: AclResourceTypes.TOPIC, resourceName: '*', resourcePatternType: ResourcePatternTypes.LITERAL },
    { ...all, resourceType: AclResourceTypes.GROUP, resourceName: '*', resourcePatternType: ResourcePatternTypes.LITERAL },
    { ...all, resourceType: AclResourceTypes.TRANSACTIONAL_ID, resourceName: '*', resourcePatternType: ResourcePatternTypes.LITERAL },
  ];
}

/** Grants {@link toolAcls} on one cluster of a secured sandbox (nothing for plaintext). */
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
    await admin.createAcls({ acl: toolAcls() });
  } finally {
    await admin.disconnect();
  }
}
