/**
 * `translate-back` (the failback plan) over in-memory clusters, with the forward (primary → dr) and reverse
 * (dr → primary) offset syncs written by a model of MM2's source task (test/unit/mm2/memory-kafka.ts) over
 * non-dense logs. Returning topics map a dr offset D back through the forward syncs (newest sync with Dₛ ≤ D:
 * U + (D − Dₛ)); DR-local topics go through the reverse checkpoints; records of the old primary past the replicated
 * end are counted and exported. Every expected offset is derived by hand in the comment next to it.
 *
 * primary `orders`/0: data 0–24, a compaction gap 25–29, data 30–79 (high watermark 80). MM2 copied upstream 0–59
 * to dr `primary.orders`/0 0–54 (HWM 55) with syncs 0→0 and 30→25 (the gap), then primary died: 60–79 never left it.
 * dr `payments`/0 (written during the DR period): 0–29, copied back by the reverse MM2 to primary `dr.payments`
 * with offset.lag.max 10: syncs 0→0, 11→11, 22→22.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadedClusters } from '../../../src/clusters/load.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import type { KafkaPort } from '../../../src/kafka/port.js';
import type { StepContext } from '../../../src/engine/step.js';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { offsetPlan } from '../../../src/mm2/plan.js';
import { translateBack } from '../../../src/steps/translate-back.js';
import { MemoryKafka, mirrorPartition } from '../mm2/memory-kafka.js';

const NOW = 1_800_000_000_000;
const reverse: FlowConfig = {
  source: 'dr',
  target: 'primary',
  replicationPolicy: 'default',
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: ['connect-.*'],
  topicsExclude: [],
};

function world() {
  const primary = new MemoryKafka('primary');
  const dr = new MemoryKafka('dr');
  primary.partitionWith('orders', 0, [...Array.from({ length: 25 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => 30 + i)]);
  mirrorPartition({
    source: primary,
    topic: 'orders',
    partition: 0,
    target: dr,
    remote: 'primary.orders',
    syncsCluster: primary,
    syncsTopic: 'mm2-offset-syncs.dr.internal',
    until: 60,
  });
  dr.partitionWith(
    'payments',
    0,
    Array.from({ length: 30 }, (_, i) => i),
  );
  mirrorPartition({
    source: dr,
    topic: 'payments',
    partition: 0,
    target: primary,
    remote: 'dr.payments',
    syncsCluster: dr,
    syncsTopic: 'mm2-offset-syncs.primary.internal',
    maxOffsetLag: 10,
  });
  primary.topic('dr.checkpoints.internal', 1);
  dr.commit('billing', 'primary.orders', 0, 40, 'b-meta');
  dr.commit('billing', 'payments', 0, 25);
  dr.commit('shipping', 'primary.orders', 0, 10);
  // The reverse MM2 checkpointed billing on payments at g = 25: floor 22→22, 25 ≠ 22 → 23.
  primary.writeCheckpoint(
    'dr.checkpoints.internal',
    { group: 'billing', topic: 'dr.payments', partition: 0, upstreamOffset: 25, downstreamOffset: 23, metadata: '' },
    NOW - 5000,
  );
  return { primary, dr };
}

function ctx(w: { primary: MemoryKafka; dr: MemoryKafka }, onSleep: (n: number) => void = () => {}) {
  let now = NOW;
  let sleeps = 0;
  const notes: string[] = [];
  const c = {
    stepId: 'translate',
    dryRun: false,
    flow: reverse,
    kafka: (alias: string) => (alias === 'primary' ? w.primary.port() : w.dr.port()),
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
      onSleep(++sleeps);
    },
    note: (m: string) => notes.push(m),
  } as unknown as StepContext;
  return { c, notes, sleeps: () => sleeps };
}

const run = async (w: ReturnType<typeof world>, input: Record<string, unknown> = {}, onSleep?: (n: number) => void) => {
  const x = ctx(w, onSleep);
  // The hand-derived offsets below are MM2's (forward syncs reversed, reverse checkpoints); record matching: its own test.
  const r = await translateBack.check(x.c, translateBack.input.parse({ checkpointWaitMs: 0, method: 'mm2', ...input }));
  const gates = Object.fromEntries((r.gates ?? []).map((g) => [g.id, g]));
  return {
    ...r,
    gates,
    notes: x.notes,
    sleeps: x.sleeps(),
    outputs: r.outputs as { plan: Record<string, unknown>[]; neverReplicated: unknown[]; neverReplicatedRecords: number },
  };
};

describe('translate-back', () => {
  it('maps returning topics back through the forward syncs and DR-local topics through the reverse checkpoints', async () => {
    const r = await run(world());
    // Every row is exactly an offset-plan row (src/mm2/plan.ts): the schema neither rejects nor strips anything.
    expect(offsetPlan.parse(r.outputs.plan)).toEqual(r.outputs.plan);
    expect(r.outputs.plan).toMatchObject([
      // dr 40: newest forward sync with Dₛ ≤ 40 is 30→25 → 30 + (40 − 25) = 45 (dr 40 is the copy of upstream 45).
      {
        group: 'billing',
        topic: 'orders',
        partition: 0,
        targetOffset: 45,
        metadata: 'b-meta',
        reReadRecords: null,
        basis: 'forward-offset-sync-reversed',
        sourceTopic: 'primary.orders',
        sourceCommittedOffset: 40,
        logStartOffset: 0,
        highWatermark: 80,
      },
      // dr 10: sync 0→0 → 10 (before the gap, one for one).
      {
        group: 'shipping',
        topic: 'orders',
        partition: 0,
        targetOffset: 10,
        metadata: '',
        reReadRecords: null,
        basis: 'forward-offset-sync-reversed',
        sourceTopic: 'primary.orders',
        sourceCommittedOffset: 10,
      },
      // payments 25: the reverse checkpoint 25→23; re-reads 22 + (25 − 22) − 23 = 2.
      {
        group: 'billing',
        topic: 'dr.payments',
        partition: 0,
        targetOffset: 23,
        metadata: '',
        reReadRecords: 2,
        basis: 'checkpoint',
        sourceTopic: 'payments',
        sourceCommittedOffset: 25,
      },
    ]);
    expect(Object.values(r.gates).map((g) => [g.id, g.ok])).toEqual([
      ['offsets-in-range', true],
      ['groups-translated', true],
      ['groups-found', true],
    ]);
  });

  it('record-match (the default): every row exact, and a group at the end of the copy resumes before the never-replicated tail', async () => {
    const w = world();
    w.dr.commit('tail', 'primary.orders', 0, 55); // consumed dr's whole copy (upstream 0–59)
    const r = await run(w, { method: 'record-match' });
    const row = (group: string, topic: string) => r.outputs.plan.find((p) => p.group === group && p.topic === topic);
    // dr 40 is the copy of upstream 45; dr 10 of upstream 10; dr payments 25 was copied to dr.payments 25.
    expect(row('billing', 'orders')).toMatchObject({ targetOffset: 45, basis: 'record-match', reReadRecords: 0 });
    expect(row('shipping', 'orders')).toMatchObject({ targetOffset: 10, basis: 'record-match', reReadRecords: 0 });
    expect(row('billing', 'dr.payments')).toMatchObject({ targetOffset: 25, basis: 'record-match', reReadRecords: 0 });
    // Right after the original of dr's last record (upstream 59), not primary's high watermark 80: it reads 60–79.
    expect(row('tail', 'orders')).toMatchObject({ targetOffset: 60, basis: 'record-match' });
  });

  it("record-match reads the original's bounds after the copy's: a stale end read earlier (the copy grew meanwhile) does not hide R's successor", async () => {
    const w = world();
    // The first read of primary's orders bounds (the plan's) sees it end at 46: the original of dr 40 (upstream 45)
    // is in, its successor (46) not yet — as when MM2 copies on between the two reads. Later reads see the truth (80).
    const port = w.primary.port();
    let reads = 0;
    const stale = new Proxy(port, {
      get(target, key) {
        if (key === 'partitionOffsets')
          return async (topic: string) => {
            const b = await target.partitionOffsets(topic);
            return topic === 'orders' && reads++ === 0 ? b.map((x) => ({ ...x, highWatermark: 46 })) : b;
          };
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as KafkaPort;
    const x = ctx(w);
    const c = { ...x.c, kafka: (alias: string) => (alias === 'primary' ? stale : w.dr.port()) } as unknown as StepContext;
    const r = await translateBack.check(c, translateBack.input.parse({ checkpointWaitMs: 0, method: 'record-match' }));
    const row = (r.outputs as { plan: Record<string, unknown>[] }).plan.find((p) => p.group === 'billing' && p.topic === 'orders');
    expect(reads).toBeGreaterThan(1);
    // Matched within the bounds read after the copy's, and range-checked against them (no out-of-range problem).
    expect(row).toMatchObject({ targetOffset: 45, basis: 'record-match', reReadRecords: 0, highWatermark: 80 });
    expect(row!.problem).toBeUndefined();
  });

  it('counts the records that never left the old primary: from the replicated end mapped back to its high watermark', async () => {
    const r = await run(world());
    // dr's end 55 maps back through 30→25 to 30 + 30 = 60; primary's high watermark is 80: [60, 80), 20 records.
    expect(r.outputs.neverReplicated).toEqual([{ topic: 'orders', partition: 0, fromOffset: 60, toOffset: 80, records: 20 }]);
    expect(r.outputs.neverReplicatedRecords).toBe(20);
    expect(r.notes[0]).toContain('20 record(s) on primary never reached dr (orders/0 [60, 80))');
  });

  it('never skips when a middle forward sync was compacted away: the mapped offset falls before the true one', async () => {
    const w = world();
    // Syncs-topic compaction removed 30→25 but kept 0→0 and a later one, 50→45 (written by a flush).
    const syncs = w.primary.topics.get('mm2-offset-syncs.dr.internal')![0]!;
    syncs.records = syncs.records.slice(0, 1);
    w.primary.writeOffsetSync('mm2-offset-syncs.dr.internal', { topic: 'orders', partition: 0, upstreamOffset: 50, downstreamOffset: 45 });
    const r = await run(w, { groups: 'billing' });
    // dr 40: newest sync with Dₛ ≤ 40 is now 0→0 → 40; the record at dr 40 is upstream 45, so 5 records are re-read.
    expect(r.outputs.plan.find((p) => p.topic === 'orders')).toMatchObject({ targetOffset: 40 });
  });

  it('fails closed: a dr offset below every forward sync, and a DR-local partition with no reverse translation', async () => {
    const w = world();
    const syncs = w.primary.topics.get('mm2-offset-syncs.dr.internal')![0]!;
    syncs.records = syncs.records.slice(1); // only 30→25 left
    w.dr.commit('connect-sink', 'payments', 0, 5); // MM2's groups filter excludes it: no reverse checkpoint, no fallback
    const r = await run(w);
    expect(r.gates['groups-translated']).toMatchObject({
      ok: false,
      observed: {
        untranslatable: ['shipping primary.orders/0@10: no forward offset sync at or below it', 'connect-sink payments/0: excluded-by-mm2-groups-filter'],
      },
    });
  });

  it("blocks a planned offset outside the old primary's log (retention deleted it)", async () => {
    const w = world();
    w.primary.topics.get('orders')![0]!.logStartOffset = 50;
    const r = await run(w);
    expect(r.gates['offsets-in-range']).toMatchObject({
      ok: false,
      observed: {
        outOfRange: [
          'billing orders/0: target offset 45 is below the log start 50 of orders/0 (records deleted: the group would skip them)',
          'shipping orders/0: target offset 10 is below the log start 50 of orders/0 (records deleted: the group would skip them)',
        ],
      },
    });
  });

  it('no selected group with commits: groups-found fails', async () => {
    const r = await run(world(), { groups: 'nobody' });
    expect(r.gates['groups-found']).toMatchObject({ ok: false, observed: { groups: 0 } });
  });

  it('waits for a lagging reverse checkpoint (one sleep per second of checkpointWaitMs) and uses the newer one', async () => {
    const w = world();
    w.dr.commit('billing', 'payments', 0, 28); // consumed 3 more since the checkpoint at 25
    const caughtUp = await run(w, { checkpointWaitMs: 5000 }, (n) => {
      // MM2 checkpoints g = 28 after the second second: floor 22→22 → 23 again (D + 1), upstream 28.
      if (n === 2)
        w.primary.writeCheckpoint(
          'dr.checkpoints.internal',
          { group: 'billing', topic: 'dr.payments', partition: 0, upstreamOffset: 28, downstreamOffset: 23, metadata: '' },
          NOW,
        );
    });
    expect(caughtUp.sleeps).toBe(2);
    expect(caughtUp.outputs.plan.find((p) => p.topic === 'dr.payments')).toMatchObject({ targetOffset: 23, sourceCommittedOffset: 28, reReadRecords: 5 }); // 22 + 6 − 23
    const w2 = world();
    w2.dr.commit('billing', 'payments', 0, 28);
    const gaveUp = await run(w2, { checkpointWaitMs: 3000 });
    expect(gaveUp.sleeps).toBe(3); // then plans from the older checkpoint: still no skip
    expect(gaveUp.outputs.plan.find((p) => p.topic === 'dr.payments')).toMatchObject({ targetOffset: 23 });
  });
});

describe('translate-back export file, through the executor', () => {
  /** Runs a one-step failback runbook (translate-back with `exportFile`) over the in-memory world. */
  async function runExport(dryRun: boolean) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kf-tb-'));
    const file = path.join(dir, 'never.jsonl');
    const rb = path.join(dir, 'rb.yaml');
    writeFileSync(
      rb,
      `apiVersion: kafka-failover/v1\nname: t\nflow: dr->primary\nsteps:\n  - id: translate\n    kind: translate-back\n    with: { checkpointWaitMs: 0, exportFile: ${JSON.stringify(file)} }\n`,
    );
    const registry = new StepRegistry().register(translateBack);
    const clusters: LoadedClusters = {
      file: 'clusters.yaml',
      config: { clusters: { primary: { bootstrapServers: ['h:1'] }, dr: { bootstrapServers: ['h:2'] } }, flows: [reverse] },
    };
    const w = world();
    // The audit anchor of a real run (src/engine/audit-anchor.ts) is produced to the target: accepted and dropped here.
    const kafka = (alias: string): KafkaPort => ({ ...(alias === 'primary' ? w.primary : w.dr).port(), createTopic: async () => {}, produce: async () => [] });
    const r = await runRunbook({
      runbook: await loadRunbook(rb, registry, {}),
      clusters,
      registry,
      dryRun,
      yes: true,
      runsDir: path.join(dir, 'runs'),
      kafka,
      lock: false,
      operator: 'tester',
    });
    return { r, file, writes: r.events.filter((e) => e.kind.startsWith('write.')) };
  }
  const described = { action: 'export never-replicated records', details: { records: 20, ranges: ['orders/0 [60, 80)'] } };

  it('a dry-run (what `plan` runs) writes no file: the export is a "would" record with the exact ranges', async () => {
    const { r, file, writes } = await runExport(true);
    expect(r.outcome).toBe('succeeded');
    expect(existsSync(file)).toBe(false);
    expect(writes).toMatchObject([{ kind: 'write.would', write: { ...described, details: { ...described.details, file } } }]);
  });

  it('a real run writes exactly the never-replicated records, audited as a write', async () => {
    const { r, file, writes } = await runExport(false);
    expect(r.outcome).toBe('succeeded');
    expect(writes.map((e) => e.kind)).toEqual(['write.intent', 'write.done']);
    expect(writes[1]).toMatchObject({ write: { ...described, details: { ...described.details, file } }, result: { file, records: 20 } });
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { topic: string; partition: number; offset: number; value: string });
    // primary orders/0 [60, 80): offsets 60–79, values v60…v79 (memory-kafka writes `v<offset>`).
    expect(lines.map((l) => [l.topic, l.partition, l.offset])).toEqual(Array.from({ length: 20 }, (_, i) => ['orders', 0, 60 + i]));
    expect(lines.map((l) => Buffer.from(l.value, 'base64').toString())).toEqual(Array.from({ length: 20 }, (_, i) => `v${60 + i}`));
  });
});
