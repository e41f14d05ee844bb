/**
 * `reset-consumer-groups` takes the offset plan (src/mm2/plan.ts) as its input and commits each row's `targetOffset`
 * unchanged (over an in-memory cluster: test/unit/mm2/memory-kafka.ts; the broker's admin semantics are covered by the
 * reset-gate and resume integration tests).
 */
import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../../src/engine/step.js';
import type { WriteDescription } from '../../../src/engine/events.js';
import { offsetPlanRow } from '../../../src/mm2/plan.js';
import { positions, resetConsumerGroups } from '../../../src/steps/reset-consumer-groups.js';
import { MemoryKafka, mirrorPartition } from '../mm2/memory-kafka.js';

const row = (group: string, partition: number, targetOffset: number) =>
  offsetPlanRow.parse({
    group,
    topic: 'primary.orders',
    partition,
    targetOffset,
    metadata: `m${partition}`,
    basis: 'checkpoint',
    sourceTopic: 'orders',
    // Planned with the source unreachable: the continuity proof has nothing to prove (its own test below).
    sourceCommittedOffset: null,
    reReadRecords: 0,
    reReadNote: '',
    logStartOffset: 0,
    highWatermark: 50,
    commitsSinceCheckpoint: 0,
  });

/** The step's context over one target port (and a source port, when given); each write is recorded in `writes`, then done. */
const stepContext = (port: unknown, writes: WriteDescription[] = [], source?: unknown) =>
  ({
    flow: { source: 'primary', target: 'dr' },
    kafka: (alias: string) => (alias === 'primary' ? source : port),
    reachable: async (alias: string) => alias !== 'primary' || source !== undefined,
    note: () => {},
    write: async (w: WriteDescription, fn: () => Promise<unknown>) => (writes.push(w), fn()),
  }) as unknown as StepContext;

