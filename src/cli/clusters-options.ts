/**
 * Options shared by commands that talk to clusters: `--clusters <file>` (default: `$KAFKA_FAILOVER_CLUSTERS`, else
 * `./clusters.yaml`) and `--flow <source>-><target>`; opening ports, and finding out whether the source answers.
 */
import { ClusterAccessError } from '../kafka/access-errors.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { assertNotObserverTarget, clientSettings, findFlow, loadClustersFile, type LoadedClusters } from '../clusters/load.js';
import type { FlowConfig } from '../clusters/schema.js';
import { InvalidInputError } from '../errors.js';
import { createKafkaPort } from '../kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../kafka/port.js';
import { loadYamlFile } from '../util/yaml-load.js';

const flowsOnly = z.object({ flows: z.array(z.object({ source: z.string(), target: z.string() }).optional().catch(undefined)).catch([]) }).catch({ flows: [] });

/**
 * The flows a clusters file names, read leniently (every entry with a string source and target), so `validate` can
 * check a runbook's flow against a clusters file that has problems of its own.
 * @returns undefined when the file cannot be read or is not YAML (its own problem is reported elsewhere).
 */
export async function flowsOf(file: string): Promise<{ source: string; target: string }[] | undefined> {
  try {
    const { value } = await loadYamlFile(file, flowsOnly);
    return value.flows.filter((f) => f !== undefined);
  } catch {
    return undefined;
  }
}

/** Environment variable naming the clusters file when `--clusters` is not given. */
export const CLUSTERS_ENV = 'KAFKA_FAILOVER_CLUSTERS';
/** Environment variable naming a drill's failback clusters file when `--failback-clusters` is not given. */
export const FAILBACK_CLUSTERS_ENV = 'KAFKA_FAILOVER_FAILBACK_CLUSTERS';

/**
 * The clusters file a command uses: the flag's value, else the environment variable's, else `./<fallback>` — the
 * product never falls back to the sandbox's file (a pipeline must not act on a leftover sandbox by accident).
 * @returns an absolute path.
 * @throws InvalidInputError (exit 2) when neither the flag nor the variable is given and `./<fallback>` does not
 *   exist, naming all three ways to give one and the sandbox's file.
 */
export function resolveClustersFile(flagValue: string | undefined, o: { flag?: string; env?: string; fallback?: string } = {}): string {
  const flag = o.flag ?? '--clusters';
  const env = o.env ?? CLUSTERS_ENV;
  const fallback = o.fallback ?? 'clusters.yaml';
  if (flagValue !== undefined) return path.resolve(flagValue);
  const fromEnv = process.env[env];
  if (fromEnv) return path.resolve(fromEnv);
  const local = path.resolve(fallback);
  if (existsSync(local)) return local;
  throw new InvalidInputError(`No clusters file: ${flag} is not given, ${env} is not set, and ./${fallback} does not exist.`, {
    hint: `Give ${flag} <file>, set ${env}=<file>, or create ./${fallback}. For the sandbox, \`sandbox up\` prints its file (${flag} .kafka-failover/sandbox/${fallback === 'clusters.yaml' ? 'clusters.yaml' : 'clusters-failback.yaml'}).`,
  });
}

/** Adds `--clusters` and `--flow`. */
export function withClustersOptions(cmd: Command): Command {
  return cmd
    .option('--clusters <file>', `clusters file (default: $${CLUSTERS_ENV}, else ./clusters.yaml)`)
    .option('--flow <source->target>', 'replication flow (default: the only one in the clusters file)');
}

/** Parses `a->b`. @throws InvalidInputError on another shape. */
export function parseFlowOption(value: string | undefined): { source?: string; target?: string } {
  if (!value) return {};
  const m = /^([^>\s-][^>\s]*?)->([^>\s]+)$/.exec(value);
  if (!m) throw new InvalidInputError(`--flow "${value}" is not of the form <source>-><target>.`, { hint: 'For example --flow primary->dr.' });
  return { source: m[1]!, target: m[2]! };
}

/** The flow's clusters, opened. `source` is undefined when it does not answer (or `--source-unreachable`). */
export interface FlowPorts {
  loaded: LoadedClusters;
  flow: FlowConfig;
  target: KafkaPort;
  source?: KafkaPort;
  /** Why the source is not used, when it is not. */
  sourceNote?: string;
  close(): Promise<void>;
}

/**
 * Loads the clusters file and opens the flow's target, and its source when it answers describe-cluster.
 * `move`: the command plans a workload move (e.g. `offsets move`): an observer target is refused first.
 * @throws ValidationError (exit 2) when `move` is given and the target is an observer; InvalidInputError / ValidationError for a bad file or flow; Error when the target does not answer.
 */
export async function openFlow(o: { clusters?: string; flow?: string; sourceUnreachable?: boolean; move?: string }): Promise<FlowPorts> {
  const clustersFile = resolveClustersFile(o.clusters);
  const loaded = await loadClustersFile(clustersFile);
  // A move (`offsets move`) may go between two clusters with no flow between them (an aggregate to another).
  const flow = findFlow(loaded, parseFlowOption(o.flow), { allowMovePair: Boolean(o.move) });
  // A move (even one only planned) onto an observer (read-only) cluster is refused before any cluster is opened.
  if (o.move) assertNotObserverTarget(loaded, flow.target, `${o.move} --flow ${flow.source}->${flow.target}`);
  const target = createKafkaPort(flow.target, clientSettings(loaded, flow.target));
  await target.describeCluster().catch((e: Error) => {
    if (e instanceof ClusterAccessError) throw e;
    throw new InvalidInputError(`The target cluster ${flow.target} does not answer: ${e.message}`, {
      hint: `Check clusters.${flow.target}.bootstrapServers in ${clustersFile}.`,
    });
  });
  let source: KafkaPort | undefined;
  let sourceNote: string | undefined;
  if (o.sourceUnreachable) sourceNote = 'source treated as unreachable (--source-unreachable)';
  else {
    const port = createKafkaPort(flow.source, {
      ...clientSettings(loaded, flow.source),
      extra: { ...clientSettings(loaded, flow.source).extra, retry: { retries: 1 }, connectionTimeout: 3000 },
    });
    try {
      await port.describeCluster();
      source = port;
    } catch (e) {
      await port.close();
      if (e instanceof ClusterAccessError) throw e; // refused, not down: never fall back to target-side signals
      sourceNote = `source ${flow.source} does not answer (${(e as Error).message}): using target-side signals only`;
    }
  }
  return {
    loaded,
    flow,
    target,
    ...(source ? { source } : {}),
    ...(sourceNote ? { sourceNote } : {}),
    close: async () => {
      await Promise.allSettled([target.close(), source?.close()]);
    },
  };
}
