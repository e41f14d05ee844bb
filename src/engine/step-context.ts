/**
 * What a step gets (src/engine/step.ts `StepContext`): the run's ports, built once per run, and the write guard every
 * side effect goes through — a safe point for pausing, the dry-run's "would" record, the pinned cluster id, the
 * resume's done-writes, the run-directory health and the lease (fencing), then `write.intent` on disk before the
 * write and `write.done` after it.
 */
import { ClusterAccessError } from '../kafka/access-errors.js';
import { createConnectPort, type ConnectPort, type ConnectTarget } from '../adapters/connect.js';
import { createExecPort, type ExecPort, type HookEnvSpec } from '../adapters/exec.js';
import { clientSettings, secretEnvNames, secretValues, type LoadedClusters } from '../clusters/load.js';
import type { FlowConfig } from '../clusters/schema.js';
import { KafkaFailoverError } from '../errors.js';
import { createKafkaPort } from '../kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../kafka/port.js';
import type { RunFileWriteError } from './audit.js';
import type { Clock } from './clock.js';
import type { Progress, RunEvent, WriteDescription } from './events.js';
import type { PauseControl } from './pause.js';
import { writeKey } from './run-dir.js';
import type { RunbookStep } from './runbook-schema.js';
import type { StepContext } from './step.js';
import type { LoadedRunbook } from './load-runbook.js';
import type { StepRegistry } from './registry.js';
import { resolve } from './templates.js';

/** A cluster's id differs from the one pinned in the clusters file: nothing is written. */
export class ClusterIdentityError extends KafkaFailoverError {
  constructor(alias: string, pinned: string, actual: string) {
    super(`Cluster "${alias}" answers with cluster id ${actual}, but the clusters file pins ${pinned}: refusing to write to what may be the wrong cluster.`, {
      hint: 'Check the bootstrap servers of this alias, or update its pinned clusterId if the cluster was deliberately rebuilt.',
    });
  }
}

/** The ports given to a run instead of the real ones (tests); absent members get the defaults. */
export interface PortOverrides {
  /** Kafka ports by alias (default kafkajs, one per alias, opened lazily, closed at the end of the run). */
  kafka?: (alias: string) => KafkaPort;
  /** Hook runner (default {@link createExecPort} with the runbook's `env` and the clusters file's secrets redacted). */
  exec?: ExecPort;
  /** Kafka Connect REST ports (default {@link createConnectPort}, over fetch). */
  connect?: (target: ConnectTarget) => ConnectPort;
}

/** The ports of one run. */
export interface RunPorts {
  kafka(alias: string): KafkaPort;
  /** Whether a cluster answers describe-cluster (asked once per run and alias). */
  reachable(alias: string): Promise<boolean>;
  exec: ExecPort;
  connect(target: ConnectTarget): ConnectPort;
  /** Closes the Kafka ports this run opened (never injected ones); never rejects. */
  close(): Promise<void>;
}

/** Builds the ports of a run from the clusters file, the runbook's hook environment and any overrides. */
export function createRunPorts(clusters: LoadedClusters, hookEnv: HookEnvSpec, overrides: PortOverrides): RunPorts {
  const secrets = secretValues(clusters);
  // Hooks: a minimal environment (never the clusters file's secret variables), output redacted (src/adapters/exec.ts).
  const exec = overrides.exec ?? createExecPort({ secrets: () => secrets, env: hookEnv, blockedEnv: secretEnvNames(clusters) });
  const opened = new Map<string, KafkaPort>();
  const kafka = (alias: string) => {
    if (overrides.kafka) return overrides.kafka(alias);
    let p = opened.get(alias);
    if (!p) {
      p = createKafkaPort(alias, clientSettings(clusters, alias));
      opened.set(alias, p);
    }
    return p;
  };
  const reachability = new Map<string, Promise<boolean>>();
  const reachable = (alias: string) => {
    if (!reachability.has(alias))
      reachability.set(
        alias,
        kafka(alias)
          .describeCluster()
          .then(
            () => true,
            // A cluster that refused our credentials or certificates is not down: that error ends the step.
            (e: unknown) => {
              if (e instanceof ClusterAccessError) throw e;
              return false;
            },
          ),
      );
    return reachability.get(alias)!;
  };
  const close = async () => {
    await Promise.allSettled([...opened.values()].map((p) => p.close()));
  };
  return { kafka, reachable, exec, connect: overrides.connect ?? createConnectPort, close };
}

