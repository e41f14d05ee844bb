/**
 * Listing and describing groups of every type Kafka 4.x has, through kafkajs's protocol layer
 * (docs/design/group-types.md). kafkajs speaks DescribeGroups v0–v2 only, and a 4.x broker answers a non-classic group
 * there as `Dead` with no members (GroupMetadataManager.describeGroups: "is not a classic group") — a live KIP-848
 * consumer would look absent. So each group is described by the API its type needs:
 * - the type comes from ListGroups v5 (GroupType), sent to every broker;
 * - `classic` (and groups that do not exist): DescribeGroups, as kafkajs sends it;
 * - `consumer`: ConsumerGroupDescribe (API key 69); `share`: ShareGroupDescribe (API key 77); `streams`:
 *   StreamsGroupDescribe (API key 89, with the topics of the application's topology);
 * - versions negotiated with the broker's ApiVersions answer (kafkajs `broker.versions`); a broker without
 *   ListGroups v3+ (older than KIP-848) has classic groups only and is listed with kafkajs's ListGroups.
 * Fail closed: a listed group whose API the broker lacks, whose type this tool does not know, or whose description came
 * back with an error is returned as type `unknown` — never as empty.
 * Share groups' positions: DescribeShareGroupOffsets (API key 90) reads and AlterShareGroupOffsets (API key 91) sets
 * the share-partition start offsets (the APIs behind `kafka-share-groups.sh --describe --offsets` / `--reset-offsets`).
 */
import { COORDINATOR_RETRIABLE, CoordinatorNotReadyError, type CoordinatorRetryOptions, withCoordinatorRetry } from './coordinator-retry.js';
import { tolerantMetadata, type KafkajsCluster } from './kafkajs-client.js';
import {
  API_KEYS,
  type ApiRange,
  decodeConsumerGroupDescribe,
  decodeFindCoordinators,
  decodeListGroups,
  decodeOffsetFetchGroups,
  decodeAlterShareGroupOffsets,
  decodeDescribeShareGroupOffsets,
  decodeShareGroupDescribe,
  decodeStreamsGroupDescribe,
  type DescribedGroupRaw,
  encodeAlterShareGroupOffsets,
  encodeDescribeShareGroupOffsets,
  encodeStreamsGroupDescribe,
  type StreamsDescribedGroupRaw,
  encodeDescribeGroups,
  encodeFindGroupCoordinators,
  encodeListGroups,
  encodeOffsetFetchGroups,
  type FetchedGroupOffsetsRaw,
  type FoundCoordinatorRaw,
  negotiateVersion,
  SUPPORTED_VERSIONS,
} from './group-requests.js';
import {
  type CommittedOffset,
  GroupApiUnavailableError,
  type GroupApiSupport,
  type GroupInfo,
  type GroupType,
  type ListedGroup,
  type ShareStartOffset,
} from './port.js';

