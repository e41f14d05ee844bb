/**
 * Gate evaluation: run a step's read-only probe (`check` or `verify`), re-run it while its gates fail and the step's
 * `wait` allows (emitting progress: amount left, drain rate, ETA), then settle failing gates — by a `--override`
 * given up front, by the operator's choice in an interactive run (retry, wait longer, override with a typed reason,
 * abort), or by blocking the run (exit 3) naming the flag that would authorise it.
 */
import { ExitCode, KafkaFailoverError } from '../errors.js';
import type { GateDecision, GateResult, Progress, RunEvent } from './events.js';
import type { RunbookStep } from './runbook-schema.js';

/** A gate failed and was not overridden: the run ends `blocked` (exit 3). */
export class GateBlockedError extends KafkaFailoverError {
  constructor(message: string, hint: string) {
    super(message, { exitCode: ExitCode.GateBlocked, hint });
  }
}

/** The operator declined or aborted: the run ends `aborted` (exit 4). */
export class AbortRunError extends KafkaFailoverError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.Aborted });
  }
}

/** What gate evaluation needs from the executor. */
export interface GateDeps {
  emit(e: RunEvent): void;
  /** `<step id>.<gate id>` → reason, given with `--override` (audited). */
  overrides: Record<string, string>;
  /** Asks the operator what to do about failing gates; absent in non-interactive runs. Throws when paused. */
  decide?: (step: string, failing: GateResult[]) => Promise<GateDecision>;
  /** Runs a probe with the step's retry policy. */
  withRetries<T>(step: RunbookStep, fn: () => Promise<T>): Promise<T>;
  /** Sleeps (ms); rejects when the run is pausing. */
  sleep(ms: number): Promise<void>;
  /** Throws when the run is pausing (a safe point). */
  checkPause(): void;
  now(): number;
}

/** Poll interval (ms) of an operator-chosen wait when the step sets none. */
export const DEFAULT_WAIT_INTERVAL_MS = 2000;

/**
 * Evaluates a probe's gates to a verdict.
 * @returns the last probe result, with every failing gate overridden.
 * @throws GateBlockedError (exit 3) when a gate still fails and nobody overrode it; AbortRunError when the operator
 *   chose abort; the pause error of {@link GateDeps.checkPause} when the run is pausing.
 */
export async function evaluateGates<T extends { gates?: GateResult[] }>(d: GateDeps, step: RunbookStep, probe: () => Promise<T>): Promise<T> {
  let result = await d.withRetries(step, probe);
  if (step.wait) result = await waitForGates(d, step, probe, result, step.wait.timeoutMs, step.wait.intervalMs);
  for (;;) {
    const failing: GateResult[] = [];
    for (const g of result.gates ?? []) {
      d.emit({ kind: 'gate', step: step.id, gate: g, final: true });
      if (g.ok) continue;
      const reason = d.overrides[`${step.id}.${g.id}`];
      if (reason) d.emit({ kind: 'gate.overridden', step: step.id, gate: g.id, reason, observed: g.observed, expected: g.expected, by: '--override' });
      else failing.push(g);
    }
    if (!failing.length) return result;
    if (!d.decide) {
      throw new GateBlockedError(
        `Step "${step.id}" blocked by ${failing.map((g) => `gate ${g.id}: observed ${JSON.stringify(g.observed)}, expected ${g.expected}`).join('; ')}`,
        `Fix the condition and run again, or override with ${failing.map((g) => `--override ${step.id}.${g.id}="<reason>"`).join(' ')} (audited).`,
      );
    }
    const decision = await d.decide(step.id, failing);
    d.emit({
      kind: 'gate.decision',
      step: step.id,
      gates: failing.map((g) => g.id),
      decision: decision.action,
      ...(decision.action === 'wait' ? { timeoutMs: decision.timeoutMs } : {}),
      by: 'operator',
    });
    switch (decision.action) {
      case 'abort':
        throw new AbortRunError(`The operator aborted at step "${step.id}" (failing gate(s): ${failing.map((g) => g.id).join(', ')}).`);
      case 'override':
        for (const g of failing)
          d.emit({ kind: 'gate.overridden', step: step.id, gate: g.id, reason: decision.reason, observed: g.observed, expected: g.expected, by: 'operator' });
        return result;
      case 'retry':
        result = await d.withRetries(step, probe);
        break;
      case 'wait':
        result = await waitForGates(d, step, probe, await d.withRetries(step, probe), decision.timeoutMs, step.wait?.intervalMs ?? DEFAULT_WAIT_INTERVAL_MS);
        break;
    }
  }
}

/** Re-runs the probe every `intervalMs` while a gate fails, up to `timeoutMs`; emits waiting gates and progress. */
async function waitForGates<T extends { gates?: GateResult[] }>(
  d: GateDeps,
  step: RunbookStep,
  probe: () => Promise<T>,
  first: T,
  timeoutMs: number,
  intervalMs: number,
): Promise<T> {
  const start = d.now();
  const deadline = start + timeoutMs;
  const samples = new Map<string, { t: number; v: number }[]>();
  let result = first;
  while ((result.gates ?? []).some((g) => !g.ok) && d.now() < deadline) {
    d.checkPause();
    for (const g of result.gates ?? []) {
      d.emit({ kind: 'gate', step: step.id, gate: g, final: false });
      if (!g.ok && g.remaining) d.emit({ kind: 'progress', step: step.id, progress: drainProgress(g, samples, d.now(), start, timeoutMs) });
    }
    await d.sleep(Math.min(intervalMs, Math.max(0, deadline - d.now())));
    result = await d.withRetries(step, probe);
  }
  return result;
}

/** How many recent samples the drain rate is computed over. */
const RATE_WINDOW = 10;

/**
 * Progress of a draining gate: amount left, rate (per second, between the oldest and newest of the last
 * {@link RATE_WINDOW} samples) and ETA (ms) when the amount is shrinking.
 */
export function drainProgress(g: GateResult, samples: Map<string, { t: number; v: number }[]>, now: number, start: number, timeoutMs: number): Progress {
  const left = g.remaining!;
  const list = samples.get(g.id) ?? [];
  list.push({ t: now, v: left.value });
  if (list.length > RATE_WINDOW) list.shift();
  samples.set(g.id, list);
  const first = list[0]!;
  const dt = (now - first.t) / 1000;
  const rate = dt > 0 ? (first.v - left.value) / dt : undefined;
  const detail = left.detail;
  return {
    label: g.description,
    unit: left.unit,
    remaining: left.value,
    ...(rate !== undefined ? { ratePerSec: Math.round(rate * 10) / 10 } : {}),
    ...(rate !== undefined && rate > 0 ? { etaMs: Math.round((left.value / rate) * 1000) } : {}),
    elapsedMs: now - start,
    timeoutMs,
    ...(detail ? { detail } : {}),
  };
}
