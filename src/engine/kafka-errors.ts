/**
 * Which errors of a step are worth retrying (a step's `retries` policy retries only these): kafkajs error names and
 * flags (kafkajs 2.2.4 `src/errors.js`), and Node socket error codes.
 */

/** kafkajs errors that mean the cluster is (briefly) unreachable or moving leadership. */
const RETRYABLE_KAFKAJS_NAMES = [
  'KafkaJSConnectionError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSGroupCoordinatorNotFound',
];

/** Socket error codes (`error.code`) of a connection refused, reset, timed out or broken. */
const RETRYABLE_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'];

/**
 * Errors worth retrying: network and leadership trouble (kafkajs marks them retriable), timeouts — also when kafkajs
 * wraps them after its own retries (KafkaJSNumberOfRetriesExceeded keeps the original as `cause`; up to 5 causes deep).
 */
export function retryable(error: unknown): boolean {
  for (
    let e = error as { retriable?: boolean; code?: string; name?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (e.retriable === true || RETRYABLE_CODES.includes(e.code ?? '')) return true;
    if (RETRYABLE_KAFKAJS_NAMES.includes(e.name ?? '')) return true;
    // kafkajs 2.2.4 dereferences metadata that is null while every broker is unreachable (a TypeError thrown inside
    // kafkajs, e.g. "Cannot destructure property 'brokers'"): a connection symptom, not a bug of the caller.
    if (e instanceof TypeError && /[/]kafkajs[/]src[/]/.test(e.stack ?? '')) return true;
  }
  return false;
}
