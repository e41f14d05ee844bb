/**
 * The gated decision of a stretch site loss (docs/design/stretch-clusters.md): lower `min.insync.replicas` of chosen
 * topics so acks=all writes resume on the surviving site — with a reason, a confirmation and an audit record that
 * holds the previous value — and its restore once the site is back. Never unclean leader election: a topic with
 * `unclean.leader.election.enable=true` blocks the decision.
 * - `lower-min-isr`: topics named exactly (comma-separated); empty = the decision is not taken (writes stay blocked).
 * - `restore-min-isr`: puts back the values the site-loss run recorded (`restore` output / audit log details), once
 *   every partition's ISR is large enough again (so restoring does not block writes anew).
 */
import { z } from 'zod';
import type { GateResult } from '../engine/events.js';
import { defineStep } from '../engine/step.js';
import { brokerUp, parseRestoreSpec } from '../gates/stretch.js';
import type { KafkaPort } from '../kafka/port.js';
import { readTopics, stretchInputs } from './stretch-read.js';

const MIN_ISR = 'min.insync.replicas';
const topicList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The broker default of min.insync.replicas (KafkaConfig), from a broker that is up. */
async function brokerDefaultMinIsr(port: KafkaPort): Promise<number> {
  const live = (await port.describeBrokers()).find(brokerUp);
  if (!live) throw new Error('no broker answers');
  const cfg = await port.describeConfigs('broker', [String(live.nodeId)]);
  return Number(cfg.get(String(live.nodeId))?.get(MIN_ISR) ?? '1');
}

type Lowering = { topic: string; from: number; fromTopicLevel: boolean; to: number };

export const lowerMinIsr = defineStep<
  z.ZodType<{ cluster?: string | undefined; controllerSites: string; topics: string; minInsyncReplicas: number; reason: string }>,
  Lowering[]
>({
  kind: 'lower-min-isr',
  description: 'stretch cluster: the gated, audited decision to lower min.insync.replicas of chosen topics (never unclean election)',
  writes: true,
  alwaysConfirm: true,
  input: z.strictObject({
    ...stretchInputs,
    /** Topic names, comma-separated (exact names, internal topics allowed, e.g. __consumer_offsets); empty: decision not taken. */
    topics: z.string().default(''),
    /** The new value (≥ 1); must be lower than the current one. */
    minInsyncReplicas: z.number().int().min(1),
    /** Why (recorded in the audit log); required when topics are named. */
    reason: z.string().default(''),
  }),
  async check(ctx, input) {
    const alias = input.cluster ?? ctx.flow.source;
    const names = topicList(input.topics);
    if (names.length === 0) {
      ctx.note('decision not taken: no topic named, min.insync.replicas unchanged (acks=all writes stay blocked where under min ISR)');
      return { plan: [], outputs: { lowered: 0, restore: '', loweredTopics: '' } };
    }
    const port = ctx.kafka(alias);
    const { topics, minIsr } = await readTopics(port, names.map(escapeRe).join('|'));
    const cfg = topics.length
      ? await port.describeConfigs(
          'topic',
          topics.map((t) => t.name),
        )
      : new Map<string, Map<string, string | null>>();
    const brokerDefault = await brokerDefaultMinIsr(port);
    const missing = names.filter((n) => !topics.some((t) => t.name === n));
    const plan: Lowering[] = topics.map((t) => {
      const from = minIsr.get(t.name) ?? 1;
      return { topic: t.name, from, fromTopicLevel: from !== brokerDefault, to: input.minInsyncReplicas };
    });
    const notLowering = plan.filter((p) => p.to >= p.from);
    const unclean = topics.filter((t) => cfg.get(t.name)?.get('unclean.leader.election.enable') === 'true').map((t) => t.name);
    const stillBlocked = topics.filter((t) => t.partitions.some((p) => p.isr.length < input.minInsyncReplicas)).map((t) => t.name);
    const gates: GateResult[] = [
      {
        id: 'reason-given',
        description: 'the decision carries a reason (at least 10 characters), recorded in the audit log',
        observed: { reasonLength: input.reason.trim().length },
        expected: '≥ 10 characters',
        ok: input.reason.trim().length >= 10,
      },
      { id: 'topics-exist', description: 'every named topic exists', observed: { missing }, expected: 'none missing', ok: missing.length === 0 },
      {
        id: 'is-lowering',
        description: 'the new value is lower than each topic’s current min.insync.replicas',
        observed: Object.fromEntries(plan.map((p) => [p.topic, p.from])),
        expected: `> ${input.minInsyncReplicas}`,
        ok: notLowering.length === 0,
      },
      {
        id: 'unclean-election-off',
        description: 'no chosen topic has unclean.leader.election.enable=true (never the way out of a site loss: it loses acknowledged records)',
        observed: { unclean },
        expected: 'none',
        ok: unclean.length === 0,
      },
      {
        id: 'writes-resume',
        description: 'every partition of the chosen topics has at least the new min ISR in sync, so acks=all writes resume',
        observed: { stillBlocked },
        expected: 'none',
        ok: stillBlocked.length === 0,
      },
    ];
    const restore = plan.map((p) => `${p.topic}=${p.fromTopicLevel ? p.from : 'default'}`).join(',');
    return { gates, plan, outputs: { lowered: plan.length, restore, loweredTopics: plan.map((p) => escapeRe(p.topic)).join('|') } };
  },
  async apply(ctx, input, plan) {
    const alias = input.cluster ?? ctx.flow.source;
    for (const p of plan ?? []) {
      const restore = `${p.topic}=${p.fromTopicLevel ? p.from : 'default'}`;
      await ctx.write(
        {
          action: 'lower min.insync.replicas',
          cluster: alias,
          details: { topic: p.topic, from: p.from, fromTopicLevel: p.fromTopicLevel, to: p.to, reason: input.reason.trim(), restore },
          key: `lower-min-isr:${p.topic}`,
        },
        () => ctx.kafka(alias).alterTopicConfigs(p.topic, { [MIN_ISR]: String(p.to) }),
      );
    }
    return { lowered: plan?.length ?? 0 };
  },
  async verify(ctx, input, plan) {
    if (!plan?.length) return {};
    const { minIsr } = await readTopics(ctx.kafka(input.cluster ?? ctx.flow.source), plan.map((p) => escapeRe(p.topic)).join('|'));
    const wrong = plan.filter((p) => minIsr.get(p.topic) !== p.to).map((p) => ({ topic: p.topic, now: minIsr.get(p.topic) }));
    return {
      gates: [
        { id: 'lowered', description: 'the cluster reports the new min.insync.replicas', observed: { wrong }, expected: 'all lowered', ok: wrong.length === 0 },
      ],
    };
  },
});

