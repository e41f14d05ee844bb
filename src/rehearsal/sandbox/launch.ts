/**
 * Starting the sandbox's processes: Java configs written from the topology, KRaft storage formatted, brokers,
 * controllers and MirrorMaker 2 (dedicated driver or Connect worker, forward and reverse) spawned as daemons.
 * Used by {@link sandboxUp} and the fault controls in sandbox.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile as writeFileAs } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { InvalidInputError, KafkaFailoverError } from '../../errors.js';
import { waitFor } from '../../util/wait.js';
import {
  brokerProperties,
  connectWorkerProperties,
  connectorConfig,
  connectorName,
  jvmOptions,
  loggingConfig,
  mm2Properties,
  mm2ReverseProperties,
  renderProperties,
  MIRROR_CONNECTORS,
  type SecurityContext,
} from './configs.js';
import { ensureSecurityMaterial, scramFormatArgs } from './security.js';
import { putConnector, workerUp } from './connect-rest.js';
import { spawnDaemon } from './processes.js';
import { saveState, type SandboxState } from './state.js';
import { DR, PRIMARY, topology, type NodeSpec, type SandboxOptions } from './topology.js';

/** Name of the MirrorMaker 2 component (dedicated driver or Connect worker). */
export const MM2 = 'mm2';
/** The reverse MirrorMaker 2 (dr → primary), started only for failbacks. */
export const MM2_REVERSE = 'mm2-reverse';

export function nodeDir(o: SandboxOptions, n: NodeSpec): string {
  return path.join(o.stateDir, 'nodes', n.name);
}

/**
 * The security material of a secured sandbox (made once, then read from `<stateDir>/security/`); undefined for
 * plaintext.
 */
export async function securityContext(o: SandboxOptions): Promise<SecurityContext | undefined> {
  if (!o.security || o.security === 'plaintext') return undefined;
  const { files, passwords } = await ensureSecurityMaterial(o.stateDir);
  return { security: o.security, files, passwords };
}

/** Writes every node's, MM2's and the Connect worker's config (mode 0600: a secured profile's carry passwords). */
export async function writeJavaConfigs(state: SandboxState): Promise<void> {
  const o = state.options;
  const t = topology(o);
  const sec = await securityContext(o);
  const writeFile = (file: string, text: string) => writeFileAs(file, text, { mode: 0o600 });
  const cfg = path.join(o.stateDir, 'config');
  await mkdir(cfg, { recursive: true });
  const logging = loggingConfig(o.kafkaVersion);
  await writeFile(path.join(cfg, logging.fileName), logging.text);
  for (const n of t.nodes) {
    const dir = nodeDir(o, n);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(cfg, `${n.name}.properties`),
      renderProperties(brokerProperties(n, t, o, path.join(dir, 'data'), sec), `kafka-failover sandbox node ${n.name}`),
    );
  }
  await writeFile(path.join(cfg, 'mm2.properties'), renderProperties(mm2Properties(o, t, sec), 'kafka-failover sandbox: dedicated MirrorMaker 2'));
  await writeFile(
    path.join(cfg, 'mm2-reverse.properties'),
    renderProperties(mm2ReverseProperties(o, t, sec), 'kafka-failover sandbox: reverse MirrorMaker 2 dr -> primary (failback)'),
  );
  await writeFile(
    path.join(cfg, 'connect-worker.properties'),
    renderProperties(connectWorkerProperties(t, sec), 'kafka-failover sandbox: Kafka Connect worker (connect mode)'),
  );
}

export function javaArgs(state: SandboxState, role: 'broker' | 'mm2' | 'tool', mainClass: string, args: string[]): string[] {
  const logging = loggingConfig(state.options.kafkaVersion);
  const logFlag = logging.jvmFlag(path.join(state.options.stateDir, 'config', logging.fileName));
  const libs = role === 'mm2' ? (state.mm2Libs ?? state.libs) : state.libs;
  return [...jvmOptions(role === 'broker' || role === 'tool' ? 'broker' : 'mm2'), logFlag, '-cp', path.join(libs, '*'), mainClass, ...args];
}

