/**
 * The sandbox's shape: which nodes, clusters and ports exist for a set of options. Pure: no I/O.
 *
 * A one-broker cluster is one combined broker + controller node. The 3-broker primary is three broker-only nodes
 * plus a dedicated KRaft controller (`primary-controller`), so losing two brokers still leaves a controller that
 * moves leadership and shrinks ISRs — the `min.insync.replicas` scenarios are real, as in production.
 *
 * Ports (defaults, `portBase` 19090): primary-1 19092 (its controller, or primary-controller, on 19093); primary-2
 * 19094, primary-3 19096; dr 19102/19103; the Kafka Connect REST API (connect mode) on 19110. `--port-base` moves
 * them all together. docker-compose.yml uses the same ports (a unit test checks).
 */
import path from 'node:path';
import { DEFAULT_KAFKA_VERSION } from './versions.js';

/** Cluster aliases of the sandbox, as MirrorMaker 2 and the clusters file name them. */
export const PRIMARY = 'primary';
export const DR = 'dr';
export type ClusterAlias = typeof PRIMARY | typeof DR;

/** How MirrorMaker 2 runs: the dedicated `MirrorMaker` driver, or connectors in a Kafka Connect worker. */
export type Mm2Mode = 'dedicated' | 'connect';

/** Options of `sandbox up`; every field has a default ({@link defaultSandboxOptions}). */
export interface SandboxOptions {
  /** Kafka version of brokers and MM2, e.g. `4.1.2` or `3.9.1`. */
  kafkaVersion: string;
  /** Brokers of the primary cluster: 1 (default) or 3 (three brokers and a dedicated KRaft controller). */
  primaryBrokers: 1 | 3;
  /** Brokers of the dr cluster, likewise (a readiness check without findings needs RF 3 on both sides). */
  drBrokers?: 1 | 3;
  /** Dedicated MM2 (default) or Kafka Connect distributed with the three Mirror connectors. */
  mm2Mode: Mm2Mode;
  /** MM2 `offset.lag.max` in records; default 100, MM2's own default. */
  offsetLagMax: number;
  /** MM2 `sync.group.offsets.enabled`; default false (the tool sets offsets itself). */
  syncGroupOffsets: boolean;
  /** First port of the block the sandbox uses (see module doc). */
  portBase: number;
  /** Folder for data, logs, configs and the state file. */
  stateDir: string;
}

/** Default state folder: `$KAFKA_FAILOVER_SANDBOX_DIR`, else `.kafka-failover/sandbox` under the working directory. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.KAFKA_FAILOVER_SANDBOX_DIR ? path.resolve(env.KAFKA_FAILOVER_SANDBOX_DIR) : path.join(cwd, '.kafka-failover', 'sandbox');
}

/** The defaults of every option. */
export function defaultSandboxOptions(overrides: Partial<SandboxOptions> = {}): SandboxOptions {
  return {
    kafkaVersion: DEFAULT_KAFKA_VERSION,
    primaryBrokers: 1,
    drBrokers: 1,
    mm2Mode: 'dedicated',
    offsetLagMax: 100,
    syncGroupOffsets: false,
    portBase: 19090,
    stateDir: defaultStateDir(),
    ...overrides,
  };
}

/** One Kafka node: a combined broker + KRaft controller, a broker only, or a controller only. */
export interface NodeSpec {
  /** Component name, e.g. `primary-2`, `primary-controller`. */
  name: string;
  cluster: ClusterAlias;
  roles: 'combined' | 'broker' | 'controller';
  /** KRaft `node.id`, unique within its cluster. */
  nodeId: number;
  /** PLAINTEXT client port on 127.0.0.1 (brokers and combined nodes). */
  port?: number;
  /** CONTROLLER port on 127.0.0.1 (controllers and combined nodes). */
  controllerPort?: number;
}

/** True when the node serves clients. */
export const isBroker = (n: NodeSpec): n is NodeSpec & { port: number } => n.roles !== 'controller';
/** True when the node is a KRaft voter. */
export const isController = (n: NodeSpec): n is NodeSpec & { controllerPort: number } => n.roles !== 'broker';

/** The whole layout for a set of options. */
export interface Topology {
  nodes: NodeSpec[];
  /** Connect REST port (connect mode only; reserved either way). */
  connectPort: number;
}

/** Computes nodes and ports. */
export function topology(o: Pick<SandboxOptions, 'primaryBrokers' | 'drBrokers' | 'portBase'>): Topology {
  const nodes: NodeSpec[] = [];
  // primary's ports start at portBase + 2, dr's at portBase + 12: client ports step by 2, controller on + 1.
  const cluster = (alias: ClusterAlias, brokers: 1 | 3, first: number) => {
    if (brokers === 1) {
      nodes.push({ name: `${alias}-1`, cluster: alias, roles: 'combined', nodeId: 1, port: first, controllerPort: first + 1 });
      return;
    }
    for (let k = 1; k <= brokers; k++) nodes.push({ name: `${alias}-${k}`, cluster: alias, roles: 'broker', nodeId: k, port: first + 2 * (k - 1) });
    nodes.push({ name: `${alias}-controller`, cluster: alias, roles: 'controller', nodeId: 9, controllerPort: first + 1 });
  };
  cluster(PRIMARY, o.primaryBrokers, o.portBase + 2);
  cluster(DR, o.drBrokers ?? 1, o.portBase + 12);
  return { nodes, connectPort: o.portBase + 20 };
}

/** Nodes of one cluster (brokers and controllers). */
export function clusterNodes(t: Topology, cluster: ClusterAlias): NodeSpec[] {
  return t.nodes.filter((n) => n.cluster === cluster);
}

/** Broker nodes of one cluster. */
export function clusterBrokers(t: Topology, cluster: ClusterAlias): (NodeSpec & { port: number })[] {
  return clusterNodes(t, cluster).filter(isBroker);
}

/** `host:port` bootstrap list of one cluster. */
export function bootstrapServers(t: Topology, cluster: ClusterAlias): string[] {
  return clusterBrokers(t, cluster).map((n) => `127.0.0.1:${n.port}`);
}

/** Every port the sandbox binds, with the component that binds it. */
export function allPorts(t: Topology, mm2Mode: Mm2Mode): { port: number; owner: string }[] {
  const ports = t.nodes.flatMap((n) => [
    ...(isBroker(n) ? [{ port: n.port, owner: `${n.name} (client)` }] : []),
    ...(isController(n) ? [{ port: n.controllerPort, owner: `${n.name} (controller)` }] : []),
  ]);
  if (mm2Mode === 'connect') ports.push({ port: t.connectPort, owner: 'mm2 (Kafka Connect REST)' });
  return ports;
}
