/**
 * Path 3 of a workload move (docs/design/topologies.md, "Path rules"): a group on cluster X reads `Z.t`, X's copy of
 * a third cluster Z's topic `t` (flow Z->X), and moves to cluster Y, which has its own copy of `t` through the flow
 * Z->Y (`Z.t` on Y under DefaultReplicationPolicy). Neither copy was replicated from the other, so no flow between X
 * and Y carries evidence; Z's offsets are the common ground:
 *
 * 1. **X's copy → Z's original**: the Z->X offset syncs read backwards (the newest sync (U, D) with D ≤ d maps the
 *    group's offset d to U + (d − D), at or before the true record: upstream offsets only skip ahead), then record
 *    match — the record the group reads next on X's copy, found in `t` on Z (src/mm2/record-match.ts, the syncs
 *    reversed as its bounds): the exact upstream offset u.
 * 2. **Z's original → Y's copy**: the Z->Y offset syncs forward (MM2's own rule: the floor sync (U, D) with U ≤ u
 *    gives D, or D + 1 when U < u; OffsetSyncStore.translateDownstream), then record match — the record at u on Z,
 *    found in Y's copy: the exact offset on Y.
 *
 * When Z has no flow into Y but the move's own flow X->Y exists, the copy is X->Y's to replicate onward (`X.Z.t` on Y:
 * a hub's copy of one spoke's topic, on another spoke) and is planned as X's own topic (path 1, its checkpoints).
 *
 * Both hops only ever stay at or before the true position, so a row is never past the record the group reads next:
 * re-reads at worst, never a skip. A row is `record-match` (0 re-reads) when both hops matched, else
 * `origin-offset-syncs` (re-reads not counted). Y's copy may lag X's (two MM2 flows, two speeds): while a record the
 * groups read next is not on Y yet the second match fails; the plan is then made again, up to `waitMs`, before the
 * conservative rows are accepted.
 */
import type { FlowConfig } from '../clusters/schema.js';
import type { KafkaPort, PartitionOffsets } from '../kafka/port.js';
import { offsetSyncsTopicCandidates, pickExisting, remoteTopic, upstreamTopic } from '../mm2/naming.js';
import { OffsetSyncIndex } from '../mm2/offset-sync-index.js';
import { withBoundsProblem, type OffsetPlanRow } from '../mm2/plan.js';
import { readOffsetSyncs } from '../mm2/read-internal.js';
import { matchPlanRows } from '../mm2/record-match.js';
import { positions } from './reset-consumer-groups.js';
import type { PlanContext } from './translate-back.js';

const name = (f: Pick<FlowConfig, 'source' | 'target'>) => `${f.source}->${f.target}`;
const mirrors = (f: FlowConfig) => f.kind !== 'stretch' && f.kind !== 'move';

/** Where X's topic `topic` came from, when it is a copy of a third cluster's topic: the flow Z->X and `t` on Z. */
export interface OriginOf {
  /** The flow Z->X that wrote the copy. */
  inbound: FlowConfig;
  /** The original topic on Z. */
  originTopic: string;
  /** The flow Z->Y that gives Y its own copy, if the clusters file has one. */
  outbound?: FlowConfig;
  /** The name of Y's copy (`remoteTopic(outbound, originTopic)`), when `outbound` exists. */
  targetTopic?: string;
}

/**
 * Whether X's topic `topic` is a copy of a third cluster's topic (path 3 of a move X → Y): written by a flow Z->X of
 * `flows` (default replication policy: its remote-topic prefix; an identity copy cannot be told from X's own topic)
 * with Z neither X nor Y. Pure.
 * @returns the origin (with the Z->Y flow when there is one), or undefined (X's own topic, or a copy of Y's).
 */
