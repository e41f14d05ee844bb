/**
 * `offset-continuity`: the continuity proof as a gate (issue 15, item 2), run by `reset-consumer-groups` before any
 * write and by `validate` after the move, and by `offsets translate --verify`. It reads both clusters
 * (src/mm2/continuity.ts) and holds when, for every planned (group, partition) whose source position is known, the
 * record at the planned target offset is the copy of the record the group reads next on the source, or only verified
 * copies of records the group already read precede that copy; and no group moved on the source since the plan.
 */
import type { GateResult } from '../engine/events.js';
import type { CommittedOffset, KafkaPort } from '../kafka/port.js';
import { type ContinuityResult, proveContinuity } from '../mm2/continuity.js';
import { type OffsetPlanRow, rowsByGroup } from '../mm2/plan.js';
import { mapBounded } from '../util/bounded.js';

/** What {@link proveOffsetPlan} proved, for notes and the audit log. */
export interface OffsetPlanProof {
  gate: GateResult;
  results: ContinuityResult[];
}

/** How many failing rows the gate names (the rest are counted). */
const NAMED = 20;

/**
 * Proves the rows of an offset plan whose source position is known (rows planned with the source unreachable, or with a
 * `problem`, are left to the other gates).
 * @param o.sourcePositions the groups' positions on the source now (reset-consumer-groups.ts `positions`), to tell a
 *   group that moved since the plan; o.source undefined: the source does not answer.
 * @throws the ports' read errors.
 */
export async function proveOffsetPlan(o: {
  plan: readonly OffsetPlanRow[];
  source: KafkaPort | undefined;
  target: KafkaPort;
  sourceAlias: string;
  targetAlias: string;
  sourcePositions: (group: string, kind: OffsetPlanRow['offsetKind']) => Promise<CommittedOffset[]>;
  /**
   * A dry run: nothing was frozen or stopped, so copies of the newest records may not be replicated yet and the
   * groups still move on the source. Then only what is wrong with the plan itself fails (skips, foreign records);
   * copies not found and moved groups are reported, not enforced.
   */
  dryRun?: boolean;
}): Promise<OffsetPlanProof> {
  const rows = o.plan.filter((r) => r.sourceCommittedOffset !== null && !r.problem);
  const description = `the record at each planned offset on ${o.targetAlias} is the one each group reads next on ${o.sourceAlias} (re-reads verified record by record)`;
  const expected = 'every row exact or verified re-reads; 0 skips, 0 foreign records, 0 copies not found; no group moved on the source since the plan';
  if (!rows.length)
    return {
      gate: {
        id: 'offset-continuity',
        description,
        observed: { rowsProven: 0, note: `no row with a known source position (planned with ${o.sourceAlias} unreachable)` },
        expected,
        ok: true,
      },
      results: [],
    };
  if (!o.source)
    return {
      gate: {
        id: 'offset-continuity',
        description,
        observed: { rowsProven: 0, rowsToProve: rows.length, note: `${o.sourceAlias} does not answer: the plan's offsets cannot be proven against it` },
        expected,
        ok: false,
      },
      results: [],
    };
  const moved: string[] = [];
  const byGroup = rowsByGroup(rows);
  const groups = [...byGroup.keys()];
  const positionsNow = await mapBounded(groups, (g) => o.sourcePositions(g, byGroup.get(g)![0]!.offsetKind));
  for (const [i, g] of groups.entries()) {
    const planned = byGroup.get(g)!;
    const now = positionsNow[i]!;
    for (const r of planned) {
      const c = now.find((x) => x.topic === r.sourceTopic && x.partition === r.partition)?.offset;
      if (c !== r.sourceCommittedOffset) moved.push(`${g} ${r.sourceTopic}/${r.partition}: planned from ${r.sourceCommittedOffset}, now ${c ?? 'none'}`);
    }
  }
  const results = await proveContinuity({
    source: o.source,
    target: o.target,
    rows: rows.map((r) => ({
      group: r.group,
      sourceTopic: r.sourceTopic,
      topic: r.topic,
      partition: r.partition,
      sourceOffset: r.sourceCommittedOffset!,
      targetOffset: r.targetOffset,
    })),
  });
  const failed = results.filter((r) => !r.ok);
  const blocking = o.dryRun ? failed.filter((r) => r.verdict === 'skips' || r.verdict === 'foreign-records') : failed;
  const count = (v: ContinuityResult['verdict']) => results.filter((r) => r.verdict === v).length;
  return {
    gate: {
      id: 'offset-continuity',
      description,
      observed: {
        rowsProven: results.length,
        exact: count('exact'),
        withReReads: count('re-reads'),
        reReadRecords: results.reduce((s, r) => s + (r.ok ? (r.reReads ?? 0) : 0), 0),
        skips: count('skips'),
        foreignRecords: count('foreign-records'),
        notFound: count('not-found'),
        failures: failed.slice(0, NAMED).map((r) => r.detail),
        ...(failed.length > NAMED ? { moreFailures: failed.length - NAMED } : {}),
        movedOnSource: moved.slice(0, NAMED),
        ...(moved.length > NAMED ? { moreMoved: moved.length - NAMED } : {}),
        ...(o.dryRun
          ? { dryRun: 'copies not found and groups moved are not enforced in a dry run (no freeze: producers and consumers still run on the source)' }
          : {}),
      },
      expected,
      ok: blocking.length === 0 && (o.dryRun || moved.length === 0),
    },
    results,
  };
}

/** One line for notes and summaries: e.g. `40 row(s): 38 exact, 2 with 7 verified re-read(s), 0 failing`. */
export function summarizeProof(results: readonly ContinuityResult[]): string {
  const exact = results.filter((r) => r.verdict === 'exact').length;
  const reReading = results.filter((r) => r.verdict === 're-reads');
  const failing = results.filter((r) => !r.ok).length;
  return `${results.length} row(s): ${exact} exact, ${reReading.length} with ${reReading.reduce((s, r) => s + (r.reReads ?? 0), 0)} verified re-read(s), ${failing} failing`;
}
