/**
 * The executor: runs a loaded runbook's xstate machine, providing the `runStep` actor that does the I/O. The same
 * executor serves real runs and dry-runs (`dryRun: true` turns every `ctx.write` into a "would" record; every read
 * is real). Every event goes to the audit log first (fsynced); a snapshot of the machine is persisted after every
 * transition in `runs/<run-id>/snapshot.json`, beside `audit.jsonl`.
 *
 * Per step: resolve templated inputs and validate them → `check` (retried on retryable errors; re-run every
 * `wait.intervalMs` until the gates hold or `wait.timeoutMs` passes) → failing gates block the run (exit 3) unless
 * overridden with a reason → confirmation for writing steps (`--yes`, the operator, or blocked) → `apply` → outputs.
 *
 * Pausing (`pauseSignal`, e.g. Ctrl-C, or a prompt left unanswered): the run stops at the next safe point — before a
 * step, before a write's intent record, during a wait or a prompt — never between a write's intent and its
 * completion; the snapshot keeps the step it paused in, the lock is released and `run.paused` names the resume
 * command (exit 6).
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pRetry from 'p-retry';
import { createActor, fromPromise } from 'xstate';
import { createConnectPort, type ConnectPort, type ConnectTarget } from '../adapters/connect.js';
import { createExecPort, type ExecPort } from '../adapters/exec.js';
import { clientSettings, findFlow, secretEnvNames, secretValues, type LoadedClusters } from '../clusters/load.js';
import { ExitCode, InvalidInputError, KafkaFailoverError } from '../errors.js';
import { createKafkaPort } from '../kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../kafka/port.js';
import { TOOL_VERSION } from '../version.js';
import { AuditLog, RunFileWriteError, verifyAuditText, type AuditIo } from './audit.js';
import { writeAnchor } from './audit-anchor.js';
import { TargetLease, holderFor, takeLocalLock, type LocalLock } from './lock.js';
import type { EventSink, GateDecision, GateResult, Progress, RunEvent, RunOutcome, WriteDescription } from './events.js';
import { AbortRunError, evaluateGates, GateBlockedError, type GateDeps } from './gates.js';
import { createPauseControl, DEFAULT_PROMPT_TIMEOUT_MS, PausedError } from './pause.js';
import { validateStepInput, type LoadedRunbook } from './load-runbook.js';
import { buildRunbookMachine, type RunStepInput, type StepOutcome } from './machine.js';
import type { StepRegistry } from './registry.js';
import type { RunbookStep } from './runbook-schema.js';
import type { StepContext, StepKind } from './step.js';
import { resolve } from './templates.js';

export { AbortRunError, GateBlockedError } from './gates.js';

/**
 * Asks the operator (interactive runs only). Every call gets a signal that aborts when the run pauses or the prompt
 * times out; an implementation must then reject (any rejection pauses the run: nothing is written on a guess).
 */
export interface Prompter {
  confirm(message: string, signal: AbortSignal): Promise<boolean>;
  /** Asks the operator to type `expected`; true when they did. */
  typeToConfirm(expected: string, message: string, signal: AbortSignal): Promise<boolean>;
  /** Failing gates (observed vs expected): retry, wait (with a timeout, ms), override (with a typed reason) or abort. */
  gateDecision?(step: string, failing: GateResult[], signal: AbortSignal): Promise<GateDecision>;
}

export { DEFAULT_PROMPT_TIMEOUT_MS, PausedError } from './pause.js';

