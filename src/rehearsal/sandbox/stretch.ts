/**
 * The stretch sandbox (`sandbox up --topology stretch`, docs/design/stretch-clusters.md): ONE KRaft cluster over two
 * sites (racks `a` and `b`) with `broker.rack` set, rack-aware placement and a replication factor /
 * `min.insync.replicas` that force cross-site acknowledgement, plus a controller quorum placed per site. No MM2.
 *
 * Layouts (node ids in brackets; "combined" = broker + KRaft controller in one JVM):
 * - quorum `three-sites` (the seed's recommendation, tie-breaker in a third site): a1 [1] combined, a2 [2] broker,
 *   b1 [3] combined, b2 [4] broker, c [5] controller only. Voters 1, 3, 5: losing any one site leaves 2 of 3.
 * - quorum `one-site` (the anti-pattern): a1 [1] combined, a2 [2] combined, b1 [3] combined, b2 [4] broker. Voters
 *   1, 2, 3: losing site `a` leaves 1 of 3 — the quorum is lost.
 * - `brokersPerSite: 1` (small): a1 [1] combined, b1 [3] combined, and the third voter [5] in site `c`
 *   (`three-sites`) or [2] controller only in site `a` (`one-site`).
 *
 * RF = all brokers (4, or 2), `min.insync.replicas` = RF − 1 (3, or … 2 with RF 2 would be "all": RF 2 gets 2):
 * with RF 4 a write needs replicas of both sites; with RF 2 one per site. Site loss blocks acks=all writes until an
 * operator lowers `min.insync.replicas` (the runbook's gated decision) — never unclean leader election.
 *
 * Ports: node i (0-based in the order above) has its client port at portBase + 2 + 2i and its CONTROLLER port at
 * portBase + 3 + 2i.
 *
 * State: the sandbox's own state file (state.ts) with a `stretch` field; all nodes are recorded under the `primary`
 * alias internally so the shared launch helpers (format, start, stop) serve them unchanged. `sandbox down` works as
 * for the two-cluster sandbox.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { InvalidInputError } from '../../errors.js';
import { ANCHOR_TOPIC } from '../../engine/audit-anchor.js';
import { LEASE_TOPIC } from '../../engine/lock.js';
import { createKafkaPort } from '../../kafka/kafkajs-adapter.js';
import { createKafka } from '../../kafka/kafkajs-client.js';
import { giveUp, waitFor } from '../../util/wait.js';
import { brokerProperties, loggingConfig, renderProperties, type Properties } from './configs.js';
import { resolveKafkaJars } from './jars.js';
import { formatNodes, nodeDir, startNode } from './launch.js';
import { requirePortsFree } from './ports.js';
import { requireJava } from './prerequisites.js';
import { isAlive, stopProcess } from './processes.js';
import { newClusterId } from './sandbox.js';
import { loadState, saveState, type SandboxState } from './state.js';
import { defaultSandboxOptions, isBroker, isController, PRIMARY, type NodeSpec, type Topology } from './topology.js';

/** The cluster alias a stretch sandbox's clusters file names. */
export const STRETCH = 'stretch';
/** Racks (sites) with brokers. */
export const STRETCH_SITES = ['a', 'b'] as const;
/** Every site, the tie-breaker's `c` included. */
export type StretchSite = 'a' | 'b' | 'c';

/** Where the KRaft voters live. */
export type StretchQuorum = 'three-sites' | 'one-site';

/** Options of a stretch sandbox. */
export interface StretchOptions {
  /** Brokers per site (racks `a`, `b`): 2 (default; RF 4, min ISR 3) or 1 (RF 2, min ISR 2). */
  brokersPerSite: 1 | 2;
  /** `three-sites` (default: one voter per site, tie-breaker in `c`) or `one-site` (two voters in `a`: the anti-pattern). */
  quorum: StretchQuorum;
}

/** A node of the stretch layout: a sandbox node plus its site. */
export interface StretchNode extends NodeSpec {
  site: StretchSite;
}

/** The stretch layout: nodes, replication factor and min ISR. Pure. */
export interface StretchLayout {
  nodes: StretchNode[];
  /** Default (and internal topics') replication factor: every broker. */
  replicationFactor: number;
  /** Default `min.insync.replicas`. */
  minInsyncReplicas: number;
}

