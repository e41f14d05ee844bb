/**
 * Sandboxes of several clusters joined by MirrorMaker 2 flows, all run by ONE dedicated MM2 process
 * (docs/design/topologies.md): a {@link SandboxLayout} names the clusters (MM2 aliases) and the flows, and this module
 * brings any layout up, reports its status, writes its clusters file and serves its fault controls. Two layouts:
 * - hub and spoke (`sandbox up --topology hub-spoke`, {@link hubSpokeLayout}): a hub `hub` and N spokes `spoke1` …
 *   `spokeN` (N = 3 by default, 2 allowed), flows `spokeK->hub` and `hub->spokeK`: `orders` on spoke1 is
 *   `spoke1.orders` on the hub, `orders` on the hub is `hub.orders` on every spoke. MM2's cycle detection by prefix
 *   (MirrorSourceConnector.isCycle) keeps a copy from going back where it came from.
 * - aggregate (`sandbox up --topology aggregate`, {@link AGGREGATE_LAYOUT}): regional clusters `r1`, `r2` and
 *   aggregate clusters `agg1`, `agg2`, flows `r1->agg1`, `r2->agg1`, `r1->agg2`, `r2->agg2` and no other: `orders`
 *   on r1 is `r1.orders` on both aggregates; each aggregate has every region's data, and nothing flows back.
 * Every cluster is one combined KRaft node (broker + controller); every flow uses DefaultReplicationPolicy with the
 * offset syncs topic on the source (`mm2-offset-syncs.agg1.internal` on r1) and checkpoints on the target
 * (`r1.checkpoints.internal` on agg1): MM2's defaults.
 *
 * One MM2 (`mm2`, one `mm2.properties` naming every cluster and `a->b.enabled` per flow; MirrorMaker keeps one herder
 * per enabled pair) instead of one JVM per flow. Its cost: every flow's stop hook stops that one process, so a move's
 * "stop replication" pauses all flows until its "start replication" (a superset of what must stop).
 *
 * Ports: cluster i (in layout order) has its client port at portBase + 2 + 2i and its CONTROLLER port at
 * portBase + 3 + 2i (hub-spoke, base 19090: hub 19092, spoke1 19094 …; aggregate: r1 19092, r2 19094, agg1 19096,
 * agg2 19098).
 *
 * State: the sandbox's state file (state.ts) with a `hubSpoke` or an `aggregate` field holding every cluster's id
 * (and the spokes); the nodes carry the placeholder alias `primary` internally so the shared launch helpers (format,
 * start) serve them unchanged (as stretch.ts does). `sandbox down` works as for the two-cluster sandbox (MM2 first).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { TOOL_ARGV } from '../../engine/templates.js';
import { InvalidInputError } from '../../errors.js';
import { createKafka, protocolCluster } from '../../kafka/kafkajs-client.js';
import { readPartition } from '../../kafka/read-partition.js';
import { giveUp, waitFor } from '../../util/wait.js';
import { brokerProperties, loggingConfig, renderProperties, type Properties } from './configs.js';
import { resolveKafkaJars } from './jars.js';
import { formatNodes, javaArgs, MM2, nodeDir, startNode } from './launch.js';
import { requirePortsFree } from './ports.js';
import { requireJava } from './prerequisites.js';
import { isAlive, spawnDaemon, stopProcess } from './processes.js';
import { PROBE_TOPIC, waitForBrokers } from './readiness.js';
import { newClusterId } from './sandbox.js';
import { loadState, saveState, type SandboxState } from './state.js';
import { defaultSandboxOptions, PRIMARY, type NodeSpec } from './topology.js';
import { mm2VersionFor } from './versions.js';

/** The hub's alias (hub-and-spoke layout). */
export const HUB = 'hub';

/** A MirrorMaker 2 flow of a layout: records of `source` are copied to `target` (as `<source>.<topic>`). */
export interface MirrorFlow {
  source: string;
  target: string;
}

/** The sandbox kinds built from a {@link SandboxLayout} (`sandbox up --topology <kind>`). */
export type MultiClusterTopology = 'hub-spoke' | 'aggregate';

/**
 * A multi-cluster sandbox's shape: its clusters by MM2 alias (in port order) and its MM2 flows (every other ordered
 * pair of clusters is disabled, heartbeats included).
 */
