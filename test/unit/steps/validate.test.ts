/**
 * The `validate` step's verification reads over a faked Kafka port (the Kafka behaviour it reads is covered by the
 * planned-failover integration test): it reads the planned groups' commits and the bounds of every partition they
 * commit on, planned or not, and hands them to its gates (each gate's own cases: test/unit/gates/groups-resumed.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../../src/engine/step.js';
import type { CommittedOffset, KafkaPort, PartitionOffsets } from '../../../src/kafka/port.js';
import { offsetPlanRow } from '../../../src/mm2/plan.js';
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
const plan = [
  offsetPlanRow.parse({
    group: 'g',
    topic: 't',
    partition: 0,
    targetOffset: 40,
    basis: 'checkpoint',
    sourceTopic: 'primary.t',
    sourceCommittedOffset: 40,
    reReadRecords: 0,
    reReadNote: '',
    logStartOffset: 0,
    highWatermark: 100,
    commitsSinceCheckpoint: 0,
  }),
];
const gates = async (committed: CommittedOffset[]) =>
  Object.fromEntries(
    ((await validateStep.verify!(ctxWith({ g: committed }, { t: bounds }), { canaryTopic: 'c', plan }, undefined)).gates ?? []).map((g) => [g.id, g]),
  );

describe('validate step (verify)', () => {
  it('passes when the group moved on from its planned offset and commits only on planned partitions', async () => {
    const g = await gates([c('t', 0, 55)]);
    // All three gates present and passing (an empty gate list must not pass for "all ok").
    expect(Object.keys(g).sort()).toEqual(['groups-not-rewound', 'groups-progressing', 'no-unplanned-partitions']);
    expect(Object.fromEntries(Object.entries(g).map(([k, x]) => [k, x.ok]))).toEqual({
      'groups-not-rewound': true,
      'groups-progressing': true,
      'no-unplanned-partitions': true,
    });
    expect(g['groups-progressing']).toMatchObject({ observed: { progressing: 1, stalled: [] } });
  });

  it('reads the bounds of an unplanned partition too, so no-unplanned-partitions tells latest from earliest', async () => {
    const latest = await gates([c('t', 0, 55), c('t', 1, 100)]);
    expect(latest['no-unplanned-partitions']).toMatchObject({ ok: false, observed: { unplanned: ['g t/1: 100 (latest; log 0–100)'] } });
    const earliest = await gates([c('t', 0, 55), c('t', 1, 0)]);
    expect(earliest['no-unplanned-partitions']).toMatchObject({ ok: false, observed: { unplanned: ['g t/1: 0 (earliest; log 0–100)'] } });
  });
});