describe('reset-consumer-groups', () => {
  it('commits every planned targetOffset with its metadata, audited as before → after', async () => {
    const dr = new MemoryKafka('dr');
    dr.partitionWith('orders', 0, []);
    dr.commit('billing', 'primary.orders', 0, 3);
    const port = {
      ...dr.port(),
      describeGroups: async (ids: string[]) =>
        ids.map((groupId) => ({ groupId, type: 'classic' as const, state: 'Empty', protocolType: 'consumer', members: 0, memberDetails: [] })),
    };
    const writes: WriteDescription[] = [];
    const ctx = stepContext(port, writes);
    const input = resetConsumerGroups.input.parse({ plan: [row('billing', 0, 20), row('billing', 1, 7)] });
    const checked = await resetConsumerGroups.check(ctx, input);
    expect(checked.gates).toMatchObject([
      { id: 'target-groups-empty', ok: true },
      { id: 'target-group-types', ok: true },
      { id: 'offset-continuity', ok: true },
    ]);
    await resetConsumerGroups.apply!(ctx, input, checked.plan);
    expect(await port.committedOffsets('billing')).toEqual([
      { topic: 'primary.orders', partition: 0, offset: 20, metadata: 'm0' },
      { topic: 'primary.orders', partition: 1, offset: 7, metadata: 'm1' },
    ]);
    expect(writes).toMatchObject([
      {
        key: 'reset:dr:billing',
        details: {
          partitions: [
            { partition: 0, before: 3, after: 20 },
            { partition: 1, before: null, after: 7 },
          ],
        },
      },
    ]);
  });

  it("sets a share group's start offsets with AlterShareGroupOffsets (not OffsetCommit) and reads them back", async () => {
    const dr = new MemoryKafka('dr');
    dr.partitionWith('orders', 0, []);
    const port = {
      ...dr.port(),
      describeGroups: async (ids: string[]) =>
        ids.map((groupId) => ({ groupId, type: 'classic' as const, state: 'Dead', protocolType: '', members: 0, memberDetails: [] })),
    };
    const writes: WriteDescription[] = [];
    const ctx = stepContext(port, writes);
    const share = (partition: number, targetOffset: number) => ({
      ...row('queue', partition, targetOffset),
      offsetKind: 'share-start-offset' as const,
      groupType: 'share' as const,
    });
    const input = resetConsumerGroups.input.parse({ plan: [share(0, 43), share(1, 9)] });
    const checked = await resetConsumerGroups.check(ctx, input);
    expect(checked.gates!.every((g) => g.ok)).toBe(true);
    await resetConsumerGroups.apply!(ctx, input, checked.plan);
    expect(await port.shareGroupOffsets('queue')).toEqual([
      { topic: 'primary.orders', partition: 0, startOffset: 43, lag: null },
      { topic: 'primary.orders', partition: 1, startOffset: 9, lag: null },
    ]);
    expect(await port.committedOffsets('queue')).toEqual([]); // no OffsetCommit: the broker would refuse it for a share group
    expect(writes).toMatchObject([{ key: 'reset:dr:queue', details: { offsetKind: 'share-start-offset' } }]);
  });

  it('blocks a plan whose group exists on the target as another type (share start offsets into a classic group, and back)', async () => {
    const dr = new MemoryKafka('dr');
    const types: Record<string, 'classic' | 'share'> = { queue: 'classic', billing: 'share' };
    const port = {
      ...dr.port(),
      describeGroups: async (ids: string[]) =>
        ids.map((groupId) => ({ groupId, type: types[groupId]!, state: 'Empty', protocolType: '', members: 0, memberDetails: [] })),
    };
    const ctx = stepContext(port);
    const input = resetConsumerGroups.input.parse({
      plan: [{ ...row('queue', 0, 4), offsetKind: 'share-start-offset' }, row('billing', 0, 5)],
    });
    const checked = await resetConsumerGroups.check(ctx, input);
    expect(checked.gates!.find((g) => g.id === 'target-group-types')).toMatchObject({
      ok: false,
      observed: {
        mismatched: [
          'billing: planned committed offsets, but it is a share group on dr',
          'queue: planned share start offsets, but it is a classic group on dr',
        ],
      },
    });
  });

  it("a share group's position: its start offset, or the log end where its lag is 0 (all delivered, start offset behind)", async () => {
    const dr = new MemoryKafka('dr');
    dr.partitionWith(
      'primary.orders',
      0,
      Array.from({ length: 50 }, (_, i) => i),
    );
    dr.partitionWith(
      'primary.orders',
      1,
      Array.from({ length: 30 }, (_, i) => i),
    );
    dr.shareGroups.set('queue', [
      { topic: 'primary.orders', partition: 0, startOffset: 0, lag: 0 },
      { topic: 'primary.orders', partition: 1, startOffset: 12, lag: 18 },
    ]);
    expect((await positions(dr.port(), 'queue', 'share-start-offset')).map((p) => [p.partition, p.offset])).toEqual([
      [0, 50],
      [1, 12],
    ]);
  });

  it('refuses a plan that is not an offset plan (a row without a basis) at its input', () => {
    const { basis: _, ...noBasis } = row('billing', 0, 20);
    expect(resetConsumerGroups.input.safeParse({ plan: [noBasis] }).error?.issues[0]?.path).toEqual(['plan', 0, 'basis']);
  });

  it('a plan one record past the right offset on one partition fails the continuity gate before any write, naming it', async () => {
    const primary = new MemoryKafka('primary');
    const dr = new MemoryKafka('dr');
    primary.topic('orders', 2);
    for (const p of [0, 1])
      for (let i = 0; i < 30; i++)
        primary.append('orders', p, { offset: i, timestamp: 1_000 + i, key: Buffer.from(`k${p}`), value: Buffer.from(`v${p}-${i}`) });
    for (const p of [0, 1])
      mirrorPartition({
        source: primary,
        topic: 'orders',
        partition: p,
        target: dr,
        remote: 'primary.orders',
        syncsCluster: primary,
        syncsTopic: 'syncs',
        maxOffsetLag: 10,
      });
    primary.commit('billing', 'orders', 0, 12);
    primary.commit('billing', 'orders', 1, 17);
    const port = {
      ...dr.port(),
      describeGroups: async (ids: string[]) =>
        ids.map((groupId) => ({ groupId, type: 'classic' as const, state: 'Empty', protocolType: 'consumer', members: 0, memberDetails: [] })),
    };
    const planRow = (partition: number, u: number, targetOffset: number) => ({ ...row('billing', partition, targetOffset), sourceCommittedOffset: u });
    const writes: WriteDescription[] = [];
    const ctx = stepContext(port, writes, primary.port());
    // The copies are dense from 0: the exact target offsets are 12 and 17. Partition 1 is planned one record past it.
    const right = await resetConsumerGroups.check(ctx, resetConsumerGroups.input.parse({ plan: [planRow(0, 12, 12), planRow(1, 17, 17)] }));
    expect(right.gates!.find((g) => g.id === 'offset-continuity')).toMatchObject({ ok: true, observed: { rowsProven: 2, exact: 2 } });
    const wrong = await resetConsumerGroups.check(ctx, resetConsumerGroups.input.parse({ plan: [planRow(0, 12, 12), planRow(1, 17, 18)] }));
    const gate = wrong.gates!.find((g) => g.id === 'offset-continuity')!;
    expect(gate).toMatchObject({ ok: false, observed: { exact: 1, skips: 1 } });
    expect((gate.observed as { failures: string[] }).failures).toEqual([
      expect.stringMatching(/^billing primary\.orders\/1 at target offset 18 .*skips 1 record/),
    ]);
    // A group that moved on the source since the plan fails it too.
    primary.commit('billing', 'orders', 0, 13);
    const moved = await resetConsumerGroups.check(ctx, resetConsumerGroups.input.parse({ plan: [planRow(0, 12, 12), planRow(1, 17, 17)] }));
    expect(moved.gates!.find((g) => g.id === 'offset-continuity')).toMatchObject({
      ok: false,
      observed: { movedOnSource: ['billing orders/0: planned from 12, now 13'] },
    });
    expect(writes).toEqual([]);
  });
});