export interface SandboxLayout {
  topology: MultiClusterTopology;
  /** What messages call it ("hub-and-spoke sandbox"). */
  title: string;
  aliases: string[];
  flows: MirrorFlow[];
  /** Parameters fixed when the sandbox is created (hub-spoke: `spokes`): a later `up` asking for others is refused. */
  parameters: Record<string, number>;
}

/** What the state file records of a hub-and-spoke sandbox. */
export interface HubSpokeOptions {
  /** Spokes: 3 (default) or 2. */
  spokes: 2 | 3;
  /** KRaft cluster id of every cluster, by alias (`hub`, `spoke1` …). */
  clusterIds: Record<string, string>;
}

/** What the state file records of an aggregate sandbox. */
export interface AggregateOptions {
  /** KRaft cluster id of every cluster, by alias (`r1`, `r2`, `agg1`, `agg2`). */
  clusterIds: Record<string, string>;
}

/** Aliases of the spokes: `spoke1` … `spokeN`. Pure. */
export function spokeAliases(spokes: number): string[] {
  return Array.from({ length: spokes }, (_, i) => `spoke${i + 1}`);
}

/** The hub-and-spoke layout: the hub first, then the spokes; `spokeK->hub` and `hub->spokeK` for each spoke. Pure. */
export function hubSpokeLayout(spokes: number): SandboxLayout {
  return {
    topology: 'hub-spoke',
    title: 'hub-and-spoke sandbox',
    aliases: [HUB, ...spokeAliases(spokes)],
    flows: spokeAliases(spokes).flatMap((s) => [
      { source: s, target: HUB },
      { source: HUB, target: s },
    ]),
    parameters: { spokes },
  };
}

/** Regional clusters of the aggregate layout (where producers write). */
export const AGGREGATE_REGIONS = ['r1', 'r2'] as const;
/** Aggregate clusters of the aggregate layout (each receives every region's topics). */
export const AGGREGATES = ['agg1', 'agg2'] as const;

/** The aggregate layout: `r1`, `r2`, `agg1`, `agg2`; a flow from every region to every aggregate, no other. */
export const AGGREGATE_LAYOUT: SandboxLayout = {
  topology: 'aggregate',
  title: 'aggregate sandbox',
  aliases: [...AGGREGATE_REGIONS, ...AGGREGATES],
  flows: AGGREGATES.flatMap((target) => AGGREGATE_REGIONS.map((source) => ({ source, target }))),
  parameters: {},
};

/** The layout's title with its article ("an aggregate sandbox"), for messages. */
export const titled = (layout: SandboxLayout) => `${/^[aeiou]/.test(layout.title) ? 'an' : 'a'} ${layout.title}`;

/** The layout of a multi-cluster sandbox's state, or undefined for the other kinds (two clusters, stretch). */
export function layoutOf(state: SandboxState): SandboxLayout | undefined {
  if (state.hubSpoke) return hubSpokeLayout(state.hubSpoke.spokes);
  if (state.aggregate) return AGGREGATE_LAYOUT;
  return undefined;
}

/** KRaft cluster ids of a multi-cluster sandbox's clusters, by alias. */
function clusterIdsOf(state: SandboxState): Record<string, string> {
  return (state.hubSpoke ?? state.aggregate)!.clusterIds;
}

/** The state field recording a new sandbox of `layout` with these cluster ids. */
function layoutRecord(layout: SandboxLayout, clusterIds: Record<string, string>): Pick<SandboxState, 'hubSpoke' | 'aggregate'> {
  return layout.topology === 'hub-spoke' ? { hubSpoke: { spokes: layout.parameters.spokes as 2 | 3, clusterIds } } : { aggregate: { clusterIds } };
}

/** One cluster of a layout: its alias and its single combined node. */
export interface LayoutCluster {
  alias: string;
  node: NodeSpec & { port: number; controllerPort: number };
}

/** The clusters of a layout with their nodes and ports (cluster i: client portBase + 2 + 2i, controller + 1). Pure. */
export function layoutClusters(layout: SandboxLayout, portBase: number): LayoutCluster[] {
  return layout.aliases.map((alias, i) => ({
    alias,
    node: { name: `${alias}-1`, cluster: PRIMARY, roles: 'combined', nodeId: 1, port: portBase + 2 + 2 * i, controllerPort: portBase + 3 + 2 * i },
  }));
}