export function originOf(flows: readonly FlowConfig[], x: string, y: string, topic: string): OriginOf | undefined {
  for (const f of flows) {
    if (!mirrors(f) || f.target !== x || f.source === y || f.source === x || f.replicationPolicy !== 'default') continue;
    const originTopic = upstreamTopic(f, topic);
    if (originTopic === undefined) continue;
    const outbound = flows.find((g) => mirrors(g) && g.source === f.source && g.target === y);
    return { inbound: f, originTopic, ...(outbound ? { outbound, targetTopic: remoteTopic(outbound, originTopic) } : {}) };
  }
  return undefined;
}

/** What {@link planViaOrigin} found. */
export interface ViaOriginPlan {
  /** One row per (group, X copy, partition) whose path runs through a third cluster. */
  rows: OffsetPlanRow[];
  /** Partitions with no path (no Z->Y flow, no offset sync at or below the position), for the plan gates. */
  untranslatable: string[];
  /** X's topics handled here (every commit on them is a row or untranslatable). */
  topics: Set<string>;
  /** Rows made exact on both hops. */
  exact: number;
}

/** One commit of a moved group on a copy of a third cluster's topic. */
interface Commit {
  group: string;
  groupType: OffsetPlanRow['groupType'];
  offsetKind: OffsetPlanRow['offsetKind'];
  topic: string;
  partition: number;
  offset: number;
  metadata: string;
  origin: OriginOf;
}

/**
 * Offset syncs of the flows a plan reads, kept across the plans {@link planViaOrigin} makes while it waits: per flow,
 * the index so far and where its offset-syncs topic was read up to. Pass one to successive {@link planViaOriginOnce}
 * calls; each then reads only the syncs MM2 wrote since the last (a WAN link and thousands of partitions make the
 * whole topic a large read to repeat every second).
 */
export type OffsetSyncCache = Map<string, { topic: string; index: OffsetSyncIndex; readUpTo: Record<number, number> }>;

/**
 * Offset syncs of a flow (all of them, per partition), read where the flow keeps them — with `cache`, only those
 * written since the cached read, added to its index.
 */
async function syncsOf(ctx: PlanContext, flow: FlowConfig, cache?: OffsetSyncCache): Promise<OffsetSyncIndex> {
  const port = ctx.kafka(flow.offsetSyncsTopicLocation === 'source' ? flow.source : flow.target);
  const key = name(flow);
  const cached = cache?.get(key);
  const topic = cached?.topic ?? pickExisting(offsetSyncsTopicCandidates(flow), await port.listTopics());
  if (!topic) return new OffsetSyncIndex();
  const read = await readOffsetSyncs(port, topic, cached?.readUpTo);
  const index = (cached?.index ?? new OffsetSyncIndex()).extend(read.records);
  cache?.set(key, { topic, index, readUpTo: read.endOffsets });
  return index;
}

/** Partition bounds of a topic on one cluster, each topic read once per call of `bounds`. */
function boundsReader(port: KafkaPort): (topic: string, partition: number) => Promise<PartitionOffsets | undefined> {
  const cache = new Map<string, Promise<PartitionOffsets[]>>();
  return async (topic, partition) => {
    if (!cache.has(topic))
      cache.set(
        topic,
        port.partitionOffsets(topic).catch(() => []),
      );
    return (await cache.get(topic)!).find((b) => b.partition === partition);
  };
}

/**
 * Plans the groups' commits on X's copies of third clusters' topics (see the module comment), once: each hop's
 * offset syncs read once (with `syncCache`, only those written since the cache's last read), each side's bounds read
 * right before its records (the original's after the copy's, so
 * MM2 copying on cannot put the copy past the original's stale end).
 * @param flow the move X->Y (a flow of the file, or a move pair with no flow).
 * @param flows the clusters file's flows.
 * @throws the ports' errors (the caller's retries handle transient ones).
 */
