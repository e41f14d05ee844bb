/**
 * Gates of `validate`'s verification — the moved groups resumed from their planned offsets — as pure functions of
 * one observation: the plan, each planned group's committed offsets on the target, and the target's partition bounds.
 */
import type { GateResult } from '../engine/events.js';
import type { CommittedOffset, PartitionOffsets } from '../kafka/port.js';
import { isStreamsInternalTopicOf } from '../mm2/naming.js';
import { type OffsetPlanRow, rowsByGroup } from '../mm2/plan.js';

/** What `validate` read on the target after the groups restarted. */
export interface GroupsResumedObservation {
  plan: readonly Pick<OffsetPlanRow, 'group' | 'topic' | 'partition' | 'targetOffset'>[];
  /** Committed offsets on the target, per planned group (a group with none maps to []). */
  committed: ReadonlyMap<string, readonly CommittedOffset[]>;
  /** Partition bounds on the target, per `topic/partition`, for every planned and every committed partition. */
  bounds: ReadonlyMap<string, PartitionOffsets>;
}

/**
 * `groups-not-rewound`, `groups-progressing`, `no-unplanned-partitions`:
 * - every planned partition's committed offset is at or beyond its `targetOffset` (none rewound, e.g. to earliest by
 *   `auto.offset.reset`, or lost);
 * - each group moved past its planned offset on at least one partition, unless all its planned partitions are at the
 *   high watermark (nothing left to read); `remaining` counts the groups not yet progressing (records consumed per
 *   group since the plan in `detail`);
 * - no partition a group commits on is missing from the plan (it started wherever `auto.offset.reset` put it: the
 *   log start, everything re-read, or the high watermark, records skipped) — except a Kafka Streams application's own
 *   internal topics (naming.ts `isStreamsInternalTopicOf`), which it creates and reads on the target itself.
 */
export function groupsResumedGates(o: GroupsResumedObservation): GateResult[] {
  const at = (topic: string, partition: number) => o.bounds.get(`${topic}/${partition}`);
  const byGroup = rowsByGroup(o.plan);
  const groups = [...byGroup.keys()];
  const rewound: string[] = [];
  const stalled: string[] = [];
  const unplanned: string[] = [];
  const consumed: Record<string, number> = {};
  let progressed = 0;
  for (const g of groups) {
    const committed = o.committed.get(g) ?? [];
    const rows = byGroup.get(g)!;
    for (const c of committed) {
      if (rows.some((r) => r.topic === c.topic && r.partition === c.partition)) continue;
      // A Kafka Streams application's own repartition topics on the target: created and read by it there, never planned.
      if (isStreamsInternalTopicOf(g, c.topic)) continue;
      const b = at(c.topic, c.partition);
      const where = b && c.offset <= b.logStartOffset ? 'earliest' : b && c.offset >= b.highWatermark ? 'latest' : 'mid-log';
      unplanned.push(`${g} ${c.topic}/${c.partition}: ${c.offset} (${where}; log ${b?.logStartOffset ?? '?'}–${b?.highWatermark ?? '?'})`);
    }
    let moved = false;
    let allAtEnd = true;
    for (const r of rows) {
      const c = committed.find((x) => x.topic === r.topic && x.partition === r.partition)?.offset;
      if (c === undefined || c < r.targetOffset) rewound.push(`${g} ${r.topic}/${r.partition}: ${c ?? 'none'} < planned ${r.targetOffset}`);
      if (c !== undefined && c > r.targetOffset) moved = true;
      if (c !== undefined) consumed[g] = (consumed[g] ?? 0) + Math.max(0, c - r.targetOffset);
      if ((c ?? -1) < (at(r.topic, r.partition)?.highWatermark ?? 0)) allAtEnd = false;
    }
    if (moved || allAtEnd) progressed++;
    else stalled.push(g);
  }
  return [
    {
      id: 'groups-not-rewound',
      description: 'committed offsets on the target are at or beyond the planned ones',
      observed: { below: rewound.slice(0, 20), count: rewound.length },
      expected: '0 partitions below plan',
      ok: rewound.length === 0,
    },
    {
      id: 'groups-progressing',
      description: 'each group moved past its planned offsets (or has nothing left to read)',
      observed: { progressing: progressed, stalled, recordsConsumedSincePlan: consumed },
      expected: `${groups.length} of ${groups.length} groups`,
      ok: stalled.length === 0,
      remaining: { value: stalled.length, unit: 'groups not yet progressing', detail: consumed },
    },
    {
      id: 'no-unplanned-partitions',
      description: 'every partition the moved groups commit on had a planned offset (none started at earliest/latest by auto.offset.reset)',
      observed: { unplanned: unplanned.slice(0, 20), count: unplanned.length },
      expected: '0 unplanned partitions',
      ok: unplanned.length === 0,
    },
  ];
}
