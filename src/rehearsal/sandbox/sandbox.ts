/**
 * The JVM sandbox: two KRaft clusters (`primary`, `dr`) and MirrorMaker 2 (primary → dr) run from Maven Central
 * jars on this machine. Library API used by the CLI (`kafka-failover sandbox …`) and by the test suite.
 *
 * - {@link sandboxUp}: resolve jars, format, start, wait until ready (by polling), write the clusters file.
 *   On a half-dead sandbox it starts only what is not running. Idempotent.
 * - {@link sandboxDown}: stop only the processes it started (PID + start time), idempotent; `wipe` deletes data.
 * - {@link sandboxStatus}: what runs, where, which versions.
 * - {@link stopComponents} / {@link startComponents}: fault controls for tests and drills.
 * - {@link setWanLink} (wan.ts): changes the WAN link of a running sandbox (docs/design/wan-link.md).
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { grantToolAcls } from './acls.js';
import { assertActiveActiveOptions, ensureReverseFlow } from './active-active.js';
import { layoutOf, titled, startMultiClusterComponents, stopMultiClusterComponents } from './multi-cluster.js';
import { clustersFilePath, writeSandboxClustersFile } from './clusters-file.js';
import { resolveKafkaJars } from './jars.js';
import { mm2VersionFor } from './versions.js';
import { requirePortsFree } from './ports.js';
import { requireJava } from './prerequisites.js';
import { isAlive, stopProcess } from './processes.js';
import { waitForCluster, waitForMirrorMaker } from './readiness.js';
import { MM2, MM2_REVERSE, configureConnectors, formatNodes, startMirrorMaker, startNode, startReverseMirrorMaker, writeJavaConfigs } from './launch.js';
import { loadState, saveState, type SandboxState } from './state.js';
import {
  applyWanLink,
  describeWanLink,
  mergeWanLink,
  resolveToxiproxy,
  startToxiproxy,
  TOXIPROXY,
  TOXIPROXY_VERSION,
  toxiproxyProxies,
  toxiproxyUrl,
} from './wan.js';

export { MM2, MM2_REVERSE } from './launch.js';
export { setWanLink, TOXIPROXY } from './wan.js';
import {
  DR,
  PRIMARY,
  allPorts,
  bootstrapServers,
  clusterBrokers,
  clusterNodes,
  defaultSandboxOptions,
  topology,
  type ClusterAlias,
  type NodeSpec,
  type SandboxOptions,
  type WanLink,
} from './topology.js';

/** A line of progress for the operator. */
export type ProgressSink = (line: string) => void;

/** What `sandbox status` reports. */
export interface SandboxStatus {
  stateDir: string;
  kafkaVersion: string;
  options: SandboxOptions;
  clusters: Record<
    ClusterAlias,
    {
      bootstrapServers: string[];
      clusterId: string;
      /** `port` is the broker's own listener; `proxyPort` (WAN link) the Toxiproxy port it advertises to clients. */
      brokers: { name: string; nodeId: number; port: number; proxyPort?: number; running: boolean; pid?: number }[];
      /** Dedicated KRaft controllers (3-broker primary only). */
      controllers: { name: string; nodeId: number; controllerPort: number; running: boolean; pid?: number }[];
    }
  >;
  mm2: {
    mode: SandboxOptions['mm2Mode'];
    /** MirrorMaker 2's Kafka version (versions.ts `mm2VersionFor`). */
    version: string;
    running: boolean;
    pid?: number;
    restUrl?: string;
    offsetLagMax: number;
    syncGroupOffsets: boolean;
  };
  /** The reverse MirrorMaker 2 dr → primary (failback rehearsals; not started by `up`). */
  mm2Reverse: { running: boolean; pid?: number };
  /** The simulated WAN link in front of dr (absent: none). */
  wan?: WanLinkStatus;
  /** Path of the clusters file the rest of the tool reads. */
  clustersFile: string;
}

/** The WAN link as `sandbox status` reports it. */
export interface WanLinkStatus extends WanLink {
  via: 'toxiproxy';
  /** Toxiproxy's version (the one this tool builds). */
  version: string;
  /** One line, e.g. "dr via toxiproxy, 50 ms round trip". */
  summary: string;
  running: boolean;
  pid?: number;
  /** Toxiproxy's HTTP API. */
  apiUrl: string;
  /** One proxy per dr broker: `listen` is what the broker advertises, `upstream` its own listener. */
  proxies: { name: string; listen: string; upstream: string }[];
}

