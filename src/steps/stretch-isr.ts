/**
 * Stretch cluster ISR and placement steps (docs/design/stretch-clusters.md):
 * - `check-isr`: per topic, partitions under `min.insync.replicas` (acks=all writes blocked), offline, leaders by
 *   rack, expected vs observed; blocks on offline partitions (never "fixed" with unclean election) and until the ISR
 *   reflects the brokers that are down (so the list of blocked topics is final).
 * - `wait-isr-complete`: every replica back in ISR (use `wait`).
 * - `check-replica-placement`: replicas span racks and min ISR needs both sites; optionally leaders on their
 *   preferred replicas (balanced by rack).
 * - `elect-preferred-leaders`: ElectLeaders PREFERRED for partitions not led by their preferred replica.
 */
import { z } from 'zod';
import type { GateResult } from '../engine/events.js';
import { defineStep } from '../engine/step.js';
import { brokerUp, isrReport, placementIssues } from '../gates/stretch.js';
import { readTopics, stretchInputs, topicsInput } from './stretch-read.js';

const { cluster } = stretchInputs;

export const checkIsr = defineStep({
  kind: 'check-isr',
  description: 'stretch cluster: per topic, partitions under min ISR (writes blocked), offline, leaders by rack; expected vs observed',
  writes: false,
  input: z.strictObject({
    cluster,
    topics: topicsInput,
    /** `report` (default): blocked partitions are reported, not a failure; `writable`: none may be under min ISR. */
    require: z.enum(['report', 'writable']).default('report'),
  }),
  async check(ctx, input) {
    const port = ctx.kafka(input.cluster ?? ctx.flow.source);
    const [brokers, { topics, minIsr }] = await Promise.all([port.describeBrokers(), readTopics(port, input.topics)]);
    const report = isrReport(topics, brokers, minIsr);
    const blocked = report.filter((t) => t.underMinIsr > 0);
    const offline = report.filter((t) => t.offline > 0);
    const unsettled = report.filter((t) => t.isrListsDownBrokers > 0 || t.expectedUnderMinIsr !== t.underMinIsr);
    const down = brokers.filter((b) => !brokerUp(b)).map((b) => b.nodeId);
    ctx.note(
      `${report.length} topic(s); brokers down: ${down.join(', ') || 'none'}; writes blocked (under min ISR) in ${blocked.length}: ` +
        (blocked.map((t) => `${t.topic} ${t.underMinIsr}/${t.partitions} (min ISR ${t.minInsyncReplicas})`).join(', ') || 'none') +
        `; offline partitions: ${offline.reduce((n, t) => n + t.offline, 0)}`,
      { report },
    );
    const gates: GateResult[] = [
      {
        id: 'no-offline-partitions',
        description: 'every partition has a leader (an offline partition needs its site back; unclean leader election is never an option here)',
        observed: { offline: Object.fromEntries(offline.map((t) => [t.topic, t.offline])) },
        expected: '0 offline partitions',
        ok: offline.length === 0,
      },
      {
        id: 'isr-settled',
        description: 'the ISR lists no broker that is down, and the partitions under min ISR are exactly those expected from the brokers that are up',
        observed: Object.fromEntries(
          unsettled.map((t) => [
            t.topic,
            { isrListsDownBrokers: t.isrListsDownBrokers, expectedUnderMinIsr: t.expectedUnderMinIsr, underMinIsr: t.underMinIsr },
          ]),
        ),
        expected: 'observed = expected for every topic',
        ok: unsettled.length === 0,
        remaining: { value: unsettled.length, unit: 'topics' },
      },
    ];
    if (input.require === 'writable')
      gates.push({
        id: 'writable',
        description: 'no partition is under its min.insync.replicas: acks=all writes are accepted',
        observed: { blocked: Object.fromEntries(blocked.map((t) => [t.topic, t.underMinIsr])) },
        expected: '0 partitions under min ISR',
        ok: blocked.length === 0,
      });
    return {
      gates,
      outputs: {
        blockedTopics: blocked.map((t) => t.topic).join(','),
        blockedPartitions: blocked.reduce((n, t) => n + t.underMinIsr, 0),
        offlinePartitions: offline.reduce((n, t) => n + t.offline, 0),
        topics: report,
      },
    };
  },
});

export const waitIsrComplete = defineStep({
  kind: 'wait-isr-complete',
  description: 'stretch cluster: every replica of the selected topics is back in ISR (use wait)',
  writes: false,
  input: z.strictObject({ cluster, topics: topicsInput }),
  async check(ctx, input) {
    const port = ctx.kafka(input.cluster ?? ctx.flow.source);
    const [brokers, { topics, minIsr }] = await Promise.all([port.describeBrokers(), readTopics(port, input.topics)]);
    const report = isrReport(topics, brokers, minIsr);
    const behind = report.filter((t) => t.underReplicated > 0 || t.offline > 0);
    const total = behind.reduce((n, t) => n + t.underReplicated, 0);
    return {
      gates: [
        {
          id: 'isr-complete',
          description: 'every partition has all its replicas in ISR',
          observed: { partitionsNotComplete: total, byTopic: Object.fromEntries(behind.map((t) => [t.topic, t.underReplicated])) },
          expected: '0 partitions with a replica outside ISR',
          ok: behind.length === 0,
          remaining: { value: total, unit: 'partitions', detail: Object.fromEntries(behind.map((t) => [t.topic, t.underReplicated])) },
        },
      ],
      outputs: { partitionsNotComplete: total, topics: report.length },
    };
  },
});

