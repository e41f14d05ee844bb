/**
 * The public library API of kafka-failover: `import { … } from 'kafka-failover'`.
 *
 * Everything a program needs to run failovers the way the CLI does: load a clusters file and a runbook, run them
 * (or plan: a dry-run), resume an interrupted run, translate consumer-group offsets, define and register custom step
 * kinds, and consume the run's events. The CLI (`bin/kafka-failover.js`) is a thin layer over these same functions.
 *
 * Not exported here: the rehearsal sandbox and traffic tooling (`kafka-failover sandbox …`) — they start JVMs and are
 * no part of running a failover against real clusters.
 *
 * @example
 * ```ts
 * import { builtinRegistry, loadClustersFile, loadRunbook, planRunbook } from 'kafka-failover';
 *
 * const registry = builtinRegistry();
 * const clusters = await loadClustersFile('clusters.yaml');
 * const runbook = await loadRunbook('runbooks/planned-failover.yaml', registry, { groups: 'orders-.*' });
 * const result = await planRunbook({ runbook, clusters, registry, sinks: [(e) => console.log(e.kind)] });
 * process.exitCode = result.exitCode; // 0 ok, 3 a gate blocked, … (ExitCode)
 * ```
 * @packageDocumentation
 */
import path from 'node:path';
import { loadClustersFile } from './clusters/load.js';
import { InvalidInputError } from './errors.js';
import { loadRunForResume, runRunbook, type RunOptions, type RunResult } from './engine/executor.js';
import { loadRunbook } from './engine/load-runbook.js';
import type { StepRegistry } from './engine/registry.js';
import { builtinRegistry } from './steps/index.js';

// Errors and exit codes.
export { ExitCode, KafkaFailoverError, InvalidInputError, PrerequisiteError, ValidationError, formatProblem, type ValidationProblem } from './errors.js';
export { TOOL_VERSION } from './version.js';

/** The zod instance the engine validates step inputs with: use it for a custom step kind's `input` schema. */
export { z } from 'zod';

// Clusters files.
export { loadClustersFile, findFlow, findCluster, type LoadedClusters } from './clusters/load.js';
export type { ClusterConfig, ClustersFile, FlowConfig, ConnectAuth } from './clusters/schema.js';

// Runbooks.
export { loadRunbook, type LoadedRunbook, type LoadRunbookOptions } from './engine/load-runbook.js';
export type { Runbook, RunbookStep, RunbookParameter } from './engine/runbook-schema.js';

// Running.
export {
  runRunbook,
  loadRunForResume,
  assertRunId,
  RUN_ID_PATTERN,
  ClusterIdentityError,
  GateBlockedError,
  AbortRunError,
  PausedError,
  DEFAULT_PROMPT_TIMEOUT_MS,
  type RunOptions,
  type RunResult,
  type RunRecord,
  type ResumeState,
  type Prompter,
} from './engine/executor.js';
export { LockHeldError, LeaseLostError } from './engine/lock.js';
export { verifyAuditText, type AuditVerification } from './engine/audit.js';

// Events.
export {
  RUN_EVENT_KINDS,
  type RunEvent,
  type EventSink,
  type RunOutcome,
  type GateResult,
  type GateDecision,
  type WriteDescription,
  type Progress,
} from './engine/events.js';

// Step-definition API (custom step kinds).
export { defineStep, type StepKind, type StepContext, type CheckResult } from './engine/step.js';
export { StepRegistry } from './engine/registry.js';
export { builtinRegistry } from './steps/index.js';

// Ports a program (or a test) may implement.
export type {
  KafkaPort,
  BrokerInfo,
  ClusterDescription,
  PartitionInfo,
  TopicInfo,
  GroupInfo,
  GroupType,
  GroupMember,
  ListedGroup,
  CommittedOffset,
  PartitionOffsets,
  OffsetToCommit,
  ReadRecord,
} from './kafka/port.js';
export { GroupNotEmptyError, describeGroupForHumans, groupIsCommittable } from './kafka/port.js';
export { createKafkaPort } from './kafka/kafkajs-adapter.js';
export type { ClientSettings } from './kafka/kafkajs-client.js';
export { clientSettings } from './clusters/load.js';
export type { ExecPort, ExecResult } from './adapters/exec.js';
export { createConnectPort, ConnectRestError, type ConnectPort, type ConnectTarget } from './adapters/connect.js';
export { systemClock, type Clock } from './engine/clock.js';
/** The offset plan: the zod schema a custom step can use as its input or output (`mm2/plan.ts`). */
export { offsetPlan, offsetPlanRow, PLAN_BASES, type OffsetPlanRow } from './mm2/plan.js';

// Offset translation (MirrorMaker 2 checkpoints and offset syncs).
export {
  translateOffsets,
  type TranslateOptions,
  type TranslationResult,
  type TranslatedPartition,
  type UntranslatedPartition,
  type UntranslatedReason,
  type GroupTranslation,
} from './mm2/translate.js';

/**
 * Plans a runbook: {@link runRunbook} with `dryRun: true` — every read is real, every write becomes a `write.would`
 * event with its exact values (e.g. the offsets a reset would commit); nothing is written to any cluster. Confirmations
 * are granted (a plan writes nothing) unless `yes: false` is given.
 * @returns the outcome; `exitCode` 0 when every gate held, 3 when one blocked (see {@link ExitCode}).
 * @throws like {@link runRunbook} (run-directory write failures, a bad run id).
 */
export function planRunbook(o: Omit<RunOptions, 'dryRun' | 'yes'> & { yes?: boolean }): Promise<RunResult> {
  return runRunbook({ ...o, yes: o.yes ?? true, dryRun: true });
}

/** Options of {@link resumeRun}. */
export interface ResumeRunOptions extends Omit<RunOptions, 'runbook' | 'clusters' | 'clustersFile' | 'registry' | 'dryRun' | 'yes' | 'resume' | 'runId'> {
  /** Folder of run directories the run was started with (default `runs` under the working directory). */
  runsDir?: string;
  /** The interrupted run's id (its directory name). */
  runId: string;
  /** The registry the run was started with (default {@link builtinRegistry}): custom kinds must be registered again. */
  registry?: StepRegistry;
}

/**
 * Resumes an interrupted (paused or crashed) run from its run directory, as `kafka-failover resume <run-id>` does:
 * the runbook, parameters, clusters file, dry-run flag, `--yes` and overrides are those recorded in `run.json`; writes
 * whose `write.done` is in the audit log are not sent again.
 * @throws InvalidInputError when the run does not exist, already finished, its audit log is broken, or its runbook
 *   changed since it started (sha256 differs); ValidationError when the runbook or clusters file no longer validates.
 */
export async function resumeRun(o: ResumeRunOptions): Promise<RunResult> {
  const runsDir = o.runsDir ?? 'runs';
  const { record, resume } = loadRunForResume(runsDir, o.runId);
  const registry = o.registry ?? builtinRegistry();
  const runbook = await loadRunbook(record.runbookFile, registry, record.sets);
  if (runbook.sha256 !== record.runbookSha256) {
    throw new InvalidInputError(`${path.resolve(record.runbookFile)} changed since run ${o.runId} started.`, {
      hint: 'Restore the runbook as it was, or start a new run.',
    });
  }
  const clusters = await loadClustersFile(record.clustersFile);
  return runRunbook({
    ...o,
    runsDir,
    runbook,
    clusters,
    clustersFile: record.clustersFile,
    registry,
    dryRun: record.dryRun,
    yes: record.yes,
    overrides: { ...record.overrides, ...(o.overrides ?? {}) },
    resume,
  });
}