const bootstrapOf = (c: LayoutCluster) => [`127.0.0.1:${c.node.port}`];

/**
 * One dedicated MirrorMaker 2 running every flow of a layout (`org.apache.kafka.connect.mirror.MirrorMaker
 * mm2.properties`, all clusters driven). Pairs that are not flows (spoke to spoke; aggregate to aggregate, aggregate
 * to region) are neither enabled nor emit heartbeats (MirrorMakerConfig creates a herder for a pair with
 * `emit.heartbeats.enabled`, on by default, even when the pair is disabled). Offset syncs and checkpoints topics are
 * left where MM2's defaults put them (`offset-syncs.topic.location = source`). Worker settings
 * reach each target's worker only with its alias prefix (../shared/reference/kafka-on-the-jvm.md). Pure.
 * Sources: MirrorMakerConfig (`clusters`, `<a>-><b>.enabled`), MirrorSourceConfig / MirrorCheckpointConfig keys.
 */
export function layoutMm2Properties(clusters: LayoutCluster[], flows: MirrorFlow[], offsetLagMax: number): Properties {
  const aliases = clusters.map((c) => c.alias);
  const enabled = new Set(flows.map((f) => `${f.source}->${f.target}`));
  const p: Properties = { clusters: aliases.join(', ') };
  for (const c of clusters) p[`${c.alias}.bootstrap.servers`] = bootstrapOf(c).join(',');
  for (const a of aliases)
    for (const b of aliases) {
      if (a === b) continue;
      const pair = `${a}->${b}`;
      if (enabled.has(pair)) {
        p[`${pair}.enabled`] = 'true';
        p[`${pair}.topics`] = '.*';
        p[`${pair}.groups`] = '.*';
      } else {
        p[`${pair}.enabled`] = 'false';
        p[`${pair}.emit.heartbeats.enabled`] = 'false';
      }
    }
  Object.assign(p, {
    'replication.factor': '1',
    'checkpoints.topic.replication.factor': '1',
    'heartbeats.topic.replication.factor': '1',
    'offset-syncs.topic.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    'config.storage.replication.factor': '1',
    'emit.checkpoints.interval.seconds': '1',
    'emit.heartbeats.interval.seconds': '1',
    'refresh.topics.interval.seconds': '5',
    'refresh.groups.interval.seconds': '5',
    'sync.group.offsets.enabled': 'false',
    'offset.lag.max': String(offsetLagMax),
    'sync.topic.acls.enabled': 'false',
    // One task per connector: every flow's 3 connectors in one JVM on a 2-core machine.
    'tasks.max': '1',
  });
  for (const a of aliases) {
    p[`${a}.offset.flush.interval.ms`] = '1000';
    p[`${a}.scheduled.rebalance.max.delay.ms`] = '0';
    // KIP-898 (Kafka 3.6+, WorkerConfig plugin.discovery): find the Mirror connectors and converters through their
    // ServiceLoader manifests (Kafka's own jars carry them) instead of a reflective classpath scan for each herder;
    // measured: a restart of the 4-flow MM2 until every flow carried a probe took 13.8 s instead of 24.8 s.
    p[`${a}.plugin.discovery`] = 'service_load';
  }
  return p;
}

/** What `sandbox up --topology hub-spoke|aggregate` and `sandbox status` report for a multi-cluster sandbox. */
export interface MultiClusterStatus {
  stateDir: string;
  kafkaVersion: string;
  mm2Version: string;
  topology: MultiClusterTopology;
  /** Every cluster in layout order; `rssBytes`: the node's resident set (VmRSS) when it runs. */
  clusters: { alias: string; clusterId: string; bootstrapServers: string[]; node: string; running: boolean; pid?: number; rssBytes?: number }[];
  /** Every flow as `source->target`. */
  flows: string[];
  mm2: { running: boolean; pid?: number; rssBytes?: number };
  clustersFile: string;
  /** Wall time of `up` from the first process start until every flow carried a probe (ms), when it started any. */
  startupMs?: number;
}