/** Computes the stretch layout for a port base. */
export function stretchLayout(o: StretchOptions, portBase: number): StretchLayout {
  type Shape = { name: string; site: StretchSite; roles: NodeSpec['roles']; nodeId: number };
  const shapes: Shape[] =
    o.brokersPerSite === 2
      ? [
          { name: 'stretch-a1', site: 'a', roles: 'combined', nodeId: 1 },
          { name: 'stretch-a2', site: 'a', roles: o.quorum === 'one-site' ? 'combined' : 'broker', nodeId: 2 },
          { name: 'stretch-b1', site: 'b', roles: 'combined', nodeId: 3 },
          { name: 'stretch-b2', site: 'b', roles: 'broker', nodeId: 4 },
          ...(o.quorum === 'three-sites' ? [{ name: 'stretch-c', site: 'c' as const, roles: 'controller' as const, nodeId: 5 }] : []),
        ]
      : [
          { name: 'stretch-a1', site: 'a', roles: 'combined', nodeId: 1 },
          ...(o.quorum === 'one-site' ? [{ name: 'stretch-a-controller', site: 'a' as const, roles: 'controller' as const, nodeId: 2 }] : []),
          { name: 'stretch-b1', site: 'b', roles: 'combined', nodeId: 3 },
          ...(o.quorum === 'three-sites' ? [{ name: 'stretch-c', site: 'c' as const, roles: 'controller' as const, nodeId: 5 }] : []),
        ];
  const nodes: StretchNode[] = shapes.map((s, i) => ({
    ...s,
    cluster: PRIMARY,
    ...(s.roles !== 'controller' ? { port: portBase + 2 + 2 * i } : {}),
    ...(s.roles !== 'broker' ? { controllerPort: portBase + 3 + 2 * i } : {}),
  }));
  const brokers = nodes.filter(isBroker).length;
  return { nodes, replicationFactor: brokers, minInsyncReplicas: brokers >= 4 ? brokers - 1 : brokers };
}

/** `host:port` of every broker, or of one site's brokers. */
export function stretchBootstrap(layout: StretchLayout, site?: StretchSite): string[] {
  return layout.nodes.filter((n) => isBroker(n) && (site === undefined || n.site === site)).map((n) => `127.0.0.1:${n.port}`);
}

/** Controller-only voters → site, as the steps' `controllerSites` input takes it (`5=c`); combined nodes have a rack. */
export function controllerSitesSpec(layout: StretchLayout): string {
  return layout.nodes
    .filter((n) => n.roles === 'controller')
    .map((n) => `${n.nodeId}=${n.site}`)
    .join(',');
}

/**
 * One node's server.properties: the two-cluster sandbox's settings (configs.ts) plus the stretch ones.
 * Sources: KafkaConfig `broker.rack`, `replica.selector.class` (KIP-392 RackAwareReplicaSelector),
 * `auto.leader.rebalance.enable`; the seed's "Stretch Cluster" key configurations.
 */
