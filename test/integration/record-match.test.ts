/**
 * Exact translation by record matching and the continuity proof (issue 15), against real MirrorMaker 2:
 * - a burst of 6,000 records into 6 partitions with 40 groups committed at spread positions; a transactional topic
 *   (committed and aborted transactions; groups at commit markers) and a compacted topic (groups at offsets compaction
 *   removed): `offsets translate --verify` translates every (group, partition) and proves it, and each translated
 *   offset holds exactly the record the group reads next on primary — both records read back and compared byte for
 *   byte (key, value, timestamp), not by the tool's digests;
 * - a record another producer wrote into the remote topic on dr with the content of the record a group reads next is
 *   never taken for its copy, and a plan pointing at it fails the proof;
 * - a runbook whose reset is fed a hand-written plan one record past the right offset on one partition blocks at the
 *   continuity gate (exit 3) before any write, naming that partition.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import type { RawRecord } from '../../src/kafka/read-partition.js';
import { proveContinuity } from '../../src/mm2/continuity.js';
import { replicationLag } from '../../src/mm2/lag.js';
import type { OffsetPlanRow } from '../../src/mm2/plan.js';
import { waitFor } from '../../src/util/wait.js';
import { eventually, kafkaFor, readAll, resetSharedSandbox, runCli, sandbox, sandboxFlow, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('rm').replace('rm-', '');
const burst = { name: `burst-${id}`, partitions: 6 };
const tx = { name: `tx-${id}`, partitions: 3 };
const compacted = { name: `cmp-${id}`, partitions: 1 };
const foreign = { name: `fx-${id}`, partitions: 1 };
const all = [burst, tx, compacted, foreign];
const group = (name: string) => `rm-${id}-${name}`;
let primary: KafkaPort;
let dr: KafkaPort;
let tmp: string;
const clusters = () => ['--clusters', sandbox().clustersFile];

/** Records of every partition of a topic on a cluster, read from 0 to the end. */
async function records(alias: 'primary' | 'dr', topic: string, partitions: number): Promise<RawRecord[][]> {
  return Promise.all(Array.from({ length: partitions }, (_, p) => readAll(alias, topic, p)));
}
const same = (a: RawRecord | undefined, b: RawRecord | undefined) =>
  a !== undefined &&
  b !== undefined &&
  a.timestamp === b.timestamp &&
  Buffer.compare(a.key ?? Buffer.alloc(0), b.key ?? Buffer.alloc(0)) === 0 &&
  Buffer.compare(a.value ?? Buffer.alloc(0), b.value ?? Buffer.alloc(0)) === 0 &&
  (a.key === null) === (b.key === null);

