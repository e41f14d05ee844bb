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
 *
 * Where each part lives: this file takes the run lock; src/engine/run-loop.ts runs the machine (audit log, run.json,
 * snapshots, final records, anchor); step-runner.ts is the step actor (retries, gates, confirmation, apply, failure
 * policies); step-context.ts the ports and the write guard; confirm.ts confirmations; run-dir.ts the run directory
 * and resume loading; kafka-errors.ts which errors are retryable; clock.ts the injectable clock.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertNotObserverTarget, clientSettings, findFlow } from '../clusters/load.js';
import { createKafkaPort } from '../kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../kafka/port.js';
import { systemClock } from './clock.js';
import { assertLeaseAcls, TargetLease } from './lease.js';
import { holderFor, takeLocalLock, type LocalLock } from './lock.js';
import { assertRunId, newRunId } from './run-dir.js';
import { runHoldingLock } from './run-loop.js';
import type { RunOptions, RunResult } from './run-options.js';

export { AbortRunError, GateBlockedError } from './gates.js';
export { DEFAULT_PROMPT_TIMEOUT_MS, PausedError } from './pause.js';
export type { Prompter } from './confirm.js';
export type { Clock } from './clock.js';
export type { RunOptions, RunResult } from './run-options.js';
export { assertRunId, loadRunForResume, RUN_ID_PATTERN, writeKey, type ResumeState, type RunRecord } from './run-dir.js';
export { ClusterIdentityError } from './step-context.js';
export { retryable } from './kafka-errors.js';

/**
 * Runs (or dry-runs) a runbook to a final state.
 * @returns the outcome and exit code; never throws for step failures (they are outcomes).
 * @throws RunFileWriteError when a file of the run directory (audit log, run.json, snapshot) cannot be written: the
 *   run stopped before any further write to a cluster, the audit log is cut back to its last whole record and the
 *   run is left open (no `run.finished`), so `resume` continues it once the disk has room.
 * @throws InvalidInputError for a run id that does not match {@link RUN_ID_PATTERN}.
 * @throws LockHeldError / LeaseLostError (src/engine/lock.ts) when another run holds the cluster pair.
 */
export async function runRunbook(o: RunOptions): Promise<RunResult> {
  const runId = o.resume?.runId ?? o.runId ?? newRunId((o.clock ?? systemClock).now());
  assertRunId(runId);
  const runDir = path.resolve(o.runsDir ?? 'runs', runId);
  const flow = findFlow(o.clusters, o.runbook.flow, { allowMovePair: o.runbook.runbook.requireFlow === false });
  // An observer (read-only) cluster is never the target of a move: refused before any read or write.
  assertNotObserverTarget(o.clusters, flow.target, `runbook ${o.runbook.file} (flow ${flow.source}->${flow.target})`);
  const pair = `${flow.source}->${flow.target}`;
  const operator = o.operator ?? os.userInfo().username;
  // One run at a time per cluster pair: the local lock, then the lease on the target (real runs only).
  let local: LocalLock | undefined;
  let leaseInfo: Awaited<ReturnType<typeof TargetLease.acquire>> | undefined;
  let lockPort: KafkaPort | undefined;
  const ttlMs = (o.lock ? o.lock.ttlMs : undefined) || 30_000;
  const stealReason = o.lock ? o.lock.stealReason : undefined;
  if (!o.dryRun && o.lock !== false) {
    mkdirSync(path.resolve(o.runsDir ?? 'runs'), { recursive: true, mode: 0o700 });
    const me = holderFor(runId, operator);
    local = takeLocalLock(path.resolve(o.runsDir ?? 'runs'), pair, me, Boolean(stealReason));
    try {
      lockPort = o.kafka ? o.kafka(flow.target) : createKafkaPort(flow.target, clientSettings(o.clusters, flow.target));
      // The lease's ACLs first: a principal that may not take it is told which, before its topic is created.
      await assertLeaseAcls(lockPort, flow.target);
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
