/**
 * `validate`: prove processing resumed on the target.
 * - apply: a canary record produced to `canaryTopic` on the target (created if missing) and read back.
 * - verify (re-run with the step's `wait` while consumers restart): every planned group's committed offsets on the
 *   target are at or beyond the planned offsets on every partition (none rewound — e.g. to earliest by an
 *   `auto.offset.reset` — or lost); each group has progressed on at least one partition unless all its partitions
 *   are already at the high watermark; and no partition a group commits on was left out of the plan (no checkpoint),
 *   because such a partition started wherever `auto.offset.reset` put it: at the log start (everything re-read) or at
 *   the high watermark (records skipped).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';

const planRow = z.object({ group: z.string(), topic: z.string(), partition: z.number().int(), targetOffset: z.number().int() });

export const validateStep = defineStep({
  kind: 'validate',
  description: 'canary produced and consumed on the target; groups progressing from their planned offsets',
  writes: true,
  input: z.strictObject({ canaryTopic: z.string().min(1).default('kafka-failover-canary'), plan: z.array(planRow).default([]) }),
  async check() {
    return {};
  },
  async apply(ctx, input) {
    const target = ctx.kafka(ctx.flow.target);
    const marker = `canary-${randomUUID()}`;
    const r = await ctx.write({ action: 'produce canary record', cluster: ctx.flow.target, details: { topic: input.canaryTopic, value: marker } }, async () => {
      if (!(await target.listTopics()).includes(input.canaryTopic)) await target.createTopic(input.canaryTopic, 1);
      const [w] = await target.produce(input.canaryTopic, [{ key: 'kafka-failover', value: marker }]);
      let seen = false;
      await target.readRange(input.canaryTopic, w!.partition, w!.offset, w!.offset + 1, (rec) => (seen = rec.value?.toString() === marker));
      if (!seen) throw new Error(`canary ${marker} written at ${input.canaryTopic}/${w!.partition}@${w!.offset} was not read back`);
      return { partition: w!.partition, offset: w!.offset };
    });
    return r ? { canary: r } : {};
  },
  async verify(ctx, input) {
    const target = ctx.kafka(ctx.flow.target);
    const groups = [...new Set(input.plan.map((p) => p.group))];
    const rewound: string[] = [];
    const stalled: string[] = [];
    const hwm = new Map<string, number>();
    for (const t of new Set(input.plan.map((p) => p.topic))) for (const p of await target.partitionOffsets(t)) hwm.set(`${t}/${p.partition}`, p.highWatermark);
    let progressed = 0;
    const consumed: Record<string, number> = {};
    const unplanned: string[] = [];
    for (const g of groups) {
      const committed = await target.committedOffsets(g);
      const rows = input.plan.filter((p) => p.group === g);
      for (const c of committed) {
        if (rows.some((r) => r.topic === c.topic && r.partition === c.partition)) continue;
        const bounds = (await target.partitionOffsets(c.topic)).find((p) => p.partition === c.partition);
        const at = bounds && c.offset <= bounds.logStartOffset ? 'earliest' : bounds && c.offset >= bounds.highWatermark ? 'latest' : 'mid-log';
        unplanned.push(`${g} ${c.topic}/${c.partition}: ${c.offset} (${at}; log ${bounds?.logStartOffset ?? '?'}–${bounds?.highWatermark ?? '?'})`);
      }
      let moved = false;
      let allAtEnd = true;
      for (const r of rows) {
        const c = committed.find((x) => x.topic === r.topic && x.partition === r.partition)?.offset;
        if (c === undefined || c < r.targetOffset) rewound.push(`${g} ${r.topic}/${r.partition}: ${c ?? 'none'} < planned ${r.targetOffset}`);
        if (c !== undefined && c > r.targetOffset) moved = true;
        if (c !== undefined) consumed[g] = (consumed[g] ?? 0) + Math.max(0, c - r.targetOffset);
        if ((c ?? -1) < (hwm.get(`${r.topic}/${r.partition}`) ?? 0)) allAtEnd = false;
      }
      if (moved || allAtEnd) progressed++;
      else stalled.push(g);
    }
    return {
      gates: [
        { id: 'groups-not-rewound', description: 'committed offsets on the target are at or beyond the planned ones', observed: { below: rewound.slice(0, 20), count: rewound.length }, expected: '0 partitions below plan', ok: rewound.length === 0 },
        { id: 'groups-progressing', description: 'each group moved past its planned offsets (or has nothing left to read)', observed: { progressing: progressed, stalled, recordsConsumedSincePlan: consumed }, expected: `${groups.length} of ${groups.length} groups`, ok: stalled.length === 0, remaining: { value: stalled.length, unit: 'groups not yet progressing', detail: consumed } },
        { id: 'no-unplanned-partitions', description: 'every partition the moved groups commit on had a planned offset (none started at earliest/latest by auto.offset.reset)', observed: { unplanned: unplanned.slice(0, 20), count: unplanned.length }, expected: '0 unplanned partitions', ok: unplanned.length === 0 },
      ],
    };
  },
});