/** Resident set (VmRSS, bytes) of a running process, from /proc (Linux); undefined when unknown. */
async function rssOf(pid: number | undefined): Promise<number | undefined> {
  const file = `/proc/${pid}/status`;
  if (pid === undefined || !existsSync(file)) return undefined;
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(file, 'utf8').catch(() => ''));
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * Status of a multi-cluster sandbox (process table and /proc only).
 * @throws InvalidInputError when the state is of another kind of sandbox.
 */
export async function multiClusterStatusOf(state: SandboxState, startupMs?: number): Promise<MultiClusterStatus> {
  const layout = requireLayout(state);
  const ids = clusterIdsOf(state);
  const proc = async (name: string) => {
    const rec = state.processes[name];
    const running = isAlive(rec);
    const rss = running ? await rssOf(rec?.pid) : undefined;
    return { running, ...(running && rec ? { pid: rec.pid } : {}), ...(rss !== undefined ? { rssBytes: rss } : {}) };
  };
  return {
    stateDir: state.options.stateDir,
    kafkaVersion: state.options.kafkaVersion,
    mm2Version: state.mm2Version ?? state.options.kafkaVersion,
    topology: layout.topology,
    clusters: await Promise.all(
      layoutClusters(layout, state.options.portBase).map(async (c) => ({
        alias: c.alias,
        clusterId: ids[c.alias]!,
        bootstrapServers: bootstrapOf(c),
        node: c.node.name,
        ...(await proc(c.node.name)),
      })),
    ),
    flows: layout.flows.map((f) => `${f.source}->${f.target}`),
    mm2: await proc(MM2),
    clustersFile: path.join(state.options.stateDir, 'clusters.yaml'),
    ...(startupMs !== undefined ? { startupMs } : {}),
  };
}

/**
 * The clusters file of a multi-cluster sandbox: every cluster (pinned id) and every flow (default policy, offset
 * syncs on the source); each flow's MM2 hooks stop and start the one MM2 process (`sandbox stop|start mm2`). Pure.
 * @throws InvalidInputError when the state is of another kind of sandbox.
 */
export function multiClusterClustersDocument(state: SandboxState): Record<string, unknown> {
  const layout = requireLayout(state);
  const ids = clusterIdsOf(state);
  const cli = [...TOOL_ARGV, 'sandbox'];
  const stateArg = ['--state-dir', state.options.stateDir];
  return {
    clusters: Object.fromEntries(
      layoutClusters(layout, state.options.portBase).map((c) => [c.alias, { bootstrapServers: bootstrapOf(c), clusterId: ids[c.alias] }]),
    ),
    flows: layout.flows.map((f) => ({
      ...f,
      replicationPolicy: 'default',
      separator: '.',
      offsetSyncsTopicLocation: 'source',
      // One MM2 process runs every flow: stopping one flow stops them all (docs/design/topologies.md).
      mm2: { hooks: { stop: [...cli, 'stop', MM2, ...stateArg], start: [...cli, 'start', MM2, ...stateArg] } },
    })),
  };
}

/** Input of {@link multiClusterUp}. */
export interface MultiClusterUpInput {
  stateDir: string;
  /** First port of the sandbox's block (default 19090). */
  portBase?: number;
  kafkaVersion?: string;
  /** MM2 `offset.lag.max` (records); default 100, MM2's own. */
  offsetLagMax?: number;
}

/**
 * Brings a multi-cluster sandbox of `layout` up (or back up): formats and starts what is not running, waits until
 * every cluster answers, starts the one MM2 and waits until a probe record has crossed every flow and every flow's
 * checkpoints topic exists; writes the clusters file (`<stateDir>/clusters.yaml`).
 * @throws InvalidInputError (another kind of sandbox in that folder, options that need a wipe, ports in use),
 *   PrerequisiteError (Java, Maven), WaitTimeoutError (a cluster or MM2 did not become ready; names its log).
 */
