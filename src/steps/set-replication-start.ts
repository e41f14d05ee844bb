/**
 * `set-replication-start`: before a flow's MirrorSourceConnector starts, set where it starts reading each partition
 * of its source — the source cluster's log-end offsets recorded when the opposite flow stopped (`stop-replication`
 * output `stoppedAt`, from this run or from the failover run's audit log). Under the identity replication policy this
 * is what keeps a failback from copying the failed-over records back (docs/design/identity-failback.md): after
 * primary→dr, dr's `orders` holds primary's records followed by the DR-period ones; a reverse flow dr→primary that
 * started at dr's earliest offsets would append primary's records to primary's `orders` a second time.
 *
 * - Gate `opposite-flow-stopped` (cycle safety): the opposite flow (the one that wrote the source's topics) appends
 *   nothing during `quietWindowMs` — no heartbeat on its target, no checkpoint, no offset sync — and, when it is the
 *   runbook's flow with Connect REST, its source and checkpoint connectors are STOPPED.
 * - Gate `start-offsets-recorded`: log-end offsets of the source cluster, recorded when the opposite flow stopped.
 * - Gate `source-connector-stopped` (Connect REST): the flow's source connector is STOPPED (KIP-875 needs it).
 * - apply: Connect REST `PATCH /connectors/{source}/offsets`, or for dedicated MM2 the offset records written to
 *   `mm2-offsets.<source>.internal` on the target (created compacted when MM2 never ran that way yet).
 * - verify: the offsets read back (Connect `GET …/offsets`, or the offsets topic read to its end).
 * - Output `neverReplicated` (reverse flow, recorded offsets): records of the flow's target (the old primary) after
 *   the last one that reached the source before the failover — the tail an emergency failover leaves — per partition
 *   `[fromOffset, toOffset)`, from the forward flow's offset syncs read backwards at the recorded offset (at or before
 *   the first record not copied: it may name a few copied records, never miss one). Under identity the reverse
 *   flow appends the DR-period records after them, so groups moved back to those copies do not read them: reported
 *   here (and in the audit log) so they are never dropped silently.
 * Under the default (prefixed) policy nothing is needed: MM2's cycle detection never sends `primary.orders` back.
 * Source of the formats: src/mm2/source-offsets.ts.
 */
import { needs } from '../engine/permissions.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { FlowConfig } from '../clusters/schema.js';
import { ConnectRestError, type ConnectSourceOffset } from '../adapters/connect.js';
import { verifyAuditText } from '../engine/audit.js';
import type { GateResult } from '../engine/events.js';
import { defineStep, type StepContext } from '../engine/step.js';
import type { KafkaPort, PartitionOffsets } from '../kafka/port.js';
import { checkpointsTopicCandidates, heartbeatTopicCandidates, offsetSyncsTopicCandidates, pickExisting } from '../mm2/naming.js';
import { OffsetSyncIndex } from '../mm2/offset-sync-index.js';
import { readOffsetSyncs } from '../mm2/read-internal.js';
import {
  CONNECT_OFFSETS_TOPIC_PARTITIONS,
  DEDICATED_SOURCE_CONNECTOR,
  dedicatedOffsetsTopic,
  offsetRecordKey,
  offsetRecordValue,
  offsetsTopicPartition,
  parseOffsetRecord,
  sourcePartition,
  type StartOffset,
} from '../mm2/source-offsets.js';
import type { FlowStoppedAt } from './stop-replication.js';
import { regexString, selectTopics } from './shared.js';

const startOffset = z.strictObject({ topic: z.string().min(1), partition: z.number().int().min(0), offset: z.number().int().min(0) });
const stoppedAtSchema = z.object({
  flow: z.string(),
  cluster: z.string(),
  replicationPolicy: z.enum(['default', 'identity']),
  recordedAtMs: z.number(),
  logEndOffsets: z.array(startOffset),
});

