/**
 * The clusters file the sandbox writes (`<stateDir>/clusters.yaml`): the format the rest of the tool reads
 * (src/clusters/). Pinning the cluster ids lets every step refuse to write to a cluster that is not the one named.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { TOOL_ARGV } from '../../engine/templates.js';
import { MIRROR_CONNECTORS, connectorName } from './configs.js';
import { DR, PRIMARY, bootstrapServers, topology, type SandboxOptions } from './topology.js';

/** Path of the clusters file in a state folder. */
export function clustersFilePath(stateDir: string): string {
  return path.join(stateDir, 'clusters.yaml');
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
      [PRIMARY]: { bootstrapServers: bootstrapServers(t, PRIMARY), clusterId: clusterIds[PRIMARY] },
      [DR]: { bootstrapServers: bootstrapServers(t, DR), clusterId: clusterIds[DR] },
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
    ],
  };
}

/** Path of the failback clusters file (the reverse flow dr → primary) in a state folder. */
export function failbackClustersFilePath(stateDir: string): string {
  return path.join(stateDir, 'clusters-failback.yaml');
}

/** The same clusters with the reverse flow dr → primary only, run by `mm2-reverse` (dedicated mode). */
export function sandboxFailbackDocument(o: SandboxOptions, clusterIds: Record<string, string>): Record<string, unknown> {
  const doc = sandboxClustersDocument(o, clusterIds);
  const cli = [...TOOL_ARGV, 'sandbox'];
  const stateArg = ['--state-dir', o.stateDir];
  return {
    ...doc,
    flows: [
      {
        source: DR,
        target: PRIMARY,
        replicationPolicy: o.replicationPolicy ?? 'default',
        separator: '.',
        offsetSyncsTopicLocation: 'source',
        mm2: { hooks: { stop: [...cli, 'stop', 'mm2-reverse', ...stateArg], start: [...cli, 'start', 'mm2-reverse', ...stateArg] } },
      },
    ],
  };
}

/** Writes the clusters file (and, in dedicated mode, the failback one); returns the clusters file's path. */
export async function writeSandboxClustersFile(o: SandboxOptions, clusterIds: Record<string, string>): Promise<string> {
  const file = clustersFilePath(o.stateDir);
  const header = "# Written by `kafka-failover sandbox up`: the sandbox's clusters and its MirrorMaker 2 flow.\n";
  await writeFile(file, header + stringify(sandboxClustersDocument(o, clusterIds)), { mode: 0o600 });
  if (o.mm2Mode === 'dedicated') {
    const fb = '# Written by `kafka-failover sandbox up`: the reverse flow dr -> primary for failbacks (`sandbox start mm2-reverse`).\n';
    await writeFile(failbackClustersFilePath(o.stateDir), fb + stringify(sandboxFailbackDocument(o, clusterIds)), { mode: 0o600 });
  }
  return file;
}
