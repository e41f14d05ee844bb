/**
 * `check-replication-lag`: gate on per-partition replication lag ≤ `maxLagRecords` (see src/mm2/lag.ts for how lag
 * is measured without JMX). Use the step's `wait` to let MM2 drain (0 records for a planned failover).
 */
import { heartbeatTopicCandidates } from '../mm2/naming.js';
import { offsetSyncsTopicCandidates } from '../mm2/naming.js';
import { needs } from '../engine/permissions.js';
import { z } from 'zod';
import { defineStep } from '../engine/step.js';
import { maxLag, maxLagUnmeasurable } from '../gates/replication-lag.js';
import { replicationLag } from '../mm2/lag.js';
import { regexString } from './shared.js';

export const checkReplicationLag = defineStep({
  kind: 'check-replication-lag',
  description: 'gate on per-partition replication lag ≤ a threshold',
  writes: false,
  acls: (s) => {
    const syncs = s.flow.offsetSyncsTopicLocation === 'target' ? s.flow.target : s.flow.source;
    return [
      // Source: high watermarks and the data records between the last offset sync and the end (transaction markers).
      ...needs(s.flow.source, 'topic', s.topics, ['READ'], 'replication lag: source log-end offsets and records'),
      ...needs(syncs, 'topic', [offsetSyncsTopicCandidates(s.flow)], ['READ'], 'replication lag: MM2 offset syncs'),
      // Target: each remote topic's last record and MM2's heartbeats.
      ...needs(s.flow.target, 'topic', s.topics.map(s.remote), ['READ'], 'replication lag: replicated records on the target'),
      ...needs(s.flow.target, 'topic', [heartbeatTopicCandidates(s.flow)], ['READ'], 'replication lag: MM2 heartbeats'),
    ];
  },
  input: z.strictObject({
    maxLagRecords: z.number().int().min(0).default(0),
    /** Source topics to consider (regex, whole name). */
    topics: regexString.default('.*'),
  }),
  async check(ctx, input) {
    const { source, target } = ctx.flow;
    const up = await ctx.reachable(source);
    const re = new RegExp(`^(?:${input.topics})$`);
    if (!up) return { gates: [maxLagUnmeasurable(input.maxLagRecords)] };
    // Only the selected topics are read (their ACLs are what this step declares).
    const lag = await replicationLag({ flow: ctx.flow, source: ctx.kafka(source), target: ctx.kafka(target), topics: (t) => re.test(t) });
    const parts = lag.partitions.filter((p) => re.test(p.sourceTopic));
    const gate = maxLag(parts, input.maxLagRecords);
    return { gates: [gate], outputs: { maxLagRecords: gate.observed.maxLagRecords, totalLagRecords: gate.observed.totalLagRecords, partitions: parts.length } };
  },
});
