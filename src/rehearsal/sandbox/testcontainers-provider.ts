/**
 * The testcontainers provider: the same topology (aliases, ports, broker and MM2 settings) as the JVM sandbox, in
 * `apache/kafka` containers on the host network, for machines with a Docker engine. Not exercised on the project's
 * own CI machines, which have no Docker engine; the JVM provider is what runs there.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { brokerProperties, mm2Properties, renderProperties } from './configs.js';
import { propertiesToEnv } from './docker-env.js';
import type { SandboxHandle, SandboxProvider } from './provider.js';
import { waitForBrokers, waitForReplication } from './readiness.js';
import { newClusterId } from './sandbox.js';
import { DR, PRIMARY, bootstrapServers, clusterBrokers, defaultSandboxOptions, topology } from './topology.js';
import { sandboxClustersDocument, clustersFilePath } from './clusters-file.js';
import { stringify } from 'yaml';

const started = new Map<string, StartedTestContainer[]>();

export const testcontainersProvider: SandboxProvider = {
  name: 'testcontainers',
  async up(input, progress = () => {}) {
    const o = defaultSandboxOptions(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
    if (o.mm2Mode !== 'dedicated') throw new Error('the testcontainers provider runs dedicated MM2 only; use the JVM provider for connect mode');
    if (o.wan) throw new Error('the testcontainers provider has no WAN link; use the JVM provider (KAFKA_FAILOVER_SANDBOX_PROVIDER=jvm) for --wan-latency-ms');
    const t = topology(o);
    const image = `apache/kafka:${o.kafkaVersion}`;
    const ids = { [PRIMARY]: newClusterId(), [DR]: newClusterId() };
    const containers: StartedTestContainer[] = [];
    for (const n of t.nodes) {
      progress(`Starting ${n.name} (${image})`);
      const env = { ...propertiesToEnv(brokerProperties(n, t, o, '/var/lib/kafka/data')), CLUSTER_ID: ids[n.cluster] };
      containers.push(
        await new GenericContainer(image).withName(`kafka-failover-${n.name}-${o.portBase}`).withNetworkMode('host').withEnvironment(env).start(),
      );
    }
    for (const alias of [PRIMARY, DR] as const) await waitForBrokers(bootstrapServers(t, alias), clusterBrokers(t, alias).length, alias);
    const mm2 = await new GenericContainer(image)
      .withNetworkMode('host')
      .withCopyContentToContainer([{ content: renderProperties(mm2Properties(o, t)), target: '/tmp/mm2.properties' }])
      .withCommand(['/opt/kafka/bin/connect-mirror-maker.sh', '/tmp/mm2.properties', '--clusters', DR])
      .withWaitStrategy(Wait.forLogMessage(/.*/))
      .start();
    containers.push(mm2);
    await waitForReplication(
      { primary: bootstrapServers(t, PRIMARY), dr: bootstrapServers(t, DR), primaryBrokers: clusterBrokers(t, PRIMARY).length },
      () => {},
      progress,
      'See the mm2 container log.',
      o.replicationPolicy,
    );
    await mkdir(o.stateDir, { recursive: true });
    const clustersFile = clustersFilePath(o.stateDir);
    await writeFile(clustersFile, stringify(sandboxClustersDocument(o, ids)), { mode: 0o600 });
    started.set(path.resolve(o.stateDir), containers);
    const handle: SandboxHandle = {
      provider: 'testcontainers',
      clusters: {
        primary: { bootstrapServers: bootstrapServers(t, PRIMARY), clusterId: ids[PRIMARY] },
        dr: { bootstrapServers: bootstrapServers(t, DR), clusterId: ids[DR] },
      },
      clustersFile,
      options: o,
    };
    return handle;
  },
  async down(handle) {
    const key = path.resolve(handle.options.stateDir);
    for (const c of (started.get(key) ?? []).reverse()) await c.stop();
    started.delete(key);
  },
};
