/**
 * The lease on the target cluster and the lock's life cycle in runRunbook, over an in-memory Kafka port that keeps
 * each partition as an append-only log (what the lease relies on: records of one partition are totally ordered and
 * read back in order):
 * - a second holder of the same run id (another process resuming it) is refused a live lease (tokens, not run ids);
 * - release compares tokens: a holder whose lease was stolen does not free the thief's;
 * - the unexpired lease of a holder whose local lock was found dead is taken over at once (resume after a crash);
 * - a failure opening the audit log still releases the lease and the local lock;
 * - a run that replaces a stale local lock records it in its `lock.acquired` audit record.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { TargetLease } from '../../../src/engine/lease.js';
import { holderFor, LEASE_TOPIC, takeLocalLock, type LockHolder } from '../../../src/engine/lock.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import type { AclOperation, AuthorizedOperations } from '../../../src/kafka/authorized-operations.js';
import type { KafkaPort, ReadRecord } from '../../../src/kafka/port.js';
import { ExitCode, KafkaFailoverError } from '../../../src/errors.js';
import { execStep } from '../../../src/steps/exec.js';
import { clusters } from './fixtures.js';

const PAIR = 'a->b';

/**
 * A Kafka port over in-memory append-only partition logs (topics, produce, read back by offset). `allowed`: the lease
 * topic operations the principal holds (KIP-430 answer); default all, as a cluster without an authorizer answers.
 */