export async function formatNodes(state: SandboxState, java: string, nodes: NodeSpec[]): Promise<void> {
  const o = state.options;
  const sec = await securityContext(o);
  // SCRAM users go into the bootstrap metadata at format time (KIP-900): passwords are on this command line only.
  const scram = sec ? scramFormatArgs(sec.security, sec.passwords) : [];
  await Promise.all(
    nodes
      .filter((n) => !existsSync(path.join(nodeDir(o, n), 'data', 'meta.properties')))
      .map(async (n) => {
        const props = path.join(o.stateDir, 'config', `${n.name}.properties`);
        const r = await execa(
          java,
          javaArgs(state, 'tool', 'kafka.tools.StorageTool', ['format', '-t', state.clusterIds[n.cluster], '-c', props, '--ignore-formatted', ...scram]),
          {
            reject: false,
            timeout: 120_000,
            all: true,
          },
        );
        if (r.failed)
          throw new KafkaFailoverError(`Formatting ${n.name} failed:\n${redact((r.all ?? '').slice(-2000), sec)}`, {
            hint: `Delete ${nodeDir(o, n)} or run "sandbox down --wipe".`,
          });
      }),
  );
}

/** Output with the sandbox's passwords replaced by `***`. */
function redact(text: string, sec: SecurityContext | undefined): string {
  let out = text;
  for (const p of Object.values(sec?.passwords ?? {})) out = out.split(p).join('***');
  return out;
}

export async function startNode(state: SandboxState, java: string, n: NodeSpec): Promise<void> {
  const o = state.options;
  const props = path.join(o.stateDir, 'config', `${n.name}.properties`);
  state.processes[n.name] = spawnDaemon(java, javaArgs(state, 'broker', 'kafka.Kafka', [props]), path.join(nodeDir(o, n), 'server.log'));
  await saveState(state);
}

export async function startMirrorMaker(state: SandboxState, java: string): Promise<void> {
  const o = state.options;
  const cfg = path.join(o.stateDir, 'config');
  const logFile = path.join(o.stateDir, 'mm2.log');
  const args =
    o.mm2Mode === 'connect'
      ? javaArgs(state, 'mm2', 'org.apache.kafka.connect.cli.ConnectDistributed', [path.join(cfg, 'connect-worker.properties')])
      : javaArgs(state, 'mm2', 'org.apache.kafka.connect.mirror.MirrorMaker', [path.join(cfg, 'mm2.properties'), '--clusters', DR]);
  state.processes[MM2] = spawnDaemon(java, args, logFile);
  await saveState(state);
}

export async function startReverseMirrorMaker(state: SandboxState, java: string): Promise<void> {
  const o = state.options;
  if (o.mm2Mode !== 'dedicated')
    throw new InvalidInputError('The reverse MirrorMaker 2 (mm2-reverse) runs in dedicated mode only.', {
      hint: 'Start the sandbox without --mm2-mode connect to rehearse a failback.',
    });
  const args = javaArgs(state, 'mm2', 'org.apache.kafka.connect.mirror.MirrorMaker', [
    path.join(o.stateDir, 'config', 'mm2-reverse.properties'),
    '--clusters',
    PRIMARY,
  ]);
  state.processes[MM2_REVERSE] = spawnDaemon(java, args, path.join(o.stateDir, 'mm2-reverse.log'));
  await saveState(state);
}

export async function configureConnectors(state: SandboxState): Promise<void> {
  const o = state.options;
  const t = topology(o);
  const sec = await securityContext(o);
  const url = `http://127.0.0.1:${t.connectPort}`;
  await waitFor(
    'the Kafka Connect REST API to answer',
    async () => {
      if (!(await workerUp(url))) throw new Error(`${url} does not answer`);
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  for (const kind of MIRROR_CONNECTORS) {
    await waitFor(`connector ${connectorName(kind)} to be accepted`, () => putConnector(url, connectorName(kind), connectorConfig(kind, o, t, sec)), {
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
  }
}