export function stretchNodeProperties(node: StretchNode, layout: StretchLayout, kafkaVersion: string, logDir: string): Properties {
  const t: Topology = { nodes: layout.nodes, connectPort: 0 };
  const p = brokerProperties(node, t, { kafkaVersion }, logDir);
  const rf = String(layout.replicationFactor);
  const minIsr = String(layout.minInsyncReplicas);
  for (const k of ['default.replication.factor', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor']) p[k] = rf;
  p['min.insync.replicas'] = minIsr;
  p['transaction.state.log.min.isr'] = minIsr;
  if (p['share.coordinator.state.topic.replication.factor'] !== undefined) {
    p['share.coordinator.state.topic.replication.factor'] = rf;
    p['share.coordinator.state.topic.min.isr'] = minIsr;
  }
  if (isBroker(node)) {
    p['broker.rack'] = node.site;
    // Consumers may fetch from a replica in their own rack (client.rack).
    p['replica.selector.class'] = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';
  }
  // Leadership goes back to preferred replicas only when the recovery runbook elects them (elect-preferred-leaders),
  // so its effect is observable; production stretch clusters often leave the broker's own rebalance on.
  p['auto.leader.rebalance.enable'] = 'false';
  p['unclean.leader.election.enable'] = 'false';
  return p;
}

/** What `sandbox up --topology stretch` and `sandbox status` report for a stretch sandbox. */
export interface StretchStatus {
  stateDir: string;
  kafkaVersion: string;
  topology: 'stretch';
  stretch: StretchOptions;
  clusterId: string;
  bootstrapServers: string[];
  /** Bootstrap lists of the brokers of each site (clients' redirect targets). */
  siteBootstrap: Record<'a' | 'b', string[]>;
  replicationFactor: number;
  minInsyncReplicas: number;
  /** KRaft voters (node ids). */
  voters: number[];
  /** `controllerSites` input for the stretch steps, e.g. `5=c`. */
  controllerSites: string;
  nodes: {
    name: string;
    site: StretchSite;
    nodeId: number;
    roles: NodeSpec['roles'];
    port?: number;
    controllerPort?: number;
    running: boolean;
    pid?: number;
  }[];
  clustersFile: string;
  /** Milliseconds from the first process start until every broker answered (this `up` only; absent when nothing started). */
  startupMs?: number;
}

function layoutOf(state: SandboxState): StretchLayout {
  if (!state.stretch) throw new InvalidInputError(`The sandbox in ${state.options.stateDir} is not a stretch sandbox.`);
  return stretchLayout(state.stretch, state.options.portBase);
}

/** Builds the status of a stretch sandbox from its state (reads only the process table). */
export function stretchStatusOf(state: SandboxState, startupMs?: number): StretchStatus {
  const layout = layoutOf(state);
  return {
    stateDir: state.options.stateDir,
    kafkaVersion: state.options.kafkaVersion,
    topology: 'stretch',
    stretch: state.stretch!,
    clusterId: state.clusterIds[PRIMARY],
    bootstrapServers: stretchBootstrap(layout),
    siteBootstrap: { a: stretchBootstrap(layout, 'a'), b: stretchBootstrap(layout, 'b') },
    replicationFactor: layout.replicationFactor,
    minInsyncReplicas: layout.minInsyncReplicas,
    voters: layout.nodes.filter(isController).map((n) => n.nodeId),
    controllerSites: controllerSitesSpec(layout),
    nodes: layout.nodes.map((n) => {
      const rec = state.processes[n.name];
      const running = isAlive(rec);
      return {
        name: n.name,
        site: n.site,
        nodeId: n.nodeId,
        roles: n.roles,
        ...(n.port !== undefined ? { port: n.port } : {}),
        ...(n.controllerPort !== undefined ? { controllerPort: n.controllerPort } : {}),
        running,
        ...(running && rec ? { pid: rec.pid } : {}),
      };
    }),
    clustersFile: path.join(state.options.stateDir, 'clusters.yaml'),
    ...(startupMs !== undefined ? { startupMs } : {}),
  };
}

/** The stretch sandbox's clusters file: cluster `stretch` and a flow of kind `stretch` naming it as both ends. */
export function stretchClustersDocument(state: SandboxState): Record<string, unknown> {
  const layout = layoutOf(state);
  const clusterId = state.clusterIds[PRIMARY];
  return {
    clusters: {
      [STRETCH]: { bootstrapServers: stretchBootstrap(layout), clusterId },
    },
    // A stretch cluster has no MM2: runbooks name it as both ends of their flow (docs/design/stretch-clusters.md).
    flows: [{ source: STRETCH, target: STRETCH, kind: 'stretch' }],
  };
}

/** Input of {@link stretchUp}. */
export interface StretchUpInput extends Partial<StretchOptions> {
  stateDir: string;
  portBase?: number;
  kafkaVersion?: string;
}

/**
 * Brings the stretch sandbox up (or back up): formats and starts what is not running, waits until every broker
 * answers describe-cluster, writes the clusters file.
 * @throws InvalidInputError (a two-cluster sandbox in that folder, options that need a wipe, ports in use),
 *   PrerequisiteError (Java, Maven), WaitTimeoutError (the cluster did not become ready).
 */
export async function stretchUp(input: StretchUpInput, progress: (line: string) => void = () => {}): Promise<StretchStatus> {
  const stateDir = path.resolve(input.stateDir);
  const prev = await loadState(stateDir);
  if (prev && !prev.stretch)
    throw new InvalidInputError(`The sandbox in ${stateDir} is a two-cluster sandbox, not a stretch cluster.`, {
      hint: 'Run "kafka-failover sandbox down --wipe" first, or use another --state-dir.',
    });
  const stretch: StretchOptions = {
    brokersPerSite: input.brokersPerSite ?? prev?.stretch?.brokersPerSite ?? 2,
    quorum: input.quorum ?? prev?.stretch?.quorum ?? 'three-sites',
  };
  const options = defaultSandboxOptions({
    stateDir,
    portBase: input.portBase ?? prev?.options.portBase ?? 19090,
    kafkaVersion: input.kafkaVersion ?? prev?.options.kafkaVersion ?? defaultSandboxOptions().kafkaVersion,
  });
  if (prev) {
    const was = { ...prev.stretch!, portBase: prev.options.portBase, kafkaVersion: prev.options.kafkaVersion };
    const now = { ...stretch, portBase: options.portBase, kafkaVersion: options.kafkaVersion };
    const changed = (Object.keys(now) as (keyof typeof now)[]).filter((k) => now[k] !== was[k]);
    if (changed.length)
      throw new InvalidInputError(
        `The stretch sandbox in ${stateDir} was created with ${changed.map((k) => `${k}=${String(was[k])}`).join(', ')}; the command asks for ${changed.map((k) => `${k}=${String(now[k])}`).join(', ')}.`,
        { hint: 'Run "kafka-failover sandbox down --wipe" first (it deletes the sandbox data), or use another --state-dir.' },
      );
  }
  const java = await requireJava();
  const libs = prev?.libs ?? (await resolveKafkaJars(options.kafkaVersion, { onProgress: progress })).libs;
  const state: SandboxState = prev ?? {
    formatVersion: 1,
    options,
    libs,
    clusterIds: { primary: newClusterId(), dr: '' },
    processes: {},
    stretch,
  };
  const layout = stretchLayout(stretch, options.portBase);
  const dead = layout.nodes.filter((n) => !isAlive(state.processes[n.name]));
  await requirePortsFree(
    dead.flatMap((n) => [
      ...(n.port !== undefined ? [{ port: n.port, owner: `${n.name} (client)` }] : []),
      ...(n.controllerPort !== undefined ? [{ port: n.controllerPort, owner: `${n.name} (controller)` }] : []),
    ]),
    options.portBase,
  );
  await writeStretchConfigs(state, layout);
  await saveState(state);
  await formatNodes(state, java, dead);
  const started = Date.now();
  for (const n of dead) {
    progress(`Starting ${n.name} (site ${n.site}, ${n.roles}, node ${n.nodeId}) on 127.0.0.1:${n.port ?? n.controllerPort}`);
    await startNode(state, java, n);
  }
  await waitForStretch(state, layout);
  const startupMs = dead.length ? Date.now() - started : undefined;
  await createToolTopics(layout, stretch.quorum);
  progress(`Stretch cluster ready: ${stretchBootstrap(layout).join(',')}${startupMs !== undefined ? ` (${startupMs} ms)` : ''}`);
  await writeFile(path.join(stateDir, 'clusters.yaml'), stringify(stretchClustersDocument(state)));
  return stretchStatusOf(state, startupMs);
}

/**
 * The tool's own topics (run lease, audit anchor) must stay writable while a site is lost, or no runbook could start
 * during one: created compacted with `min.insync.replicas` = the brokers of one site (docs/design/stretch-clusters.md),
 * replicas alternating sites with site `b` first (its preferred leader): with a quorum that lost its majority no
 * leader can move, so the drills (which lose site `a`) need the lease led from `b` to run at all.
 */
async function createToolTopics(layout: StretchLayout, quorum: StretchQuorum): Promise<void> {
  const port = createKafkaPort(STRETCH, { bootstrapServers: stretchBootstrap(layout), clientId: 'kafka-failover-sandbox' });
  const admin = createKafka({ bootstrapServers: stretchBootstrap(layout), clientId: 'kafka-failover-sandbox' }).admin();
  const ids = (site: StretchSite) => layout.nodes.filter((n) => isBroker(n) && n.site === site).map((n) => n.nodeId);
  const [a, b] = [ids('a'), ids('b')];
  // With a quorum placed mostly in site a (the anti-pattern), losing a leaves no controller to shrink an ISR: a
  // replica in a would hold every acks=all write forever, so there the tool's topics live in site b only.
  const replicas = quorum === 'one-site' ? b : b.flatMap((x, i) => [x, ...(a[i] !== undefined ? [a[i]!] : [])]);
  try {
    await admin.connect();
    const perSite = stretchBootstrap(layout, 'a').length;
    // A cluster that has just started may answer UNKNOWN_TOPIC_OR_PARTITION while the new topic's leaders settle.
    await waitFor(
      `the tool's topics ${LEASE_TOPIC} and ${ANCHOR_TOPIC} to exist with leaders`,
      async () => {
        const existing = await port.listTopics();
        const missing = [LEASE_TOPIC, ANCHOR_TOPIC].filter((t) => !existing.includes(t));
        if (missing.length)
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({
              topic,
              replicaAssignment: [{ partition: 0, replicas }],
              configEntries: [
                { name: 'cleanup.policy', value: 'compact' },
                { name: 'min.insync.replicas', value: String(Math.min(perSite, replicas.length)) },
              ],
            })),
          });
        const led = (await port.describeTopics([LEASE_TOPIC, ANCHOR_TOPIC])).filter((t) => t.partitions.every((p) => p.leader >= 0));
        if (led.length < 2) throw new Error(`${led.length} of 2 have leaders`);
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  } finally {
    await Promise.allSettled([port.close(), admin.disconnect()]);
  }
}

async function writeStretchConfigs(state: SandboxState, layout: StretchLayout): Promise<void> {
  const o = state.options;
  const cfg = path.join(o.stateDir, 'config');
  await mkdir(cfg, { recursive: true });
  const logging = loggingConfig(o.kafkaVersion);
  await writeFile(path.join(cfg, logging.fileName), logging.text);
  for (const n of layout.nodes) {
    const dir = nodeDir(o, n);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(cfg, `${n.name}.properties`),
      renderProperties(
        stretchNodeProperties(n, layout, o.kafkaVersion, path.join(dir, 'data')),
        `kafka-failover stretch sandbox node ${n.name} (site ${n.site})`,
      ),
    );
  }
}

