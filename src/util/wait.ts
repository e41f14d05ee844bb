/**
 * Waiting until a condition holds, by polling at a fixed interval up to a deadline. Built on p-retry (the project
 * writes no retry loops of its own): the probe throws while the condition does not hold yet.
 */
import pRetry, { AbortError } from 'p-retry';
import { KafkaFailoverError } from '../errors.js';

/** Thrown when {@link waitFor} runs out of time; names what was awaited and the last thing observed. */
export class WaitTimeoutError extends KafkaFailoverError {
  constructor(what: string, timeoutMs: number, lastError: unknown, hint?: string) {
    const last = lastError instanceof Error ? lastError.message : String(lastError);
    super(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last observed: ${last}`, hint ? { hint } : {});
  }
}

/** Make a probe failure final (no more polling): `throw giveUp(err)`. */
export function giveUp(error: Error): Error {
  return new AbortError(error);
}

/**
 * Polls `probe` every `intervalMs` until it resolves, and returns its value.
 * @param what phrase for messages, e.g. "dr to answer describe-cluster".
 * @param probe throws (or rejects) while the condition does not hold; `throw giveUp(e)` stops at once.
 * @param options.timeoutMs total time allowed (ms). options.intervalMs pause between attempts (ms).
 * @throws WaitTimeoutError when the deadline passes; the error from `giveUp` as is.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  options: { timeoutMs: number; intervalMs?: number; hint?: string; signal?: AbortSignal },
): Promise<T> {
  const interval = options.intervalMs ?? 250;
  const started = Date.now();
  let last: unknown = 'nothing yet';
  try {
    return await pRetry(probe, {
      retries: Number.POSITIVE_INFINITY,
      factor: 1,
      minTimeout: interval,
      maxTimeout: interval,
      randomize: false,
      maxRetryTime: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      onFailedAttempt: ({ error }) => {
        last = error;
      },
    });
  } catch (error) {
    if (error instanceof KafkaFailoverError) throw error;
    if (Date.now() - started >= options.timeoutMs) throw new WaitTimeoutError(what, options.timeoutMs, last, options.hint);
    throw error;
  }
}