/** The parts of a kafkajs 2.2.4 `Broker` (src/broker/index.js) used here. */
interface SeamBroker {
  nodeId: number;
  /** ApiVersions answer: api key → range. */
  versions: Record<number, ApiRange | undefined>;
  connectionPool: { send(r: object): Promise<unknown> };
  listGroups(): Promise<{ groups: { groupId: string; protocolType: string }[] }>;
  describeGroups(a: { groupIds: string[] }): Promise<{
    groups: { groupId: string; state: string; protocolType: string; members: { memberId: string; clientId: string; clientHost: string }[] }[];
  }>;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(['classic', 'consumer', 'streams', 'share']);

/** Kafka's error names for the codes a describe answer may carry (Errors.java); others are shown by number. */
const ERROR_NAMES: Record<number, string> = {
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  35: 'UNSUPPORTED_VERSION',
  68: 'GROUP_NOT_EMPTY',
  1: 'OFFSET_OUT_OF_RANGE',
  24: 'INVALID_GROUP_ID',
  30: 'GROUP_AUTHORIZATION_FAILED',
  42: 'INVALID_REQUEST',
  69: 'GROUP_ID_NOT_FOUND',
};

/** Sends one request this module encodes itself, and decodes the answer with `decode`. */
async function send<T>(broker: SeamBroker, apiKey: number, apiName: string, apiVersion: number, body: Buffer, decode: (b: Buffer) => T): Promise<T> {
  return (await broker.connectionPool.send({
    // kafkajs's request writer only needs `buf`/`buffer` of an encoder (protocol/encoder.js writeEncoder).
    request: { apiKey, apiVersion, apiName, encode: async () => ({ buf: body, buffer: body }) },
    response: { decode: async (raw: Buffer) => decode(raw), parse: async (x: T) => x },
  })) as T;
}

/** Maps ListGroups v5's GroupType to a {@link GroupType}; below v5 every group is classic (no other type existed). */
function typeOf(groupType: string | null): GroupType {
  if (groupType === null) return 'classic';
  const t = groupType.toLowerCase();
  return KNOWN_TYPES.has(t) ? (t as GroupType) : 'unknown';
}

/** kafkajs's broker object for every broker in the cluster's metadata. */
async function everyBroker(cluster: KafkajsCluster): Promise<SeamBroker[]> {
  const meta = await tolerantMetadata(cluster);
  // kafkajs finds brokers in its own cached metadata, which a fresh connection has not fetched yet (kafkajs's
  // admin.listGroups refreshes it the same way).
  await cluster.refreshMetadata();
  const out: SeamBroker[] = [];
  for (const b of meta.brokers) out.push((await cluster.findBroker({ nodeId: b.nodeId })) as unknown as SeamBroker);
  return out;
}

/**
 * Which group APIs the cluster serves to this tool: per describe API, the version it would use with every broker (the
 * lowest of the versions negotiated per broker from ApiVersions), or `null` when a broker lacks the API or has only
 * versions this tool cannot read. `ConsumerGroupHeartbeat` (API key 68) is the highest version every broker
 * advertises, or `null`: brokers advertise it only when they accept KIP-848 consumer-protocol members (4.0+ by
 * default; on 3.9 only with `group.coordinator.rebalance.protocols` including `consumer`).
 * @throws the connection or protocol error when the cluster's metadata cannot be read.
 */
export async function groupApiSupport(cluster: KafkajsCluster): Promise<GroupApiSupport> {
  const apis = [
    'ListGroups',
    'ConsumerGroupDescribe',
    'ShareGroupDescribe',
    'StreamsGroupDescribe',
    'DescribeShareGroupOffsets',
    'AlterShareGroupOffsets',
  ] as const;
  const out: Partial<Record<keyof GroupApiSupport, number | null>> = {};
  const fold = (api: keyof GroupApiSupport, v: number | null) => {
    const sofar = out[api];
    out[api] = v === null || sofar === null ? null : sofar === undefined ? v : Math.min(sofar, v);
  };
  for (const broker of await everyBroker(cluster)) {
    for (const api of apis) fold(api, negotiateVersion(broker.versions[API_KEYS[api]], SUPPORTED_VERSIONS[api]));
    fold('ConsumerGroupHeartbeat', broker.versions[CONSUMER_GROUP_HEARTBEAT]?.maxVersion ?? null);
  }
  return {
    ListGroups: out.ListGroups ?? null,
    ConsumerGroupDescribe: out.ConsumerGroupDescribe ?? null,
    ShareGroupDescribe: out.ShareGroupDescribe ?? null,
    StreamsGroupDescribe: out.StreamsGroupDescribe ?? null,
    DescribeShareGroupOffsets: out.DescribeShareGroupOffsets ?? null,
    AlterShareGroupOffsets: out.AlterShareGroupOffsets ?? null,
    ConsumerGroupHeartbeat: out.ConsumerGroupHeartbeat ?? null,
  };
}

/** ConsumerGroupHeartbeat's API key (ConsumerGroupHeartbeatRequest.json): never sent by this tool, only looked for. */
const CONSUMER_GROUP_HEARTBEAT = 68;

/**
 * Every group on every broker of the cluster, with its type. Asked again (coordinator-retry.ts) while a broker is
 * still loading its `__consumer_offsets` partitions.
 * @throws the connection or protocol error when a broker cannot be asked (a partial list would hide groups).
 */
export function listTypedGroups(cluster: KafkajsCluster, retry?: CoordinatorRetryOptions): Promise<ListedGroup[]> {
  return withCoordinatorRetry(() => listOnce(cluster), retry);
}

async function listOnce(cluster: KafkajsCluster): Promise<ListedGroup[]> {
  const out: ListedGroup[] = [];
  for (const broker of await everyBroker(cluster)) {
    const v = negotiateVersion(broker.versions[API_KEYS.ListGroups], SUPPORTED_VERSIONS.ListGroups);
    if (v === null) {
      for (const g of (await broker.listGroups()).groups) out.push({ groupId: g.groupId, protocolType: g.protocolType, type: 'classic', rawType: null });
      continue;
    }
    const res = await send(broker, API_KEYS.ListGroups, 'ListGroups', v, encodeListGroups(v), (raw) => decodeListGroups(v, raw));
    const notReady = COORDINATOR_RETRIABLE.get(res.errorCode);
    if (notReady) throw new CoordinatorNotReadyError(notReady, `ListGroups v${v} on broker ${broker.nodeId}`);
    if (res.errorCode !== 0) throw new Error(`ListGroups v${v} on broker ${broker.nodeId} answered error ${ERROR_NAMES[res.errorCode] ?? res.errorCode}`);
    for (const g of res.groups) out.push({ groupId: g.groupId, protocolType: g.protocolType, type: typeOf(g.groupType), rawType: g.groupType });
  }
  return out;
}

const unknownGroup = (groupId: string, reason: string, state = 'Unknown'): GroupInfo => ({
  groupId,
  type: 'unknown',
  state,
  protocolType: '',
  members: 0,
  memberDetails: [],
  unknownReason: reason,
});

type ModernType = 'consumer' | 'share' | 'streams';
const DESCRIBE_API = { consumer: 'ConsumerGroupDescribe', share: 'ShareGroupDescribe', streams: 'StreamsGroupDescribe' } as const;

function fromDescribed(type: ModernType, api: string, g: DescribedGroupRaw | StreamsDescribedGroupRaw | undefined, groupId: string, last: boolean): GroupInfo {
  if (!g) return unknownGroup(groupId, `${api} did not answer for the group`);
  // The coordinator is loading or moved: ask again; on the last attempt the group stays unknown (blocks).
  const notReady = COORDINATOR_RETRIABLE.get(g.errorCode);
  if (notReady && !last) throw new CoordinatorNotReadyError(notReady, `${api} for group "${groupId}"`);
  if (g.errorCode !== 0)
    return unknownGroup(
      groupId,
      `${type} group: ${api} answered ${ERROR_NAMES[g.errorCode] ?? `error ${g.errorCode}`}${g.errorMessage ? ` (${g.errorMessage})` : ''}`,
    );
  const memberDetails = g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost }));
  const topology = 'topology' in g && g.topology ? { streamsTopology: g.topology } : {};
  return { groupId, type, state: g.groupState, protocolType: type, members: memberDetails.length, memberDetails, ...topology };
}