/**
 * Waits until every broker expected to run is registered, unfenced and answers this tool (DescribeCluster v2 plus a
 * connection to each): a broker killed moments ago is still unfenced until its session times out, so a count of
 * registered brokers alone would call a restarting site ready too early. Fails at once when a started node died.
 */
async function waitForStretch(state: SandboxState, layout: StretchLayout, sites?: StretchSite[]): Promise<void> {
  const live = layout.nodes.filter((n) => isAlive(state.processes[n.name]) || sites === undefined || sites.includes(n.site));
  const expect = live.filter(isBroker).map((n) => n.nodeId);
  const port = createKafkaPort(STRETCH, { bootstrapServers: stretchBootstrap(layout), clientId: 'kafka-failover-sandbox' });
  try {
    await waitFor(
      `stretch brokers ${expect.join(', ')} to be registered, unfenced and reachable`,
      async () => {
        for (const n of live) {
          if (!isAlive(state.processes[n.name])) throw giveUp(new Error(`${n.name} exited during start-up; see ${state.processes[n.name]?.logFile}`));
        }
        const brokers = await port.describeBrokers();
        const ok = new Set(brokers.filter((b) => b.fenced === false && b.reachable === true).map((b) => b.nodeId));
        const missing = expect.filter((id) => !ok.has(id));
        if (missing.length) throw new Error(`broker(s) ${missing.join(', ')} not serving yet`);
      },
      { timeoutMs: 120_000, intervalMs: 500, hint: `See the logs under ${state.options.stateDir}/nodes/.` },
    );
  } finally {
    await port.close();
  }
}