export const checkReplicaPlacement = defineStep({
  kind: 'check-replica-placement',
  description: 'stretch cluster: replicas span both racks, min ISR needs both sites, every broker has a rack; optionally leaders balanced',
  writes: false,
  input: z.strictObject({
    cluster,
    /** Topics to judge; default every topic but Kafka's internal ones and this tool's own (lease, audit anchor). */
    topics: topicsInput.default('(?!__|kafka-failover-).*'),
    /** Also require every partition to be led by its preferred replica (leaders balanced by rack as placed). */
    preferredLeaders: z.boolean().default(false),
  }),
  async check(ctx, input) {
    const port = ctx.kafka(input.cluster ?? ctx.flow.source);
    const [brokers, { topics, minIsr }] = await Promise.all([port.describeBrokers(), readTopics(port, input.topics)]);
    const issues = placementIssues(topics, brokers, minIsr);
    const report = isrReport(topics, brokers, minIsr);
    const leadersByRack: Record<string, number> = {};
    const preferredByRack: Record<string, number> = {};
    for (const t of report) {
      for (const [r, n] of Object.entries(t.leadersByRack)) leadersByRack[r] = (leadersByRack[r] ?? 0) + n;
      for (const [r, n] of Object.entries(t.preferredLeadersByRack)) preferredByRack[r] = (preferredByRack[r] ?? 0) + n;
    }
    const notPreferred = report.reduce((n, t) => n + t.notPreferredLeader, 0);
    ctx.note(
      `${topics.length} topic(s): ${issues.length} placement issue(s); leaders by rack ${JSON.stringify(leadersByRack)} (preferred ${JSON.stringify(preferredByRack)})`,
      { issues },
    );
    const gates: GateResult[] = [
      {
        id: 'placement',
        description: 'no partition has all replicas in one rack, no topic lets one site satisfy min ISR alone, every broker has broker.rack',
        observed: { issues },
        expected: 'no issue',
        ok: issues.length === 0,
      },
    ];
    if (input.preferredLeaders)
      gates.push({
        id: 'leaders-balanced',
        description: 'every partition is led by its preferred replica (leaders by rack as placed)',
        observed: { leadersByRack, preferredLeadersByRack: preferredByRack, notPreferredLeader: notPreferred },
        expected: '0 partitions led by another replica',
        ok: notPreferred === 0,
      });
    return { gates, outputs: { issues: issues.length, leadersByRack, preferredLeadersByRack: preferredByRack, notPreferredLeader: notPreferred } };
  },
});

type Election = { topic: string; partition: number; leader: number; preferred: number };

export const electPreferredLeaders = defineStep<z.ZodType<{ cluster?: string | undefined; topics: string }>, Election[]>({
  kind: 'elect-preferred-leaders',
  description: 'stretch cluster: elect the preferred replica as leader where it is in ISR and does not lead (never unclean)',
  writes: true,
  input: z.strictObject({ cluster, topics: topicsInput }),
  async check(ctx, input) {
    const port = ctx.kafka(input.cluster ?? ctx.flow.source);
    const { topics } = await readTopics(port, input.topics);
    const plan: Election[] = topics.flatMap((t) =>
      t.partitions
        .filter((p) => p.replicas[0] !== undefined && p.leader !== p.replicas[0] && p.isr.includes(p.replicas[0]))
        .map((p) => ({ topic: t.name, partition: p.partition, leader: p.leader, preferred: p.replicas[0]! })),
    );
    return { plan, outputs: { partitionsToElect: plan.length } };
  },
  async apply(ctx, input, plan) {
    if (!plan?.length) return { elected: 0 };
    const alias = input.cluster ?? ctx.flow.source;
    const results = await ctx.write(
      {
        action: 'elect preferred leaders',
        cluster: alias,
        details: { partitions: plan },
        key: `elect:${plan.map((p) => `${p.topic}/${p.partition}`).join(',')}`,
      },
      () => ctx.kafka(alias).electPreferredLeaders(plan.map(({ topic, partition }) => ({ topic, partition }))),
    );
    const failed = (results ?? []).filter((r) => r.outcome === 'failed');
    if (failed.length) ctx.note(`preferred leader election failed for ${failed.length} partition(s)`, { failed });
    return { elected: (results ?? []).filter((r) => r.outcome === 'elected').length, failed: failed.length };
  },
  async verify(ctx, input, plan) {
    const { topics } = await readTopics(ctx.kafka(input.cluster ?? ctx.flow.source), input.topics);
    const lead = new Map(topics.flatMap((t) => t.partitions.map((p) => [`${t.name}/${p.partition}`, p.leader])));
    const still = (plan ?? []).filter((p) => lead.get(`${p.topic}/${p.partition}`) !== p.preferred);
    return {
      gates: [
        {
          id: 'preferred-leaders',
          description: 'each partition planned is now led by its preferred replica',
          observed: { notYet: still.map((p) => `${p.topic}/${p.partition}`) },
          expected: 'all',
          ok: still.length === 0,
        },
      ],
    };
  },
});