/** Describes groups of one non-classic type with the API it needs, on their coordinator. */
async function describeModern(cluster: KafkajsCluster, type: ModernType, groupIds: string[], last: boolean): Promise<GroupInfo[]> {
  const api = DESCRIBE_API[type];
  const out: GroupInfo[] = [];
  for (const [broker, ids] of await byCoordinator(cluster, groupIds)) {
    const v = negotiateVersion(broker.versions[API_KEYS[api]], SUPPORTED_VERSIONS[api]);
    if (v === null) {
      for (const id of ids)
        out.push(
          unknownGroup(
            id,
            `${type} group: broker ${broker.nodeId} has no ${api} version this tool reads (v${SUPPORTED_VERSIONS[api].min}–v${SUPPORTED_VERSIONS[api].max})`,
          ),
        );
      continue;
    }
    let described: DescribedGroupRaw[];
    try {
      described =
        type === 'streams'
          ? await send(broker, API_KEYS[api], api, v, encodeStreamsGroupDescribe(v, ids), (raw) => decodeStreamsGroupDescribe(v, raw))
          : await send(broker, API_KEYS[api], api, v, encodeDescribeGroups(ids), (raw) =>
              type === 'consumer' ? decodeConsumerGroupDescribe(v, raw) : decodeShareGroupDescribe(raw),
            );
    } catch (error) {
      // A decode failure must not pass as "empty": each group of the request becomes unknown.
      for (const id of ids) out.push(unknownGroup(id, `${type} group: ${api} v${v} failed: ${(error as Error).message}`));
      continue;
    }
    for (const id of ids)
      out.push(
        fromDescribed(
          type,
          api,
          described.find((g) => g.groupId === id),
          id,
          last,
        ),
      );
  }
  return out;
}