/** What step contexts need from the run. */
export interface StepContextDeps {
  dryRun: boolean;
  flow: FlowConfig;
  clusters: LoadedClusters;
  ports: RunPorts;
  clock: Clock;
  pause: PauseControl;
  /** Records an event (audit log first); throws once the run directory cannot be written. */
  emit(e: RunEvent): void;
  /** {@link writeKey}s of writes done before an interruption (resume). */
  doneKeys: Set<string>;
  /** The run-directory failure that halted the run, if any. */
  halted(): RunFileWriteError | undefined;
  /** The lease on the target (real runs with a lock): checked before every write. */
  lease?: { assertHeld(): Promise<void> } | undefined;
  /** The runbook's steps for look-ahead preflights ({@link StepContext.runbook}). */
  runbook?: StepContext['runbook'];
}

/** The context of one execution of `step`; `signal` aborts when the step times out. */
export function createStepContext(d: StepContextDeps, step: RunbookStep, signal: AbortSignal): StepContext {
  const { emit, ports } = d;
  const halt = () => {
    const h = d.halted();
    if (h) throw h; // the run directory cannot be written: no write that could not be recorded
  };
  return {
    stepId: step.id,
    dryRun: d.dryRun,
    ...(d.runbook ? { runbook: d.runbook } : {}),
    flow: d.flow,
    flows: d.clusters.config.flows,
    kafka: ports.kafka,
    reachable: ports.reachable,
    exec: ports.exec,
    connect: ports.connect,
    signal: AbortSignal.any([signal, d.pause.signal]),
    now: () => d.clock.now(),
    sleep: (ms) => d.pause.sleep(ms, signal),
    note: (message, data) => emit({ kind: 'step.note', step: step.id, message, ...(data === undefined ? {} : { data }) }),
    progress: (p: Progress) => emit({ kind: 'progress', step: step.id, progress: p }),
    async write<T>(w: WriteDescription, fn: () => Promise<T>) {
      d.pause.check(); // a safe point: nothing of this write has happened yet
      if (d.dryRun) {
        emit({ kind: 'write.would', step: step.id, write: w });
        return undefined;
      }
      if (w.cluster) {
        const pinned = d.clusters.config.clusters[w.cluster]?.clusterId;
        if (pinned) {
          const actual = (await ports.kafka(w.cluster).describeCluster()).clusterId;
          if (actual !== pinned) throw new ClusterIdentityError(w.cluster, pinned, actual);
        }
      }
      const key = writeKey(step.id, w);
      if (d.doneKeys.has(key)) {
        emit({ kind: 'step.note', step: step.id, message: `already done before the interruption (audit log): ${w.action} [${key}]` });
        return undefined;
      }
      halt();
      await d.lease?.assertHeld(); // fencing: a run that lost its lease writes nothing more
      emit({ kind: 'write.intent', step: step.id, write: w });
      halt();
      const result = await fn();
      emit({ kind: 'write.done', step: step.id, write: w, ...(result === undefined ? {} : { result }) });
      return result;
    },
  };
}

/**
 * The runbook as look-ahead preflights see it ({@link StepContext.runbook}): every step with its kind and its input
 * resolved as far as it can be before the run (`${params…}`, `${flow…}`, `${tool.argv}`; `${steps…}` left as written).
 */
export function lookAheadView(loaded: LoadedRunbook, registry: StepRegistry, flow: { source: string; target: string }): NonNullable<StepContext['runbook']> {
  const scope = { params: loaded.params, steps: {}, flow: { source: flow.source, target: flow.target } };
  const pre = (w: Record<string, unknown>): Record<string, unknown> => {
    try {
      return resolve(w, scope, (ref) => ref.startsWith('steps.')) as Record<string, unknown>;
    } catch {
      return w; // a reference that only resolves during the run: the step's declaration sees it as written
    }
  };
  return { steps: loaded.runbook.steps.map((st) => ({ id: st.id, kind: registry.get(st.kind), with: pre(st.with ?? {}) })) };
}