const input = z.strictObject({
  /** Whose source connector: the runbook's flow (`this`, e.g. dr->primary in a failback) or the opposite one (`opposite`: restoring primary->dr). */
  flow: z.enum(['this', 'opposite']).default('this'),
  /**
   * `recorded` (default): the log-end offsets recorded when the opposite flow stopped (`stoppedAt` or `failoverRun`);
   * `log-end-now`: the source's log-end offsets read by this step, once the opposite flow is proven stopped — for a
   * step placed right after that flow's `stop-replication`, while no producer writes to the source (e.g. restoring
   * primary->dr after a failback, before producers are redirected to primary).
   */
  startAt: z.enum(['recorded', 'log-end-now']).default('recorded'),
  /** `stop-replication`'s output `stoppedAt` from this run (e.g. `${steps.stop-reverse.outputs.stoppedAt}`). */
  stoppedAt: stoppedAtSchema.optional(),
  /** The failover run's directory (or its audit.jsonl): its `stop-replication` output `stoppedAt` is used. Empty: none. */
  failoverRun: z.string().default(''),
  /** Topics to set (regex, whole name); others are left as they are. */
  topics: regexString.default('.*'),
  /** How long the opposite flow must append nothing (ms); longer than its heartbeat interval (MM2 default 1 s). */
  quietWindowMs: z.number().int().min(100).default(3000),
  /** Per Connect REST request (ms). */
  timeoutMs: z.number().int().positive().default(30_000),
});

/** What `apply` writes. */
interface StartPlan {
  mode: 'connect' | 'dedicated';
  /** The flow whose source connector starts there, `source->target`. */
  flow: string;
  /** Connect: the connector; dedicated: `MirrorSourceConnector` in `topic` on the flow's target. */
  connector: string;
  topic?: string;
  /** Upstream offset of the first record to copy, per partition (the stored offset is one less, MM2's convention). */
  offsets: StartOffset[];
}

const opposite = (f: FlowConfig): FlowConfig => {
  const { mm2: _mm2, ...rest } = f;
  return { ...rest, source: f.target, target: f.source };
};
const name = (f: Pick<FlowConfig, 'source' | 'target'>) => `${f.source}->${f.target}`;

/**
 * Reads `stop-replication`'s `stoppedAt` outputs from a run's audit log (a directory holding audit.jsonl, or the file).
 * @throws Error naming the file when it is missing or its hash chain is broken (an edited log is not evidence).
 */
