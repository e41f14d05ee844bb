/**
 * `translate-move` (an active-active workload move) over the in-memory world of translate-back.test.ts: the groups
 * move from dr to primary (the runbook flow dr->primary), and the clusters file also has primary->dr. Each plan row
 * names its path: dr's own topic `payments` → `dr.payments` on primary through dr->primary's checkpoints, the copy
 * `primary.orders` → `orders` on primary through primary->dr's offset syncs read backwards. The offsets themselves are
 * translate-back's (derived by hand in its test). Also: the flows that write the moved topics on primary, the
 * identity-loop refusal, and a runbook flow written with parameters.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { flowWithParams, loadRunbook } from '../../../src/engine/load-runbook.js';
import type { StepContext } from '../../../src/engine/step.js';
import { ValidationError } from '../../../src/errors.js';
import { builtinRegistry } from '../../../src/steps/index.js';
import { type ConflictRow, MAX_CONFLICT_RECORDS, movePath, translateMove, writersOf } from '../../../src/steps/translate-move.js';
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
const forward: FlowConfig = { ...reverse, source: 'primary', target: 'dr' };

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

function ctx(w: { primary: MemoryKafka; dr: MemoryKafka }, flows: FlowConfig[], onSleep: (n: number) => void = () => {}) {
  let now = NOW;
  let sleeps = 0;
  const notes: string[] = [];
  const c = {
    stepId: 'translate',
    dryRun: false,
    flow: reverse,
    flows,
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

async function move(flows: FlowConfig[]) {
  const x = ctx(world(), flows);
  const r = await translateMove.check(x.c, translateMove.input.parse({ checkpointWaitMs: 0, method: 'mm2' }));
  return { ...r, gates: Object.fromEntries((r.gates ?? []).map((g) => [g.id, g])), notes: x.notes, plan: (r.outputs?.plan ?? []) as Record<string, unknown>[] };
}

describe('translate-move', () => {
  it('names the path of every partition: own topics forward, copies of the target’s topics backwards', async () => {
    const r = await move([forward, reverse]);
    expect(r.plan.map((p) => [p.group, p.sourceTopic, p.topic, p.targetOffset, p.basis, p.path])).toEqual([
      [
        'billing',
        'primary.orders',
        'orders',
        45,
        'forward-offset-sync-reversed',
        "dr:primary.orders → primary:orders (copy of primary's topic: primary->dr offset syncs read backwards)",
      ],
      [
        'shipping',
        'primary.orders',
        'orders',
        10,
        'forward-offset-sync-reversed',
        "dr:primary.orders → primary:orders (copy of primary's topic: primary->dr offset syncs read backwards)",
      ],
      ['billing', 'payments', 'dr.payments', 23, 'checkpoint', "dr:payments → primary:dr.payments (dr's own topic: dr->primary checkpoint)"],
    ]);
    // Only dr->primary writes a topic the groups read on primary (dr.payments): the flow the runbook stops.
    expect(r.gates['stop-covers-writers']).toMatchObject({ ok: true, observed: { writerFlows: { 'dr->primary': ['dr.payments'] } } });
    expect(r.outputs?.writerFlows).toEqual(['dr->primary']);
    expect(r.gates['move-graph']?.ok).toBe(true);
    expect(r.gates['groups-translated']?.ok).toBe(true);
  });

  it('finds the flows that write a topic on a cluster by their remote-topic naming (a third cluster’s flow included)', () => {
    const edge: FlowConfig = { ...reverse, source: 'edge' };
    expect(writersOf([forward, reverse, edge], 'primary', 'dr.payments').map((f) => f.source)).toEqual(['dr']);
    expect(writersOf([forward, reverse, edge], 'primary', 'edge.payments').map((f) => f.source)).toEqual(['edge']);
    expect(writersOf([forward, reverse, edge], 'primary', 'orders')).toEqual([]); // primary's own topic: no flow writes it
    expect(writersOf([forward, reverse, edge], 'dr', 'primary.orders').map((f) => f.source)).toEqual(['primary']);
  });

  it('refuses an identity-policy loop before reading anything', async () => {
    const ident = (f: FlowConfig): FlowConfig => ({ ...f, replicationPolicy: 'identity' });
    const c = {
      flow: ident(reverse),
      flows: [ident(forward), ident(reverse)],
      kafka: () => {
        throw new Error('no cluster may be read');
      },
    } as unknown as StepContext;
    const r = await translateMove.check(c, translateMove.input.parse({}));
    expect(r.gates?.map((g) => [g.id, g.ok])).toEqual([['move-graph', false]]);
  });

  it('paths of plain rows', () => {
    expect(movePath({ sourceTopic: 'orders', topic: 'primary.orders', basis: 'record-match' }, forward, reverse)).toBe(
      "primary:orders → dr:primary.orders (primary's own topic: primary->dr checkpoint, then record match)",
    );
    expect(movePath({ sourceTopic: 'dr.orders', topic: 'orders', basis: 'record-match' }, forward, reverse)).toBe(
      "primary:dr.orders → dr:orders (copy of dr's topic: dr->primary offset syncs read backwards, then record match)",
    );
  });
});

describe('a runbook flow written with parameters', () => {
  it('resolves ${params.from}->${params.to} so one runbook serves a move and its return', async () => {
    expect(flowWithParams('${params.from}->${params.to}', { from: 'dr', to: 'primary' })).toBe('dr->primary');
    const file = path.join('runbooks', 'active-active-move.yaml');
    await expect(loadRunbook(file, builtinRegistry())).resolves.toMatchObject({ flow: { source: 'primary', target: 'dr' } });
    const back = await loadRunbook(file, builtinRegistry(), { from: 'dr', to: 'primary' }, { clusters: { file: 'c.yaml', flows: [forward, reverse] } });
    expect(back.flow).toEqual({ source: 'dr', target: 'primary' });
    expect(back.runbook.flow).toBe('dr->primary');
  });

  it('reports a flow naming a pair the clusters file lacks, with the parameters applied', async () => {
    const err = await loadRunbook(
      path.join('runbooks', 'active-active-move.yaml'),
      builtinRegistry(),
      { to: 'elsewhere' },
      {
        clusters: { file: 'c.yaml', flows: [forward, reverse] },
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.message)).toContain(
      'flow primary->elsewhere is not a flow of c.yaml (flows: primary->dr, dr->primary)',
    );
  });
});

describe('translate-move: the conflict window (topics written on both sides) and the freeze gate', () => {
  /** The move dr → primary with dr also holding a local `orders`; `during` writes while the window is open (its sleep). */
  async function windowed(o: {
    before?: (w: { primary: MemoryKafka; dr: MemoryKafka }) => void;
    during?: (w: { primary: MemoryKafka; dr: MemoryKafka }) => void;
    frozenTopics?: string;
    dryRun?: boolean;
  }) {
    const w = world();
    w.dr.partitionWith('orders', 0, [0, 1, 2]); // dr's own orders: the same name as primary's
    o.before?.(w);
    const x = ctx(w, [forward, reverse]);
    const sleep = x.c.sleep;
    (x.c as { sleep: StepContext['sleep'] }).sleep = async (ms) => {
      if (ms === 1234) o.during?.(w);
      await sleep(ms);
    };
    (x.c as { dryRun: boolean }).dryRun = o.dryRun ?? false;
    const r = await translateMove.check(
      x.c,
      translateMove.input.parse({ checkpointWaitMs: 0, method: 'mm2', conflictWindowMs: 1234, frozenTopics: o.frozenTopics ?? '' }),
    );
    return { gates: Object.fromEntries((r.gates ?? []).map((g) => [g.id, g])), conflicts: r.outputs?.conflicts, notes: x.notes };
  }

  it('reports, per topic name the groups read, the records appended on each side during the window', async () => {
    const r = await windowed({
      during: ({ primary, dr }) => {
        // Keys k1, k2, k3 on primary; k2, k9 and a null key on dr: k2 is written on both sides.
        for (const k of ['k1', 'k2', 'k3']) primary.append('orders', 0, { key: Buffer.from(k) });
        for (const k of ['k2', 'k9', null]) dr.append('orders', 0, { key: k === null ? null : Buffer.from(k) });
        dr.append('payments', 0, {});
      },
    });
    const k2 = createHash('sha256').update('k2').digest('hex').slice(0, 16);
    expect(r.conflicts).toEqual([
      {
        topic: 'orders',
        source: { cluster: 'dr', exists: true, appendedRecords: 3 },
        target: { cluster: 'primary', exists: true, appendedRecords: 3 },
        bothWritten: true,
        keys: { source: 2, target: 3, onBoth: 1, examples: [k2] },
      },
      {
        topic: 'payments',
        source: { cluster: 'dr', exists: true, appendedRecords: 1 },
        target: { cluster: 'primary', exists: false, appendedRecords: 0 },
        bothWritten: false,
      },
    ]);
    expect(r.notes.find((n) => n.startsWith('conflict window'))).toBe(
      'conflict window 1234 ms: written on both dr and primary: orders (3 + 3 records, 1 key(s) written on both)',
    );
    expect(r.gates['source-writes-frozen']).toBeUndefined(); // no frozenTopics: reported, not gated
  });

  it('compares keys only within the window (records before it are not the move’s), and not past the record bound', async () => {
    // k0 was written on both sides before the window: not a conflict of this move.
    const r = await windowed({
      before: ({ primary, dr }) => {
        primary.append('orders', 0, { key: Buffer.from('k0') });
        dr.append('orders', 0, { key: Buffer.from('k0') });
      },
      during: ({ primary, dr }) => {
        primary.append('orders', 0, { key: Buffer.from('k1') });
        dr.append('orders', 0, { key: Buffer.from('k2') });
      },
    });
    expect((r.conflicts as ConflictRow[])[0]?.keys).toEqual({ source: 1, target: 1, onBoth: 0, examples: [] });
    const big = await windowed({
      during: ({ primary, dr }) => {
        for (let i = 0; i <= MAX_CONFLICT_RECORDS; i++) primary.append('orders', 0, { key: Buffer.from(`k${i}`) });
        dr.append('orders', 0, { key: Buffer.from('k1') });
      },
    });
    expect((big.conflicts as ConflictRow[])[0]).toMatchObject({ bothWritten: true, keys: null });
    expect(big.notes.find((n) => n.startsWith('conflict window'))).toContain('keys not compared: more than 50000 records on a side');
  });

  it('blocks when a topic only the moved producers write grows on the source during the window', async () => {
    const r = await windowed({ frozenTopics: 'payments', during: ({ dr }) => void dr.append('payments', 0, {}) });
    expect(r.gates['source-writes-frozen']).toMatchObject({ ok: false, observed: { topics: 1, appendedRecords: 1, byTopic: { payments: 1 } } });
  });

  it('passes when those topics stay quiet (the other side may go on writing its own)', async () => {
    const r = await windowed({ frozenTopics: 'payments', during: ({ primary }) => void primary.append('orders', 0, {}) });
    expect(r.gates['source-writes-frozen']).toMatchObject({ ok: true, observed: { topics: 1, appendedRecords: 0 } });
  });

  it('fails closed when frozenTopics names no topic of the source; a dry run reports without the gate', async () => {
    expect((await windowed({ frozenTopics: 'nosuch' })).gates['source-writes-frozen']).toMatchObject({ ok: false, observed: { topics: 0 } });
    const dry = await windowed({ frozenTopics: 'payments', dryRun: true, during: ({ dr }) => void dr.append('payments', 0, {}) });
    expect(dry.gates['source-writes-frozen']).toBeUndefined();
    expect((dry.conflicts as { topic: string; source: { appendedRecords: number } }[]).find((c) => c.topic === 'payments')?.source.appendedRecords).toBe(1);
  });
});
