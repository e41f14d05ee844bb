/**
 * A run once its lock is held: open the audit log, write run.json (new runs), record `run.started` / `run.resumed`
 * and the lock, run the runbook's xstate machine with the step actor (src/engine/step-runner.ts), persist its snapshot
 * after every transition, record how the run ended (`run.finished`, or `run.paused` with the resume command), and
 * write the audit anchor of a finished real run to the target.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActor } from 'xstate';
import type { FlowConfig } from '../clusters/schema.js';
import { ExitCode } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { writeAnchor } from './audit-anchor.js';
import { AuditLog, RunFileWriteError } from './audit.js';
import { systemClock } from './clock.js';
import type { RunEvent, RunOutcome } from './events.js';
import type { TargetLease } from './lease.js';
import type { LocalLock } from './lock.js';
import { buildRunbookMachine } from './machine.js';
import { createPauseControl, DEFAULT_PROMPT_TIMEOUT_MS } from './pause.js';
import { writeFileAtomic, writeRunRecord } from './run-dir.js';
import type { RunOptions, RunResult } from './run-options.js';
import { createRunPorts, createStepContext, lookAheadView } from './step-context.js';
import { createStepRunner } from './step-runner.js';

/** Exit code of each way a run ends (README, "Exit codes"). */
const EXIT: Record<RunOutcome | 'paused', number> = {
  succeeded: ExitCode.Ok,
  failed: ExitCode.Failed,
  blocked: ExitCode.GateBlocked,
  aborted: ExitCode.Aborted,
  paused: ExitCode.Paused,
};

/** The lock a run holds (real runs), as `runRunbook` took it. */
export interface HeldLock {
  runId: string;
  runDir: string;
  flow: FlowConfig;
  /** `<source>-><target>`. */
  pair: string;
  /** Lease time-to-live (ms). */
  ttlMs: number;
  stealReason: string | undefined;
  local: LocalLock | undefined;
  leaseInfo: Awaited<ReturnType<typeof TargetLease.acquire>> | undefined;
}

/**
 * The body of `runRunbook` once the lock is held; the caller releases the lock on every exit path.
 * @throws RunFileWriteError when the run directory cannot be written (see `runRunbook`).
 */
export async function runHoldingLock(o: RunOptions, { runId, runDir, flow, pair, ttlMs, stealReason, local, leaseInfo }: HeldLock): Promise<RunResult> {
  const clock = o.clock ?? systemClock;
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
    try {
      runJsonSha256 = writeRunRecord(runDir, {
        runId,
        runbookFile: path.resolve(o.runbook.file),
        runbookSha256: o.runbook.sha256,
        sets: Object.fromEntries(Object.entries(o.runbook.params).map(([k, v]) => [k, String(v)])),
        clustersFile: path.resolve(o.clustersFile ?? o.clusters.file),
        dryRun: o.dryRun,
        yes: o.yes,
        overrides: o.overrides ?? {},
        createdAt: new Date(clock.now()).toISOString(),
      });
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
  const started = clock.now();
  const { runbook: rb } = o.runbook;
  const ports = createRunPorts(o.clusters, rb.env ?? {}, o);
  // Pausing (Ctrl-C, an unanswered prompt): src/engine/pause.ts; safe points call pause.check().
  const pause = createPauseControl(o.pauseSignal, o.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS, clock);

  try {
    if (o.resume) {
      emit({
        kind: 'run.resumed',
        runId,
        operator: o.operator ?? os.userInfo().username,
        host: os.hostname(),
        toolVersion: TOOL_VERSION,
        fromState: o.resume.fromState,
        completedWrites: doneKeys.size,
      });
    } else
      emit({
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
    const stolenFrom = leaseInfo?.stolenFrom ?? local?.stolenFrom;
    if (leaseInfo)
      emit({
        kind: 'lock.acquired',
        pair,
        ttlMs,
        ...(stolenFrom ? { stolenFrom, reason: stealReason } : {}),
        ...(leaseInfo.expiredFrom ? { expiredFrom: leaseInfo.expiredFrom } : {}),
        ...(local?.replacedStale ? { replacedStale: local.replacedStale } : {}),
      });
  } catch (error) {
    audit.close();
    throw error;
  }

  const runbookView = lookAheadView(o.runbook, o.registry, flow);
  const runStep = createStepRunner({
    runbook: o.runbook,
    registry: o.registry,
    flow,
    overrides: o.overrides ?? {},
    pause,
    clock,
    emit,
    halted: () => halted,
    context: (step, signal) =>
      createStepContext(
        {
          dryRun: o.dryRun,
          flow,
          clusters: o.clusters,
          ports,
          clock,
          pause,
          emit,
          doneKeys,
          halted: () => halted,
          lease: leaseInfo?.lease,
          runbook: runbookView,
        },
        step,
        signal,
      ),
    confirm: { dryRun: o.dryRun, yes: o.yes, prompter: o.prompter, target: flow.target, emit, ask: pause.ask },
    ...(o.prompter?.gateDecision
      ? { gateDecision: (stepId, failing) => pause.ask(`gates of step ${stepId}`, (sig) => o.prompter!.gateDecision!(stepId, failing, sig)) }
      : {}),
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
      emit({
        kind: 'run.paused',
        runId,
        ...(stepId ? { step: stepId } : {}),
        reason: pause.reason(),
        durationMs: clock.now() - started,
        exitCode,
        resumeCommand,
        auditFile,
      });
    } else
      emit({
        kind: 'run.finished',
        runId,
        outcome,
        durationMs: clock.now() - started,
        exitCode,
        ...(final.context.message ? { message: final.context.message } : {}),
        auditFile,
      });
  } catch {
    // The audit log cannot be written (halted): the run already stopped before any further write.
  }
  audit.close();
  // The anchor: the head of a finished real run's chain, on the target cluster (src/engine/audit-anchor.ts).
  let anchor: RunResult['anchor'];
  if (!halted && outcome !== 'paused' && !o.dryRun) {
    const head = audit.position();
    try {
      await writeAnchor(ports.kafka(flow.target), { runId, seq: head.seq, head: head.prev, outcome, flow: pair, at: new Date(clock.now()).toISOString() });
      anchor = { written: true, cluster: flow.target };
    } catch (error) {
      anchor = { written: false, cluster: flow.target, error: error instanceof Error ? error.message : String(error) };
    }
  }
  await ports.close();
  if (halted) throw halted;
  return {
    runId,
    runDir,
    auditFile,
    outcome,
    exitCode,
    ...(anchor ? { anchor } : {}),
    ...(final.context.message ? { message: final.context.message } : {}),
    events,
    outputs: final.context.outputs,
  };
}
