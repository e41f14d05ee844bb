/**
 * Bounded concurrency for per-group cluster requests (issue 15, scale): describes, offset fetches and resets of
 * thousands of groups run with at most {@link IN_FLIGHT} requests in flight, so a failover over a WAN link pays about
 * groups / IN_FLIGHT round trips instead of one per group, without flooding the group coordinators. Built on p-limit.
 */
import pLimit from 'p-limit';

/**
 * Requests in flight at once (over all group coordinators of a cluster). 16 keeps a 3-broker cluster's coordinators
 * at ~5 concurrent requests each, well under a broker's default `queued.max.requests` (500).
 */
export const IN_FLIGHT = 16;

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
