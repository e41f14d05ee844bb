/** Which errors a step's `retries` retry: connection trouble (also wrapped by kafkajs), never a caller's bug. */
import { describe, expect, it } from 'vitest';
import { retryable } from '../../../src/engine/executor.js';

describe('retryable', () => {
  it('retries connection errors, also when kafkajs wraps them after its own retries', () => {
    expect(retryable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    const wrapped = Object.assign(new Error('retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
      cause: Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }),
    });
    expect(retryable(wrapped)).toBe(true);
    expect(retryable(new Error('outer', { cause: Object.assign(new Error('leader moved'), { retriable: true }) }))).toBe(true);
  });

  it('retries the TypeError kafkajs throws on null metadata while brokers are down, but no other TypeError', () => {
    const inKafkajs = new TypeError("Cannot destructure property 'brokers' of '(intermediate value)' as it is null.");
    inKafkajs.stack = `TypeError: Cannot destructure…\n    at Object.describeCluster (/app/node_modules/kafkajs/src/admin/index.js:1234:11)`;
    expect(retryable(inKafkajs)).toBe(true);
    expect(retryable(new TypeError('x is not a function'))).toBe(false);
    expect(retryable(new Error('gate blocked'))).toBe(false);
  });
});