/** Options of {@link runRunbook}. */
export interface RunOptions {
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
  exec?: ExecPort;
  /** Kafka Connect REST ports (default {@link createConnectPort}, over fetch; tests give fakes). */
  connect?: (target: ConnectTarget) => ConnectPort;
  /** Present only in interactive runs. */
  prompter?: Prompter;
  /** Longest wait for one answer (ms, default {@link DEFAULT_PROMPT_TIMEOUT_MS}); then the run pauses. */
  promptTimeoutMs?: number;
  /** Aborting it pauses the run at the next safe point (the CLI aborts it on Ctrl-C); its reason is recorded. */
  pauseSignal?: AbortSignal;
  operator?: string;
  runId?: string;
  /** Ports by alias instead of kafkajs ones (tests). */
  kafka?: (alias: string) => KafkaPort;
  /** How audit bytes reach the disk (tests simulate short writes and a full disk). */
  auditIo?: AuditIo;
  /** Continue an interrupted run (see {@link loadRunForResume}). */
  resume?: ResumeState;
  /** Path of the clusters file, recorded in run.json so `resume` can reload it. */
  clustersFile?: string;
  /** Run lock (real runs only): lease time-to-live (ms, default 30000) and a reason to steal a live lock. */
  lock?: { ttlMs?: number; stealReason?: string } | false;
}

/**
 * The identity of a write for `resume`: the step's own checkpoint key when it gave one (`reset:<cluster>:<group>`),
 * else the step id, action and details (a hook's argv) — so no write whose `write.done` is in the audit log is sent
 * again, keyed or not (README, "Crash safety"). Details go through JSON, so the key read back from the audit log
 * equals the one computed in the resumed process.
 */
export function writeKey(stepId: string, w: WriteDescription): string {
  return w.key ?? JSON.stringify([stepId, w.action, w.details ?? null]);
}

/** What `resume` needs from an interrupted run's directory. */
export interface ResumeState {
  runId: string;
  /** The machine's persisted snapshot (absent when the process died before the first one). */
  snapshot?: unknown;
  /** Audit chain position to continue from. */
  chain: { prev: string; seq: number };
  /** {@link writeKey}s of writes whose `write.done` is in the audit log (hooks that exited non-zero left out). */
  doneKeys: Set<string>;
  /** State the run was in. */
  fromState: string;
}

/** What run.json records about a run, so it can be resumed. */
export interface RunRecord {
  runId: string;
  runbookFile: string;
  runbookSha256: string;
  sets: Record<string, string>;
  clustersFile: string;
  dryRun: boolean;
  yes: boolean;
  overrides: Record<string, string>;
  createdAt: string;
}

/**
 * Run ids: what `runRunbook` generates (`20261203T151832-1a2b3c`) or any 1–64 letters, digits, `_` and `-`
 * starting with a letter or digit. No dots or slashes: a run id is a directory name, never a path.
 */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** @throws InvalidInputError when `runId` does not match {@link RUN_ID_PATTERN}. */
export function assertRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new InvalidInputError(`"${runId}" is not a run id (1–64 letters, digits, "_" or "-", e.g. 20261203T151832-1a2b3c).`, { hint: 'Give the run id printed at the start of the run (its directory name under --runs-dir), not a path.' });
  }
}

/**
 * Writes a run-directory file atomically: `<file>.tmp` (0600, fsynced), then rename. On failure the `.tmp` is
 * removed and the old file (if any) is left as it was.
 * @throws RunFileWriteError naming `file` and the free space.
 */
function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new RunFileWriteError(file, error);
  }
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

/** A cluster's id differs from the one pinned in the clusters file: nothing is written. */
export class ClusterIdentityError extends KafkaFailoverError {
  constructor(alias: string, pinned: string, actual: string) {
    super(`Cluster "${alias}" answers with cluster id ${actual}, but the clusters file pins ${pinned}: refusing to write to what may be the wrong cluster.`, {
      hint: 'Check the bootstrap servers of this alias, or update its pinned clusterId if the cluster was deliberately rebuilt.',
    });
  }
}

/**
 * Errors worth retrying: network and leadership trouble (kafkajs marks them retriable), timeouts — also when kafkajs
 * wraps them after its own retries (KafkaJSNumberOfRetriesExceeded keeps the original as `cause`).
 */
