/**
 * The lease half of the run lock (docs/design/run-lock.md): keyed records in the compacted topic
 * `kafka-failover-lease.internal` on the target cluster, renewed every ttl/3 and checked before every write.
 */
import pRetry from 'p-retry';
import type { KafkaPort } from '../kafka/port.js';
import { LEASE_TOPIC, LeaseLostError, LockHeldError, type LockHolder } from './lock.js';
import { ExitCode, KafkaFailoverError } from '../errors.js';
import { type AclNeed, judge, ownTopicNeeds } from './permissions.js';

/** The ACLs the lease needs on the target: create its topic when missing, write and read it. */
export function leaseAcls(target: string): AclNeed[] {
  return ownTopicNeeds(target, LEASE_TOPIC, 'run lock lease (taken by `run` before the first step)');
}

/**
 * Before the lease's first write (its topic's creation included): asks the target whether the tool's principal holds
 * {@link leaseAcls} (KIP-430, as `check-permissions` does). Nothing is written.
 * @throws KafkaFailoverError (exit 3) naming each ACL missing or unknown, e.g.
 *   `dr: TOPIC "kafka-failover-lease.internal" READ for User:failover`.
 */
export async function assertLeaseAcls(port: KafkaPort, target: string): Promise<void> {
  const answer = await port.authorizedOperations({ topics: [LEASE_TOPIC], groups: [] });
  const bad = leaseAcls(target)
    .map((n) => ({
      n,
      v: judge({ cluster: target, resource: 'topic', name: LEASE_TOPIC, operation: n.operation, ...(n.ifMissing ? { ifMissing: true } : {}) }, answer),
    }))
    .filter(({ v }) => v.verdict === 'missing' || v.verdict === 'unknown');
  if (bad.length === 0) return;
  const who = answer.principal ?? "this client's principal";
  throw new KafkaFailoverError(
    `The run lock needs ACLs the tool's principal does not hold on ${target} (nothing was written): ${bad
      .map(({ n, v }) => `${v.verdict.toUpperCase()} ${target}: TOPIC "${LEASE_TOPIC}" ${n.operation} for ${who}${v.reason ? ` — ${v.reason}` : ''}`)
      .join('; ')}`,
    {
      exitCode: ExitCode.GateBlocked,
      hint: 'Grant them (README "ACLs the tool needs"); `plan` names every ACL the runbook needs at its check-permissions step.',
    },
  );
}

/** A lease on the target cluster. */
export class TargetLease {
  private timer: NodeJS.Timeout | undefined;
  lost = false;

  private constructor(
    private readonly port: KafkaPort,
    private readonly pair: string,
    private readonly me: LockHolder,
    private readonly ttlMs: number,
  ) {}

  private async latest(): Promise<LockHolder | undefined> {
    let found: LockHolder | undefined;
    for (const p of await this.port.partitionOffsets(LEASE_TOPIC)) {
      await this.port.readRange(LEASE_TOPIC, p.partition, p.logStartOffset, p.highWatermark, (r) => {
        if (r.key?.toString() !== this.pair || !r.value) return;
        try {
          found = JSON.parse(r.value.toString()) as LockHolder;
        } catch {
          /* not a lease record */
        }
      });
    }
    return found;
  }

  private async write(expiresAt: number): Promise<void> {
    await this.port.produce(LEASE_TOPIC, [{ key: this.pair, value: JSON.stringify({ ...this.me, expiresAt }), partition: 0 }]);
  }

  /**
   * Acquires the lease.
   * @param deadHolder the holder whose local lock this process just replaced because its process was dead (this
   *   host): an unexpired lease of that same holder (token) is taken over at once, as a crashed holder's.
   * @returns the lease, the live holder it replaced when stealing, or the holder whose lease had expired.
   * @throws LockHeldError when another holder (another token, even of the same run id) holds an unexpired lease, or
   *   won a race.
   */
  static async acquire(
    port: KafkaPort,
    pair: string,
    me: LockHolder,
    ttlMs: number,
    steal: boolean,
    deadHolder?: LockHolder,
  ): Promise<{ lease: TargetLease; stolenFrom?: LockHolder; expiredFrom?: LockHolder }> {
    if (!(await port.listTopics()).includes(LEASE_TOPIC)) {
      await port.createTopic(LEASE_TOPIC, 1, undefined, { 'cleanup.policy': 'compact' }).catch(() => {});
    }
    const lease = new TargetLease(port, pair, me, ttlMs);
    const before = await lease.latest();
    const other = before !== undefined && before.token !== me.token;
    const unexpired = before !== undefined && before.expiresAt > Date.now();
    const dead = deadHolder !== undefined && before?.token === deadHolder.token;
    const live = other && unexpired && !dead;
    if (live && !steal) throw new LockHeldError(before, 'lease on the target cluster');
    await lease.write(Date.now() + ttlMs);
    const after = await lease.latest();
    if (after?.token !== me.token) throw new LockHeldError(after!, 'lease on the target cluster');
    lease.timer = setInterval(() => void lease.renew(), Math.max(500, Math.floor(ttlMs / 3)));
    lease.timer.unref();
    return { lease, ...(live ? { stolenFrom: before } : other && !unexpired && before.expiresAt > 0 ? { expiredFrom: before } : {}) };
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    try {
      const now = await this.latest();
      if (now?.token !== this.me.token) {
        this.lost = true;
        return;
      }
      await this.write(Date.now() + this.ttlMs);
    } catch {
      /* the next renewal or the pre-write check decides */
    }
  }

  /** Checks the lease before a write. @throws LeaseLostError. */
  async assertHeld(): Promise<void> {
    const now = await this.latest();
    if (this.lost || now?.token !== this.me.token || now.expiresAt <= Date.now()) {
      this.lost = true;
      throw new LeaseLostError(this.pair, now);
    }
  }

  /**
   * Stops renewing and releases the lease if this holder (token) still holds it — compare-and-release: a holder
   * whose lease was taken over leaves the new holder's alone. Retries for up to 15 s (a broker may be back).
   */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await pRetry(
        async () => {
          if ((await this.latest())?.token === this.me.token) await this.write(0);
        },
        { retries: 10, minTimeout: 500, maxTimeout: 2000, maxRetryTime: 15_000 },
      );
    } catch {
      /* it expires on its own after the time-to-live */
    }
  }
}