/** What {@link sandboxUp} takes: the options, and for the WAN link fields to change or `false` to remove it. */
export type SandboxUpInput = Partial<Omit<SandboxOptions, 'wan'>> & { wan?: Partial<WanLink> | false };

/** Options that shape data on disk: changing them needs `down --wipe` first. */
const SHAPING: (keyof SandboxOptions)[] = [
  'kafkaVersion',
  'primaryBrokers',
  'drBrokers',
  'portBase',
  'mm2Mode',
  'replicationPolicy',
  'security',
  'activeActive',
];

export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function mergeOptions(prev: SandboxState | undefined, input: SandboxUpInput): SandboxOptions {
  const { wan: wanInput, ...rest } = input;
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<SandboxOptions>;
  const wan = mergeWanLink(prev?.options.wan, wanInput);
  if (!prev) return defaultSandboxOptions({ ...given, ...(wan ? { wan } : {}) });
  const { wan: _prevWan, ...prevRest } = prev.options;
  const merged: SandboxOptions = { ...prevRest, ...given, ...(wan ? { wan } : {}) };
  // A sandbox from before security profiles existed is a plaintext one.
  const prevOptions: SandboxOptions = { ...prev.options, security: prev.options.security ?? 'plaintext' };
  const changed = SHAPING.filter((k) => given[k] !== undefined && given[k] !== prevOptions[k]);
  if (changed.length > 0) {
    throw new InvalidInputError(
      `The sandbox in ${merged.stateDir} was created with ${changed.map((k) => `${k}=${String(prevOptions[k])}`).join(', ')}; ` +
        `the command asks for ${changed.map((k) => `${k}=${String(given[k])}`).join(', ')}.`,
      { hint: 'Run "kafka-failover sandbox down --wipe" first (it deletes the sandbox data), or use another --state-dir.' },
    );
  }
  return merged;
}

/**
 * Brings the sandbox up (or back up): starts whatever is not running and waits until both clusters answer,
 * MM2's internal topics exist and a probe record has crossed from primary to dr.
 * @param input options; unset fields keep the values of an existing sandbox, else the defaults.
 * @throws InvalidInputError (port in use, options that need a wipe), PrerequisiteError (Java, Maven),
 *   WaitTimeoutError (a component did not become ready; the message names it and points at its log).
 */
