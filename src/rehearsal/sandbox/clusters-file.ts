/**
 * The clusters file the sandbox writes (`<stateDir>/clusters.yaml`): the format the rest of the tool reads
 * (src/clusters/). Pinning the cluster ids lets every step refuse to write to a cluster that is not the one named.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { TOOL_ARGV } from '../../engine/templates.js';
import { MIRROR_CONNECTORS, connectorName, renderProperties } from './configs.js';
import { TOOL_USER, clientSecurityProperties, readPasswords, securityFiles } from './security.js';
import { DR, PRIMARY, bootstrapServers, topology, type SandboxOptions } from './topology.js';

/** Path of the clusters file in a state folder. */
export function clustersFilePath(stateDir: string): string {
  return path.join(stateDir, 'clusters.yaml');
}

/** Path of the client properties file of a secured sandbox (the tool's principal; both clusters share it). */
export function clientPropertiesPath(stateDir: string): string {
  return path.join(stateDir, 'client.properties');
}

/** Path of the clusters file that gives each cluster's security as `clientProperties` (a secured sandbox). */
export function propertiesClustersFilePath(stateDir: string): string {
  return path.join(stateDir, 'clusters-properties.yaml');
}

/**
 * The `tls` / `sasl` fields of a sandbox cluster for the tool's principal `failover` (paths relative to the state
 * folder, where the clusters file is): SCRAM-SHA-512 with a password file, the sandbox CA, and for mTLS the
 * principal's certificate and key. Nothing for plaintext.
 */
export function securityFields(o: Pick<SandboxOptions, 'security'>): Record<string, unknown> {
  const s = o.security ?? 'plaintext';
  const tls = s === 'sasl-ssl' ? { tls: { caFile: 'security/ca.crt' } } : {};
  if (s === 'sasl-ssl' || s === 'sasl-plaintext')
    return { ...tls, sasl: { mechanism: 'scram-sha-512', username: TOOL_USER, passwordFile: `security/${TOOL_USER}.password` } };
  if (s === 'mtls') return { tls: { caFile: 'security/ca.crt', certFile: `security/${TOOL_USER}.crt`, keyFile: `security/${TOOL_USER}.key` } };
  return {};
}

/** Builds the clusters-file document for a sandbox. */
export function sandboxClustersDocument(o: SandboxOptions, clusterIds: Record<string, string>): Record<string, unknown> {
  const t = topology(o);
  // This installation's tool (node + its bin), like `${tool.argv}` in runbooks: `npx kafka-failover` resolves only
  // inside a folder that has the package installed, and elsewhere fetches it from the registry mid-failover.
  const cli = [...TOOL_ARGV, 'sandbox'];
  const stateArg = ['--state-dir', o.stateDir];
  return {
    clusters: {
      [PRIMARY]: { bootstrapServers: bootstrapServers(t, PRIMARY), clusterId: clusterIds[PRIMARY], ...securityFields(o) },
      [DR]: { bootstrapServers: bootstrapServers(t, DR), clusterId: clusterIds[DR], ...securityFields(o) },
    },
    flows: [
      {
        source: PRIMARY,
        target: DR,
        replicationPolicy: o.replicationPolicy ?? 'default',
        separator: '.',
        offsetSyncsTopicLocation: 'source',
        mm2:
          o.mm2Mode === 'connect'
            ? {
                connect: {
                  url: `http://127.0.0.1:${t.connectPort}`,
                  connectors: {
                    source: connectorName(MIRROR_CONNECTORS[0]),
                    checkpoint: connectorName(MIRROR_CONNECTORS[1]),
                    heartbeat: connectorName(MIRROR_CONNECTORS[2]),
                  },
                },
              }
            : {
                hooks: {
                  stop: [...cli, 'stop', 'mm2', ...stateArg],
                  start: [...cli, 'start', 'mm2', ...stateArg],
                },
              },
      },
      // Active-active: both flows run at once (the clusters file is a graph of two flows).
      ...(o.activeActive ? [reverseFlow(o)] : []),
    ],
  };
}

/** Path of the failback clusters file (the reverse flow dr → primary) in a state folder. */
export function failbackClustersFilePath(stateDir: string): string {
  return path.join(stateDir, 'clusters-failback.yaml');
}

/** The reverse flow dr → primary, run by `mm2-reverse` (dedicated mode): failbacks, and active-active sandboxes. */
function reverseFlow(o: SandboxOptions): Record<string, unknown> {
  const cli = [...TOOL_ARGV, 'sandbox'];
  const stateArg = ['--state-dir', o.stateDir];
  return {
    source: DR,
    target: PRIMARY,
    replicationPolicy: o.replicationPolicy ?? 'default',
    separator: '.',
    offsetSyncsTopicLocation: 'source',
    mm2: { hooks: { stop: [...cli, 'stop', 'mm2-reverse', ...stateArg], start: [...cli, 'start', 'mm2-reverse', ...stateArg] } },
  };
}

/** The same clusters with the reverse flow dr → primary only, run by `mm2-reverse` (dedicated mode). */
export function sandboxFailbackDocument(o: SandboxOptions, clusterIds: Record<string, string>): Record<string, unknown> {
  return { ...sandboxClustersDocument({ ...o, activeActive: false }, clusterIds), flows: [reverseFlow(o)] };
}

/** Writes the clusters file (and, in dedicated mode, the failback one); returns the clusters file's path. */
export async function writeSandboxClustersFile(o: SandboxOptions, clusterIds: Record<string, string>): Promise<string> {
  const file = clustersFilePath(o.stateDir);
  const header = o.activeActive
    ? "# Written by `kafka-failover sandbox up --topology active-active`: the sandbox's clusters and both MirrorMaker 2 flows.\n"
    : "# Written by `kafka-failover sandbox up`: the sandbox's clusters and its MirrorMaker 2 flow.\n";
  await writeFile(file, header + stringify(sandboxClustersDocument(o, clusterIds)), { mode: 0o600 });
  if (o.mm2Mode === 'dedicated') {
    const fb = '# Written by `kafka-failover sandbox up`: the reverse flow dr -> primary for failbacks (`sandbox start mm2-reverse`).\n';
    await writeFile(failbackClustersFilePath(o.stateDir), fb + stringify(sandboxFailbackDocument(o, clusterIds)), { mode: 0o600 });
  }
  if (o.security && o.security !== 'plaintext') {
    // The same clusters with their security as a standard Kafka client properties file (--command-config's format).
    const props = clientSecurityProperties(o.security, securityFiles(o.stateDir), TOOL_USER, (await readPasswords(o.stateDir))[TOOL_USER], o.stateDir);
    await writeFile(
      clientPropertiesPath(o.stateDir),
      renderProperties(props, `kafka-failover sandbox (${o.security}): the tool's principal User:${TOOL_USER}; paths relative to this file`),
      { mode: 0o600 },
    );
    const doc = sandboxClustersDocument({ ...o, security: 'plaintext' }, clusterIds) as { clusters: Record<string, Record<string, unknown>> };
    for (const c of Object.values(doc.clusters)) c.clientProperties = path.basename(clientPropertiesPath(o.stateDir));
    const head = '# Written by `kafka-failover sandbox up`: the clusters file with security from client.properties.\n';
    await writeFile(propertiesClustersFilePath(o.stateDir), head + stringify(doc), { mode: 0o600 });
  }
  return file;
}