export async function multiClusterUp(
  layout: SandboxLayout,
  input: MultiClusterUpInput,
  progress: (line: string) => void = () => {},
): Promise<MultiClusterStatus> {
  const stateDir = path.resolve(input.stateDir);
  const prev = await loadState(stateDir);
  const prevLayout = prev && layoutOf(prev);
  if (prev && prevLayout?.topology !== layout.topology)
    throw new InvalidInputError(`The sandbox in ${stateDir} is not ${titled(layout)}.`, {
      hint: 'Run "kafka-failover sandbox down --wipe" first, or use another --state-dir.',
    });
  const options = defaultSandboxOptions({
    stateDir,
    portBase: input.portBase ?? prev?.options.portBase ?? 19090,
    kafkaVersion: input.kafkaVersion ?? prev?.options.kafkaVersion ?? defaultSandboxOptions().kafkaVersion,
    offsetLagMax: input.offsetLagMax ?? prev?.options.offsetLagMax ?? 100,
  });
  if (prev && prevLayout) {
    const was: Record<string, string | number> = { ...prevLayout.parameters, portBase: prev.options.portBase, kafkaVersion: prev.options.kafkaVersion };
    const now: Record<string, string | number> = { ...layout.parameters, portBase: options.portBase, kafkaVersion: options.kafkaVersion };
    const changed = Object.keys(now).filter((k) => now[k] !== was[k]);
    if (changed.length)
      throw new InvalidInputError(
        `The ${layout.title} in ${stateDir} was created with ${changed.map((k) => `${k}=${String(was[k])}`).join(', ')}; the command asks for ${changed.map((k) => `${k}=${String(now[k])}`).join(', ')}.`,
        { hint: 'Run "kafka-failover sandbox down --wipe" first (it deletes the sandbox data), or use another --state-dir.' },
      );
  }
  const clusters = layoutClusters(layout, options.portBase);
  const dead = clusters.filter((c) => !isAlive(prev?.processes[c.node.name]));
  await requirePortsFree(
    dead.flatMap((c) => [
      { port: c.node.port, owner: `${c.node.name} (client)` },
      { port: c.node.controllerPort, owner: `${c.node.name} (controller)` },
    ]),
    options.portBase,
  );
  const java = await requireJava();
  const jars = await resolveKafkaJars(options.kafkaVersion, { onProgress: progress });
  const mm2Version = mm2VersionFor(options.kafkaVersion);
  const mm2Jars = mm2Version === options.kafkaVersion ? jars : await resolveKafkaJars(mm2Version, { onProgress: progress });
  const state: SandboxState = prev
    ? { ...prev, options }
    : {
        formatVersion: 1,
        options,
        libs: jars.libs,
        mm2Version,
        ...(mm2Jars === jars ? {} : { mm2Libs: mm2Jars.libs }),
        clusterIds: { primary: '', dr: '' },
        processes: {},
        ...layoutRecord(layout, Object.fromEntries(clusters.map((c) => [c.alias, newClusterId()]))),
      };
  await writeLayoutConfigs(state, layout, clusters);
  await saveState(state);
  // The shared format helper takes a cluster's id by the node's alias: one call per cluster with its own id.
  await Promise.all(dead.map((c) => formatNodes({ ...state, clusterIds: { primary: clusterIdsOf(state)[c.alias]!, dr: '' } }, java, [c.node])));
  const started = Date.now();
  for (const c of dead) {
    progress(`Starting ${c.node.name} (cluster ${c.alias}, Kafka ${options.kafkaVersion}) on 127.0.0.1:${c.node.port}`);
    await startNode(state, java, c.node);
  }
  for (const c of clusters)
    await waitForBrokers(
      bootstrapOf(c),
      1,
      c.alias,
      () => {
        if (!isAlive(state.processes[c.node.name]))
          throw giveUp(new Error(`${c.node.name} exited during start-up; see ${state.processes[c.node.name]?.logFile}`));
      },
      `See ${nodeDir(options, c.node)}/server.log.`,
    );
  progress(`Clusters ready: ${clusters.map((c) => `${c.alias} ${bootstrapOf(c).join(',')}`).join('; ')}`);
  const mm2Started = !isAlive(state.processes[MM2]);
  if (mm2Started) {
    progress(`Starting MirrorMaker 2 ${mm2Version} (one dedicated process, ${layout.flows.length} flows)`);
    await startLayoutMirrorMaker(state, java);
  }
  await waitForFlows(state, layout, clusters, progress);
  const startupMs = dead.length || mm2Started ? Date.now() - started : undefined;
  const file = path.join(stateDir, 'clusters.yaml');
  await writeFile(
    file,
    `# Written by \`kafka-failover sandbox up --topology ${layout.topology}\`: every cluster and every MirrorMaker 2 flow of the ${layout.title} (one MM2 process runs them all).\n` +
      stringify(multiClusterClustersDocument(state)),
    { mode: 0o600 },
  );
  progress(`Clusters file: ${file}${startupMs !== undefined ? ` (ready in ${startupMs} ms)` : ''}`);
  return multiClusterStatusOf(state, startupMs);
}