export async function sandboxUp(input: SandboxUpInput = {}, progress: ProgressSink = () => {}): Promise<SandboxStatus> {
  const stateDir = path.resolve(input.stateDir ?? defaultSandboxOptions().stateDir);
  const prev = await loadState(stateDir);
  const multi = prev && layoutOf(prev);
  if (prev?.stretch || multi)
    throw new InvalidInputError(`The sandbox in ${stateDir} is ${multi ? titled(multi) : 'a stretch cluster'}.`, {
      hint: `Use "sandbox up --topology ${multi ? multi.topology : 'stretch'}", or "sandbox down --wipe" first.`,
    });
  const o = mergeOptions(prev, { ...input, stateDir });
  if (o.wan && o.security && o.security !== 'plaintext')
    throw new InvalidInputError(`A WAN link cannot be combined with --security ${o.security} (the WAN link proxies plaintext listeners only).`, {
      hint: 'Use a plaintext sandbox for WAN rehearsals, or drop the --wan-* options.',
    });
  assertActiveActiveOptions(o);
  const t = topology(o);
  const java = await requireJava();
  const processes = prev?.processes ?? {};
  // Adding or removing the WAN link changes what dr's brokers advertise and where MM2 reaches dr: restart them.
  if (prev && Boolean(prev.options.wan) !== Boolean(o.wan)) {
    // The link's own ports (Toxiproxy, dr's replication listeners) are checked before anything is stopped.
    if (o.wan)
      await requirePortsFree(
        allPorts(t, o.mm2Mode).filter((p) => p.owner.startsWith(`${TOXIPROXY} `) || p.owner.endsWith('(replication)')),
        o.portBase,
      );
    const dr = clusterNodes(topology(prev.options), DR).map((n) => n.name);
    const running = [MM2, ...dr].filter((n) => isAlive(processes[n]));
    if (running.length > 0)
      progress(`WAN link ${o.wan ? 'added' : 'removed'}: restarting ${running.join(', ')}${isAlive(processes[TOXIPROXY]) ? `; stopping ${TOXIPROXY}` : ''}`);
    if (await stopProcess(processes[MM2_REVERSE], 'graceful')) progress(`Stopped ${MM2_REVERSE}: start it again with "sandbox start ${MM2_REVERSE}"`);
    await stopProcess(processes[MM2], 'graceful');
    await Promise.all([...dr, TOXIPROXY].map((n) => stopProcess(processes[n], 'graceful', 20_000)));
    if (!o.wan) delete processes[TOXIPROXY];
  }
  const deadNodes = t.nodes.filter((n) => !isAlive(processes[n.name]));
  const mm2Alive = isAlive(processes[MM2]);
  const toxiproxyAlive = isAlive(processes[TOXIPROXY]);
  // Ports first: a clash is reported before anything is downloaded, formatted or started.
  const ports = allPorts(t, o.mm2Mode).filter(
    (p) =>
      deadNodes.some((n) => p.owner.startsWith(`${n.name} `)) || (p.owner.startsWith(MM2) && !mm2Alive) || (p.owner.startsWith(TOXIPROXY) && !toxiproxyAlive),
  );
  await requirePortsFree(ports, o.portBase);
  const toxiproxyBin = o.wan && !toxiproxyAlive ? await resolveToxiproxy({ onProgress: progress }) : undefined;
  const jars = await resolveKafkaJars(o.kafkaVersion, { onProgress: progress });
  const mm2Version = mm2VersionFor(o.kafkaVersion);
  const mm2Jars = mm2Version === o.kafkaVersion ? jars : await resolveKafkaJars(mm2Version, { onProgress: progress });
  const mm2 = { mm2Version, ...(mm2Jars === jars ? {} : { mm2Libs: mm2Jars.libs }) };
  const state: SandboxState = prev
    ? { ...prev, options: o, libs: jars.libs, ...mm2 }
    : { formatVersion: 1, options: o, libs: jars.libs, ...mm2, clusterIds: { [PRIMARY]: newClusterId(), [DR]: newClusterId() }, processes: {} };
  const mm2ConfigChanged = prev !== undefined && (prev.options.offsetLagMax !== o.offsetLagMax || prev.options.syncGroupOffsets !== o.syncGroupOffsets);

  await writeJavaConfigs(state);
  await saveState(state);
  await formatNodes(state, java, deadNodes);
  if (o.wan) {
    // Before dr's brokers: what they advertise must answer as soon as they register.
    if (toxiproxyBin) {
      progress(`Starting Toxiproxy ${TOXIPROXY_VERSION} on ${toxiproxyUrl(t)} (WAN link: ${describeWanLink(o.wan)})`);
      await startToxiproxy(state, toxiproxyBin);
    } else {
      await applyWanLink(toxiproxyUrl(t), t, o.wan);
      progress(`WAN link: ${describeWanLink(o.wan)}`);
    }
  }
  for (const n of deadNodes) {
    progress(`Starting ${n.name} (Kafka ${o.kafkaVersion}, ${n.roles}) on 127.0.0.1:${n.port ?? n.controllerPort}`);
    await startNode(state, java, n);
  }
  for (const cluster of [PRIMARY, DR] as const) {
    await waitForCluster(state, cluster);
    await grantToolAcls(state, cluster);
    progress(`Cluster ${cluster} ready: ${bootstrapServers(t, cluster).join(',')}${o.security && o.security !== 'plaintext' ? ` (${o.security})` : ''}`);
  }
  if (mm2Alive && mm2ConfigChanged) {
    progress('MirrorMaker 2 settings changed: restarting it');
    await stopProcess(state.processes[MM2], 'graceful');
  }
  if (!isAlive(state.processes[MM2])) {
    progress(`Starting MirrorMaker 2 ${mm2Version} (${o.mm2Mode} mode, offset.lag.max=${o.offsetLagMax}, sync.group.offsets.enabled=${o.syncGroupOffsets})`);
    await startMirrorMaker(state, java);
  }
  if (o.mm2Mode === 'connect') await configureConnectors(state);
  await waitForMirrorMaker(state, progress);
  if (o.activeActive) await ensureReverseFlow(state, java, progress);
  const file = await writeSandboxClustersFile(o, state.clusterIds);
  progress(`Clusters file: ${file}`);
  return sandboxStatusOf(state);
}

