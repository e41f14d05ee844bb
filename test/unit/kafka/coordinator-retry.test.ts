/**
 * Requests sent straight to a group coordinator are asked again while the coordinator is loading or has moved
 * (COORDINATOR_LOAD_IN_PROGRESS 14, COORDINATOR_NOT_AVAILABLE 15, NOT_COORDINATOR 16 — Errors.java), as kafkajs's admin
 * client did; every other error is thrown at once, and a coordinator that never gets ready still fails closed.
 * The errors are the ones kafkajs itself raises (its createErrorFromCode: a KafkaJSProtocolError with the numeric
 * `code` and kafkajs's own, older names in `type`, e.g. NOT_COORDINATOR_FOR_GROUP).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CoordinatorNotReadyError, isCoordinatorNotReady, withCoordinatorRetry } from '../../../src/kafka/coordinator-retry.js';

const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  createErrorFromCode(code: number): Error & { type: string; code: number };
};
/** The error kafkajs raises for a Kafka error code (Errors.java numbering). */
const CODES: Record<string, number> = {
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  GROUP_AUTHORIZATION_FAILED: 30,
  UNKNOWN_MEMBER_ID: 25,
};
const protocolError = (kafkaName: string) => createErrorFromCode(CODES[kafkaName]!);
const fast = { minTimeoutMs: 1, maxTimeoutMs: 2 };

describe('withCoordinatorRetry', () => {
  it('asks again while the coordinator is loading, then returns the answer (3 attempts for 2 LOAD_IN_PROGRESS answers)', async () => {
    const attempts: [number, boolean][] = [];
    const answer = await withCoordinatorRetry(async (attempt, last) => {
      attempts.push([attempt, last]);
      if (attempt <= 2) throw protocolError('COORDINATOR_LOAD_IN_PROGRESS');
      return 'described';
    }, fast);
    expect(answer).toBe('described');
    expect(attempts).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
  });

  it('NOT_COORDINATOR and COORDINATOR_NOT_AVAILABLE are asked again too; a per-group CoordinatorNotReadyError as well', async () => {
    for (const error of [
      protocolError('NOT_COORDINATOR'),
      protocolError('COORDINATOR_NOT_AVAILABLE'),
      new CoordinatorNotReadyError('COORDINATOR_LOAD_IN_PROGRESS', 'x'),
    ]) {
      let calls = 0;
      await expect(
        withCoordinatorRetry(async () => {
          calls++;
          if (calls === 1) throw error;
          return calls;
        }, fast),
      ).resolves.toBe(2);
    }
  });

  it('any other error is thrown at once, after one attempt (an authorization error is not retried)', async () => {
    let calls = 0;
    await expect(
      withCoordinatorRetry(async () => {
        calls++;
        throw protocolError('GROUP_AUTHORIZATION_FAILED');
      }, fast),
    ).rejects.toMatchObject({ code: 30, type: 'GROUP_AUTHORIZATION_FAILED' });
    expect(calls).toBe(1);
    expect(isCoordinatorNotReady(protocolError('UNKNOWN_MEMBER_ID'))).toBe(false);
    expect(isCoordinatorNotReady(new Error('socket hang up'))).toBe(false);
  });

  it('a coordinator that never gets ready: retries + 1 attempts, the last one told it is last, then the error is thrown', async () => {
    const lastFlags: boolean[] = [];
    await expect(
      withCoordinatorRetry(
        async (_attempt, last) => {
          lastFlags.push(last);
          throw protocolError('COORDINATOR_LOAD_IN_PROGRESS');
        },
        { ...fast, retries: 3 },
      ),
    ).rejects.toMatchObject({ code: 14, type: 'GROUP_LOAD_IN_PROGRESS' });
    expect(lastFlags).toEqual([false, false, false, true]);
  });
});
