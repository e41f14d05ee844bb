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
 *
 * With a WAN link ({@link SandboxOptions.wan}, docs/design/wan-link.md) Toxiproxy's API listens on portBase + 21 and
 * each dr broker k (1-based) gets a proxy port portBase + 22 + 2(k-1), which it advertises to clients, and a direct
 * REPLICATION listener on portBase + 23 + 2(k-1) for traffic between dr's own brokers (defaults: 19111, 19112/19113).
 */
import path from 'node:path';
import type { SandboxSecurity } from './security.js';
import { DEFAULT_KAFKA_VERSION } from './versions.js';

/** Cluster aliases of the sandbox, as MirrorMaker 2 and the clusters file name them. */
export const PRIMARY = 'primary';
export const DR = 'dr';
export type ClusterAlias = typeof PRIMARY | typeof DR;

/** How MirrorMaker 2 runs: the dedicated `MirrorMaker` driver, or connectors in a Kafka Connect worker. */
export type Mm2Mode = 'dedicated' | 'connect';

/**
 * A simulated WAN link between every client and the dr cluster (Toxiproxy toxics, see wan.ts).
 * Units: ms for times; kilobits per second for the bandwidth.
 */
export interface WanLink {
  /** Added round-trip time in ms: half on the way to dr (upstream), half on the way back (downstream). */
  latencyMs: number;
  /** Round-trip jitter in ms (± around the latency), split like the latency; default 0. */
  jitterMs?: number;
  /** Bandwidth cap per direction in kilobits per second (Toxiproxy's unit is KB/s: rate = kbit/s ÷ 8); default none. */
  bandwidthKbps?: number;
}

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
  /** A WAN link in front of dr (Toxiproxy); absent: every client reaches dr directly. */
  wan?: WanLink;
  /**
   * MM2's replication policy (`replication.policy.class`): `default` (DefaultReplicationPolicy, remote topic
   * `primary.orders`; absent means this) or `identity` (IdentityReplicationPolicy, remote topic `orders`).
   */
  replicationPolicy?: ReplicationPolicy;
  /** Security profile of the client listeners (security.ts); absent: `plaintext`. Not combinable with a WAN link. */
  security?: SandboxSecurity;
  /**
   * Active-active (`--topology active-active`, active-active.ts): MM2 dr → primary (`mm2-reverse`) runs beside
   * primary → dr from `up` on, and the clusters file names both flows. Absent: active-passive (the reverse flow only
   * for failbacks).
   */
  activeActive?: boolean;
}

/** The sandbox's MM2 replication policy, as the clusters file names it (`flows[].replicationPolicy`). */
export type ReplicationPolicy = 'default' | 'identity';

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
  /**
   * WAN link only (dr brokers): the Toxiproxy port in front of {@link port}. The broker advertises it, so every
   * client's connections after bootstrap also go through the proxy.
   */
  proxyPort?: number;
  /** WAN link only (dr brokers): a direct listener for traffic between dr's own brokers (inter.broker.listener.name). */
  replicationPort?: number;
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
  /** Toxiproxy's HTTP API port (WAN link only). */
  toxiproxyPort?: number;
}

/** Computes nodes and ports. */
export function topology(o: Pick<SandboxOptions, 'primaryBrokers' | 'drBrokers' | 'portBase' | 'wan'>): Topology {
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
  if (!o.wan) return { nodes, connectPort: o.portBase + 20 };
  for (const n of nodes) {
    if (n.cluster !== DR || !isBroker(n)) continue;
    n.proxyPort = o.portBase + 22 + 2 * (n.nodeId - 1);
    n.replicationPort = n.proxyPort + 1;
  }
  return { nodes, connectPort: o.portBase + 20, toxiproxyPort: o.portBase + 21 };
}

/** The port clients reach a broker on: its WAN proxy's when it has one, else its own. */
export function clientPort(n: NodeSpec & { port: number }): number {
  return n.proxyPort ?? n.port;
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
  return clusterBrokers(t, cluster).map((n) => `127.0.0.1:${clientPort(n)}`);
}

/** Every port the sandbox binds, with the component that binds it. */
export function allPorts(t: Topology, mm2Mode: Mm2Mode): { port: number; owner: string }[] {
  const ports = t.nodes.flatMap((n) => [
    ...(isBroker(n) ? [{ port: n.port, owner: `${n.name} (client)` }] : []),
    ...(isController(n) ? [{ port: n.controllerPort, owner: `${n.name} (controller)` }] : []),
    ...(n.replicationPort !== undefined ? [{ port: n.replicationPort, owner: `${n.name} (replication)` }] : []),
  ]);
  if (mm2Mode === 'connect') ports.push({ port: t.connectPort, owner: 'mm2 (Kafka Connect REST)' });
  if (t.toxiproxyPort !== undefined) {
    ports.push({ port: t.toxiproxyPort, owner: 'toxiproxy (API)' });
    for (const n of t.nodes) if (n.proxyPort !== undefined) ports.push({ port: n.proxyPort, owner: `toxiproxy (proxy for ${n.name})` });
  }
  return ports;
}
