/**
 * The `validate` step's verification logic over a faked Kafka port (the Kafka behaviour it reads is covered by the
 * planned-failover integration test): groups rewound below plan, stalled groups, and partitions a moved group commits
 * on without a planned offset (started at earliest/latest by auto.offset.reset) each fail their gate.
 */
import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../../src/engine/step.js';
import type { CommittedOffset, KafkaPort, PartitionOffsets } from '../../../src/kafka/port.js';
import { validateStep } from '../../../src/steps/validate.js';

function ctxWith(committed: Record<string, CommittedOffset[]>, offsets: Record<string, PartitionOffsets[]>): StepContext {
  const port = { committedOffsets: async (g: string) => committed[g] ?? [], partitionOffsets: async (t: string) => offsets[t] ?? [] } as unknown as KafkaPort;
  return { flow: { target: 'dr' }, kafka: () => port } as unknown as StepContext;
}
const c = (topic: string, partition: number, offset: number): CommittedOffset => ({ topic, partition, offset, metadata: '' });
const bounds = [
  { partition: 0, logStartOffset: 0, highWatermark: 100 },
  { partition: 1, logStartOffset: 0, highWatermark: 100 },
];
const plan = [{ group: 'g', topic: 't', partition: 0, targetOffset: 40 }];
const gates = async (committed: CommittedOffset[]) =>
  Object.fromEntries(((await validateStep.verify!(ctxWith({ g: committed }, { t: bounds }), { canaryTopic: 'c', plan }, undefined)).gates ?? []).map((g) => [g.id, g]));

describe('validate step (verify)', () => {
  it('passes when the group moved on from its planned offset and commits only on planned partitions', async () => {
    const g = await gates([c('t', 0, 55)]);
    // All three gates present and passing (an empty gate list must not pass for "all ok").
    expect(Object.keys(g).sort()).toEqual(['groups-not-rewound', 'groups-progressing', 'no-unplanned-partitions']);
    expect(Object.fromEntries(Object.entries(g).map(([k, x]) => [k, x.ok]))).toEqual({ 'groups-not-rewound': true, 'groups-progressing': true, 'no-unplanned-partitions': true });
    expect(g['groups-progressing']).toMatchObject({ observed: { progressing: 1, stalled: [] } });
  });

  it('fails groups-not-rewound when a partition is below its planned offset', async () => {
    const g = await gates([c('t', 0, 0)]);
    expect(g['groups-not-rewound']).toMatchObject({ ok: false, observed: { count: 1 } });
  });

  it('fails groups-progressing when the group has not moved and has records left', async () => {
    const g = await gates([c('t', 0, 40)]);
    expect(g['groups-progressing']).toMatchObject({ ok: false, observed: { stalled: ['g'] } });
  });

  it('fails no-unplanned-partitions for a partition that started at latest (records skipped) or earliest', async () => {
    const latest = await gates([c('t', 0, 55), c('t', 1, 100)]);
    expect(latest['no-unplanned-partitions']).toMatchObject({ ok: false, observed: { unplanned: ['g t/1: 100 (latest; log 0–100)'] } });
    const earliest = await gates([c('t', 0, 55), c('t', 1, 0)]);
    expect(earliest['no-unplanned-partitions']).toMatchObject({ ok: false, observed: { unplanned: ['g t/1: 0 (earliest; log 0–100)'] } });
  });
});