/** Largest number of group ids looked up in one FindCoordinator v4 request. */
const COORDINATOR_BATCH = 500;

/**
 * Groups `groupIds` by their coordinator. With FindCoordinator v4 on the brokers, one request per
 * {@link COORDINATOR_BATCH} groups (over a WAN link, one round trip instead of one per group); otherwise kafkajs's
 * lookup, one request per group.
 * @throws CoordinatorNotReadyError for a key answered 14/15/16 (the caller's retry asks again), an Error naming the
 *   group for any other error code or a key left unanswered.
 */
async function byCoordinator(cluster: KafkajsCluster, groupIds: string[]): Promise<[SeamBroker, string[]][]> {
  const by = new Map<number, [SeamBroker, string[]]>();
  const add = (broker: SeamBroker, id: string) => {
    const entry = by.get(broker.nodeId) ?? [broker, []];
    entry[1].push(id);
    by.set(broker.nodeId, entry);
  };
  const askers = groupIds.length < 2 ? [] : await findCoordinatorAskers(cluster);
  if (askers.length === 0) {
    for (const id of groupIds) add((await cluster.findGroupCoordinator({ groupId: id })) as unknown as SeamBroker, id);
    return [...by.values()];
  }
  for (let i = 0; i < groupIds.length; i += COORDINATOR_BATCH) {
    const ids = groupIds.slice(i, i + COORDINATOR_BATCH);
    // Any broker answers FindCoordinator: ask them in turn until one answers (a broker may be down), as kafkajs does.
    let found: FoundCoordinatorRaw[] | undefined;
    let lastError: unknown;
    for (const [broker, v] of askers) {
      try {
        found = await send(broker, API_KEYS.FindCoordinator, 'FindCoordinator', v, encodeFindGroupCoordinators(ids), decodeFindCoordinators);
        break;
      } catch (error) {
        lastError = error;
      }
    }
    if (!found) throw lastError;
    const byKey = new Map(found.map((f) => [f.key, f]));
    for (const id of ids) {
      const c = byKey.get(id);
      if (!c) throw new Error(`FindCoordinator did not answer for group "${id}"`);
      const notReady = COORDINATOR_RETRIABLE.get(c.errorCode);
      if (notReady) throw new CoordinatorNotReadyError(notReady, `FindCoordinator for group "${id}"`);
      if (c.errorCode !== 0)
        throw new Error(
          `FindCoordinator for group "${id}" answered error ${ERROR_NAMES[c.errorCode] ?? c.errorCode}${c.errorMessage ? ` (${c.errorMessage})` : ''}`,
        );
      const known = by.get(c.nodeId)?.[0];
      add(known ?? (await brokerById(cluster, c.nodeId)), id);
    }
  }
  return [...by.values()];
}

/**
 * The brokers kafkajs knows (its broker pool, from the last metadata; else the seed broker) that serve FindCoordinator
 * v4, each with the version to send; empty when none does (then kafkajs's per-group lookup is used).
 */
async function findCoordinatorAskers(cluster: KafkajsCluster): Promise<[SeamBroker, number][]> {
  const pool = (cluster as unknown as { brokerPool?: { seedBroker?: SeamBroker; brokers?: Record<string, SeamBroker> } }).brokerPool;
  const known = Object.values(pool?.brokers ?? {});
  const out: [SeamBroker, number][] = [];
  for (const b of known.length > 0 ? known : pool?.seedBroker ? [pool.seedBroker] : []) {
    const v = b.versions ? negotiateVersion(b.versions[API_KEYS.FindCoordinator], SUPPORTED_VERSIONS.FindCoordinator) : null;
    if (v !== null) out.push([b, v]);
  }
  return out;
}