/** Builds the status from a state (reads only the process table). */
export function sandboxStatusOf(state: SandboxState): SandboxStatus {
  const o = state.options;
  const t = topology(o);
  const proc = (name: string) => {
    const rec = state.processes[name];
    const running = isAlive(rec);
    return { running, ...(running && rec ? { pid: rec.pid } : {}) };
  };
  const cluster = (alias: ClusterAlias) => ({
    bootstrapServers: bootstrapServers(t, alias),
    clusterId: state.clusterIds[alias],
    brokers: clusterBrokers(t, alias).map((n) => ({
      name: n.name,
      nodeId: n.nodeId,
      port: n.port,
      ...(n.proxyPort !== undefined ? { proxyPort: n.proxyPort } : {}),
      ...proc(n.name),
    })),
    controllers: clusterNodes(t, alias)
      .filter((n): n is NodeSpec & { controllerPort: number } => n.roles === 'controller')
      .map((n) => ({ name: n.name, nodeId: n.nodeId, controllerPort: n.controllerPort, ...proc(n.name) })),
  });
  const mm2Rec = state.processes[MM2];
  const mm2Running = isAlive(mm2Rec);
  return {
    stateDir: o.stateDir,
    kafkaVersion: o.kafkaVersion,
    options: o,
    clusters: { [PRIMARY]: cluster(PRIMARY), [DR]: cluster(DR) },
    mm2: {
      mode: o.mm2Mode,
      version: state.mm2Version ?? o.kafkaVersion,
      running: mm2Running,
      ...(mm2Running && mm2Rec ? { pid: mm2Rec.pid } : {}),
      ...(o.mm2Mode === 'connect' ? { restUrl: `http://127.0.0.1:${t.connectPort}` } : {}),
      offsetLagMax: o.offsetLagMax,
      syncGroupOffsets: o.syncGroupOffsets,
    },
    mm2Reverse: {
      running: isAlive(state.processes[MM2_REVERSE]),
      ...(isAlive(state.processes[MM2_REVERSE]) ? { pid: state.processes[MM2_REVERSE]!.pid } : {}),
    },
    ...(o.wan
      ? {
          wan: {
            via: 'toxiproxy' as const,
            version: TOXIPROXY_VERSION,
            summary: describeWanLink(o.wan),
            ...o.wan,
            ...proc(TOXIPROXY),
            apiUrl: toxiproxyUrl(t),
            proxies: toxiproxyProxies(t).map(({ name, listen, upstream }) => ({ name, listen, upstream })),
          },
        }
      : {}),
    clustersFile: clustersFilePath(o.stateDir),
  };
}

/**
 * Status of the sandbox in `stateDir`.
 * @throws InvalidInputError when no sandbox was ever started there.
 */
export async function sandboxStatus(stateDir: string = defaultSandboxOptions().stateDir): Promise<SandboxStatus> {
  const state = await loadState(path.resolve(stateDir));
  if (!state) throw new InvalidInputError(`No sandbox in ${path.resolve(stateDir)}.`, { hint: 'Start one with "kafka-failover sandbox up".' });
  return sandboxStatusOf(state);
}

/**
 * Stops every process the sandbox started (MM2 first, then the brokers). Idempotent: does nothing when nothing
 * runs or no sandbox exists. `wipe` then deletes the state folder (data, logs, configs, clusters file).
 * @returns the components that were stopped.
 */