async function requireStretch(stateDir: string): Promise<{ state: SandboxState; layout: StretchLayout }> {
  const state = await loadState(path.resolve(stateDir));
  if (!state?.stretch)
    throw new InvalidInputError(`No stretch sandbox in ${path.resolve(stateDir)}.`, { hint: 'Start one with "kafka-failover sandbox up --topology stretch".' });
  return { state, layout: layoutOf(state) };
}

function requireSite(site: string): StretchSite {
  if (site === 'a' || site === 'b' || site === 'c') return site;
  throw new InvalidInputError(`Unknown site "${site}".`, { hint: 'Sites of the stretch sandbox: a, b (brokers) and c (tie-breaker controller).' });
}

/**
 * Site loss: kill -9 of every process of a site (brokers and controllers), all at once.
 * @returns the components killed (already-stopped ones are skipped).
 * @throws InvalidInputError when the folder holds no stretch sandbox or the site is unknown.
 */
export async function killSite(stateDir: string, site: string): Promise<string[]> {
  const s = requireSite(site);
  const { state, layout } = await requireStretch(stateDir);
  const names = layout.nodes.filter((n) => n.site === s).map((n) => n.name);
  const done = await Promise.all(names.map((n) => stopProcess(state.processes[n], 'kill', 20_000)));
  await saveState(state);
  return names.filter((_, i) => done[i]);
}

