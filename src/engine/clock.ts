/**
 * The run's clock: every engine reading of the time (durations, gate waits and their deadlines, `ctx.now`, run ids,
 * run.json's `createdAt`, the anchor's `at`) and every engine sleep (gate polling, `ctx.sleep`) go through it, so
 * engine tests can run an hour-long wait in milliseconds. Not governed by it: a step's `timeoutMs` and the prompt
 * timeout (real timers, they bound real work), the run lock's lease renewal, and the audit records' `time`.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Time source and sleeper of a run. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` (ms); rejects (with any error) once `signal` aborts — the engine then reports why. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};
