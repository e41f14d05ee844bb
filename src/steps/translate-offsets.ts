/**
 * `translate-offsets`: the offset plan — every selected group's target offsets from MM2 checkpoints, checked against
 * the target log, with the records each group will re-read (src/mm2/translate.ts). Output `plan` (the offset plan,
 * src/mm2/plan.ts) feeds `reset-consumer-groups` and `validate`. Gates (src/gates/offset-plan.ts): no offset outside
 * the target log; no selected group left untranslatable (a group MM2 has not checkpointed and no offset sync can
 * translate) unless `allowUntranslated`; at least one group found.
 */
import { offsetSyncsTopicCandidates } from '../mm2/naming.js';
import { checkpointsTopicCandidates } from '../mm2/naming.js';
import { needs } from '../engine/permissions.js';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { groupsFoundGate, groupsTranslatedGate, offsetsInRangeGate } from '../gates/offset-plan.js';
import { planOutputs } from '../mm2/plan.js';
import { translateOffsets } from '../mm2/translate.js';
import { regexString } from './shared.js';

export const translateOffsetsStep = defineStep({
  kind: 'translate-offsets',
  description: 'compute the offset plan from MM2 checkpoints (target offsets, staleness, records to re-read)',
  writes: false,
  acls: (s) => {
    const syncs = s.flow.offsetSyncsTopicLocation === 'target' ? s.flow.target : s.flow.source;
    return [
      ...needs(s.flow.target, 'topic', [checkpointsTopicCandidates(s.flow)], ['READ'], 'translate: MM2 checkpoints'),
      ...needs(syncs, 'topic', [offsetSyncsTopicCandidates(s.flow)], ['READ'], 'translate: MM2 offset syncs'),
      // record-match reads the group's next record on both sides; bounds are read on both.
      ...needs(s.flow.target, 'topic', s.topics.map(s.remote), ['READ'], 'translate: bounds and records on the target'),
      ...needs(s.flow.source, 'topic', s.topics, ['READ'], 'translate: bounds and records on the source'),
      ...needs(s.flow.source, 'group', s.groups, ['DESCRIBE'], "translate: the groups' committed offsets on the source"),
    ];
  },
  output: planOutputs,
  input: z.strictObject({
    groups: regexString.default('.*'),
    excludeGroups: regexString.optional(),
    allowUntranslated: z.boolean().default(false),
    /**
     * `record-match` (default: MM2's translation, then each offset made exact by finding the group's next record on the
     * target when the source answers; src/mm2/record-match.ts) or `mm2` (checkpoints; offset syncs where none).
     */
    method: z.enum(['mm2', 'record-match']).default('record-match'),
  }),
  async check(ctx, input) {
    const { source, target } = ctx.flow;
    const up = await ctx.reachable(source);
    const r = await translateOffsets({
      flow: ctx.flow,
      target: ctx.kafka(target),
      ...(up ? { source: ctx.kafka(source) } : {}),
      include: [new RegExp(`^(?:${input.groups})$`)],
      method: input.method,
      exclude: input.excludeGroups ? [new RegExp(`^(?:${input.excludeGroups})$`)] : [],
    });
    // A partition nothing can translate blocks: no checkpoint and no offset sync at or below the source position
    // (streams and share groups never have checkpoints: offset syncs are their only way).
    // A Kafka Streams application with records in flight in its repartition topics blocks too: they would be lost.
    const stuck = r.untranslated.filter(
      (u) =>
        ((u.reason === 'not-yet-checkpointed' || u.reason === 'group-type-not-checkpointed') && !u.fallback) || u.reason === 'streams-repartition-in-flight',
    );
    const reRead = r.groups.every((g) => g.reReadRecords !== null) ? r.groups.reduce((s, g) => s + (g.reReadRecords ?? 0), 0) : null;
    const matched = r.partitions.filter((p) => p.basis === 'record-match').length;
    ctx.note(
      `${r.groups.length} group(s), ${r.partitions.length} partition(s) translated (${matched} exact by record match); records to re-read: ${reRead ?? 'unknown'}; ${r.untranslated.length} partition(s) without checkpoint; ${r.corrupt.length} corrupt record(s) skipped`,
      {
        groups: r.groups,
        untranslated: r.untranslated,
        corrupt: r.corrupt,
      },
    );
    return {
      gates: [
        offsetsInRangeGate(r.partitions, target),
        groupsTranslatedGate(
          [
            ...stuck.map((u) => `${u.group} ${u.sourceTopic}/${u.partition}${u.reason === 'streams-repartition-in-flight' ? `: ${u.detail}` : ''}`),
            ...r.unmovableGroups.map((u) => `${u.group} (${u.type} group): not movable, ${u.reason}`),
          ],
          input.allowUntranslated,
        ),
        groupsFoundGate(r.partitions),
      ],
      outputs: {
        plan: r.partitions,
        groups: r.groups,
        untranslated: r.untranslated,
        unmovableGroups: r.unmovableGroups,
        reReadRecords: reRead,
        sourceReachable: r.sourceReachable,
      },
    };
  },
});
