/**
 * The `runStep` actor the runbook machine (src/engine/machine.ts) invokes for every step: resolve the step's templated
 * inputs and validate them → `check` (retried on retryable errors; gates settled by src/engine/gates.ts) → the
 * `step.plan` record → confirmation (src/engine/confirm.ts) → `apply` (retried) → `verify` (real runs) → outputs.
 * A step's failure becomes its outcome (blocked, aborted, paused, continued, failed — after compensation if the
 * step's `onFailure` says so); a step's `timeoutMs` aborts it on a real timer.
 */
import pRetry from 'p-retry';
import { fromPromise } from 'xstate';
import type { FlowConfig } from '../clusters/schema.js';
import type { RunFileWriteError } from './audit.js';
import type { Clock } from './clock.js';
import { confirmStep, type ConfirmDeps } from './confirm.js';
import type { GateResult, RunEvent } from './events.js';
import { AbortRunError, evaluateGates, GateBlockedError, type GateDeps } from './gates.js';
import { retryable } from './kafka-errors.js';
import { validateStepInput, type LoadedRunbook } from './load-runbook.js';
import type { RunStepInput, StepOutcome } from './machine.js';
import { PausedError, type PauseControl } from './pause.js';
import type { StepRegistry } from './registry.js';
import type { RunbookStep } from './runbook-schema.js';
import { ClusterIdentityError } from './step-context.js';
import type { StepContext, StepKind } from './step.js';
import { resolve } from './templates.js';

/** What the step actor needs from the run. */
export interface StepRunnerDeps {
  runbook: LoadedRunbook;
  registry: StepRegistry;
  flow: FlowConfig;
  /** Gate overrides: `<step id>.<gate id>` → reason. */
  overrides: Record<string, string>;
  pause: PauseControl;
  clock: Clock;
  emit(e: RunEvent): void;
  /** The run-directory failure that halted the run, if any. */
  halted(): RunFileWriteError | undefined;
  /** The context of one execution of a step (src/engine/step-context.ts). */
  context(step: RunbookStep, signal: AbortSignal): StepContext;
  confirm: ConfirmDeps;
  /** The operator's choice on failing gates (interactive runs). */
  gateDecision?: GateDeps['decide'];
}