function memoryKafka(allowed: AclOperation[] = ['READ', 'WRITE', 'CREATE', 'DESCRIBE']): KafkaPort {
  const topics = new Map<string, { key: Buffer | null; value: Buffer; timestamp: number }[][]>();
  const log = (t: string, p = 0) => {
    const l = topics.get(t)?.[p];
    if (!l) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION ${t}-${p}`);
    return l;
  };
  const port = {
    describeCluster: async () => ({ clusterId: 'x', controllerId: 1, brokers: [] }),
    listTopics: async () => [...topics.keys()],
    createTopic: async (name: string, partitions: number) => {
      if (topics.has(name)) throw new Error('TOPIC_ALREADY_EXISTS');
      topics.set(
        name,
        Array.from({ length: partitions }, () => []),
      );
    },
    partitionOffsets: async (t: string) => (topics.get(t) ?? []).map((l, partition) => ({ partition, logStartOffset: 0, highWatermark: l.length })),
    readRange: async (t: string, p: number, from: number, to: number, onRecord: (r: ReadRecord) => void) => {
      const l = log(t, p);
      for (let o = from; o < Math.min(to, l.length); o++)
        onRecord({ topic: t, partition: p, offset: o, timestamp: l[o]!.timestamp, key: l[o]!.key, value: l[o]!.value });
    },
    produce: async (t: string, records: { key?: string | Buffer | null; value: string | Buffer; partition?: number }[]) =>
      records.map((r) => {
        const l = log(t, r.partition ?? 0);
        l.push({ key: r.key == null ? null : Buffer.from(r.key), value: Buffer.from(r.value), timestamp: Date.now() });
        return { partition: r.partition ?? 0, offset: l.length - 1 };
      }),
    authorizedOperations: async (q: { topics: string[] }): Promise<AuthorizedOperations> => ({
      cluster: null,
      topics: new Map(q.topics.map((t) => [t, { operations: allowed, describeDenied: false, exists: topics.has(t) }])),
      groups: new Map(),
      principal: 'User:failover',
    }),
    close: async () => {},
  };
  return port as unknown as KafkaPort;
}

/** The latest lease record of the pair, as the target cluster holds it. */
async function leaseRecord(port: KafkaPort): Promise<LockHolder | undefined> {
  let found: LockHolder | undefined;
  await port.readRange(LEASE_TOPIC, 0, 0, Number.MAX_SAFE_INTEGER, (r) => {
    if (r.key?.toString() === PAIR) found = JSON.parse(r.value!.toString()) as LockHolder;
  });
  return found;
}

describe('lease on the target cluster', () => {
  it('a second holder of the same run id (another resume process) is refused the live lease', async () => {
    const port = memoryKafka();
    const first = await TargetLease.acquire(port, PAIR, holderFor('run-1', 'op'), 30_000, false);
    try {
      await expect(TargetLease.acquire(port, PAIR, holderFor('run-1', 'op'), 30_000, false)).rejects.toThrow(
        /lease on the target cluster for this cluster pair: run run-1 by op@/,
      );
      await first.lease.assertHeld(); // the first holder was not displaced
    } finally {
      await first.lease.release();
    }
  });

  it("release compares tokens: a holder whose lease was stolen does not free the new holder's", async () => {
    const port = memoryKafka();
    const robbed = await TargetLease.acquire(port, PAIR, holderFor('run-1', 'op'), 30_000, false);
    const thief = holderFor('run-1', 'op'); // same run id, another process (token)
    const stolen = await TargetLease.acquire(port, PAIR, thief, 30_000, true);
    await robbed.lease.release(); // late release of the robbed holder
    expect((await leaseRecord(port))!.expiresAt).toBeGreaterThan(Date.now());
    expect(await leaseRecord(port)).toMatchObject({ token: thief.token });
    expect(stolen.stolenFrom).toMatchObject({ runId: 'run-1' });
    await stolen.lease.assertHeld();
    await stolen.lease.release();
    expect(await leaseRecord(port)).toMatchObject({ token: thief.token, expiresAt: 0 });
  });

  it('the unexpired lease of a holder found dead (its stale local lock was replaced) is taken over at once', async () => {
    const port = memoryKafka();
    const crashed = holderFor('run-1', 'op');
    await TargetLease.acquire(port, PAIR, crashed, 30_000, false); // never released: the process "crashed"
    const other = holderFor('run-2', 'op');
    await expect(TargetLease.acquire(port, PAIR, other, 30_000, false)).rejects.toThrow(/run run-1/);
    const resumed = await TargetLease.acquire(port, PAIR, holderFor('run-1', 'op'), 30_000, false, crashed);
    expect(await leaseRecord(port)).toMatchObject({ runId: 'run-1' });
    await resumed.lease.release();
  });
});

describe('the lock in runRunbook', () => {
  async function setup(allowed?: AclOperation[]) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-lock-run-'));
    const file = path.join(dir, 'rb.yaml');
    writeFileSync(file, 'apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n  - { id: hook, kind: exec, with: { command: ["true"] } }\n');
    const registry = new StepRegistry().register(execStep);
    const runbook = await loadRunbook(file, registry, {});
    const port = memoryKafka(allowed);
    const runsDir = path.join(dir, 'runs');
    const run = (runId: string) => runRunbook({ runbook, clusters, registry, dryRun: false, yes: true, runsDir, runId, kafka: () => port, operator: 'tester' });
    return { runsDir, port, run };
  }

  it("a principal without the lease topic's ACLs is told which before anything is written (exit 3, no lease topic created)", async () => {
    const { port, run } = await setup(['CREATE', 'DESCRIBE']);
    const e = await run('run-1').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KafkaFailoverError);
    expect((e as KafkaFailoverError).exitCode).toBe(ExitCode.GateBlocked);
    expect((e as Error).message).toContain('MISSING b: TOPIC "kafka-failover-lease.internal" WRITE for User:failover');
    expect((e as Error).message).toContain('MISSING b: TOPIC "kafka-failover-lease.internal" READ for User:failover');
    expect(await port.listTopics()).toEqual([]);
  });

  it('a failure while opening the audit log releases the lease and the local lock', async () => {
    const { runsDir, port, run } = await setup();
    mkdirSync(path.join(runsDir, 'run-1', 'audit.jsonl'), { recursive: true }); // a directory: the log cannot be opened
    await expect(run('run-1')).rejects.toThrow(/EISDIR/);
    expect(await leaseRecord(port)).toMatchObject({ runId: 'run-1', expiresAt: 0 });
    takeLocalLock(runsDir, PAIR, holderFor('run-2', 'tester'), false).release(); // free: no LockHeldError
    const next = await run('run-2');
    expect(next.exitCode).toBe(0);
  });

  it('a run that replaces a stale local lock records the dead holder in its lock.acquired audit record', async () => {
    const { runsDir, run } = await setup();
    mkdirSync(runsDir, { recursive: true });
    // A process takes the local lock and exits without releasing it (lock-racer.ts, run by tsx).
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/unit/engine/lock-racer.ts'), runsDir, PAIR, 'crashed-run'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out === 'ready\n') child.stdin.write('go\n');
      if (out.includes('"held":true')) child.stdin.end(); // it exits, its lock stays: stale
    });
    await new Promise((resolve) => child.once('exit', resolve));
    expect(out).toContain('"held":true');
    const r = await run('run-3');
    expect(r.exitCode).toBe(0);
    const audit = readFileSync(r.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string });
    expect(audit.find((e) => e.kind === 'lock.acquired')).toMatchObject({ replacedStale: { runId: 'crashed-run', operator: 'racer', pid: child.pid } });
  }, 30_000);
});
