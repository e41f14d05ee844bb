/**
 * Path 3 of a workload move (src/steps/translate-via-origin.ts) over in-memory clusters: two aggregate clusters `agg1`
 * and `agg2` each hold a copy `r1.orders` of the regional cluster r1's `orders` (flows r1->agg1, r1->agg2) and there is
 * no flow between the aggregates. agg1's groups move to agg2 (a move pair with no flow, src/clusters/load.ts movePair).
 *
 * The oracle is the construction itself: r1's `orders` has a gap (offsets 25–29 do not exist: compaction or
 * transaction markers), so agg1's copy holds upstream offset u at u (u < 25) or u − 5 (u ≥ 30); agg2's copy starts
 * with 5 records of an earlier generation (foreign to r1's log), so it holds u at agg1's position + 5. A group
 * committed at 40 on agg1 reads upstream 45 next, which is at 45 on agg2. r1->agg1 kept a single offset sync and
 * r1->agg2's are sparse (every 10 records), so neither hop is exact without record matching.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFlow, type LoadedClusters, movePair } from '../../../src/clusters/load.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { ValidationError } from '../../../src/errors.js';
import { builtinRegistry } from '../../../src/steps/index.js';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import type { StepContext } from '../../../src/engine/step.js';
import { originOf, planViaOrigin, planViaOriginOnce } from '../../../src/steps/translate-via-origin.js';
import { translateMove } from '../../../src/steps/translate-move.js';
import { MemoryKafka, mirrorPartition } from '../mm2/memory-kafka.js';

const flow = (source: string, target: string): FlowConfig => ({
  source,
  target,
  replicationPolicy: 'default',
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: ['connect-.*'],
  topicsExclude: [],
});
const flows = [flow('r1', 'agg1'), flow('r2', 'agg1'), flow('r1', 'agg2')];
const pair = movePair('agg1', 'agg2');

function world(o: { agg2Until?: number } = {}) {
  const c = { r1: new MemoryKafka('r1'), r2: new MemoryKafka('r2'), agg1: new MemoryKafka('agg1'), agg2: new MemoryKafka('agg2') };
  c.r1.partitionWith('orders', 0, [...Array.from({ length: 25 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => 30 + i)]);
  c.r2.partitionWith(
    'orders',
    0,
    Array.from({ length: 20 }, (_, i) => i),
  );
  mirrorPartition({
    source: c.r1,
    topic: 'orders',
    partition: 0,
    target: c.agg1,
    remote: 'r1.orders',
    syncsCluster: c.r1,
    syncsTopic: 'dense-syncs-unused',
    maxOffsetLag: 10,
  });
  // r1->agg1 kept one offset sync only (0 → 0): read backwards, agg1's offset d maps to r1's d — before the true
  // record past the gap (d + 5): hop 1 is exact only by record match.
  c.r1.writeOffsetSync('mm2-offset-syncs.agg1.internal', { topic: 'orders', partition: 0, upstreamOffset: 0, downstreamOffset: 0 });
  for (let i = 0; i < 5; i++) c.agg2.append('r1.orders', 0, { value: Buffer.from(`earlier-${i}`), timestamp: 1_000_000 + i });
  mirrorPartition({
    source: c.r1,
    topic: 'orders',
    partition: 0,
    target: c.agg2,
    remote: 'r1.orders',
    syncsCluster: c.r1,
    syncsTopic: 'mm2-offset-syncs.agg2.internal',
    maxOffsetLag: 10,
    ...(o.agg2Until !== undefined ? { until: o.agg2Until } : {}),
  });
  mirrorPartition({
    source: c.r2,
    topic: 'orders',
    partition: 0,
    target: c.agg1,
    remote: 'r2.orders',
    syncsCluster: c.r2,
    syncsTopic: 'mm2-offset-syncs.agg1.internal',
  });
  return c;
}

function ctx(c: ReturnType<typeof world>, fl: FlowConfig[] = flows) {
  const notes: string[] = [];
  let now = 1_800_000_000_000;
  return {
    notes,
    c: {
      stepId: 'translate',
      dryRun: true,
      flow: pair,
      flows: fl,
      kafka: (alias: string) => c[alias as keyof typeof c].port(),
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
      note: (m: string) => notes.push(m),
    } as unknown as StepContext,
  };
}

describe('originOf: which of X’s topics are copies of a third cluster’s', () => {
  it('names the flow into X, the original topic and the flow into Y with Y’s copy', () => {
    expect(originOf(flows, 'agg1', 'agg2', 'r1.orders')).toMatchObject({
      inbound: { source: 'r1', target: 'agg1' },
      originTopic: 'orders',
      outbound: { source: 'r1', target: 'agg2' },
      targetTopic: 'r1.orders',
    });
    expect(originOf(flows, 'agg1', 'agg2', 'r2.orders')).toMatchObject({ inbound: { source: 'r2' }, originTopic: 'orders' });
    expect(originOf(flows, 'agg1', 'agg2', 'r2.orders')?.outbound).toBeUndefined();
    expect(originOf(flows, 'agg1', 'agg2', 'orders')).toBeUndefined(); // agg1's own topic
    // A copy of Y's own topic is path 2 (the Y->X flow read backwards), not a third cluster's.
    expect(originOf([flow('agg2', 'agg1')], 'agg1', 'agg2', 'agg2.orders')).toBeUndefined();
    // Identity copies cannot be told from X's own topics.
    expect(originOf([{ ...flow('r1', 'agg1'), replicationPolicy: 'identity' }], 'agg1', 'agg2', 'orders')).toBeUndefined();
  });
});

describe('planViaOriginOnce: X’s copy → Z’s original → Y’s copy', () => {
  it('maps a group’s offset through r1’s offsets, exact on both hops by record match', async () => {
    const c = world();
    c.agg1.commit('analytics', 'r1.orders', 0, 40);
    c.agg1.commit('audit', 'r1.orders', 0, 75); // consumed agg1's whole copy (high watermark 75)
    c.agg1.commit('early', 'r1.orders', 0, 3);
    const p = await planViaOriginOnce(ctx(c).c, pair, flows, { groups: '.*', method: 'record-match' });
    const rows = Object.fromEntries(p.rows.map((r) => [r.group, r]));
    // agg1 40 → r1 45 (40 ≥ 25: +5 for the gap) → agg2 45 + 0 (agg2 = agg1 position + 5).
    expect(rows.analytics).toMatchObject({ topic: 'r1.orders', sourceTopic: 'r1.orders', targetOffset: 45, basis: 'record-match', reReadRecords: 0 });
    expect(rows.audit).toMatchObject({ targetOffset: 80, basis: 'record-match' }); // right after the copy of r1's last record
    expect(rows.early).toMatchObject({ targetOffset: 8, basis: 'record-match' });
    expect(rows.analytics?.path).toBe(
      "agg1:r1.orders → agg2:r1.orders (copy of r1's orders on both: r1->agg1 offset syncs read backwards to r1:orders@45, then r1->agg2 offset syncs, record match on both hops)",
    );
    expect(p.exact).toBe(3);
    expect(p.untranslatable).toEqual([]);
  });

  it('with offset syncs alone (method mm2) stays at or before the true position on both hops', async () => {
    const c = world();
    c.agg1.commit('analytics', 'r1.orders', 0, 40);
    const p = await planViaOriginOnce(ctx(c).c, pair, flows, { groups: '.*', method: 'mm2' });
    const row = p.rows[0]!;
    expect(row.basis).toBe('origin-offset-syncs');
    expect(row.reReadRecords).toBeNull();
    expect(row.targetOffset).toBeLessThanOrEqual(45);
    expect(row.targetOffset).toBeGreaterThanOrEqual(5); // never into agg2's foreign records before the copy
  });

  it('when Y’s copy has not caught up, keeps the conservative offset (never past Y’s copy of what the group read)', async () => {
    const c = world({ agg2Until: 40 }); // r1's records from 40 on have not reached agg2
    c.agg1.commit('analytics', 'r1.orders', 0, 50); // reads r1 55 next: not on agg2
    const p = await planViaOriginOnce(ctx(c).c, pair, flows, { groups: '.*', method: 'record-match' });
    expect(p.rows[0]).toMatchObject({ basis: 'origin-offset-syncs', reReadRecords: null });
    expect(p.rows[0]!.targetOffset).toBeLessThanOrEqual(c.agg2.topics.get('r1.orders')![0]!.highWatermark);
    expect(p.rows[0]!.reReadNote).toContain('not found on agg2');
  });

  it('while waiting for Y’s copy, reads only the offset syncs MM2 wrote since the last plan, and ends exact', async () => {
    const c = world({ agg2Until: 40 });
    c.agg1.commit('analytics', 'r1.orders', 0, 50); // reads r1 55 next: not on agg2 until MM2 catches up
    const syncsTopic = 'mm2-offset-syncs.agg2.internal';
    // Records of r1->agg2's offset-syncs topic each plan reads (r1's port, as the flow keeps its syncs on the source).
    const reads: number[] = [];
    const x = ctx(c);
    const base = x.c.kafka;
    const counting = (alias: string) => {
      const port = base(alias);
      if (alias !== 'r1') return port;
      return {
        ...port,
        readRange: async (t: string, p: number, from: number, to: number, on: Parameters<typeof port.readRange>[4]) =>
          port.readRange(t, p, from, to, (r) => {
            if (t === syncsTopic) reads[reads.length - 1]!++;
            on(r);
          }),
        partitionOffsets: async (t: string) => {
          if (t === syncsTopic) reads.push(0);
          return port.partitionOffsets(t);
        },
      } as typeof port;
    };
    const syncsBefore = c.r1.topics.get(syncsTopic)![0]!.highWatermark;
    let newSyncs = 0;
    const sleep = x.c.sleep;
    const waiting = {
      ...x.c,
      kafka: counting,
      // During the first pause MM2 copies r1's records from 40 on to agg2, with an offset sync for each.
      sleep: async (ms: number) => {
        await sleep(ms);
        if (newSyncs > 0) return;
        for (const r of c.r1.topics.get('orders')![0]!.records.filter((r) => r.offset >= 40)) {
          const downstream = c.agg2.append('r1.orders', 0, { key: r.key, value: r.value, timestamp: r.timestamp });
          c.r1.writeOffsetSync(syncsTopic, { topic: 'orders', partition: 0, upstreamOffset: r.offset, downstreamOffset: downstream });
          newSyncs++;
        }
      },
    } as StepContext;
    const p = await planViaOrigin(waiting, pair, flows, { groups: '.*', method: 'record-match', waitMs: 10_000 });
    // r1 55 is at agg2 55: 5 earlier records and r1's 35 records below 40 came first, the rest were appended from 40 on.
    expect(p.rows[0]).toMatchObject({ basis: 'record-match', targetOffset: 55, reReadRecords: 0 });
    expect(reads).toEqual([syncsBefore, newSyncs]);
  });

  it('a copy whose origin has no flow into Y has no path: named, blocking', async () => {
    const c = world();
    c.agg1.commit('analytics', 'r2.orders', 0, 10);
    const p = await planViaOriginOnce(ctx(c).c, pair, flows, { groups: '.*', method: 'record-match' });
    expect(p.rows).toEqual([]);
    expect(p.untranslatable).toEqual(["analytics r2.orders/0@10: a copy of r2's orders, and no flow r2->agg2 brings it to agg2"]);
  });
});

describe('a copy with no flow from its origin into Y, on a move whose own flow X->Y exists', () => {
  it('is left to X->Y (path 1: X->Y replicates the copy onward, e.g. a hub’s copy of a spoke’s topic to another spoke)', async () => {
    const c = world();
    c.agg1.commit('analytics', 'r2.orders', 0, 10);
    const real = { ...flow('agg1', 'agg2') };
    const p = await planViaOriginOnce({ ...ctx(c).c, flow: real } as StepContext, real, [...flows, real], { groups: '.*', method: 'record-match' });
    expect(p).toMatchObject({ rows: [], untranslatable: [], exact: 0 });
    expect([...p.topics]).toEqual([]);
  });
});

describe('translate-move between two aggregates (no flow between them)', () => {
  it('plans every partition through the origin, and lets the origin’s flows into Y run: they cannot write the groups', async () => {
    const c = world();
    c.agg1.commit('analytics', 'r1.orders', 0, 40);
    const x = ctx(c);
    const r = await translateMove.check(x.c, translateMove.input.parse({ checkpointWaitMs: 0, conflictWindowMs: 0 }));
    const gates = Object.fromEntries((r.gates ?? []).map((g) => [g.id, g]));
    expect(((r.outputs?.plan ?? []) as { targetOffset: number }[]).map((p) => p.targetOffset)).toEqual([45]);
    expect(gates['stop-covers-writers']).toMatchObject({
      ok: true,
      observed: { writerFlows: { 'r1->agg2': ['r1.orders'] }, movedGroupsOnWriterSources: { r1: [] } },
    });
    expect(Object.values(gates).every((g) => g.ok)).toBe(true);
  });

  it('blocks when a moved group also lives on the origin: r1->agg2’s checkpoints could write it on agg2', async () => {
    const c = world();
    c.agg1.commit('analytics', 'r1.orders', 0, 40);
    c.r1.commit('analytics', 'orders', 0, 10);
    const r = await translateMove.check(ctx(c).c, translateMove.input.parse({ checkpointWaitMs: 0, conflictWindowMs: 0 }));
    const gate = r.gates?.find((g) => g.id === 'stop-covers-writers');
    expect(gate).toMatchObject({ ok: false, observed: { movedGroupsOnWriterSources: { r1: ['analytics'] } } });
    expect(gate?.expected).toContain('also stop r1->agg2');
  });

  it('blocks on a copy with no path (groups-translated names it)', async () => {
    const c = world();
    c.agg1.commit('analytics', 'r2.orders', 0, 10);
    const r = await translateMove.check(ctx(c).c, translateMove.input.parse({ checkpointWaitMs: 0, conflictWindowMs: 0 }));
    expect(r.gates?.find((g) => g.id === 'groups-translated')).toMatchObject({ ok: false });
  });
});

describe('translate-move from an aggregate to a regional cluster (agg1 → r1, no flow agg1->r1)', () => {
  const toRegion = movePair('agg1', 'r1');
  const regionCtx = (c: ReturnType<typeof world>) => ({ ...ctx(c).c, flow: toRegion }) as StepContext;

  it('maps the copy of r1’s own topic back to the original (r1->agg1 offset syncs read backwards, record match)', async () => {
    const c = world();
    c.agg1.commit('analytics', 'r1.orders', 0, 40); // reads r1 45 next (agg1 holds u at u − 5 from 30 on)
    const r = await translateMove.check(regionCtx(c), translateMove.input.parse({ checkpointWaitMs: 0, conflictWindowMs: 0 }));
    const plan = (r.outputs?.plan ?? []) as { group: string; topic: string; targetOffset: number; basis: string; path: string }[];
    expect(plan).toMatchObject([{ group: 'analytics', topic: 'orders', targetOffset: 45, basis: 'record-match' }]);
    expect(plan[0]!.path).toContain('r1->agg1');
    expect((r.gates ?? []).filter((g) => !g.ok).map((g) => g.id)).toEqual([]);
  });

  it('blocks on the copy of another region’s topic: r1 has no copy of r2’s orders (no flow r2->r1)', async () => {
    const c = world();
    c.agg1.commit('analytics', 'r1.orders', 0, 40);
    c.agg1.commit('analytics', 'r2.orders', 0, 10);
    const r = await translateMove.check(regionCtx(c), translateMove.input.parse({ checkpointWaitMs: 0, conflictWindowMs: 0 }));
    const gate = r.gates?.find((g) => g.id === 'groups-translated');
    expect(gate).toMatchObject({ ok: false });
    expect(JSON.stringify(gate?.observed)).toContain('no flow r2->r1 brings it to r1');
  });
});

describe('a runbook with requireFlow: false (runbooks/aggregate-move.yaml)', () => {
  const clusters = { file: 'c.yaml', flows, aliases: ['r1', 'r2', 'agg1', 'agg2'] };
  const load = (sets: Record<string, string>, file = path.join('runbooks', 'aggregate-move.yaml')) =>
    loadRunbook(file, builtinRegistry(), sets, { clusters }).catch((e: unknown) => e);

  it('loads between two clusters of the file with no flow between them', async () => {
    await expect(load({})).resolves.toMatchObject({ flow: { source: 'agg1', target: 'agg2' }, runbook: { requireFlow: false } });
    const loaded: LoadedClusters = {
      file: 'c.yaml',
      config: { clusters: { r1: { bootstrapServers: ['h:1'] }, agg1: { bootstrapServers: ['h:2'] }, agg2: { bootstrapServers: ['h:3'] } }, flows },
    };
    expect(findFlow(loaded, { source: 'agg1', target: 'agg2' }, { allowMovePair: true })).toMatchObject({ source: 'agg1', target: 'agg2', kind: 'move' });
    // Without the runbook's consent the missing flow is still an error.
    expect(() => findFlow(loaded, { source: 'agg1', target: 'agg2' })).toThrow(/No replication flow from agg1 to agg2/);
  });

  it('refuses a cluster the file lacks, and the same cluster on both sides, at flow', async () => {
    const err = (await load({ to: 'agg9' })) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems[0]).toMatchObject({ field: 'flow' });
    expect(err.problems[0]?.message).toContain('two distinct clusters of c.yaml');
    expect(((await load({ to: 'agg1' })) as ValidationError).problems[0]?.message).toContain('two distinct clusters');
  });

  it('refuses, at its kind, a step that acts on the missing flow’s MM2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kf-move-'));
    const file = path.join(dir, 'rb.yaml');
    writeFileSync(
      file,
      'apiVersion: kafka-failover/v1\nname: t\nflow: agg1->agg2\nrequireFlow: false\nsteps:\n  - id: scope\n    kind: confirm-scope\n  - id: stop\n    kind: stop-replication\n',
    );
    const err = (await load({}, file)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ line: 9, field: 'steps[1].kind' });
    expect(err.problems[0]?.message).toBe(
      "step kind stop-replication acts on the flow agg1->agg2's MM2 or its internal topics, and c.yaml has no flow agg1->agg2 (requireFlow: false)",
    );
  });
});