export async function sandboxDown(options: { stateDir?: string; wipe?: boolean } = {}): Promise<string[]> {
  const stateDir = path.resolve(options.stateDir ?? defaultSandboxOptions().stateDir);
  const state = await loadState(stateDir);
  const stopped: string[] = [];
  if (state) {
    for (const m of [MM2, MM2_REVERSE]) if (await stopProcess(state.processes[m], 'graceful')) stopped.push(m);
    const names = Object.keys(state.processes).filter((n) => n !== MM2 && n !== MM2_REVERSE);
    const results = await Promise.all(names.map((n) => stopProcess(state.processes[n], 'graceful', 20_000)));
    for (const [i, n] of names.entries()) if (results[i]) stopped.push(n);
    await saveState(state);
  }
  if (options.wipe) await rm(stateDir, { recursive: true, force: true });
  return stopped;
}

/** Components a fault-control target names: a node (`primary-2`), a cluster (`primary`, `dr`) or `mm2`. */
export function resolveTargets(state: SandboxState, target: string): string[] {
  const t = topology(state.options);
  if (target === MM2) return [MM2];
  if (target === MM2_REVERSE) return [MM2_REVERSE];
  if (target === TOXIPROXY && state.options.wan) return [TOXIPROXY];
  if (target === PRIMARY || target === DR) return clusterNodes(t, target).map((n) => n.name);
  if (t.nodes.some((n) => n.name === target)) return [target];
  throw new InvalidInputError(`Unknown sandbox component "${target}".`, {
    hint: `Use one of: ${[PRIMARY, DR, MM2, MM2_REVERSE, ...(state.options.wan ? [TOXIPROXY] : []), ...t.nodes.map((n) => n.name)].join(', ')}.`,
  });
}

async function requireState(stateDir: string): Promise<SandboxState> {
  const state = await loadState(path.resolve(stateDir));
  if (!state) throw new InvalidInputError(`No sandbox in ${path.resolve(stateDir)}.`, { hint: 'Start one with "kafka-failover sandbox up".' });
  return state;
}

/**
 * Fault control: stops a node, a cluster or MM2. `kill` sends SIGKILL (a crash); `graceful` SIGTERM.
 * @returns the components signalled (already-stopped ones are skipped).
 */
export async function stopComponents(stateDir: string, target: string, mode: 'graceful' | 'kill'): Promise<string[]> {
  const state = await requireState(stateDir);
  if (layoutOf(state)) return stopMultiClusterComponents(state, target, mode);
  const names = resolveTargets(state, target);
  const done = await Promise.all(names.map((n) => stopProcess(state.processes[n], mode, 20_000)));
  await saveState(state);
  return names.filter((_, i) => done[i]);
}

/**
 * Fault control: starts a stopped node, cluster or MM2 and waits until it serves again (a cluster answers
 * describe-cluster with all its brokers; MM2's process runs).
 * @returns the components started.
 */
export async function startComponents(stateDir: string, target: string, progress: ProgressSink = () => {}): Promise<string[]> {
  const state = await requireState(stateDir);
  if (layoutOf(state)) return startMultiClusterComponents(state, target, progress);
  const names = resolveTargets(state, target).filter((n) => !isAlive(state.processes[n]));
  const java = await requireJava();
  const t = topology(state.options);
  for (const name of names) {
    if (name === MM2) {
      await startMirrorMaker(state, java);
      if (state.options.mm2Mode === 'connect') await configureConnectors(state);
    } else if (name === TOXIPROXY) {
      await requirePortsFree(
        allPorts(t, state.options.mm2Mode).filter((p) => p.owner.startsWith(`${TOXIPROXY} `)),
        state.options.portBase,
      );
      await startToxiproxy(state, await resolveToxiproxy({ onProgress: progress }));
    } else if (name === MM2_REVERSE) {
      await writeJavaConfigs(state); // sandboxes created before mm2-reverse existed have no config for it yet
      await startReverseMirrorMaker(state, java);
    } else {
      const node = t.nodes.find((n) => n.name === name)!;
      await requirePortsFree(
        allPorts(t, state.options.mm2Mode).filter((p) => p.owner.startsWith(`${name} `)),
        state.options.portBase,
      );
      await startNode(state, java, node);
    }
    progress(`Started ${name}`);
  }
  for (const cluster of [PRIMARY, DR] as const) {
    if (names.some((n) => n.startsWith(`${cluster}-`))) await waitForCluster(state, cluster);
  }
  return names;
}