/** Commits `offset(partition, end)` for `groupId` on every partition of `topic` on primary (admin commit). */
async function commitAt(groupId: string, topic: string, offsets: number[]) {
  await primary.commitOffsets(
    groupId,
    offsets.map((offset, partition) => ({ topic, partition, offset })),
  );
}

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-record-match-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await primary.createTopic(burst.name, burst.partitions);
  await primary.createTopic(tx.name, tx.partitions);
  await primary.createTopic(foreign.name, foreign.partitions);
  await primary.createTopic(compacted.name, compacted.partitions, undefined, {
    'cleanup.policy': 'compact',
    'segment.ms': '100',
    'min.cleanable.dirty.ratio': '0.01',
    'delete.retention.ms': '100',
    'min.compaction.lag.ms': '0',
  });

  // The burst: 6,000 records as fast as the producer goes, 500 per request.
  for (let b = 0; b < 12; b++)
    await primary.produce(
      burst.name,
      Array.from({ length: 500 }, (_, i) => ({ key: `k${(b * 500 + i) % 97}`, value: `burst-${b * 500 + i}`, partition: (b * 500 + i) % burst.partitions })),
    );

  // Transactions: 9 of 30 records each over 3 partitions, every third from the second aborted (commit and abort markers in the log; the last one committed).
  const kafka = kafkaFor('primary');
  const producer = kafka.producer({ transactionalId: `rm-tx-${id}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let t = 0; t < 9; t++) {
      const txn = await producer.transaction();
      await txn.send({
        topic: tx.name,
        messages: Array.from({ length: 30 }, (_, i) => ({ key: `t${t}`, value: `tx-${t}-${i}`, partition: i % tx.partitions })),
      });
      if (t % 3 === 1) await txn.abort();
      else await txn.commit();
    }
  } finally {
    await producer.disconnect();
  }

  // Compaction: keep writing 10 keys (a condition polled, not a sleep) until the log has offsets compaction removed.
  let n = 0;
  await eventually(
    'the compacted topic to have offsets removed by the log cleaner on primary',
    async () => {
      await primary.produce(
        compacted.name,
        Array.from({ length: 50 }, () => ({ key: `c${n % 10}`, value: `cmp-${n++}` })),
      );
      const [p] = await primary.partitionOffsets(compacted.name);
      const read = await readAll('primary', compacted.name, 0);
      return read.length < p!.highWatermark - p!.logStartOffset - 50 ? true : undefined;
    },
    120_000,
  );
  // A tail of unique keys, then no more cleaning on primary (delete policy, no retention): the records groups are
  // positioned at stay as they are while the test translates and proves (dr keeps its own copied config and may still
  // compact, which translation and the proof handle).
  await primary.produce(
    compacted.name,
    Array.from({ length: 100 }, (_, i) => ({ key: `tail-${i}`, value: `tail-${i}` })),
  );
  const cfg = kafkaFor('primary').admin();
  await cfg.connect();
  try {
    await cfg.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: 2, // TOPIC (ConfigResourceTypes)
          name: compacted.name,
          configEntries: [
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'retention.ms', value: '-1' },
            { name: 'retention.bytes', value: '-1' },
          ],
        },
      ],
    });
  } finally {
    await cfg.disconnect();
  }

  // Foreign: 100 records replicated; then another producer writes, into the remote topic on dr, a record with the
  // very content (key, value, timestamp) that primary receives next — before primary receives it.
  const at = Date.now() - 60_000;
  const fp = kafka.producer();
  const dp = kafkaFor('dr').producer();
  await Promise.all([fp.connect(), dp.connect()]);
  try {
    await fp.send({ topic: foreign.name, messages: Array.from({ length: 100 }, (_, i) => ({ key: `f${i}`, value: `fx-${i}`, timestamp: String(at + i) })) });
    await eventually('the foreign topic to be replicated', async () =>
      (await readAll('dr', `primary.${foreign.name}`, 0).catch(() => [])).length >= 100 ? true : undefined,
    );
    await dp.send({ topic: `primary.${foreign.name}`, messages: [{ key: 'f100', value: 'fx-100', timestamp: String(at + 100), partition: 0 }] });
    await fp.send({
      topic: foreign.name,
      messages: Array.from({ length: 50 }, (_, k) => ({ key: `f${100 + k}`, value: `fx-${100 + k}`, timestamp: String(at + 100 + k) })),
    });
  } finally {
    await Promise.allSettled([fp.disconnect(), dp.disconnect()]);
  }

  // Groups: 40 on the burst topic at spread positions (0 and the end included); on the transactional topic at each
  // commit marker, at an aborted record, at 0 and at the end; on the compacted topic at removed offsets; one on the
  // foreign topic at the record whose content the other producer wrote on dr.
  const ends = async (t: { name: string }) => (await primary.partitionOffsets(t.name)).map((p) => p.highWatermark);
  const burstEnds = await ends(burst);
  for (let k = 0; k < 40; k++)
    await commitAt(
      group(`b${k}`),
      burst.name,
      burstEnds.map((end, p) => Math.round((end * ((k * 7 + p * 3) % 41)) / 40)),
    );
  const txEnds = await ends(tx);
  const txRead = await records('primary', tx.name, tx.partitions);
  const markers = txRead.map((rs, p) => Array.from({ length: txEnds[p]! }, (_, o) => o).filter((o) => !rs.some((r) => r.offset === o)));
  for (let m = 0; m < 6; m++)
    await commitAt(
      group(`tx-m${m}`),
      tx.name,
      markers.map((ms) => ms[m] ?? 0),
    );
  await commitAt(
    group('tx-aborted'),
    tx.name,
    txRead.map((rs) => rs.find((r) => r.value?.toString().startsWith('tx-1-'))!.offset),
  );
  await commitAt(
    group('tx-start'),
    tx.name,
    txEnds.map(() => 0),
  );
  await commitAt(group('tx-end'), tx.name, txEnds);
  const cRead = await readAll('primary', compacted.name, 0);
  const [cEnd] = await ends(compacted);
  // Removed offsets: the log cleaner keeps the newest record per key, so the early offsets are gone.
  const present = new Set(cRead.map((r) => r.offset));
  const gaps = Array.from({ length: cEnd! }, (_, o) => o).filter((o) => !present.has(o));
  expect(gaps.length).toBeGreaterThan(50);
  for (let g = 0; g < 5; g++) await commitAt(group(`cmp-gap${g}`), compacted.name, [gaps[Math.floor((g * gaps.length) / 5)]!]);
  await commitAt(group('cmp-end'), compacted.name, [cEnd!]);
  await commitAt(group('fx'), foreign.name, [100]);

  // Everything replicated: each remote partition as long as its source (the target producer writes no markers, so
  // replicated = as many data records as primary holds; the foreign topic has the one extra record).
  await waitFor(
    'MM2 to replicate every record of the test topics',
    async () => {
      for (const t of all) {
        const src = await records('primary', t.name, t.partitions);
        const dst = await records('dr', `primary.${t.name}`, t.partitions).catch(() => undefined);
        if (!dst) throw new Error(`primary.${t.name} not readable on dr yet`);
        for (let p = 0; p < t.partitions; p++) {
          const last = src[p]!.at(-1);
          if (last && !dst[p]!.some((r) => same(r, last)))
            throw new Error(
              `${t.name}/${p}: primary's last record (offset ${last.offset}) not on dr (dr holds ${dst[p]!.length} records, primary ${src[p]!.length})`,
            );
        }
      }
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
  // …and MM2's offset syncs caught up with it (replication lag 0 by the syncs, as the planned failover's lag gate sees it).
  await waitFor(
    'replication lag 0 on every test partition by the offset syncs',
    async () => {
      const lag = await replicationLag({ flow: sandboxFlow(), source: primary, target: dr });
      const mine = lag.partitions.filter((p) => all.some((t) => t.name === p.sourceTopic));
      const behind = mine.filter((p) => p.lagRecords !== 0);
      if (mine.length !== all.reduce((n, t) => n + t.partitions, 0) || behind.length)
        throw new Error(`${mine.length} partitions seen, lagging: ${behind.map((p) => `${p.sourceTopic}/${p.partition} ${p.lagRecords}`).join(', ')}`);
    },
    { timeoutMs: 120_000, intervalMs: 1000 },
  );
}, 420_000);

