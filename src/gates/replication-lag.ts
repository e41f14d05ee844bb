/**
 * Gate `max-lag` (step `check-replication-lag`): every replicated partition's lag is measurable and at most the
 * threshold. Lag is measured without JMX from the source high watermark and MM2's newest offset sync (see
 * src/mm2/lag.ts, ../shared/reference/mm2-internals.md); a partition whose lag cannot be computed fails the gate
 * (fail closed).
 */
import type { GateResult } from '../engine/events.js';
import type { PartitionLag } from '../mm2/lag.js';

/** What the gate reads of a partition's lag (records; `null` when it cannot be computed). */
export type LagObservation = Pick<PartitionLag, 'sourceTopic' | 'partition' | 'lagRecords'>;

/** The `max-lag` gate with its measured numbers typed (records). */
export interface MaxLagGate extends GateResult {
  observed: { maxLagRecords: number; totalLagRecords: number; partitionsOver: string[]; partitionsUnknown: string[] };
  remaining: { value: number; unit: 'records'; detail: Record<string, number> };
}

const expectedText = (maxLagRecords: number) => `≤ ${maxLagRecords} records per partition`;

/**
 * `max-lag` when the source does not answer: lag cannot be measured, so the gate fails.
 * @param maxLagRecords the threshold (records per partition).
 */
export function maxLagUnmeasurable(maxLagRecords: number): GateResult {
  return {
    id: 'max-lag',
    description: 'lag can only be measured with the source reachable',
    observed: 'source unreachable',
    expected: expectedText(maxLagRecords),
    ok: false,
  };
}

/**
 * `max-lag` over measured partitions: passes when no partition lags by more than `maxLagRecords` records and every
 * partition's lag is known. `remaining` is the total lag (records) with its split per source topic, so a wait can
 * report how fast MM2 drains it. Unknown lags count as 0 in the max and totals (they fail the gate on their own).
 * @param partitions the partitions in scope (already filtered by topic).
 * @param maxLagRecords the threshold (records per partition, ≥ 0).
 */
export function maxLag(partitions: readonly LagObservation[], maxLagRecords: number): MaxLagGate {
  const unknown = partitions.filter((p) => p.lagRecords === null);
  const over = partitions.filter((p) => p.lagRecords !== null && p.lagRecords > maxLagRecords);
  const max = Math.max(0, ...partitions.map((p) => p.lagRecords ?? 0));
  const total = partitions.reduce((s, p) => s + (p.lagRecords ?? 0), 0);
  const byTopic: Record<string, number> = {};
  for (const p of partitions) byTopic[p.sourceTopic] = (byTopic[p.sourceTopic] ?? 0) + (p.lagRecords ?? 0);
  return {
    id: 'max-lag',
    description: `replication lag per partition over ${partitions.length} partition(s)`,
    observed: {
      maxLagRecords: max,
      totalLagRecords: total,
      partitionsOver: over.map((p) => `${p.sourceTopic}/${p.partition}=${p.lagRecords}`),
      partitionsUnknown: unknown.map((p) => `${p.sourceTopic}/${p.partition}`),
    },
    expected: `${expectedText(maxLagRecords)}, every partition measurable`,
    ok: over.length === 0 && unknown.length === 0,
    remaining: { value: total, unit: 'records', detail: byTopic },
  };
}