/** kafkajs's broker object for a node id, metadata refreshed once when kafkajs does not know the node yet. */
async function brokerById(cluster: KafkajsCluster, nodeId: number): Promise<SeamBroker> {
  try {
    return (await cluster.findBroker({ nodeId })) as unknown as SeamBroker;
  } catch (error) {
    if ((error as { name?: string }).name !== 'KafkaJSBrokerNotFound') throw error;
    await cluster.refreshMetadata();
    return (await cluster.findBroker({ nodeId })) as unknown as SeamBroker;
  }
}

/**
 * Describes groups by id, each with the API its type needs; results in the order of `groupIds`.
 * A group that is not listed does not exist and is described by DescribeGroups as before (`Dead`, no members; an
 * admin commit would create it as a simple classic group). A group listed as classic that DescribeGroups answers as
 * `Dead` changed type meanwhile and is `unknown`.
 * Every request goes again, coordinator found anew, while a coordinator answers COORDINATOR_LOAD_IN_PROGRESS,
 * COORDINATOR_NOT_AVAILABLE or NOT_COORDINATOR (coordinator-retry.ts: kafkajs's admin did this for DescribeGroups).
 * @param listed the cluster's groups as {@link listTypedGroups} returned them (one call serves many describes).
 * @param retry the retry schedule (default: coordinator-retry.ts's 8 retries within 20 s).
 * @throws the connection or protocol error of a classic describe (a coordinator error once the retries are spent).
 */
export function describeTypedGroups(cluster: KafkajsCluster, groupIds: string[], listed: ListedGroup[], retry?: CoordinatorRetryOptions): Promise<GroupInfo[]> {
  return withCoordinatorRetry((_attempt, last) => describeOnce(cluster, groupIds, listed, last), retry);
}

async function describeOnce(cluster: KafkajsCluster, groupIds: string[], listed: ListedGroup[], last: boolean): Promise<GroupInfo[]> {
  const listing = new Map(listed.map((g) => [g.groupId, g]));
  const result = new Map<string, GroupInfo>();
  const classic = groupIds.filter((id) => (listing.get(id)?.type ?? 'classic') === 'classic');
  for (const [broker, ids] of await byCoordinator(cluster, classic)) {
    for (const g of (await broker.describeGroups({ groupIds: ids })).groups) {
      const wasListed = listing.has(g.groupId);
      if (wasListed && g.state === 'Dead' && g.members.length === 0) {
        result.set(
          g.groupId,
          unknownGroup(g.groupId, 'listed as a classic group, but DescribeGroups answers Dead (the group changed type or is being deleted)'),
        );
        continue;
      }
      const memberDetails = g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost }));
      result.set(g.groupId, {
        groupId: g.groupId,
        type: 'classic',
        state: g.state,
        protocolType: g.protocolType,
        members: memberDetails.length,
        memberDetails,
      });
    }
  }
  for (const type of ['consumer', 'share', 'streams'] as const) {
    const ids = groupIds.filter((id) => listing.get(id)?.type === type);
    if (ids.length > 0) for (const g of await describeModern(cluster, type, ids, last)) result.set(g.groupId, g);
  }
  for (const id of groupIds) {
    const l = listing.get(id);
    if (result.has(id) || !l) continue;
    result.set(id, unknownGroup(id, `group type "${l.rawType ?? ''}" is not one kafka-failover knows`));
  }
  return groupIds.map((id) => result.get(id) ?? unknownGroup(id, 'no description was returned'));
}

/** The coordinator of one group and the version of `api` it serves, or a {@link GroupApiUnavailableError}. */
async function coordinatorFor(cluster: KafkajsCluster, groupId: string, api: 'DescribeShareGroupOffsets' | 'AlterShareGroupOffsets') {
  const broker = (await cluster.findGroupCoordinator({ groupId })) as unknown as SeamBroker;
  const v = negotiateVersion(broker.versions[API_KEYS[api]], SUPPORTED_VERSIONS[api]);
  if (v === null) throw new GroupApiUnavailableError(api, broker.nodeId, SUPPORTED_VERSIONS[api]);
  return { broker, v };
}

