/**
 * Bounded concurrency for per-group cluster requests (issue 15, scale): describes, offset fetches and resets of
 * thousands of groups run with at most {@link IN_FLIGHT} operations in flight, so a failover over a WAN link pays about
 * groups / IN_FLIGHT round trips instead of one per group, without flooding the group coordinators. Built on p-limit.
 */
import pLimit from 'p-limit';

/**
 * Group operations in flight at once (over all group coordinators of a cluster; each is 2–3 requests through kafkajs:
 * FindCoordinator, then OffsetFetch/OffsetCommit). 64 stays far under a broker's default `queued.max.requests` (500)
 * even when one broker coordinates every group, and makes a 10,000-group reset over a 50 ms link a matter of seconds
 * per thousand groups (docs/benchmarks.md, bench:scale).
 */
export const IN_FLIGHT = 64;

/**
 * Partitions read at once by record matching and the continuity proof (each a source and a target span of digests,
 * record-digest.ts): their reads overlap, so a 50 ms link costs about partitions / 8 span reads, while memory stays at
 * most 8 spans.
 */
export const PARTITIONS_IN_FLIGHT = 8;

/**
 * `fn` over every item with at most `limit` calls in flight; results in the items' order.
 * @throws the first rejection (calls already started run to completion; none start after it).
 */
export async function mapBounded<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = IN_FLIGHT): Promise<R[]> {
  const run = pLimit(limit);
  let failed = false;
  return Promise.all(
    items.map((item) =>
      run(async () => {
        if (failed) throw new Error('not started: an earlier call failed');
        try {
          return await fn(item);
        } catch (error) {
          failed = true;
          throw error;
        }
      }),
    ),
  );
}
