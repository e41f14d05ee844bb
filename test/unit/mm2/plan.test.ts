/**
 * The offset-plan contract (src/mm2/plan.ts): what a row must hold, the bounds rule, per-group totals, and a step's
 * `output` schema applied to its outputs by defineStep (the translating steps declare `planOutputs`).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StepContext } from '../../../src/engine/step.js';
import { defineStep } from '../../../src/engine/step.js';
import { boundsProblem, offsetPlanRow, planOutputs, summarizePlan, withBoundsProblem, type OffsetPlanRow } from '../../../src/mm2/plan.js';

const row = (over: Partial<OffsetPlanRow> = {}): OffsetPlanRow =>
  offsetPlanRow.parse({
    group: 'g',
    topic: 'primary.orders',
    partition: 0,
    targetOffset: 40,
    basis: 'checkpoint',
    sourceTopic: 'orders',
    sourceCommittedOffset: 42,
    reReadRecords: 2,
    reReadNote: 'estimated',
    logStartOffset: 0,
    highWatermark: 100,
    commitsSinceCheckpoint: 0,
    ...over,
  });

describe('offset plan row', () => {
  it('rejects a negative target offset and an unknown basis, naming the field', () => {
    expect(offsetPlanRow.safeParse({ ...row(), targetOffset: -1 }).error?.issues[0]?.path).toEqual(['targetOffset']);
    expect(offsetPlanRow.safeParse({ ...row(), basis: 'guess' }).error?.issues[0]?.path).toEqual(['basis']);
    expect(row({ metadata: undefined as unknown as string }).metadata).toBe('');
  });

  it('bounds: below the log start or above the high watermark is a problem; the ends themselves are not', () => {
    const b = { logStartOffset: 10, highWatermark: 20 };
    expect([9, 10, 20, 21].map((o) => boundsProblem(o, b, 't/0') ?? 'ok')).toEqual([
      'target offset 9 is below the log start 10 of t/0 (records deleted: the group would skip them)',
      'ok',
      'ok',
      'target offset 21 is above the high watermark 20 of t/0 (a truncated or recreated topic)',
    ]);
    expect(withBoundsProblem(row({ targetOffset: 101 })).problem).toContain('above the high watermark 100 of primary.orders/0');
    expect(withBoundsProblem(row({ targetOffset: 101, problem: 'earlier' })).problem).toBe('earlier');
  });

  it('per-group totals: re-reads summed, unknown when any partition is unknown, problems counted', () => {
    expect(summarizePlan([row(), row({ partition: 1, reReadRecords: 3 }), row({ group: 'h', reReadRecords: null, problem: 'p' })])).toEqual([
      { group: 'g', partitions: 2, reReadRecords: 5, problems: 0 },
      { group: 'h', partitions: 1, reReadRecords: null, problems: 1 },
    ]);
  });
});

describe('step output schema', () => {
  const stepReturning = (outputs: Record<string, unknown>) =>
    defineStep({ kind: 'x', description: 'x', writes: false, output: planOutputs, input: z.strictObject({}), check: async () => ({ outputs }) });

  it("a translating step's outputs are checked against the plan contract; other outputs pass through", async () => {
    const ok = await stepReturning({ plan: [row()], neverReplicated: [] }).check({} as StepContext, {});
    expect(ok.outputs).toEqual({ plan: [row()], neverReplicated: [] });
    await expect(stepReturning({ plan: [{ ...row(), targetOffset: 'soon' }] }).check({} as StepContext, {})).rejects.toThrow(/targetOffset/);
  });
});