export function retryable(error: unknown): boolean {
  for (let e = error as { retriable?: boolean; code?: string; name?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.retriable === true || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e.code ?? '')) return true;
    if (['KafkaJSConnectionError', 'KafkaJSRequestTimeoutError', 'KafkaJSConnectionClosedError', 'KafkaJSBrokerNotFound', 'KafkaJSGroupCoordinatorNotFound'].includes(e.name ?? '')) return true;
    // kafkajs 2.2.4 dereferences metadata that is null while every broker is unreachable (a TypeError thrown inside
    // kafkajs, e.g. "Cannot destructure property 'brokers'"): a connection symptom, not a bug of the caller.
    if (e instanceof TypeError && /[\/]kafkajs[\/]src[\/]/.test(e.stack ?? '')) return true;
  }
  return false;
}

const EXIT: Record<RunOutcome | 'paused', number> = { succeeded: ExitCode.Ok, failed: ExitCode.Failed, blocked: ExitCode.GateBlocked, aborted: ExitCode.Aborted, paused: ExitCode.Paused };

/**
 * Runs (or dry-runs) a runbook to a final state.
 * @returns the outcome and exit code; never throws for step failures (they are outcomes).
 * @throws RunFileWriteError when a file of the run directory (audit log, run.json, snapshot) cannot be written: the
 *   run stopped before any further write to a cluster, the audit log is cut back to its last whole record and the
 *   run is left open (no `run.finished`), so `resume` continues it once the disk has room.
 * @throws InvalidInputError for a run id that does not match {@link RUN_ID_PATTERN}.
 */