const errorText = (code: number, message: string | null) => `${ERROR_NAMES[code] ?? `error ${code}`}${message ? ` (${message})` : ''}`;

/**
 * A share group's share-partition start offsets (DescribeShareGroupOffsets, every partition the group has state for),
 * sent to its coordinator; partitions answered −1 (no state yet) are left out. Read-only.
 * @throws GroupApiUnavailableError when the coordinator lacks the API; an Error naming the group or partition for
 *   any error answered (GROUP_ID_NOT_FOUND included); coordinator errors 14/15/16 are retried first.
 */
export function describeShareGroupOffsets(cluster: KafkajsCluster, groupId: string, retry?: CoordinatorRetryOptions): Promise<ShareStartOffset[]> {
  return withCoordinatorRetry(async () => {
    const { broker, v } = await coordinatorFor(cluster, groupId, 'DescribeShareGroupOffsets');
    const [g] = await send(broker, API_KEYS.DescribeShareGroupOffsets, 'DescribeShareGroupOffsets', v, encodeDescribeShareGroupOffsets([groupId]), (raw) =>
      decodeDescribeShareGroupOffsets(v, raw),
    );
    if (!g) throw new Error(`DescribeShareGroupOffsets did not answer for group "${groupId}"`);
    const notReady = COORDINATOR_RETRIABLE.get(g.errorCode);
    if (notReady) throw new CoordinatorNotReadyError(notReady, `DescribeShareGroupOffsets for group "${groupId}"`);
    if (g.errorCode !== 0) throw new Error(`DescribeShareGroupOffsets for share group "${groupId}" answered ${errorText(g.errorCode, g.errorMessage)}`);
    const out: ShareStartOffset[] = [];
    for (const p of g.partitions) {
      if (p.errorCode !== 0)
        throw new Error(
          `DescribeShareGroupOffsets for share group "${groupId}" on ${p.topic}/${p.partition} answered ${errorText(p.errorCode, p.errorMessage)}`,
        );
      if (p.startOffset >= 0) out.push({ topic: p.topic, partition: p.partition, startOffset: p.startOffset, lag: p.lag });
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }, retry);
}

/**
 * Sets a share group's share-partition start offsets (AlterShareGroupOffsets v0, on its coordinator). The broker
 * refuses it while the group has members (GROUP_NOT_EMPTY) — the caller checks first and names the members.
 * @throws GroupApiUnavailableError when the coordinator lacks the API; an Error naming the group (group-level error,
 *   GROUP_NOT_EMPTY included) or every refused partition; coordinator errors 14/15/16 are retried first (the request
 *   sets explicit offsets, so sending it again writes the same state).
 */
export function alterShareGroupOffsets(
  cluster: KafkajsCluster,
  groupId: string,
  offsets: readonly { topic: string; partition: number; startOffset: number }[],
  retry?: CoordinatorRetryOptions,
): Promise<void> {
  return withCoordinatorRetry(async () => {
    const { broker, v } = await coordinatorFor(cluster, groupId, 'AlterShareGroupOffsets');
    const res = await send(broker, API_KEYS.AlterShareGroupOffsets, 'AlterShareGroupOffsets', v, encodeAlterShareGroupOffsets(groupId, offsets), (raw) =>
      decodeAlterShareGroupOffsets(raw),
    );
    const notReady = COORDINATOR_RETRIABLE.get(res.errorCode);
    if (notReady) throw new CoordinatorNotReadyError(notReady, `AlterShareGroupOffsets for group "${groupId}"`);
    if (res.errorCode !== 0) throw new Error(`AlterShareGroupOffsets for share group "${groupId}" answered ${errorText(res.errorCode, res.errorMessage)}`);
    const refused = res.partitions.filter((p) => p.errorCode !== 0);
    if (refused.length > 0)
      throw new Error(
        `AlterShareGroupOffsets for share group "${groupId}" refused ${refused.map((p) => `${p.topic}/${p.partition}: ${errorText(p.errorCode, p.errorMessage)}`).join('; ')}`,
      );
  }, retry);
}

/** Groups asked for in one OffsetFetch v8 request (the answer carries every committed partition of each). */
export const OFFSET_FETCH_BATCH = 100;

/**
 * The committed offsets of many groups (partitions without a commit left out), read with OffsetFetch v8 (KIP-709):
 * the groups' coordinators found with batched FindCoordinator v4, then one request per coordinator per
 * {@link OFFSET_FETCH_BATCH} groups — instead of a FindCoordinator and an OffsetFetch per group, which is what
 * kafkajs's `admin.fetchOffsets` sends. Read-only (RequireStable false, no offsets resolved).
 * @returns per group id, its offsets sorted by topic and partition — or the Error naming the group (and partition)
 *   that the coordinator answered for it, e.g. GROUP_AUTHORIZATION_FAILED (a group that does not exist has no offsets,
 *   OffsetMetadataManager.fetchAllOffsets); `undefined` when a coordinator lacks OffsetFetch v8 (brokers before 3.0):
 *   the caller reads those groups one by one.
 * @throws CoordinatorNotReadyError once the retries are spent (coordinator errors 14/15/16 are asked again, the
 *   coordinators found anew: coordinator-retry.ts); connection and decode errors.
 */
export function fetchCommittedOffsets(
  cluster: KafkajsCluster,
  groupIds: readonly string[],
  retry?: CoordinatorRetryOptions,
): Promise<Map<string, CommittedOffset[] | Error> | undefined> {
  return withCoordinatorRetry(async (_attempt, last) => {
    const out = new Map<string, CommittedOffset[] | Error>();
    for (const [broker, ids] of await byCoordinator(cluster, [...new Set(groupIds)])) {
      const v = negotiateVersion(broker.versions[API_KEYS.OffsetFetch], SUPPORTED_VERSIONS.OffsetFetch);
      if (v === null) return undefined;
      for (let i = 0; i < ids.length; i += OFFSET_FETCH_BATCH) {
        const batch = ids.slice(i, i + OFFSET_FETCH_BATCH);
        const answered = await send(broker, API_KEYS.OffsetFetch, 'OffsetFetch', v, encodeOffsetFetchGroups(batch), decodeOffsetFetchGroups);
        for (const id of batch)
          out.set(
            id,
            offsetsOf(
              id,
              v,
              answered.find((a) => a.groupId === id),
              last,
            ),
          );
      }
    }
    return out;
  }, retry);
}

/**
 * One group's offsets from an OffsetFetch v8 answer, or the Error it answered (that group alone fails).
 * @throws CoordinatorNotReadyError for a coordinator error (14/15/16) unless `last`: the whole batch is asked again.
 */
function offsetsOf(id: string, v: number, g: FetchedGroupOffsetsRaw | undefined, last: boolean): CommittedOffset[] | Error {
  if (!g) return new Error(`OffsetFetch v${v} did not answer for group "${id}"`);
  const codes = [{ code: g.errorCode, where: '' }, ...g.partitions.map((p) => ({ code: p.errorCode, where: ` on ${p.topic}/${p.partition}` }))];
  for (const { code, where } of codes) {
    if (code === 0) continue;
    const notReady = COORDINATOR_RETRIABLE.get(code);
    if (notReady && !last) throw new CoordinatorNotReadyError(notReady, `OffsetFetch for group "${id}"${where}`);
    return new Error(`OffsetFetch for group "${id}"${where} answered ${errorText(code, null)}`);
  }
  return g.partitions
    .filter((p) => p.offset >= 0n)
    .map((p) => ({ topic: p.topic, partition: p.partition, offset: Number(p.offset), metadata: p.metadata ?? '' }))
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/**
 * The coordinator of each group (kafkajs's broker object, which sends OffsetCommit), found with batched FindCoordinator
 * v4 where the brokers serve it (one request per 500 groups), else one lookup per group.
 * @throws as {@link byCoordinator}: CoordinatorNotReadyError for a key answered 14/15/16, an Error naming the group otherwise.
 */
export async function groupCoordinators(cluster: KafkajsCluster, groupIds: readonly string[]): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const [broker, ids] of await byCoordinator(cluster, [...new Set(groupIds)])) for (const id of ids) out.set(id, broker);
  return out;
}