export function stoppedAtFromAudit(runPath: string): FlowStoppedAt[] {
  const file = existsSync(runPath) && statSync(runPath).isDirectory() ? path.join(runPath, 'audit.jsonl') : runPath;
  if (!existsSync(file)) throw new Error(`${file}: no such audit log (give the failover run's directory, <runs dir>/<run id>)`);
  const text = readFileSync(file, 'utf8');
  const v = verifyAuditText(text);
  if (!v.ok) throw new Error(`${file}:${v.line}: the audit log's hash chain is broken (${v.reason}); it cannot serve as evidence`);
  const out: FlowStoppedAt[] = [];
  for (const line of text.split('\n').filter(Boolean)) {
    const rec = JSON.parse(line) as { kind?: string; outputs?: { stoppedAt?: unknown } };
    if (rec.kind !== 'step.succeeded' || rec.outputs?.stoppedAt === undefined) continue;
    const parsed = stoppedAtSchema.safeParse(rec.outputs.stoppedAt);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** End offsets (sum of high watermarks, records) of a topic; 0 when it does not exist. */
async function appended(port: KafkaPort, topic: string | undefined): Promise<number> {
  if (!topic) return 0;
  return (await port.partitionOffsets(topic)).reduce((s, p) => s + p.highWatermark, 0);
}

/**
 * Gate `opposite-flow-stopped`: nothing of the opposite flow moves during the quiet window (heartbeats and
 * checkpoints on its target, offset syncs where they live), and its Connect connectors, when known, are STOPPED.
 */
async function oppositeFlowStopped(ctx: StepContext, seeded: FlowConfig, quietWindowMs: number, timeoutMs: number): Promise<GateResult> {
  const o = opposite(seeded);
  const oTarget = ctx.kafka(o.target);
  const syncsOn = o.offsetSyncsTopicLocation === 'source' ? o.source : o.target;
  const syncsReachable = await ctx.reachable(syncsOn);
  const oTargetTopics = await oTarget.listTopics();
  const signals: { what: string; port: KafkaPort; topic: string | undefined }[] = [
    { what: `heartbeats on ${o.target}`, port: oTarget, topic: pickExisting(heartbeatTopicCandidates(o).slice(0, 1), oTargetTopics) },
    { what: `checkpoints on ${o.target}`, port: oTarget, topic: pickExisting(checkpointsTopicCandidates(o), oTargetTopics) },
  ];
  if (syncsReachable) {
    const port = ctx.kafka(syncsOn);
    signals.push({ what: `offset syncs on ${syncsOn}`, port, topic: pickExisting(offsetSyncsTopicCandidates(o), await port.listTopics()) });
  }
  const before = await Promise.all(signals.map((s) => appended(s.port, s.topic)));
  await ctx.sleep(quietWindowMs);
  const after = await Promise.all(signals.map((s) => appended(s.port, s.topic)));
  const observed: Record<string, unknown> = {};
  signals.forEach((s, i) => {
    observed[s.what] = s.topic ? { topic: s.topic, appended: after[i]! - before[i]! } : 'no such topic';
  });
  if (!syncsReachable) observed[`offset syncs on ${syncsOn}`] = 'not reachable';
  let connectorsStopped = true;
  // The opposite flow's connectors are known only when it is the runbook's own flow (restoring it after a failback).
  const mm2 = ctx.flow.mm2;
  if (name(ctx.flow) === name(o) && mm2 && 'connect' in mm2) {
    const connect = ctx.connect(mm2.connect);
    for (const c of [mm2.connect.connectors.source, mm2.connect.connectors.checkpoint]) {
      const state = await connect
        .status(c, { timeoutMs })
        .then((s) => s.connector)
        .catch((e: unknown) => (e instanceof ConnectRestError && e.status === 404 ? 'absent' : Promise.reject(e)));
      observed[`connector ${c}`] = state;
      if (state !== 'STOPPED' && state !== 'absent') connectorsStopped = false;
    }
  }
  return {
    id: 'opposite-flow-stopped',
    description: `the opposite flow ${name(o)} is stopped before ${name(seeded)} starts (under the identity policy both running would copy records in a loop)`,
    observed,
    expected: `nothing appended in ${quietWindowMs} ms${connectorsStopped ? '' : '; connectors STOPPED'}`,
    ok: after.every((a, i) => a === before[i]) && connectorsStopped,
  };
}

/**
 * Records of the seeded flow's target after the last one the opposite (forward) flow copied before it stopped: the
 * forward offset syncs (on the forward flow's source, MM2's default location) read backwards at each recorded offset.
 * Partitions without a sync below the recorded offset are left out (nothing proves where their copy ended).
 */
async function tailNeverReplicated(
  ctx: StepContext,
  seeded: FlowConfig,
  recorded: StartOffset[],
): Promise<{ topic: string; partition: number; fromOffset: number; toOffset: number; records: number }[]> {
  const forward = opposite(seeded);
  const port = ctx.kafka(forward.source);
  const syncTopic = pickExisting(offsetSyncsTopicCandidates(forward), await port.listTopics());
  if (!syncTopic) return [];
  const syncs = OffsetSyncIndex.from((await readOffsetSyncs(port, syncTopic)).records);
  const out: { topic: string; partition: number; fromOffset: number; toOffset: number; records: number }[] = [];
  const ends = new Map<string, PartitionOffsets[]>();
  for (const o of recorded) {
    const from = syncs.upstreamOf(o.topic, o.partition, o.offset);
    if (!ends.has(o.topic)) ends.set(o.topic, await port.partitionOffsets(o.topic).catch(() => []));
    const end = ends.get(o.topic)!.find((b) => b.partition === o.partition)?.highWatermark;
    if (from === undefined || end === undefined || end <= from) continue;
    out.push({ topic: o.topic, partition: o.partition, fromOffset: from, toOffset: end, records: end - from });
  }
  return out;
}

export const setReplicationStart = defineStep({
  kind: 'set-replication-start',
  description:
    "identity policy: set a flow's MirrorSourceConnector start offsets to the source's log-end offsets recorded when the opposite flow stopped, once that flow is proven stopped",
  writes: true,
  // The offsets topic MM2 (or Connect) reads its starting positions from, on the cluster it replicates into.
  acls: (s) => [
    ...needs(s.flow.source, 'topic', s.topics, ['DESCRIBE'], 'replication start: log-end offsets'),
    ...needs(s.flow.target, 'topic', s.topics, ['DESCRIBE'], 'replication start: log-end offsets'),
  ],
  input,
  async check(ctx, input) {
    const seeded = input.flow === 'this' ? ctx.flow : opposite(ctx.flow);
    if (seeded.replicationPolicy !== 'identity') {
      ctx.note(
        `${name(seeded)} uses the ${seeded.replicationPolicy} replication policy: remote topics are prefixed and MM2 never copies them back; nothing to set`,
      );
      return { outputs: { startOffsets: [], needed: false } };
    }
    const topicRe = new RegExp(`^(?:${input.topics})$`);
    const source = ctx.kafka(seeded.source);
    // Cycle safety first: with log-end-now the offsets are read only once the opposite flow appends nothing.
    const stopped = await oppositeFlowStopped(ctx, seeded, input.quietWindowMs, input.timeoutMs);
    const wanted = (s: FlowStoppedAt) => s.cluster === seeded.source && s.flow === name(opposite(seeded));
    let recorded: FlowStoppedAt | undefined = input.stoppedAt && wanted(input.stoppedAt) ? input.stoppedAt : undefined;
    let auditProblem: string | undefined;
    if (input.startAt === 'log-end-now') {
      const logEndOffsets: StartOffset[] = [];
      for (const t of await selectTopics(source, input.topics))
        for (const p of await source.partitionOffsets(t)) logEndOffsets.push({ topic: t, partition: p.partition, offset: p.highWatermark });
      recorded = { flow: name(opposite(seeded)), cluster: seeded.source, replicationPolicy: 'identity', recordedAtMs: ctx.now(), logEndOffsets };
    } else if (!recorded && input.failoverRun) {
      try {
        recorded = stoppedAtFromAudit(input.failoverRun).filter(wanted).at(-1);
      } catch (e) {
        auditProblem = (e as Error).message;
      }
    }
    const offsets = (recorded?.logEndOffsets ?? []).filter((o) => topicRe.test(o.topic));
    const gates: GateResult[] = [
      {
        id: 'start-offsets-recorded',
        description: `log-end offsets of ${seeded.source} recorded when ${name(opposite(seeded))} stopped (topics matching ${input.topics})`,
        observed: recorded
          ? { recordedAt: new Date(recorded.recordedAtMs).toISOString(), partitions: offsets.length }
          : (auditProblem ?? (input.failoverRun ? `no stop-replication of ${name(opposite(seeded))} in ${input.failoverRun}` : 'none given')),
        // The fix, in the message: without them the flow would start at each topic's earliest offset.
        expected: `at least one partition: give the failover run's directory (--set failoverRun=<runs dir>/<run id>), whose stop-replication step recorded them; without them ${name(seeded)} would copy ${name(opposite(seeded))}'s records back`,
        ok: offsets.length > 0,
      },
    ];
    // The offsets must still lie inside the source's logs (a topic recreated since would make them meaningless).
    const bad: string[] = [];
    const ends = new Map<string, PartitionOffsets[]>();
    for (const o of offsets) {
      if (!ends.has(o.topic)) ends.set(o.topic, await source.partitionOffsets(o.topic).catch(() => []));
      const b = ends.get(o.topic)!.find((x) => x.partition === o.partition);
      if (!b || o.offset > b.highWatermark || o.offset < b.logStartOffset)
        bad.push(`${o.topic}/${o.partition}@${o.offset} (log ${b ? `[${b.logStartOffset}, ${b.highWatermark})` : 'missing'})`);
    }
    gates.push({
      id: 'start-offsets-in-range',
      description: `each start offset lies within its partition's log on ${seeded.source}`,
      observed: bad.length ? bad : `${offsets.length} partition(s) in range`,
      expected: 'all in range',
      ok: bad.length === 0,
    });
    gates.push(stopped);
    const mm2 = seeded.mm2;
    let plan: StartPlan;
    if (mm2 && 'connect' in mm2) {
      const connector = mm2.connect.connectors.source;
      const state = await ctx
        .connect(mm2.connect)
        .status(connector, { timeoutMs: input.timeoutMs })
        .then((s) => s.connector)
        .catch((e: unknown) => (e instanceof ConnectRestError && e.status === 404 ? 'absent' : Promise.reject(e)));
      gates.push({
        id: 'source-connector-stopped',
        description: `${connector} is STOPPED (Connect accepts new offsets only then, KIP-875)`,
        observed: state,
        expected: 'STOPPED (PUT /connectors/{name}/stop, or create it with "initial_state": "STOPPED", Kafka 3.7+)',
        ok: state === 'STOPPED',
      });
      plan = { mode: 'connect', flow: name(seeded), connector, offsets };
    } else {
      plan = { mode: 'dedicated', flow: name(seeded), connector: DEDICATED_SOURCE_CONNECTOR, topic: dedicatedOffsetsTopic(seeded), offsets };
    }
    const neverReplicated = input.flow === 'this' && input.startAt === 'recorded' ? await tailNeverReplicated(ctx, seeded, offsets) : [];
    const tail = neverReplicated.reduce((n, r) => n + r.records, 0);
    if (input.flow === 'this' && input.startAt === 'recorded')
      ctx.note(
        `${tail} record(s) on ${seeded.target} never reached ${seeded.source} before the failover (${neverReplicated.map((r) => `${r.topic}/${r.partition} [${r.fromOffset}, ${r.toOffset})`).join(', ') || 'none'}); the reverse flow appends after them`,
        { neverReplicated },
      );
    return { gates, plan, outputs: { startOffsets: offsets, needed: true, neverReplicated, neverReplicatedRecords: tail } };
  },
  async apply(ctx, _input, plan) {
    if (!plan || plan.offsets.length === 0) return;
    const seeded = plan.flow.split('->');
    const [sourceAlias, targetAlias] = [seeded[0]!, seeded[1]!];
    const detail = { flow: plan.flow, connector: plan.connector, partitions: plan.offsets.length, offsets: plan.offsets };
    if (plan.mode === 'connect') {
      const mm2 = (ctx.flow.mm2 as { connect: Parameters<StepContext['connect']>[0] }).connect;
      const connect = ctx.connect(mm2);
      if (!connect.alterOffsets) throw new Error('this Connect port cannot alter offsets');
      const body: ConnectSourceOffset[] = plan.offsets.map((o) => ({
        partition: sourcePartition(sourceAlias, o.topic, o.partition),
        // null resets the partition: the task then starts at its earliest offset, which is right for 0.
        offset: o.offset === 0 ? null : { offset: o.offset - 1 },
      }));
      await ctx.write({ action: 'set MM2 source offsets (Connect REST PATCH offsets)', details: detail }, () =>
        connect.alterOffsets!(plan.connector, body, { timeoutMs: 30_000 }),
      );
      return;
    }
    const target = ctx.kafka(targetAlias);
    const topic = plan.topic!;
    if (!(await target.listTopics()).includes(topic)) {
      const brokers = (await target.describeCluster()).brokers.length;
      await ctx.write(
        {
          action: 'create MM2 offsets topic',
          cluster: targetAlias,
          details: { topic, partitions: CONNECT_OFFSETS_TOPIC_PARTITIONS, cleanupPolicy: 'compact' },
        },
        () => target.createTopic(topic, CONNECT_OFFSETS_TOPIC_PARTITIONS, Math.min(3, brokers), { 'cleanup.policy': 'compact' }),
      );
    }
    const partitions = (await target.partitionOffsets(topic)).length;
    const records = plan.offsets.map((o) => {
      const key = offsetRecordKey(plan.connector, sourceAlias, o.topic, o.partition);
      // −1 for 0: MirrorSourceTask treats a negative stored offset as none and starts at the earliest offset.
      return { key, value: offsetRecordValue(o.offset - 1), partition: offsetsTopicPartition(key, partitions) };
    });
    await ctx.write({ action: 'write MM2 source offsets (dedicated MM2 offsets topic)', cluster: targetAlias, details: { ...detail, topic } }, () =>
      target.produce(topic, records),
    );
  },
  async verify(ctx, _input, plan) {
    if (!plan || plan.offsets.length === 0) return { gates: [] };
    const sourceAlias = plan.flow.split('->')[0]!;
    const stored = new Map<string, number | null>();
    if (plan.mode === 'connect') {
      const connect = ctx.connect((ctx.flow.mm2 as { connect: Parameters<StepContext['connect']>[0] }).connect);
      for (const o of (await connect.offsets?.(plan.connector, { timeoutMs: 30_000 })) ?? []) {
        const p = o.partition as { cluster?: string; topic?: string; partition?: number };
        if (p.cluster === sourceAlias) stored.set(`${p.topic}/${p.partition}`, typeof o.offset?.offset === 'number' ? o.offset.offset : null);
      }
    } else {
      const target = ctx.kafka(plan.flow.split('->')[1]!);
      for (const p of await target.partitionOffsets(plan.topic!)) {
        await target.readRange(plan.topic!, p.partition, p.logStartOffset, p.highWatermark, (r) => {
          const rec = parseOffsetRecord(plan.connector, r.key, r.value);
          if (rec && rec.cluster === sourceAlias) stored.set(`${rec.topic}/${rec.partition}`, rec.lastReplicated);
        });
      }
    }
    const wrong = plan.offsets.filter((o) => {
      const s = stored.get(`${o.topic}/${o.partition}`);
      return o.offset === 0 ? s !== undefined && s !== null && s >= 0 : s !== o.offset - 1;
    });
    return {
      gates: [
        {
          id: 'start-offsets-stored',
          description: `${plan.connector} will start each partition at its recorded offset (stored offset = start − 1, read back)`,
          observed: wrong.length
            ? wrong.map((o) => `${o.topic}/${o.partition}: stored ${stored.get(`${o.topic}/${o.partition}`) ?? 'none'}`)
            : `${plan.offsets.length} partition(s)`,
          expected: 'all stored',
          ok: wrong.length === 0,
        },
      ],
    };
  },
});