async function writeLayoutConfigs(state: SandboxState, layout: SandboxLayout, clusters: LayoutCluster[]): Promise<void> {
  const o = state.options;
  const cfg = path.join(o.stateDir, 'config');
  await mkdir(cfg, { recursive: true });
  const logging = loggingConfig(o.kafkaVersion);
  await writeFile(path.join(cfg, logging.fileName), logging.text);
  for (const c of clusters) {
    const dir = nodeDir(o, c.node);
    await mkdir(dir, { recursive: true });
    // Each cluster is its own one-node topology: replication factors 1, its own quorum.
    const props = brokerProperties(c.node, { nodes: [c.node], connectPort: 0 }, o, path.join(dir, 'data'));
    await writeFile(path.join(cfg, `${c.node.name}.properties`), renderProperties(props, `kafka-failover ${layout.title}: cluster ${c.alias}`));
  }
  await writeFile(
    path.join(cfg, 'mm2.properties'),
    renderProperties(layoutMm2Properties(clusters, layout.flows, o.offsetLagMax), `kafka-failover ${layout.title}: one dedicated MirrorMaker 2 for every flow`),
  );
}

/** Starts the one MirrorMaker 2 process (every cluster driven: no `--clusters`). */
async function startLayoutMirrorMaker(state: SandboxState, java: string): Promise<void> {
  const args = javaArgs(state, 'mm2', 'org.apache.kafka.connect.mirror.MirrorMaker', [path.join(state.options.stateDir, 'config', 'mm2.properties')]);
  state.processes[MM2] = spawnDaemon(java, args, path.join(state.options.stateDir, 'mm2.log'));
  await saveState(state);
}

/**
 * Waits until every flow a->b works: its checkpoints topic `a.checkpoints.internal` exists on b, and a probe record
 * written to `sandbox-probe` on a has arrived in `a.sandbox-probe` on b. Fails at once when MM2 exits.
 */