export async function planViaOriginOnce(
  ctx: PlanContext,
  flow: FlowConfig,
  flows: readonly FlowConfig[],
  input: { groups: string; method: 'mm2' | 'record-match' },
  syncCache?: OffsetSyncCache,
): Promise<ViaOriginPlan> {
  const x = ctx.kafka(flow.source);
  const y = ctx.kafka(flow.target);
  const groupRe = new RegExp(`^(?:${input.groups})$`);
  const listed = (await x.listGroups()).filter((g) => groupRe.test(g.groupId));
  const commits: Commit[] = [];
  const topics = new Set<string>();
  for (const g of listed) {
    const offsetKind = g.type === 'share' ? 'share-start-offset' : 'committed-offset';
    for (const c of await positions(x, g.groupId, offsetKind)) {
      const origin = originOf(flows, flow.source, flow.target, c.topic);
      // No Z->Y flow but a real X->Y one: X->Y replicates X's copy onward (`X.Z.t` on Y, a hub's copies to a spoke),
      // path 1 (its checkpoints) — left to the caller. A move pair with no flow has no other path: untranslatable here.
      if (!origin || (!origin.outbound && flow.kind !== 'move')) continue;
      topics.add(c.topic);
      commits.push({
        group: g.groupId,
        groupType: g.type,
        offsetKind,
        topic: c.topic,
        partition: c.partition,
        offset: c.offset,
        metadata: c.metadata,
        origin,
      });
    }
  }
  const rows: OffsetPlanRow[] = [];
  const untranslatable: string[] = [];
  if (commits.length === 0) return { rows, untranslatable, topics, exact: 0 };

  // Per origin cluster Z: its hop into X (read backwards) and its hop into Y (forward).
  const byOrigin = new Map<string, Commit[]>();
  for (const c of commits) {
    if (!c.origin.outbound) {
      untranslatable.push(
        `${c.group} ${c.topic}/${c.partition}@${c.offset}: a copy of ${c.origin.inbound.source}'s ${c.origin.originTopic}, and no flow ${c.origin.inbound.source}->${flow.target} brings it to ${flow.target}`,
      );
      continue;
    }
    byOrigin.set(c.origin.inbound.source, [...(byOrigin.get(c.origin.inbound.source) ?? []), c]);
  }
  let exact = 0;
  for (const [z, list] of byOrigin) {
    const inbound = list[0]!.origin.inbound;
    const outbound = list[0]!.origin.outbound!;
    const zPort = ctx.kafka(z);
    const inSyncs = await syncsOf(ctx, inbound, syncCache);
    const outSyncs = await syncsOf(ctx, outbound, syncCache);

    // Hop 1: X's copy → Z's original, the Z->X syncs read backwards (conservative), then record match.
    const hop1 = list.map((c) => ({ c, u: inSyncs.upstreamOf(c.origin.originTopic, c.partition, c.offset), exact: false }));
    const xBounds = boundsReader(x);
    const zBounds = boundsReader(zPort);
    if (input.method === 'record-match') {
      const reversed = OffsetSyncIndex.from(
        inSyncs.all().map((s) => ({ ...s, topic: remoteTopic(inbound, s.topic), upstreamOffset: s.downstreamOffset, downstreamOffset: s.upstreamOffset })),
      );
      const rowsIn = hop1.map((h) => ({ sourceTopic: h.c.topic, topic: h.c.origin.originTopic, partition: h.c.partition, sourceCommittedOffset: h.c.offset }));
      const { matches } = await matchPlanRows({
        source: x,
        target: zPort,
        syncs: reversed,
        rows: rowsIn,
        eligible: (i) => hop1[i]!.u !== undefined,
        sourceBounds: xBounds,
        targetBounds: zBounds,
      });
      for (const [i, m] of matches) {
        if (!m) continue;
        hop1[i]!.u = Math.max(hop1[i]!.u!, m.targetOffset);
        hop1[i]!.exact = true;
      }
    }

    // Hop 2: Z's original at u → Y's copy, the Z->Y syncs forward (conservative), then record match.
    const hop2 = hop1.map((h) => ({
      ...h,
      y: h.u === undefined ? undefined : outSyncs.translate(h.c.origin.originTopic, h.c.partition, h.u)?.targetOffset,
      yExact: false,
    }));
    const yBounds = boundsReader(y);
    const zBoundsAgain = boundsReader(zPort);
    if (input.method === 'record-match') {
      const rowsOut = hop2.map((h) => ({
        sourceTopic: h.c.origin.originTopic,
        topic: h.c.origin.targetTopic!,
        partition: h.c.partition,
        sourceCommittedOffset: h.u ?? null,
      }));
      const { matches } = await matchPlanRows({
        source: zPort,
        target: y,
        syncs: outSyncs,
        rows: rowsOut,
        eligible: (i) => hop2[i]!.y !== undefined,
        sourceBounds: zBoundsAgain,
        targetBounds: yBounds,
      });
      for (const [i, m] of matches) {
        if (!m) continue;
        hop2[i]!.y = Math.max(hop2[i]!.y!, m.targetOffset);
        hop2[i]!.yExact = true;
      }
    }

    for (const h of hop2) {
      const { c } = h;
      const t = c.origin.originTopic;
      const yTopic = c.origin.targetTopic!;
      if (h.u === undefined) {
        untranslatable.push(`${c.group} ${c.topic}/${c.partition}@${c.offset}: no ${name(inbound)} offset sync at or below it`);
        continue;
      }
      if (h.y === undefined) {
        untranslatable.push(
          `${c.group} ${c.topic}/${c.partition}@${c.offset}: ${z}'s ${t}/${c.partition}@${h.u} has no ${name(outbound)} offset sync at or below it`,
        );
        continue;
      }
      const both = h.exact && h.yExact;
      if (both) exact++;
      const b = await yBounds(yTopic, c.partition);
      rows.push(
        withBoundsProblem({
          group: c.group,
          offsetKind: c.offsetKind,
          groupType: c.groupType,
          topic: yTopic,
          partition: c.partition,
          targetOffset: h.y,
          metadata: c.metadata,
          basis: both ? 'record-match' : 'origin-offset-syncs',
          sourceTopic: c.topic,
          sourceCommittedOffset: c.offset,
          reReadRecords: both ? 0 : null,
          reReadNote: both
            ? `record match on both hops: ${z}'s ${t}/${c.partition}@${h.u}`
            : `not counted: ${h.exact ? '' : `${flow.source}'s copy → ${z} by offset syncs only; `}${h.yExact ? '' : `${z} → ${flow.target}'s copy by offset syncs only (the record at ${h.u} not found on ${flow.target}: not replicated yet, or compacted)`}`.replace(
                /; $/,
                '',
              ),
          logStartOffset: b?.logStartOffset ?? 0,
          highWatermark: b?.highWatermark ?? 0,
          commitsSinceCheckpoint: null,
          path: `${flow.source}:${c.topic} → ${flow.target}:${yTopic} (copy of ${z}'s ${t} on both: ${name(inbound)} offset syncs read backwards to ${z}:${t}@${h.u}, then ${name(outbound)} offset syncs${both ? ', record match on both hops' : ''})`,
          ...(b ? {} : { problem: `${yTopic}/${c.partition} does not exist on ${flow.target}` }),
        }),
      );
    }
  }
  return { rows, untranslatable, topics, exact };
}

/**
 * {@link planViaOriginOnce}, made again every second while some row is not exact, up to `waitMs` (Y's copy catching up
 * with X's); the last plan is returned either way (its conservative rows re-read, never skip).
 */
export async function planViaOrigin(
  ctx: PlanContext,
  flow: FlowConfig,
  flows: readonly FlowConfig[],
  input: { groups: string; method: 'mm2' | 'record-match'; waitMs: number },
): Promise<ViaOriginPlan> {
  const syncs: OffsetSyncCache = new Map();
  let plan = await planViaOriginOnce(ctx, flow, flows, input, syncs);
  for (const deadline = ctx.now() + input.waitMs; input.method === 'record-match' && plan.exact < plan.rows.length && ctx.now() < deadline; ) {
    await ctx.sleep(1000);
    plan = await planViaOriginOnce(ctx, flow, flows, input, syncs);
  }
  return plan;
}
