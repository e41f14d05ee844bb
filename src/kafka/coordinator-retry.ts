/**
 * Retrying requests sent straight to a group coordinator while it cannot answer yet. kafkajs's admin client retries
 * these errors itself; requests this tool sends through the kafkajs seam (ListGroups v5, DescribeGroups on the
 * coordinator, the admin offset commit) do not, so a broker that restarted a moment ago — loading its partitions of
 * `__consumer_offsets` — would fail a read-only describe or an idempotent commit that a second later succeeds.
 */
import pRetry from 'p-retry';

/**
 * Kafka errors (Errors.java) that mean "ask again, perhaps another broker": the coordinator is loading its
 * `__consumer_offsets` partition (14), is not available yet (15), or moved to another broker (16). Answers decoded
 * here carry the numeric code; kafkajs's KafkaJSProtocolError carries it as `code`, with its own older names as
 * `type` (GROUP_LOAD_IN_PROGRESS, GROUP_COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR_FOR_GROUP: kafkajs
 * src/protocol/error.js).
 */
export const COORDINATOR_RETRIABLE: ReadonlyMap<number, string> = new Map([
  [14, 'COORDINATOR_LOAD_IN_PROGRESS'],
  [15, 'COORDINATOR_NOT_AVAILABLE'],
  [16, 'NOT_COORDINATOR'],
]);
const RETRIABLE_TYPES = new Set([...COORDINATOR_RETRIABLE.values(), 'GROUP_LOAD_IN_PROGRESS', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR_FOR_GROUP']);

/** Raised for a coordinator error found inside an answer (a per-group error code), to have the request sent again. */
export class CoordinatorNotReadyError extends Error {
  constructor(
    /** Kafka's error name, e.g. `COORDINATOR_LOAD_IN_PROGRESS`. */
    readonly type: string,
    what: string,
  ) {
    super(`${what}: ${type}`);
    this.name = 'CoordinatorNotReadyError';
  }
}

/**
 * True when `error` is one of {@link COORDINATOR_RETRIABLE}: a kafkajs protocol error (by its numeric `code`, or its
 * `type` under either naming) or a {@link CoordinatorNotReadyError}.
 */
export function isCoordinatorNotReady(error: unknown): boolean {
  const e = error as { type?: unknown; code?: unknown; name?: unknown } | null;
  if (e?.name === 'KafkaJSProtocolError' && typeof e.code === 'number' && COORDINATOR_RETRIABLE.has(e.code)) return true;
  return typeof e?.type === 'string' && RETRIABLE_TYPES.has(e.type);
}

/** Retry schedule: 8 retries, 200 ms doubling to 2 s between them, at most 20 s in all. */
export interface CoordinatorRetryOptions {
  retries?: number;
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  maxRetryTimeMs?: number;
}

/**
 * Runs `fn` and runs it again (from the start: it must find the coordinator itself, and be read-only or idempotent)
 * while it fails with a coordinator-not-ready error. Any other error is thrown at once.
 * @param fn receives the attempt number (1-based) and whether it is the last attempt (so a caller can turn a
 *   per-group coordinator error into a fail-closed answer instead of throwing).
 * @throws the last error once the retries (default: 8, within 20 s) are spent, or the first other error. When the
 *   time budget runs out before the last attempt, `last` is never true and the coordinator error itself is thrown:
 *   either way the caller gets no answer that hides the group.
 */
export function withCoordinatorRetry<T>(fn: (attempt: number, last: boolean) => Promise<T>, options: CoordinatorRetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 8;
  return pRetry((attempt) => fn(attempt, attempt > retries), {
    retries,
    minTimeout: options.minTimeoutMs ?? 200,
    maxTimeout: options.maxTimeoutMs ?? 2_000,
    maxRetryTime: options.maxRetryTimeMs ?? 20_000,
    shouldRetry: ({ error }) => isCoordinatorNotReady(error),
  });
}
