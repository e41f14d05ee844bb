/**
 * Confirmations of writing steps (`confirm: true`, `confirm: { typeTargetAlias: true }`, or a kind that always asks):
 * approved by `--yes` (recorded), by the operator in an interactive run, or else the run is blocked (exit 3) —
 * nothing is written without one. Dry-runs ask nothing.
 */
import type { GateDecision, GateResult, RunEvent } from './events.js';
import { AbortRunError, GateBlockedError } from './gates.js';
import type { RunbookStep } from './runbook-schema.js';
import type { StepKind } from './step.js';

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

/** What a confirmation needs from the run. */
export interface ConfirmDeps {
  dryRun: boolean;
  /** `--yes`: approve without asking. */
  yes: boolean;
  prompter?: Prompter | undefined;
  /** The flow's target alias (what a typed confirmation asks for). */
  target: string;
  emit(e: RunEvent): void;
  /** Runs one prompt bounded by the pause and the prompt timeout (src/engine/pause.ts). */
  ask<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/**
 * Gets the confirmation `step` needs before `apply`, if any, and records it (`confirm` event).
 * @throws AbortRunError when the operator declines; GateBlockedError when no one can confirm (non-interactive, no
 *   `--yes`); PausedError when the prompt ends without an answer.
 */
export async function confirmStep(d: ConfirmDeps, step: RunbookStep, kind: StepKind): Promise<void> {
  if (!kind.writes || !(step.confirm || kind.alwaysConfirm) || d.dryRun) return;
  const typed = typeof step.confirm === 'object' && step.confirm.typeTargetAlias;
  const prompt = typed ? `Type "${d.target}" to let step "${step.id}" write to ${d.target}` : `Run step "${step.id}" (${kind.kind})?`;
  if (d.yes) d.emit({ kind: 'confirm', step: step.id, prompt, granted: true, by: '--yes' });
  else if (d.prompter) {
    const p = d.prompter;
    const granted = await d.ask(prompt, (sig) => (typed ? p.typeToConfirm(d.target, prompt, sig) : p.confirm(prompt, sig)));
    d.emit({ kind: 'confirm', step: step.id, prompt, granted, by: 'operator' });
    if (!granted) throw new AbortRunError(`The operator declined step "${step.id}".`);
  } else {
    throw new GateBlockedError(
      `Step "${step.id}" needs a confirmation and no one can give it (non-interactive run).`,
      'Run with --yes to approve confirmations (recorded in the audit log), or run in a terminal.',
    );
  }
}
