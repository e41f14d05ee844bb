/**
 * `check-streams-drained`: before the applications are stopped, every Kafka Streams application among the selected
 * groups has consumed its repartition topics on the source (src/gates/streams-drained.ts). Writes are frozen by then,
 * so the backlog only shrinks: use the step's `wait`. Read-only; no application found passes with 0 records.
 */
import { needs } from '../engine/permissions.js';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { repartitionBacklog, streamsDrainedGate } from '../gates/streams-drained.js';
import { regexString } from './shared.js';

export const checkStreamsDrained = defineStep({
  kind: 'check-streams-drained',
  description: 'gate: Kafka Streams applications have consumed their repartition topics (records in flight there would be lost)',
  writes: false,
  acls: (s) => needs(s.flow.source, 'group', s.groups, ['DESCRIBE'], 'Kafka Streams groups: describe them on the source'),
  input: z.strictObject({
    /** Groups to look at (regex, whole name): the groups the runbook moves. */
    groups: regexString.default('.*'),
    maxInFlightRecords: z.number().int().min(0).default(0),
  }),
  async check(ctx, input) {
    const source = ctx.kafka(ctx.flow.source);
    const re = new RegExp(`^(?:${input.groups})$`);
    const ids = (await source.listGroups()).map((g) => g.groupId).filter((g) => re.test(g));
    const backlog = await repartitionBacklog(source, ids);
    const gate = streamsDrainedGate(backlog, input.maxInFlightRecords, ctx.flow.source);
    return {
      gates: [gate],
      outputs: {
        applications: [...new Set(backlog.map((b) => b.application))],
        inFlightRecords: backlog.reduce((s, b) => s + b.inFlightRecords, 0),
      },
    };
  },
});
