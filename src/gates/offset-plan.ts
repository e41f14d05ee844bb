/**
 * Gates of the steps that compute an offset plan (`translate-offsets`, `translate-back`): pure functions from what
 * the translation observed to a {@link GateResult}. The plan row is src/mm2/plan.ts.
 */
import type { GateResult } from '../engine/events.js';
import type { OffsetPlanRow } from '../mm2/plan.js';

/**
 * `offsets-in-range`: no planned offset lies outside its target partition (log start ≤ offset ≤ high watermark) —
 * a row carries the reason in `problem` (src/mm2/plan.ts `boundsProblem`), and the reset would refuse it.
 * @param cluster alias of the cluster the offsets will be committed on (named in the description).
 */
export function offsetsInRangeGate(rows: readonly Pick<OffsetPlanRow, 'group' | 'topic' | 'partition' | 'problem'>[], cluster: string): GateResult {
  const outOfRange = rows.filter((p) => p.problem).map((p) => `${p.group} ${p.topic}/${p.partition}: ${p.problem}`);
  return {
    id: 'offsets-in-range',
    description: `every planned offset lies within its partition on ${cluster} (log start ≤ offset ≤ high watermark)`,
    observed: { outOfRange },
    expected: '0 partitions out of range',
    ok: outOfRange.length === 0,
  };
}

/**
 * `groups-translated`: every partition a selected group commits on has a planned offset.
 * @param untranslatable one line per partition left out of the plan: `<group> <topic>/<partition>…: <why>`.
 * @param allowUntranslated the step's opt-out (the gate then holds whatever was left out, and says so).
 */
export function groupsTranslatedGate(untranslatable: readonly string[], allowUntranslated = false): GateResult {
  return {
    id: 'groups-translated',
    description: 'every partition the selected groups commit on (replicated topics) can be translated',
    observed: { untranslatable: [...untranslatable] },
    expected: allowUntranslated ? 'any (allowUntranslated)' : '0 untranslatable partitions',
    ok: allowUntranslated || untranslatable.length === 0,
  };
}

/** `groups-found`: the selection matched at least one group with a planned offset (an empty plan resets nothing). */
export function groupsFoundGate(rows: readonly Pick<OffsetPlanRow, 'group'>[]): GateResult {
  const groups = new Set(rows.map((p) => p.group)).size;
  return {
    id: 'groups-found',
    description: 'the selection matches at least one group with a planned offset',
    observed: { groups },
    expected: '≥ 1 group',
    ok: groups > 0,
  };
}