type Restoring = { topic: string; now: number; value: string | null; effective: number };

export const restoreMinIsr = defineStep<z.ZodType<{ cluster?: string | undefined; controllerSites: string; restore: string }>, Restoring[]>({
  kind: 'restore-min-isr',
  description: 'stretch cluster: put back the min.insync.replicas values a site-loss run lowered (from its audit record), once ISR allows',
  writes: true,
  input: z.strictObject({
    ...stretchInputs,
    /** `topic=value|default,…`: the `restore` output of the site-loss run's lower-min-isr step (also in its audit log). Empty: nothing was lowered. */
    restore: z.string().default(''),
  }),
  async check(ctx, input) {
    const entries = parseRestoreSpec(input.restore);
    if (entries.length === 0) return { plan: [], outputs: { restored: 0 } };
    const port = ctx.kafka(input.cluster ?? ctx.flow.source);
    const { topics, minIsr } = await readTopics(port, entries.map((e) => escapeRe(e.topic)).join('|'));
    const brokerDefault = await brokerDefaultMinIsr(port);
    const plan: Restoring[] = entries.map((e) => ({
      topic: e.topic,
      now: minIsr.get(e.topic) ?? -1,
      value: e.value,
      effective: e.value === null ? brokerDefault : Number(e.value),
    }));
    const missing = entries.filter((e) => !topics.some((t) => t.name === e.topic)).map((e) => e.topic);
    const short = topics
      .map((t) => ({ topic: t.name, need: plan.find((p) => p.topic === t.name)!.effective, smallestIsr: Math.min(...t.partitions.map((p) => p.isr.length)) }))
      .filter((x) => x.smallestIsr < x.need);
    return {
      plan,
      gates: [
        { id: 'topics-exist', description: 'every topic to restore exists', observed: { missing }, expected: 'none missing', ok: missing.length === 0 },
        {
          id: 'isr-allows-restore',
          description: 'every partition has at least the restored min ISR in sync (restoring earlier would block writes again)',
          observed: { short },
          expected: 'none short',
          ok: short.length === 0,
        },
      ],
      outputs: { restored: plan.length },
    };
  },
  async apply(ctx, input, plan) {
    const alias = input.cluster ?? ctx.flow.source;
    for (const p of plan ?? []) {
      await ctx.write(
        {
          action: 'restore min.insync.replicas',
          cluster: alias,
          details: { topic: p.topic, from: p.now, to: p.value ?? 'default (topic-level value deleted)' },
          key: `restore-min-isr:${p.topic}`,
        },
        () => ctx.kafka(alias).alterTopicConfigs(p.topic, { [MIN_ISR]: p.value }),
      );
    }
    return { restored: plan?.length ?? 0 };
  },
  async verify(ctx, input, plan) {
    if (!plan?.length) return {};
    const { minIsr } = await readTopics(ctx.kafka(input.cluster ?? ctx.flow.source), plan.map((p) => escapeRe(p.topic)).join('|'));
    const wrong = plan.filter((p) => minIsr.get(p.topic) !== p.effective).map((p) => ({ topic: p.topic, now: minIsr.get(p.topic), want: p.effective }));
    return {
      gates: [
        {
          id: 'restored',
          description: 'the cluster reports the restored min.insync.replicas',
          observed: { wrong },
          expected: 'all restored',
          ok: wrong.length === 0,
        },
      ],
    };
  },
});
