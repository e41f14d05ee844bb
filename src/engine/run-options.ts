/** The options and result of a run (src/engine/executor.ts `runRunbook`). */
import type { LoadedClusters } from '../clusters/load.js';
import type { AuditIo } from './audit.js';
import type { Clock } from './clock.js';
import type { Prompter } from './confirm.js';
import type { EventSink, RunEvent, RunOutcome } from './events.js';
import type { LoadedRunbook } from './load-runbook.js';
import type { StepRegistry } from './registry.js';
import type { ResumeState } from './run-dir.js';
import type { PortOverrides } from './step-context.js';

/** Options of `runRunbook`. Ports (`kafka`, `exec`, `connect`) and the `clock` default to the real ones. */
export interface RunOptions extends PortOverrides {
  runbook: LoadedRunbook;
  clusters: LoadedClusters;
  registry: StepRegistry;
  dryRun: boolean;
  /** Approves confirmations without asking (`--yes`, pipelines). */
  yes: boolean;
  /** Gate overrides: `<step id>.<gate id>` → reason (audited). */
  overrides?: Record<string, string>;
  /** Folder of run directories; default `runs` under the working directory. */
  runsDir?: string;
  sinks?: EventSink[];
  /** Present only in interactive runs. */
  prompter?: Prompter;
  /** Longest wait for one answer (ms, default `DEFAULT_PROMPT_TIMEOUT_MS`); then the run pauses. */
  promptTimeoutMs?: number;
  /** Aborting it pauses the run at the next safe point (the CLI aborts it on Ctrl-C); its reason is recorded. */
  pauseSignal?: AbortSignal;
  operator?: string;
  runId?: string;
  /** Time and sleeps of the engine (default the real clock; tests give a fake one): src/engine/clock.ts. */
  clock?: Clock;
  /** How audit bytes reach the disk (tests simulate short writes and a full disk). */
  auditIo?: AuditIo;
  /** Continue an interrupted run (see `loadRunForResume`). */
  resume?: ResumeState;
  /** Path of the clusters file, recorded in run.json so `resume` can reload it. */
  clustersFile?: string;
  /** Run lock (real runs only): lease time-to-live (ms, default 30000) and a reason to steal a live lock. */
  lock?: { ttlMs?: number; stealReason?: string } | false;
}

/** The result of a run. */
export interface RunResult {
  runId: string;
  runDir: string;
  auditFile: string;
  /** `paused`: stopped at a safe point, resumable (exit 6). */
  outcome: RunOutcome | 'paused';
  exitCode: number;
  message?: string;
  events: RunEvent[];
  outputs: Record<string, Record<string, unknown>>;
  /** The audit anchor of a finished real run: written to the target cluster, or why not. */
  anchor?: { written: true; cluster: string } | { written: false; cluster: string; error: string };
}