export async function runRunbook(o: RunOptions): Promise<RunResult> {
  const runId = o.resume?.runId ?? o.runId ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 6)}`;
  assertRunId(runId);
  const runDir = path.resolve(o.runsDir ?? 'runs', runId);
  const flow = findFlow(o.clusters, o.runbook.flow);
  const pair = `${flow.source}->${flow.target}`;
  const operator = o.operator ?? os.userInfo().username;
  // One run at a time per cluster pair: the local lock, then the lease on the target (real runs only).
  let local: LocalLock | undefined;
  let leaseInfo: Awaited<ReturnType<typeof TargetLease.acquire>> | undefined;
  let lockPort: KafkaPort | undefined;
  const ttlMs = (o.lock && o.lock.ttlMs) || 30_000;
  const stealReason = o.lock ? o.lock.stealReason : undefined;
  if (!o.dryRun && o.lock !== false) {
    mkdirSync(path.resolve(o.runsDir ?? 'runs'), { recursive: true, mode: 0o700 });
    const me = holderFor(runId, operator);
    local = takeLocalLock(path.resolve(o.runsDir ?? 'runs'), pair, me, Boolean(stealReason));
    try {
      lockPort = o.kafka ? o.kafka(flow.target) : createKafkaPort(flow.target, clientSettings(o.clusters, flow.target));
      leaseInfo = await TargetLease.acquire(lockPort, pair, me, ttlMs, Boolean(stealReason), local.replacedStale);
    } catch (error) {
      local.release();
      await lockPort?.close();
      throw error;
    }
  }
  // Every exit path — a result, or a throw (run.json or the audit log cannot be opened) — releases the lease and the
  // lock, each only if this holder (token) still holds it.
  try {
    return await runHoldingLock(o, { runId, runDir, flow, pair, ttlMs, stealReason, local, leaseInfo });
  } finally {
    await leaseInfo?.lease.release();
    local?.release();
    if (!o.kafka) await lockPort?.close();
  }
}

/** The body of {@link runRunbook} once the lock is held; the caller releases the lock on every exit path. */
async function runHoldingLock(
  o: RunOptions,
  { runId, runDir, flow, pair, ttlMs, stealReason, local, leaseInfo }: { runId: string; runDir: string; flow: ReturnType<typeof findFlow>; pair: string; ttlMs: number; stealReason: string | undefined; local: LocalLock | undefined; leaseInfo: Awaited<ReturnType<typeof TargetLease.acquire>> | undefined },
): Promise<RunResult> {
  const auditFile = path.join(runDir, 'audit.jsonl');
  let audit: AuditLog;
  try {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    audit = new AuditLog(auditFile, o.resume?.chain, o.auditIo);
  } catch (error) {
    throw error instanceof RunFileWriteError ? error : new RunFileWriteError(auditFile, error);
  }
  // run.json, which `resume` trusts, is hashed into run.started and checked on resume (an edit is refused).
  let runJsonSha256: string | undefined;
  if (!o.resume) {
    const record: RunRecord = {
      runId,
      runbookFile: path.resolve(o.runbook.file),
      runbookSha256: o.runbook.sha256,
      sets: Object.fromEntries(Object.entries(o.runbook.params).map(([k, v]) => [k, String(v)])),
      clustersFile: path.resolve(o.clustersFile ?? o.clusters.file),
      dryRun: o.dryRun,
      yes: o.yes,
      overrides: o.overrides ?? {},
      createdAt: new Date().toISOString(),
    };
    const text = JSON.stringify(record, null, 2);
    runJsonSha256 = createHash('sha256').update(text).digest('hex');
    try {
      writeFileAtomic(path.join(runDir, 'run.json'), text);
    } catch (error) {
      audit.close();
      throw error;
    }
  }
  const doneKeys = o.resume?.doneKeys ?? new Set<string>();
  const events: RunEvent[] = [];
  /** Set when a run-directory file could not be written: nothing more is recorded or written to any cluster. */
  let halted: RunFileWriteError | undefined;
  const emit = (e: RunEvent) => {
    if (halted) throw halted;
    try {
      audit.record(e); // first: a write is never sent without its record on disk
    } catch (error) {
      halted = error instanceof RunFileWriteError ? error : new RunFileWriteError(auditFile, error);
      throw halted;
    }
    events.push(e);
    for (const s of o.sinks ?? []) s(e);
  };
  const started = Date.now();
  const { runbook: rb } = o.runbook;
  const secrets = secretValues(o.clusters);
  // Hooks: a minimal environment (never the clusters file's secret variables), output redacted (src/adapters/exec.ts).
  const exec = o.exec ?? createExecPort({ secrets: () => secrets, env: rb.env ?? {}, blockedEnv: secretEnvNames(o.clusters) });
  const ports = new Map<string, KafkaPort>();
  const kafka = (alias: string) => {
    if (o.kafka) return o.kafka(alias);
    let p = ports.get(alias);
    if (!p) {
      p = createKafkaPort(alias, clientSettings(o.clusters, alias));
      ports.set(alias, p);
    }
    return p;
  };
  const reachability = new Map<string, Promise<boolean>>();
  const reachable = (alias: string) => {
    if (!reachability.has(alias)) reachability.set(alias, kafka(alias).describeCluster().then(() => true, () => false));
    return reachability.get(alias)!;
  };

  // Pausing (Ctrl-C, an unanswered prompt): src/engine/pause.ts; safe points call checkPause().
  const pauseCtl = createPauseControl(o.pauseSignal, o.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS);
  const pause = { signal: pauseCtl.signal };
  const pauseReason = pauseCtl.reason;
  const checkPause = pauseCtl.check;
  const sleep = pauseCtl.sleep;
  const ask = pauseCtl.ask;

  const lockEvent = () => {
    const stolenFrom = leaseInfo?.stolenFrom ?? local?.stolenFrom;
    if (leaseInfo) emit({ kind: 'lock.acquired', pair, ttlMs, ...(stolenFrom ? { stolenFrom, reason: stealReason } : {}), ...(leaseInfo.expiredFrom ? { expiredFrom: leaseInfo.expiredFrom } : {}), ...(local?.replacedStale ? { replacedStale: local.replacedStale } : {}) });
  };
  try {
    if (o.resume) {
      emit({ kind: 'run.resumed', runId, operator: o.operator ?? os.userInfo().username, host: os.hostname(), toolVersion: TOOL_VERSION, fromState: o.resume.fromState, completedWrites: doneKeys.size });
    } else emit({
      kind: 'run.started',
      runId,
      runbook: path.resolve(o.runbook.file),
      runbookSha256: o.runbook.sha256,
      name: rb.name,
      dryRun: o.dryRun,
      operator: o.operator ?? os.userInfo().username,
      host: os.hostname(),
      toolVersion: TOOL_VERSION,
      parameters: o.runbook.params,
      flow: `${flow.source}->${flow.target}`,
      ...(runJsonSha256 ? { runJsonSha256 } : {}),
    });
    lockEvent();
  } catch (error) {
    audit.close();
    throw error;
  }

  const contextFor = (step: RunbookStep, signal: AbortSignal): StepContext => ({
    stepId: step.id,
    dryRun: o.dryRun,
    flow,
    kafka,
    reachable,
    exec,
    connect: o.connect ?? createConnectPort,
    signal: AbortSignal.any([signal, pause.signal]),
    now: () => Date.now(),
    sleep: (ms) => sleep(ms, signal),
    note: (message, data) => emit({ kind: 'step.note', step: step.id, message, ...(data === undefined ? {} : { data }) }),
    progress: (p: Progress) => emit({ kind: 'progress', step: step.id, progress: p }),
    async write<T>(w: WriteDescription, fn: () => Promise<T>) {
      checkPause(); // a safe point: nothing of this write has happened yet
      if (o.dryRun) {
        emit({ kind: 'write.would', step: step.id, write: w });
        return undefined;
      }
      if (w.cluster) {
        const pinned = o.clusters.config.clusters[w.cluster]?.clusterId;
        if (pinned) {
          const actual = (await kafka(w.cluster).describeCluster()).clusterId;
          if (actual !== pinned) throw new ClusterIdentityError(w.cluster, pinned, actual);
        }
      }
      const key = writeKey(step.id, w);
      if (doneKeys.has(key)) {
        emit({ kind: 'step.note', step: step.id, message: `already done before the interruption (audit log): ${w.action} [${key}]` });
        return undefined;
      }
      if (halted) throw halted; // the run directory cannot be written: no write that could not be recorded
      await leaseInfo?.lease.assertHeld(); // fencing: a run that lost its lease writes nothing more
      emit({ kind: 'write.intent', step: step.id, write: w });
      if (halted) throw halted;
      const result = await fn();
      emit({ kind: 'write.done', step: step.id, write: w, ...(result === undefined ? {} : { result }) });
      return result;
    },
  });

  const withRetries = <T>(step: RunbookStep, fn: () => Promise<T>) =>
    step.retries
      ? pRetry(fn, {
          retries: step.retries.max,
          minTimeout: step.retries.backoffMs,
          factor: 2,
          // Every retry is on record (audit log) before it happens: which attempt failed, why, how many are left.
          shouldRetry: ({ error, attemptNumber, retriesLeft }) => {
            if (!retryable(error) || retriesLeft <= 0) return false;
            emit({ kind: 'step.retry', step: step.id, failedAttempt: attemptNumber, retriesLeft, error: error instanceof Error ? error.message : String(error) });
            return true;
          },
        })
      : fn();

  /** check → gates (wait / override) → confirm → apply. Throws GateBlockedError, or the step's error. */
  async function execute(step: RunbookStep, kind: StepKind, rawInput: Record<string, unknown>, scopeOutputs: Record<string, Record<string, unknown>>, signal: AbortSignal) {
    const scope = { params: o.runbook.params, steps: Object.fromEntries(Object.entries(scopeOutputs).map(([k, v]) => [k, { outputs: v }])), flow: { source: flow.source, target: flow.target } };
    const input = validateStepInput(kind.input, resolve(rawInput, scope), o.runbook.file, step.id);
    const ctx = contextFor(step, signal);
    const checked = await evaluate(step, () => kind.check(ctx, input));
    // What the step is about to write, as computed by its check (e.g. every group's current → new offsets): shown
    // before the confirmation and kept in the audit log as what the operator approved.
    if (kind.writes && checked.plan !== undefined) emit({ kind: 'step.plan', step: step.id, plan: checked.plan });
    if (kind.writes && (step.confirm || kind.alwaysConfirm) && !o.dryRun) {
      const typed = typeof step.confirm === 'object' && step.confirm.typeTargetAlias;
      const prompt = typed ? `Type "${flow.target}" to let step "${step.id}" write to ${flow.target}` : `Run step "${step.id}" (${kind.kind})?`;
      if (o.yes) emit({ kind: 'confirm', step: step.id, prompt, granted: true, by: '--yes' });
      else if (o.prompter) {
        const p = o.prompter;
        const granted = await ask(prompt, (sig) => (typed ? p.typeToConfirm(flow.target, prompt, sig) : p.confirm(prompt, sig)));
        emit({ kind: 'confirm', step: step.id, prompt, granted, by: 'operator' });
        if (!granted) throw new AbortRunError(`The operator declined step "${step.id}".`);
      } else {
        throw new GateBlockedError(`Step "${step.id}" needs a confirmation and no one can give it (non-interactive run).`, 'Run with --yes to approve confirmations (recorded in the audit log), or run in a terminal.');
      }
    }
    const applied = kind.apply ? await withRetries(step, async () => (await kind.apply!(ctx, input, checked.plan)) ?? {}) : {};
    const verified = kind.verify && !o.dryRun ? await evaluate(step, () => kind.verify!(ctx, input, checked.plan)) : undefined;
    return { ...(checked.outputs ?? {}), ...applied, ...(verified?.outputs ?? {}) };
  }

  const gateDeps: GateDeps = {
    emit,
    overrides: o.overrides ?? {},
    ...(o.prompter?.gateDecision ? { decide: (stepId: string, failing: GateResult[]) => ask(`gates of step ${stepId}`, (sig) => o.prompter!.gateDecision!(stepId, failing, sig)) } : {}),
    withRetries,
    sleep: (ms) => sleep(ms),
    checkPause,
    now: () => Date.now(),
  };
  /** Runs a read-only probe to a gate verdict (waits, overrides, the operator's decision): src/engine/gates.ts. */
  const evaluate = <T extends { gates?: GateResult[] }>(step: RunbookStep, probe: () => Promise<T>) => evaluateGates(gateDeps, step, probe);

  const runStep = fromPromise<StepOutcome, RunStepInput>(async ({ input }) => {
    const step = rb.steps[input.index]!;
    const kind = o.registry.get(step.kind)!;
    const t0 = Date.now();
    if (halted) return { stepId: step.id, status: 'failed', message: halted.message };
    if (pause.signal.aborted) return { stepId: step.id, status: 'paused', message: pauseReason() };
    emit({ kind: 'step.started', step: step.id, stepKind: step.kind, attempt: 1 });
    const controller = new AbortController();
    const timer = step.timeoutMs ? setTimeout(() => controller.abort(new Error(`step "${step.id}" timed out after ${step.timeoutMs} ms`)), step.timeoutMs) : undefined;
    try {
      const work = execute(step, kind, step.with, input.outputs, controller.signal);
      const outputs = await (step.timeoutMs
        ? Promise.race([work, new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason)))])
        : work);
      emit({ kind: 'step.succeeded', step: step.id, durationMs: Date.now() - t0, outputs });
      return { stepId: step.id, status: 'succeeded', outputs };
    } catch (error) {
      // The run directory cannot be written (audit log, snapshot): no more records, no more writes.
      if (halted) return { stepId: step.id, status: 'failed', message: (halted as RunFileWriteError).message };
      // Whatever the step threw while the run was pausing (an aborted sleep, wait or prompt) is the pause itself.
      if (error instanceof PausedError || pause.signal.aborted) return { stepId: step.id, status: 'paused', message: pauseReason() };
      if (error instanceof GateBlockedError) {
        emit({ kind: 'step.failed', step: step.id, durationMs: Date.now() - t0, error: error.message, policy: 'abort' });
        return { stepId: step.id, status: 'blocked', message: `${error.message}\n  fix: ${error.hint ?? ''}` };
      }
      if (error instanceof AbortRunError) return { stepId: step.id, status: 'aborted', message: error.message };
      const message = error instanceof Error ? error.message : String(error);
      const policy = error instanceof ClusterIdentityError ? 'abort' : step.onFailure;
      emit({ kind: 'step.failed', step: step.id, durationMs: Date.now() - t0, error: message, policy });
      if (policy === 'continue') return { stepId: step.id, status: 'continued', message };
      if (policy === 'compensate' && step.compensate) {
        const ckind = o.registry.get(step.compensate.kind)!;
        try {
          await execute({ ...step, id: `${step.id}-compensate`, confirm: false, wait: undefined }, ckind, step.compensate.with, input.outputs, new AbortController().signal);
        } catch (e) {
          return { stepId: step.id, status: 'failed', message: `${message}; compensation failed too: ${(e as Error).message}` };
        }
      }
      return { stepId: step.id, status: 'failed', message };
    } finally {
      if (timer) clearTimeout(timer);
    }
  });

  const machine = buildRunbookMachine(rb).provide({ actors: { runStep } });
  const actor = o.resume?.snapshot ? createActor(machine, { snapshot: o.resume.snapshot as never }) : createActor(machine);
  const snapshotFile = path.join(runDir, 'snapshot.json');
  actor.subscribe((snap) => {
    // A pause is not persisted: the snapshot keeps the step the run paused in, which `resume` runs again. Nor is any
    // state after a run-directory failure: the last good snapshot stays, so `resume` re-runs from there.
    if (snap.value === 'paused' || halted) return;
    try {
      writeFileAtomic(snapshotFile, JSON.stringify(actor.getPersistedSnapshot()));
    } catch (error) {
      // Never thrown out of the subscriber (xstate would report it as an uncaught exception): the running step sees
      // `halted` before its next record or write, and the run ends with this error.
      halted = error instanceof RunFileWriteError ? error : new RunFileWriteError(snapshotFile, error);
    }
  });
  const final = await new Promise<{ value: string; context: { outputs: Record<string, Record<string, unknown>>; message?: string } }>((resolveDone, reject) => {
    actor.subscribe({ complete: () => resolveDone(actor.getSnapshot() as never), error: reject });
    actor.start();
  });
  const outcome = final.value as RunOutcome | 'paused';
  const exitCode = EXIT[outcome];
  try {
    if (halted) {
      /* the run stays open (no run.finished): resumable once the disk has room */
    } else if (outcome === 'paused') {
      const stoppedAt = (final.context as { stoppedAt?: number }).stoppedAt;
      const stepId = stoppedAt !== undefined && stoppedAt >= 0 ? rb.steps[stoppedAt]?.id : undefined;
      const resumeCommand = `kafka-failover resume ${runId}${o.runsDir && o.runsDir !== 'runs' ? ` --runs-dir ${o.runsDir}` : ''}`;
      emit({ kind: 'run.paused', runId, ...(stepId ? { step: stepId } : {}), reason: pauseReason(), durationMs: Date.now() - started, exitCode, resumeCommand, auditFile });
    } else emit({ kind: 'run.finished', runId, outcome, durationMs: Date.now() - started, exitCode, ...(final.context.message ? { message: final.context.message } : {}), auditFile });
  } catch {
    // The audit log cannot be written (halted): the run already stopped before any further write.
  }
  audit.close();
  // The anchor: the head of a finished real run's chain, on the target cluster (src/engine/audit-anchor.ts).
  let anchor: RunResult['anchor'];
  if (!halted && outcome !== 'paused' && !o.dryRun) {
    const head = audit.position();
    try {
      await writeAnchor(kafka(flow.target), { runId, seq: head.seq, head: head.prev, outcome, flow: pair, at: new Date().toISOString() });
      anchor = { written: true, cluster: flow.target };
    } catch (error) {
      anchor = { written: false, cluster: flow.target, error: error instanceof Error ? error.message : String(error) };
    }
  }
  await Promise.allSettled([...ports.values()].map((p) => p.close()));
  if (halted) throw halted;
  return { runId, runDir, auditFile, outcome, exitCode, ...(anchor ? { anchor } : {}), ...(final.context.message ? { message: final.context.message } : {}), events, outputs: final.context.outputs };
}

/**
 * Reads an interrupted run's directory: run.json, the persisted snapshot, the audit chain position and the checkpoint
 * keys of completed writes.
 * @throws InvalidInputError when the run does not exist, already finished, or its audit log is broken.
 */
export function loadRunForResume(runsDir: string, runId: string): { record: RunRecord; resume: ResumeState } {
  assertRunId(runId);
  const dir = path.resolve(runsDir, runId);
  const read = (f: string) => {
    try {
      return readFileSync(path.join(dir, f), 'utf8');
    } catch {
      throw new InvalidInputError(`Run ${runId} has no ${f} in ${dir}.`, { hint: 'Give the run id printed at the start of the run, and the same --runs-dir.' });
    }
  };
  const runJson = read('run.json');
  const auditText = read('audit.jsonl');
  const check = verifyAuditText(auditText);
  if (!check.ok) throw new InvalidInputError(`The audit log of run ${runId} is broken at record ${check.line}: ${check.reason}.`, { hint: 'A run with a broken audit log cannot be resumed; start a new run.' });
  const lines = auditText.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { kind: string; hash: string; seq: number; outcome?: string; step?: string; write?: WriteDescription; result?: { exitCode?: unknown }; runJsonSha256?: string });
  const started = lines[0];
  if (started?.kind !== 'run.started') throw new InvalidInputError(`The audit log of run ${runId} has no run.started record: nothing to resume.`, { hint: 'Start a new run.' });
  // run.json decides what a resume does (dry-run or real, --yes, overrides): it must be the file the run started with.
  const runJsonSha256 = createHash('sha256').update(runJson).digest('hex');
  if (started.runJsonSha256 !== runJsonSha256) {
    throw new InvalidInputError(`run.json of run ${runId} ${started.runJsonSha256 ? `changed since the run started (sha256 ${runJsonSha256.slice(0, 12)}… ≠ ${started.runJsonSha256.slice(0, 12)}… in run.started)` : 'is not hashed in its run.started record (started by an older version)'}; refusing to resume from it.`, { hint: 'Restore run.json as the run wrote it, or start a new run.' });
  }
  let record: RunRecord;
  try {
    record = JSON.parse(runJson) as RunRecord;
  } catch {
    throw new InvalidInputError(`run.json of run ${runId} is not valid JSON.`, { hint: 'Start a new run.' });
  }
  if (lines.some((l) => l.kind === 'run.finished')) throw new InvalidInputError(`Run ${runId} already finished (${lines.find((l) => l.kind === 'run.finished')?.outcome}).`, { hint: 'Only an interrupted run can be resumed.' });
  // A process killed before the machine's first snapshot resumes from the first step.
  let snapshot: { value?: unknown } | undefined;
  try {
    snapshot = JSON.parse(readFileSync(path.join(dir, 'snapshot.json'), 'utf8')) as { value?: unknown };
  } catch {
    snapshot = undefined;
  }
  const last = lines[lines.length - 1]!;
  return {
    record,
    resume: {
      runId,
      ...(snapshot ? { snapshot } : {}),
      chain: { prev: last.hash, seq: last.seq },
      // A hook has a write.done whatever its end (its result says how it ended): only one that exited 0 is done. One
      // that exited non-zero, timed out or was killed by the pause or the crash (exit code null) runs again.
      doneKeys: new Set(lines.filter((l) => l.kind === 'write.done' && l.step && l.write && !(l.result && typeof l.result === 'object' && 'exitCode' in l.result && l.result.exitCode !== 0)).map((l) => writeKey(l.step!, l.write!))),
      fromState: snapshot ? JSON.stringify(snapshot.value) : 'the start (no snapshot yet)',
    },
  };
}