/**
 * Starts every stopped process of a site and waits until its brokers are registered again.
 * @returns the components started.
 */
export async function startSite(stateDir: string, site: string, progress: (line: string) => void = () => {}): Promise<string[]> {
  const s = requireSite(site);
  const { state, layout } = await requireStretch(stateDir);
  const java = await requireJava();
  const names: string[] = [];
  for (const n of layout.nodes.filter((x) => x.site === s && !isAlive(state.processes[x.name]))) {
    await requirePortsFree(
      [
        ...(n.port !== undefined ? [{ port: n.port, owner: `${n.name} (client)` }] : []),
        ...(n.controllerPort !== undefined ? [{ port: n.controllerPort, owner: `${n.name} (controller)` }] : []),
      ],
      state.options.portBase,
    );
    await startNode(state, java, n);
    progress(`Started ${n.name}`);
    names.push(n.name);
  }
  await waitForStretch(state, layout, [s]);
  return names;
}

/** Peak resident set (VmHWM, bytes) of each running node, from /proc (Linux); absent for nodes that do not run. */
export async function stretchPeakRss(stateDir: string): Promise<Record<string, number>> {
  const { state, layout } = await requireStretch(stateDir);
  const out: Record<string, number> = {};
  for (const n of layout.nodes) {
    const rec = state.processes[n.name];
    const file = `/proc/${rec?.pid}/status`;
    if (!rec || !isAlive(rec) || !existsSync(file)) continue;
    const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(file, 'utf8'));
    if (m) out[n.name] = Number(m[1]) * 1024;
  }
  return out;
}

/** True when the folder holds a stretch sandbox. */
export async function isStretchSandbox(stateDir: string): Promise<boolean> {
  return Boolean((await loadState(path.resolve(stateDir)))?.stretch);
}

/** Where {@link redirectClients} records the bootstrap list clients should use (the sandbox's stand-in for DNS). */
export function clientBootstrapFile(stateDir: string): string {
  return path.join(path.resolve(stateDir), 'client-bootstrap.json');
}

/**
 * Redirects the sandbox's clients: records the brokers of `site` (`a`, `b`, or `all`) as the bootstrap list in
 * {@link clientBootstrapFile}, which clients of the sandbox (tests, drills) watch — as real clients follow a DNS
 * record or a config push.
 * @returns the bootstrap list written.
 */
export async function redirectClients(stateDir: string, site: string): Promise<string[]> {
  const { state, layout } = await requireStretch(stateDir);
  const sites = site.split(',').filter(Boolean);
  if (sites.length === 0 || sites.some((s) => s !== 'all' && s !== 'a' && s !== 'b'))
    throw new InvalidInputError(`Cannot redirect clients to site "${site}".`, { hint: 'Name a site with brokers (a or b), a list (a,b), or all.' });
  const bootstrap = sites.includes('all') ? stretchBootstrap(layout) : sites.flatMap((s) => stretchBootstrap(layout, s as StretchSite));
  await writeFile(clientBootstrapFile(state.options.stateDir), `${JSON.stringify({ site, bootstrapServers: bootstrap, at: new Date().toISOString() })}\n`);
  return bootstrap;
}
