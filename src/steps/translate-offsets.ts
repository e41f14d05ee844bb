/**
 * `translate-offsets`: the offset plan — every selected group's target offsets from MM2 checkpoints, checked against
 * the target log, with the records each group will re-read (src/mm2/translate.ts). Output `plan` feeds
 * `reset-consumer-groups`. Gates: no offset outside the target log; no selected group left untranslatable (a group
 * MM2 has not checkpointed and no offset sync can translate) unless `allowUntranslated`.
 */
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { translateOffsets } from '../mm2/translate.js';
import { regexString } from './shared.js';

export const translateOffsetsStep = defineStep({
  kind: 'translate-offsets',
  description: 'compute the offset plan from MM2 checkpoints (target offsets, staleness, records to re-read)',
  writes: false,
  input: z.strictObject({
    groups: regexString.default('.*'),
    excludeGroups: regexString.optional(),
    allowUntranslated: z.boolean().default(false),
  }),
  async check(ctx, input) {
    const { source, target } = ctx.flow;
    const up = await ctx.reachable(source);
    const r = await translateOffsets({
      flow: ctx.flow,
      target: ctx.kafka(target),
      ...(up ? { source: ctx.kafka(source) } : {}),
      include: [new RegExp(`^(?:${input.groups})$`)],
      exclude: input.excludeGroups ? [new RegExp(`^(?:${input.excludeGroups})$`)] : [],
    });
    const problems = r.partitions.filter((p) => p.problem);
    const stuck = r.untranslated.filter((u) => u.reason === 'not-yet-checkpointed' && !u.fallback);
    const reRead = r.groups.every((g) => g.reReadRecords !== null) ? r.groups.reduce((s, g) => s + (g.reReadRecords ?? 0), 0) : null;
    ctx.note(`${r.groups.length} group(s), ${r.partitions.length} partition(s) translated; records to re-read: ${reRead ?? 'unknown'}; ${r.untranslated.length} partition(s) without checkpoint; ${r.corrupt.length} corrupt record(s) skipped`, {
      groups: r.groups,
      untranslated: r.untranslated,
      corrupt: r.corrupt,
    });
    return {
      gates: [
        { id: 'offsets-in-range', description: 'every target offset lies within the target partition (log start ≤ offset ≤ high watermark)', observed: { outOfRange: problems.map((p) => `${p.group} ${p.topic}/${p.partition}: ${p.problem}`) }, expected: '0 partitions out of range', ok: problems.length === 0 },
        { id: 'groups-translated', description: 'every selected group with source commits on replicated topics can be translated', observed: { untranslatable: stuck.map((u) => `${u.group} ${u.sourceTopic}/${u.partition}`) }, expected: input.allowUntranslated ? 'any (allowUntranslated)' : '0 untranslatable partitions', ok: input.allowUntranslated || stuck.length === 0 },
        { id: 'groups-found', description: 'the selection matches at least one group with a translation', observed: { groups: r.groups.length }, expected: '≥ 1 group', ok: r.groups.length > 0 },
      ],
      outputs: { plan: r.partitions, groups: r.groups, untranslated: r.untranslated, reReadRecords: reRead, sourceReachable: r.sourceReachable },
    };
  },
});