async function waitForFlows(state: SandboxState, layout: SandboxLayout, clusters: LayoutCluster[], progress: (line: string) => void): Promise<void> {
  const clients = new Map(clusters.map((c) => [c.alias, createKafka({ bootstrapServers: bootstrapOf(c), clientId: 'kafka-failover-sandbox' })]));
  const admins = new Map([...clients].map(([a, k]) => [a, k.admin()]));
  const hint = `See ${state.options.stateDir}/mm2.log.`;
  const alive = () => {
    if (!isAlive(state.processes[MM2])) throw giveUp(new Error(`MirrorMaker 2 exited. ${hint}`));
  };
  const flows = layout.flows;
  const sources = new Set(flows.map((f) => f.source));
  const marker = `probe-${randomUUID()}`;
  const producers = new Map([...clients].filter(([a]) => sources.has(a)).map(([a, k]) => [a, k.producer({ allowAutoTopicCreation: false })]));
  const readers = new Map([...clients].map(([a, k]) => [a, protocolCluster(k)]));
  try {
    await Promise.all([...admins.values()].map((a) => a.connect()));
    // A probe on every flow's source (an aggregate gets none: nothing flows out of it).
    for (const [alias, producer] of producers) {
      const admin = admins.get(alias)!;
      if (!(await admin.listTopics()).includes(PROBE_TOPIC))
        await admin.createTopics({ topics: [{ topic: PROBE_TOPIC, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic: PROBE_TOPIC, acks: -1, messages: [{ key: 'probe', value: marker }] });
    }
    await Promise.all([...readers.values()].map((r) => r.connect()));
    const done = new Set<string>();
    await waitFor(
      `a probe record to cross every MirrorMaker 2 flow (${flows.map((f) => `${f.source}->${f.target}`).join(', ')}) and each flow's checkpoints topic to exist`,
      async () => {
        alive();
        for (const f of flows) {
          const key = `${f.source}->${f.target}`;
          if (done.has(key)) continue;
          const admin = admins.get(f.target)!;
          const topics = await admin.listTopics();
          const remote = `${f.source}.${PROBE_TOPIC}`;
          if (!topics.includes(`${f.source}.checkpoints.internal`) || !topics.includes(remote)) continue;
          const end = Number((await admin.fetchTopicOffsets(remote))[0]?.high ?? 0);
          let seen = false;
          const reader = readers.get(f.target)!;
          await reader.refreshMetadata();
          await readPartition(reader, remote, 0, { fromOffset: 0, toOffset: end }, (r) => {
            if (r.value?.toString() === marker) seen = true;
          });
          if (seen) {
            done.add(key);
            progress(`Flow ${key} carries records (${remote} on ${f.target})`);
          }
        }
        const missing = flows.map((f) => `${f.source}->${f.target}`).filter((k) => !done.has(k));
        if (missing.length) throw new Error(`not yet: ${missing.join(', ')}`);
      },
      { timeoutMs: 240_000, intervalMs: 1000, hint },
    );
  } finally {
    await Promise.allSettled([
      ...[...admins.values()].map((a) => a.disconnect()),
      ...[...producers.values()].map((p) => p.disconnect()),
      ...[...readers.values()].map((r) => r.disconnect()),
    ]);
  }
}

/** The layout of a multi-cluster sandbox's state. @throws InvalidInputError when the state is of another kind. */
function requireLayout(state: SandboxState): SandboxLayout {
  const layout = layoutOf(state);
  if (!layout)
    throw new InvalidInputError(`The sandbox in ${state.options.stateDir} is neither a hub-and-spoke nor an aggregate sandbox.`, {
      hint: 'Use "kafka-failover sandbox status" to see what it is.',
    });
  return layout;
}

/**
 * Fault-control targets of a multi-cluster sandbox: `mm2`, a cluster alias (`hub`, `spoke1`, `agg1`) or a node
 * (`hub-1`, `agg1-1`).
 * @throws InvalidInputError naming the valid targets.
 */
export function multiClusterTargets(state: SandboxState, target: string): string[] {
  const layout = requireLayout(state);
  const clusters = layoutClusters(layout, state.options.portBase);
  if (target === MM2) return [MM2];
  const c = clusters.find((x) => x.alias === target || x.node.name === target);
  if (c) return [c.node.name];
  throw new InvalidInputError(`Unknown component "${target}" of the ${layout.title}.`, {
    hint: `Use one of: ${[MM2, ...clusters.flatMap((x) => [x.alias, x.node.name])].join(', ')}.`,
  });
}

/**
 * Starts stopped components of a multi-cluster sandbox (`mm2`, a cluster or node) and waits: a cluster until it
 * answers, MM2 until a probe record has crossed every flow (its flows resume from their committed source offsets).
 * @returns the components started.
 */
export async function startMultiClusterComponents(state: SandboxState, target: string, progress: (line: string) => void = () => {}): Promise<string[]> {
  const names = multiClusterTargets(state, target).filter((n) => !isAlive(state.processes[n]));
  const java = await requireJava();
  const layout = requireLayout(state);
  const clusters = layoutClusters(layout, state.options.portBase);
  for (const name of names) {
    if (name === MM2) {
      await startLayoutMirrorMaker(state, java);
      // Started is not replicating: a move's "start replication" returns only once every flow carries records again,
      // so the next move's lag check and record matching see flows that run (the first restart of every herder takes
      // tens of seconds on a 2-core machine).
      await waitForFlows(state, layout, clusters, progress);
    } else {
      const c = clusters.find((x) => x.node.name === name)!;
      await requirePortsFree(
        [
          { port: c.node.port, owner: `${name} (client)` },
          { port: c.node.controllerPort, owner: `${name} (controller)` },
        ],
        state.options.portBase,
      );
      await startNode(state, java, c.node);
      await waitForBrokers(bootstrapOf(c), 1, c.alias);
    }
    progress(`Started ${name}`);
  }
  return names;
}

/** Stops components of a multi-cluster sandbox (`graceful`: SIGTERM; `kill`: SIGKILL). @returns those signalled. */
export async function stopMultiClusterComponents(state: SandboxState, target: string, mode: 'graceful' | 'kill'): Promise<string[]> {
  const names = multiClusterTargets(state, target);
  const done = await Promise.all(names.map((n) => stopProcess(state.processes[n], mode, 20_000)));
  await saveState(state);
  return names.filter((_, i) => done[i]);
}
