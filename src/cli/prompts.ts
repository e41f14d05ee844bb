/**
 * The operator's prompts (interactive runs): every question the CLI asks goes through {@link createPrompter}, over
 * a prompt module with @inquirer/prompts' call shape — tests hand it a fake module. Each prompt receives the run's
 * AbortSignal (pause or prompt timeout) and rejects when it aborts.
 */
import type { Prompter } from '../engine/executor.js';
import type { GateDecision, GateResult } from '../engine/events.js';

/** The subset of @inquirer/prompts used here (same signatures: config, then a context carrying the signal). */
export interface PromptModule {
  confirm(config: { message: string; default?: boolean }, context?: { signal?: AbortSignal }): Promise<boolean>;
  input(config: { message: string; validate?: (value: string) => boolean | string }, context?: { signal?: AbortSignal }): Promise<string>;
  select<V>(config: { message: string; choices: { name: string; value: V; description?: string }[] }, context?: { signal?: AbortSignal }): Promise<V>;
  number(
    config: { message: string; default?: number; min?: number; max?: number; required?: boolean },
    context?: { signal?: AbortSignal },
  ): Promise<number | undefined>;
}

/** What the prompter needs from the output: to flush pending lines (the failing gates' table) and stop a spinner. */
export interface PromptScreen {
  /** Called before a question is shown: flush pending output (gate tables), stop live output. */
  beforePrompt(): void;
  afterPrompt(): void;
}

/** Shortest override reason accepted (characters): a reason is evidence for the audit, not a formality. */
export const MIN_REASON_LENGTH = 10;
/** Default and limit of an operator-chosen wait (seconds). */
export const DEFAULT_WAIT_S = 300;
export const MAX_WAIT_S = 3600;

/**
 * Builds the interactive prompter.
 * - confirmations default to "no";
 * - type-to-confirm compares the typed text with the expected alias exactly (after trimming);
 * - failing gates (their observed-vs-expected table is already on screen, flushed by `beforePrompt`) offer: retry,
 *   wait (seconds, 1–3600), override (a reason of at least {@link MIN_REASON_LENGTH} characters, recorded in the
 *   audit log), abort.
 */
export function createPrompter(mod: PromptModule, screen: PromptScreen): Prompter {
  const around = async <T>(fn: () => Promise<T>): Promise<T> => {
    screen.beforePrompt();
    try {
      return await fn();
    } finally {
      screen.afterPrompt();
    }
  };
  return {
    confirm: (message, signal) => around(() => mod.confirm({ message, default: false }, { signal })),
    typeToConfirm: (expected, message, signal) => around(async () => (await mod.input({ message }, { signal })).trim() === expected),
    gateDecision: (step: string, failing: GateResult[], signal: AbortSignal) =>
      around(async (): Promise<GateDecision> => {
        const action = await mod.select<GateDecision['action']>(
          {
            message: `Step "${step}" is blocked by ${failing.map((g) => g.id).join(', ')}. What now?`,
            choices: [
              { name: 'retry', value: 'retry', description: 'check the gates once more' },
              { name: 'wait', value: 'wait', description: 'poll until the gates hold, up to a time limit' },
              { name: 'override', value: 'override', description: 'let the step pass anyway — needs a reason, recorded in the audit log' },
              { name: 'abort', value: 'abort', description: 'stop the run here (nothing more is written)' },
            ],
          },
          { signal },
        );
        if (action === 'wait') {
          const seconds = await mod.number(
            { message: 'Wait up to how many seconds?', default: DEFAULT_WAIT_S, min: 1, max: MAX_WAIT_S, required: true },
            { signal },
          );
          return { action, timeoutMs: (seconds ?? DEFAULT_WAIT_S) * 1000 };
        }
        if (action === 'override') {
          const reason = await mod.input(
            {
              message: `Why override ${failing.map((g) => `${step}.${g.id}`).join(', ')}? (recorded in the audit log)`,
              validate: (v) =>
                v.trim().length >= MIN_REASON_LENGTH || `Give a reason of at least ${MIN_REASON_LENGTH} characters: what you checked and who decided.`,
            },
            { signal },
          );
          return { action, reason: reason.trim() };
        }
        return { action };
      }),
  };
}

/** The real prompt module (loaded only in interactive runs). */
export async function inquirerModule(): Promise<PromptModule> {
  const m = await import('@inquirer/prompts');
  return { confirm: m.confirm, input: m.input, select: m.select as PromptModule['select'], number: m.number as PromptModule['number'] };
}