/** Creates the `runStep` actor of a run. */
export function createStepRunner(d: StepRunnerDeps) {
  const { emit, pause, clock } = d;
  const rb = d.runbook.runbook;

  const withRetries = <T>(step: RunbookStep, fn: () => Promise<T>) =>
    step.retries
      ? pRetry(fn, {
          retries: step.retries.max,
          minTimeout: step.retries.backoffMs,
          factor: 2,
          // Every retry is on record (audit log) before it happens: which attempt failed, why, how many are left.
          shouldRetry: ({ error, attemptNumber, retriesLeft }) => {
            if (!retryable(error) || retriesLeft <= 0) return false;
            emit({
              kind: 'step.retry',
              step: step.id,
              failedAttempt: attemptNumber,
              retriesLeft,
              error: error instanceof Error ? error.message : String(error),
            });
            return true;
          },
        })
      : fn();

  const gateDeps: GateDeps = {
    emit,
    overrides: d.overrides,
    ...(d.gateDecision ? { decide: d.gateDecision } : {}),
    withRetries,
    sleep: (ms) => pause.sleep(ms),
    checkPause: pause.check,
    now: () => clock.now(),
  };
  /** Runs a read-only probe to a gate verdict (waits, overrides, the operator's decision): src/engine/gates.ts. */
  const evaluate = <T extends { gates?: GateResult[] }>(step: RunbookStep, probe: () => Promise<T>) => evaluateGates(gateDeps, step, probe);

  /** check → gates (wait / override) → confirm → apply. Throws GateBlockedError, or the step's error. */
  async function execute(
    step: RunbookStep,
    kind: StepKind,
    rawInput: Record<string, unknown>,
    scopeOutputs: Record<string, Record<string, unknown>>,
    signal: AbortSignal,
  ) {
    const scope = {
      params: d.runbook.params,
      steps: Object.fromEntries(Object.entries(scopeOutputs).map(([k, v]) => [k, { outputs: v }])),
      flow: { source: d.flow.source, target: d.flow.target },
    };
    const input = validateStepInput(kind.input, resolve(rawInput, scope), d.runbook.file, step.id);
    const ctx = d.context(step, signal);
    const checked = await evaluate(step, () => kind.check(ctx, input));
    // What the step is about to write, as computed by its check (e.g. every group's current → new offsets): shown
    // before the confirmation and kept in the audit log as what the operator approved.
    if (kind.writes && checked.plan !== undefined) emit({ kind: 'step.plan', step: step.id, plan: checked.plan });
    await confirmStep(d.confirm, step, kind);
    const applied = kind.apply ? await withRetries(step, async () => (await kind.apply!(ctx, input, checked.plan)) ?? {}) : {};
    const verified = kind.verify && !ctx.dryRun ? await evaluate(step, () => kind.verify!(ctx, input, checked.plan)) : undefined;
    return { ...(checked.outputs ?? {}), ...applied, ...(verified?.outputs ?? {}) };
  }

  return fromPromise<StepOutcome, RunStepInput>(async ({ input }) => {
    const step = rb.steps[input.index]!;
    const kind = d.registry.get(step.kind)!;
    const t0 = clock.now();
    const halted = d.halted();
    if (halted) return { stepId: step.id, status: 'failed', message: halted.message };
    if (pause.signal.aborted) return { stepId: step.id, status: 'paused', message: pause.reason() };
    emit({ kind: 'step.started', step: step.id, stepKind: step.kind, attempt: 1 });
    const controller = new AbortController();
    const timer = step.timeoutMs
      ? setTimeout(() => controller.abort(new Error(`step "${step.id}" timed out after ${step.timeoutMs} ms`)), step.timeoutMs)
      : undefined;
    try {
      const work = execute(step, kind, step.with, input.outputs, controller.signal);
      const outputs = await (step.timeoutMs
        ? Promise.race([work, new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason)))])
        : work);
      emit({ kind: 'step.succeeded', step: step.id, durationMs: clock.now() - t0, outputs });
      return { stepId: step.id, status: 'succeeded', outputs };
    } catch (error) {
      // The run directory cannot be written (audit log, snapshot): no more records, no more writes.
      const haltedNow = d.halted();
      if (haltedNow) return { stepId: step.id, status: 'failed', message: haltedNow.message };
      // Whatever the step threw while the run was pausing (an aborted sleep, wait or prompt) is the pause itself.
      if (error instanceof PausedError || pause.signal.aborted) return { stepId: step.id, status: 'paused', message: pause.reason() };
      if (error instanceof GateBlockedError) {
        emit({ kind: 'step.failed', step: step.id, durationMs: clock.now() - t0, error: error.message, policy: 'abort' });
        return { stepId: step.id, status: 'blocked', message: `${error.message}\n  fix: ${error.hint ?? ''}` };
      }
      if (error instanceof AbortRunError) return { stepId: step.id, status: 'aborted', message: error.message };
      const message = error instanceof Error ? error.message : String(error);
      const policy = error instanceof ClusterIdentityError ? 'abort' : step.onFailure;
      emit({ kind: 'step.failed', step: step.id, durationMs: clock.now() - t0, error: message, policy });
      if (policy === 'continue') return { stepId: step.id, status: 'continued', message };
      if (policy === 'compensate' && step.compensate) {
        const ckind = d.registry.get(step.compensate.kind)!;
        try {
          await execute(
            { ...step, id: `${step.id}-compensate`, confirm: false, wait: undefined },
            ckind,
            step.compensate.with,
            input.outputs,
            new AbortController().signal,
          );
        } catch (e) {
          return { stepId: step.id, status: 'failed', message: `${message}; compensation failed too: ${(e as Error).message}` };
        }
      }
      return { stepId: step.id, status: 'failed', message };
    } finally {
      if (timer) clearTimeout(timer);
    }
  });
}
