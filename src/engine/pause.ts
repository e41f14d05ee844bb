/**
 * Pausing a run: the caller's signal (Ctrl-C, SIGTERM) or a prompt left unanswered aborts the run's pause signal;
 * the executor checks it at safe points (before a step, before a write's intent record, in waits and prompts) and
 * turns the {@link PausedError} into the `paused` outcome (exit 6), which `resume` continues.
 */
import { ExitCode, KafkaFailoverError } from '../errors.js';
import { systemClock, type Clock } from './clock.js';

/** The run is pausing: raised at safe points. */
export class PausedError extends KafkaFailoverError {
  constructor(reason: string) {
    super(`Run paused: ${reason}`, { exitCode: ExitCode.Paused });
  }
}

/** Default bound of one prompt (ms): past it the run pauses instead of holding the lock forever. */
export const DEFAULT_PROMPT_TIMEOUT_MS = 600_000;

/** A run's pause state and the waits that honour it. */
export interface PauseControl {
  /** Aborted once the run is pausing; its reason says why. */
  signal: AbortSignal;
  /** Asks the run to pause (the first reason wins). */
  request(reason: string): void;
  reason(): string;
  /** A safe point: throws {@link PausedError} when pausing. */
  check(): void;
  /** Sleeps `ms`; rejects with PausedError when pausing, or with `signal`'s reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Runs one prompt bounded by the pause signal and `promptTimeoutMs`; a prompt that ends without an answer (timeout,
   * Ctrl-C inside it, any error) pauses the run — nothing is written on a guess.
   * @throws PausedError
   */
  ask<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/**
 * Creates the pause control of a run, following `external` (e.g. the CLI's Ctrl-C signal) when given; its sleeps
 * run on `clock` (default the real one).
 */
export function createPauseControl(
  external: AbortSignal | undefined,
  promptTimeoutMs: number = DEFAULT_PROMPT_TIMEOUT_MS,
  clock: Clock = systemClock,
): PauseControl {
  const pause = new AbortController();
  const request = (reason: string) => {
    if (!pause.signal.aborted) pause.abort(reason);
  };
  if (external) {
    if (external.aborted) request(String(external.reason ?? 'pause requested'));
    else external.addEventListener('abort', () => request(String(external.reason ?? 'pause requested')), { once: true });
  }
  const reason = () => String(pause.signal.reason);
  const check = () => {
    if (pause.signal.aborted) throw new PausedError(reason());
  };
  const sleep = async (ms: number, signal?: AbortSignal) => {
    const why = () => (pause.signal.aborted ? new PausedError(reason()) : signal!.reason);
    const either = signal ? AbortSignal.any([pause.signal, signal]) : pause.signal;
    if (either.aborted) throw why();
    try {
      await clock.sleep(ms, either);
    } catch (error) {
      if (either.aborted) throw why();
      throw error;
    }
  };
  const ask = async <T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    check();
    const timeout = AbortSignal.timeout(promptTimeoutMs);
    try {
      return await fn(AbortSignal.any([pause.signal, timeout]));
    } catch (error) {
      if (timeout.aborted && !pause.signal.aborted) request(`no answer to "${what}" within ${Math.round(promptTimeoutMs / 1000)} s (--prompt-timeout)`);
      else
        request(
          pause.signal.aborted ? reason() : `the prompt "${what}" ended without an answer (${(error as Error).name ?? 'error'}: ${(error as Error).message})`,
        );
      throw new PausedError(reason());
    }
  };
  return { signal: pause.signal, request, reason, check, sleep, ask };
}