afterAll(async () => {
  await Promise.allSettled([primary?.close(), dr?.close()]);
});

describe('record matching against real MM2', () => {
  let rows: (OffsetPlanRow & { kind: string })[];
  let proof: { verdict: string; group: string; topic: string; partition: number; targetOffset: number }[];

  it('offsets translate --verify translates every (group, partition) exactly and proves each', async () => {
    // The foreign topic's group has its own test below.
    const r = await runCli(['offsets', 'translate', ...clusters(), '--group', `^rm-${id}-(b|tx|cmp).*$`, '--verify', '--output', 'json']);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    rows = lines.filter((l) => l.kind === 'translated') as typeof rows;
    proof = lines.filter((l) => l.kind === 'continuity') as typeof proof;
    expect(
      proof.filter((p) => p.verdict !== 'exact').map((p) => (p as unknown as { detail: string }).detail),
      'rows the continuity proof did not find exact',
    ).toEqual([]);
    const untranslated = lines.filter((l) => l.kind === 'untranslated' && !l.fallback);
    expect(untranslated).toEqual([]);
    const committed = 40 * burst.partitions + 9 * tx.partitions + 6 * compacted.partitions;
    expect(rows.length).toBe(committed);
    expect(rows.filter((p) => p.basis !== 'record-match' || p.reReadRecords !== 0 || p.problem)).toEqual([]);
    expect(proof.length).toBe(committed);
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = lines.find((l) => l.kind === 'summary')!;
    expect(summary.continuity).toMatchObject({ id: 'offset-continuity', ok: true });
    console.info(
      `record match: ${rows.length} (group, partition) exact, ${summary.reads.recordMatch.sourceRecords} source and ${summary.reads.recordMatch.targetRecords} target records read`,
    );
  });

  it('each translated offset splits dr exactly where the group stopped on primary (every record of both read back and compared)', async () => {
    // Independent of the tool's digests: each record's content (timestamp, key, value) maps a dr record to its primary
    // original. Exact means: every dr record before the target offset is a copy of a record the group read on primary
    // (offset < its committed offset) — nothing skipped — and every one from it on is a copy of a record it had not
    // read — nothing re-read. (A dr record whose original the primary compacted away since has no primary offset to
    // compare and is left out.)
    const content = (r: RawRecord) => `${r.timestamp}|${r.key?.toString('base64') ?? '-'}|${r.value?.toString('base64') ?? '-'}`;
    for (const t of [burst, tx, compacted]) {
      const src = await records('primary', t.name, t.partitions);
      const dst = await records('dr', `primary.${t.name}`, t.partitions);
      for (const row of rows.filter((x) => x.sourceTopic === t.name)) {
        const origin = new Map(src[row.partition]!.map((r) => [content(r), r.offset]));
        const u = row.sourceCommittedOffset!;
        const where = `${row.group} ${row.topic}/${row.partition} (source ${u}, target ${row.targetOffset})`;
        const known = dst[row.partition]!.filter((r) => origin.has(content(r)));
        const skipped = known.filter((r) => r.offset < row.targetOffset && origin.get(content(r))! >= u).length;
        const reRead = known.filter((r) => r.offset >= row.targetOffset && origin.get(content(r))! < u).length;
        expect({ where, skipped, reRead }).toEqual({ where, skipped: 0, reRead: 0 });
      }
    }
  });

  it("another producer's record with the next record's content is never taken for its copy, and a plan pointing at it fails the proof (exit 3)", async () => {
    const dst = await readAll('dr', `primary.${foreign.name}`, 0);
    expect(dst.filter((r) => r.value?.toString() === 'fx-100').map((r) => r.offset)).toEqual([100, 101]); // the foreign record, then MM2's copy
    const r = await runCli(['offsets', 'translate', ...clusters(), '--group', `^${group('fx')}$`, '--verify', '--output', 'json']);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    const fx = lines.find((l) => l.kind === 'translated')!;
    // The twins' neighbours disagree (the foreign one is followed by the copy, the copy preceded by the foreign one):
    // no match is confirmed, MM2's own translation stays — and it is not past the copy.
    expect(fx.basis).not.toBe('record-match');
    expect(fx.targetOffset).toBeLessThanOrEqual(101);
    const proof = lines.find((l) => l.kind === 'continuity')!;
    if (fx.targetOffset <= 100) {
      expect(r.exitCode, r.stderr).toBe(3);
      expect(proof).toMatchObject({ verdict: 'foreign-records', ok: false, copyOffset: 101 });
    } else expect(proof).toMatchObject({ verdict: 'exact', ok: true });
    // Proven directly: a plan at the foreign record fails; at MM2's copy it is exact.
    const [atForeign, atCopy] = await proveContinuity({
      source: primary,
      target: dr,
      rows: [100, 101].map((targetOffset) => ({ group: fx.group, sourceTopic: foreign.name, topic: fx.topic, partition: 0, sourceOffset: 100, targetOffset })),
    });
    expect(atForeign).toMatchObject({ verdict: 'foreign-records', ok: false, copyOffset: 101 });
    expect(atCopy).toMatchObject({ verdict: 'exact', ok: true });
  });

  it('a hand-written plan one record past the right offset on one partition blocks the reset at the continuity gate (exit 3), nothing written', async () => {
    const victim = group('b5');
    const plan = rows.filter((r) => r.group === victim).map(({ kind: _kind, ...r }) => ({ ...r, group: `${victim}-planted` }));
    const wrong = plan.find((r) => r.targetOffset < r.highWatermark)!;
    wrong.targetOffset += 1;
    // The source position the plan claims must be the planted group's own: give it the victim's commits on primary.
    await primary.commitOffsets(
      `${victim}-planted`,
      plan.map((r) => ({ topic: r.sourceTopic, partition: r.partition, offset: r.sourceCommittedOffset! })),
    );
    const runbook = path.join(tmp, 'planted.yaml');
    writeFileSync(
      runbook,
      [
        'apiVersion: kafka-failover/v1',
        'name: planted-mismatch',
        'flow: primary->dr',
        'steps:',
        '  - id: reset',
        '    kind: reset-consumer-groups',
        `    with: { plan: ${JSON.stringify(plan)} }`,
        '',
      ].join('\n'),
    );
    const r = await runCli(['run', runbook, '--yes', '--output', 'json', ...clusters(), '--runs-dir', path.join(tmp, 'runs')]);
    expect(r.exitCode, r.stderr).toBe(3);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    const runId = events.find((e) => e.kind === 'run.started')!.runId as string;
    const audit = (await readFile(path.join(tmp, 'runs', runId, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    const gate = audit.find((e) => e.kind === 'gate' && e.final && e.step === 'reset' && e.gate.id === 'offset-continuity');
    expect(gate).toMatchObject({ gate: { ok: false, observed: { skips: 1, exact: plan.length - 1 } } });
    expect(gate!.gate.observed.failures).toEqual([
      expect.stringContaining(`${victim}-planted ${wrong.topic}/${wrong.partition} at target offset ${wrong.targetOffset} `),
    ]);
    expect(gate!.gate.observed.failures[0]).toContain('skips 1 record(s)');
    expect(audit.filter((e) => String(e.kind).startsWith('write.'))).toEqual([]);
    expect(await dr.committedOffsets(`${victim}-planted`)).toEqual([]);
  });
});
