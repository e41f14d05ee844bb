/**
 * The {@link KafkaPort} over kafkajs 2.2.4. Public admin calls where their semantics are right; the protocol layer
 * (docs/design/kafka-port.md) where they are not: high watermarks (READ_UNCOMMITTED ListOffsets), groupless reads,
 * and admin-style offset commits. Never `setOffsets` (joins the group as a member), never `resetOffsets`
 * (commits the −1/−2 sentinels), never `fetchOffsets({resolveOffsets: true})` (writes on a read path).
 */
import { X509Certificate } from 'node:crypto';
import DataLoader from 'dataloader';
import kafkajs, { type Kafka } from 'kafkajs';
import { createKafka, protocolCluster, tolerantMetadata, type ClientSettings } from './kafkajs-client.js';
import {
  alterShareGroupOffsets,
  describeShareGroupOffsets,
  describeTypedGroups,
  fetchCommittedOffsets,
  groupApiSupport,
  groupCoordinators,
  listTypedGroups,
} from './group-types.js';
import { withCoordinatorRetry } from './coordinator-retry.js';
import { type CommittedOffset, GroupNotEmptyError, groupIsCommittable, type GroupInfo, type KafkaPort, type OffsetToCommit } from './port.js';
import { readPartition } from './read-partition.js';
import { stretchPortMethods } from './stretch-port.js';
import { rethrowAccess } from './access-errors.js';
import { describeAuthorizedOperations } from './authorized-operations.js';

// kafkajs is CommonJS: ConfigResourceTypes is not detected as a named export by Node's ESM loader.
const { ConfigResourceTypes } = kafkajs;

/**
 * A client opened on first use and reused. The connecting promise is what is kept, so concurrent first calls (the
 * bounded-concurrency callers, util/bounded.ts) share one client: keeping the client instead let two racing calls each
 * connect one, and `close()` left the other's sockets open (the process never exited). A failed connect is forgotten,
 * so the next call tries again.
 */
function lazyClient<T extends { connect(): Promise<unknown>; disconnect(): Promise<unknown> }>(make: () => T) {
  let pending: Promise<T> | undefined;
  let closed = false;
  return {
    get: (): Promise<T> => {
      // A call after close() (a read still in flight when its operation failed) must not connect a new client: its
      // sockets would outlive the port and keep the process from exiting.
      if (closed) return Promise.reject(new Error('the Kafka connection was closed (the operation had ended)'));
      pending ??= (async () => {
        const c = make();
        try {
          await c.connect();
          return c;
        } catch (error) {
          pending = undefined;
          await c.disconnect().catch(() => {});
          throw error;
        }
      })();
      return pending;
    },
    close: async (): Promise<void> => {
      closed = true;
      const p = pending;
      pending = undefined;
      const c = await p?.catch(() => undefined);
      await c?.disconnect();
    },
  };
}

/** Creates a port for one cluster; connections open lazily and are reused until `close()`. */
export function createKafkaPort(alias: string, settings: ClientSettings): KafkaPort {
  const kafka: Kafka = createKafka(settings);
  const admin = lazyClient(() => kafka.admin());
  const cluster = lazyClient(() => protocolCluster(kafka));
  const producer = lazyClient(() => kafka.producer({ allowAutoTopicCreation: false }));
  const getAdmin = admin.get;
  const getCluster = cluster.get;
  const getProducer = producer.get;
  /** Aborted by close(): partition reads still in flight stop before their next Fetch (a reconnect would leak). */
  const closing = new AbortController();

  /** One group's offsets as kafkajs's admin reads them (a FindCoordinator and an OffsetFetch): brokers before 3.0. */
  const fetchOne = async (groupId: string): Promise<CommittedOffset[]> => {
    // No `topics` and no `resolveOffsets`: OffsetFetch for every partition the group committed; read-only.
    const res = await (await getAdmin()).fetchOffsets({ groupId });
    return res.flatMap((t) =>
      t.partitions
        .filter((p) => Number(p.offset) >= 0)
        .map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset), metadata: p.metadata ?? '' })),
    );
  };
  // Concurrent callers (the bounded-concurrency loops, util/bounded.ts) are served by batched requests: the reads of
  // one tick go out together (DataLoader), as one OffsetFetch v8 per coordinator; the lookups of the groups about to be
  // committed as one FindCoordinator v4. Nothing is cached between batches: offsets and coordinators change.
  const offsetLoader = new DataLoader<string, CommittedOffset[]>(
    async (ids) => {
      const batch = await fetchCommittedOffsets(await getCluster(), ids);
      return batch
        ? ids.map((id) => batch.get(id) ?? new Error(`OffsetFetch did not answer for group "${id}"`))
        : Promise.all(ids.map((id) => fetchOne(id).catch((e: Error) => e)));
    },
    { cache: false, maxBatchSize: 500 },
  );
  const coordinatorLoader = new DataLoader<string, unknown>(
    async (ids) => {
      const found = await groupCoordinators(await getCluster(), ids);
      return ids.map((id) => found.get(id) ?? new Error(`no coordinator found for group "${id}"`));
    },
    { cache: false, maxBatchSize: 500 },
  );

  const port: KafkaPort = {
    alias,
    async describeCluster() {
      // From the raw Metadata response: kafkajs's describeCluster fails when any partition has no leader.
      const m = await tolerantMetadata(await getCluster());
      return {
        clusterId: m.clusterId ?? '',
        controllerId: m.controllerId ?? null,
        brokers: m.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })),
      };
    },
    async listTopics() {
      return (await tolerantMetadata(await getCluster())).topicMetadata.map((t) => t.topic);
    },
    async describeTopics(names) {
      // Raw Metadata (offline partitions included: leader −1); kafkajs's fetchTopicMetadata throws on them.
      const meta = await tolerantMetadata(await getCluster());
      return meta.topicMetadata
        .filter((t) => t.topicErrorCode === 0 && (!names || names.includes(t.topic)))
        .map((t) => ({
          name: t.topic,
          partitions: t.partitionMetadata
            .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas ?? [] }))
            .sort((a, b) => a.partition - b.partition),
        }));
    },
    async describeConfigs(kind, names) {
      const type = kind === 'topic' ? ConfigResourceTypes.TOPIC : ConfigResourceTypes.BROKER;
      // Topic configs from the seed broker directly: kafkajs's admin.describeConfigs refreshes the metadata of every
      // topic first, which throws when any partition has no leader. Broker configs must go to that broker: admin.
      const res =
        kind === 'topic'
          ? await (
              (await getCluster()) as unknown as {
                brokerPool: {
                  seedBroker: {
                    describeConfigs(
                      a: object,
                    ): Promise<{ resources: { resourceName: string; configEntries: { configName: string; configValue: string | null }[] }[] }>;
                  };
                };
              }
            ).brokerPool.seedBroker.describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type, name })) })
          : await (await getAdmin()).describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type, name })) });
      return new Map(res.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]));
    },
    async listGroups() {
      // ListGroups v5 on every broker: kafkajs's admin.listGroups (v0–v2) has no group type (group-types.ts).
      return listTypedGroups(await getCluster());
    },
    async describeGroups(groupIds) {
      if (groupIds.length === 0) return [];
      const c = await getCluster();
      return describeTypedGroups(c, groupIds, await listTypedGroups(c));
    },
    async groupApis() {
      return groupApiSupport(await getCluster());
    },
    async committedOffsets(groupId) {
      return offsetLoader.load(groupId);
    },
    async shareGroupOffsets(groupId) {
      return describeShareGroupOffsets(await getCluster(), groupId);
    },
    async alterShareGroupOffsets(groupId, offsets, described) {
      for (const o of offsets) {
        if (!Number.isSafeInteger(o.startOffset) || o.startOffset < 0)
          throw new RangeError(`refusing to set start offset ${o.startOffset} for ${o.topic}/${o.partition}: offsets must be explicit and ≥ 0`);
      }
      // A share group that has members, or a group of another type under this id, is never written (the broker
      // refuses a non-empty share group too: GROUP_NOT_EMPTY). A group that does not exist is Dead here.
      const [group] = described?.groupId === groupId ? [described] : await port.describeGroups([groupId]);
      if (group && !(groupIsCommittable(group) && (group.type === 'share' || group.state === 'Dead'))) {
        throw new GroupNotEmptyError(
          group.type === 'share' || group.type === 'unknown'
            ? group
            : { ...group, type: 'unknown', unknownReason: `a ${group.type} group has this id, not a share group` },
          alias,
        );
      }
      await alterShareGroupOffsets(await getCluster(), groupId, offsets);
    },
    async partitionOffsets(topic) {
      const c = await getCluster();
      await c.addTargetTopic(topic);
      const partitions = c.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId }));
      const [latest, earliest] = await Promise.all([
        c.fetchTopicsOffset([{ topic, partitions, fromBeginning: false }]),
        c.fetchTopicsOffset([{ topic, partitions, fromBeginning: true }]),
      ]);
      const start = new Map(earliest[0]?.partitions.map((p) => [p.partition, Number(p.offset)]));
      return (latest[0]?.partitions ?? [])
        .map((p) => ({ partition: p.partition, highWatermark: Number(p.offset), logStartOffset: start.get(p.partition) ?? 0 }))
        .sort((a, b) => a.partition - b.partition);
    },
    async offsetsForTimestamp(topic, timestampMs) {
      const c = await getCluster();
      await c.addTargetTopic(topic);
      const partitions = c.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId }));
      const res = await c.fetchTopicsOffset([{ topic, partitions, fromTimestamp: timestampMs }]);
      return (res[0]?.partitions ?? []).map((p) => ({ partition: p.partition, offset: Number(p.offset) })).sort((a, b) => a.partition - b.partition);
    },
    async readRange(topic, partition, fromOffset, toOffset, onRecord) {
      await readPartition(await getCluster(), topic, partition, { fromOffset, toOffset }, onRecord, closing.signal);
    },
    async createTopic(name, partitions, replicationFactor, configs) {
      await (await getAdmin()).createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: name,
            numPartitions: partitions,
            ...(replicationFactor ? { replicationFactor } : {}),
            ...(configs ? { configEntries: Object.entries(configs).map(([n, v]) => ({ name: n, value: v })) } : {}),
          },
        ],
      });
    },
    async produce(topic, records) {
      const res = await (await getProducer()).send({
        topic,
        acks: -1,
        messages: records.map((r) => ({ key: r.key ?? null, value: r.value, ...(r.partition !== undefined ? { partition: r.partition } : {}) })),
      });
      return res.map((r) => ({ partition: r.partition, offset: Number(r.baseOffset ?? r.offset ?? -1) }));
    },
    async commitOffsets(groupId, offsets, described) {
      for (const o of offsets) {
        if (!Number.isSafeInteger(o.offset) || o.offset < 0)
          throw new RangeError(`refusing to commit offset ${o.offset} for ${o.topic}/${o.partition}: offsets must be explicit and ≥ 0`);
      }
      // Described by the API of its type: DescribeGroups alone calls a live KIP-848 group Dead with no members.
      const [group] = described?.groupId === groupId ? [described] : await port.describeGroups([groupId]);
      if (group && !groupIsCommittable(group)) throw new GroupNotEmptyError(group, alias);
      const byTopic = new Map<string, OffsetToCommit[]>();
      for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
      const c = await getCluster();
      try {
        // Generation −1 and an empty member id: the Admin API's alterConsumerGroupOffsets. The broker itself also
        // refuses such a commit while the group has members, so a member joining after the check cannot be overrun.
        // The commit sets explicit offsets, so sending it again (coordinator found anew) while the coordinator is
        // loading or has moved writes the same state once (coordinator-retry.ts).
        await withCoordinatorRetry(async () => {
          const coordinator = (await coordinatorLoader.load(groupId)) as Awaited<ReturnType<typeof c.findGroupCoordinator>>;
          await coordinator.offsetCommit({
            groupId,
            groupGenerationId: -1,
            memberId: '',
            topics: [...byTopic].map(([topic, parts]) => ({
              topic,
              partitions: parts.map((p) => ({ partition: p.partition, offset: String(p.offset), metadata: p.metadata ?? '' })),
            })),
          });
        });
      } catch (error) {
        const type = (error as { type?: string }).type;
        if (type === 'UNKNOWN_MEMBER_ID' || type === 'ILLEGAL_GENERATION' || type === 'REBALANCE_IN_PROGRESS') {
          const [now] = await port.describeGroups([groupId]);
          // Described live: name its members. Described committable, the broker still knows better: say so.
          const refused: GroupInfo = {
            groupId,
            type: 'unknown',
            state: now?.state ?? 'Unknown',
            protocolType: '',
            members: 0,
            memberDetails: [],
            unknownReason: `the broker refused the admin commit (${type}), so the group has members`,
          };
          throw new GroupNotEmptyError(now && !groupIsCommittable(now) ? now : refused, alias);
        }
        throw error;
      }
    },
    async authorizedOperations(q) {
      const answer = await describeAuthorizedOperations(await getCluster(), q);
      const principal = principalOf(settings);
      return principal ? { ...answer, principal } : answer;
    },
    ...stretchPortMethods(getCluster, () => protocolCluster(kafka)),
    async close() {
      closing.abort(new Error('the Kafka connection was closed (the operation had ended)'));
      await Promise.allSettled([admin.close(), cluster.close(), producer.close()]);
    },
  };
  return withAccessErrors(port, settings);
}

/**
 * The principal a client authenticates as, as far as its settings tell: `User:<name>` for SASL PLAIN/SCRAM (Kafka's
 * default principal builder), `User:<subject>` of the client certificate for mTLS (with the broker's default
 * `ssl.principal.mapping.rules` the whole distinguished name; a rule may shorten it), undefined otherwise.
 */
function principalOf(settings: ClientSettings): string | undefined {
  const sasl = settings.extra?.sasl as { mechanism?: string; username?: string } | undefined;
  if (sasl?.username) return `User:${sasl.username}`;
  const cert = (settings.extra?.ssl as { cert?: string | Buffer } | undefined)?.cert;
  if (cert) {
    try {
      return `the principal of client certificate "${new X509Certificate(cert).subject.replace(/\n/g, ',')}"`;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The port with every call's access failures (refused credentials, token or certificates) turned into a
 * {@link ClusterAccessError} naming the cluster and the cause (access-errors.ts); other errors pass unchanged.
 */
function withAccessErrors(port: KafkaPort, settings: ClientSettings): KafkaPort {
  const sasl = settings.extra?.sasl as { mechanism?: string; username?: string } | undefined;
  const identity = { ...(sasl?.mechanism ? { mechanism: sasl.mechanism } : {}), ...(sasl?.username ? { username: sasl.username } : {}) };
  const wrapped = { ...port } as Record<string, unknown>;
  for (const [key, value] of Object.entries(port)) {
    if (typeof value !== 'function' || key === 'close') continue;
    wrapped[key] = async (...args: unknown[]) => {
      try {
        return await (value as (...a: unknown[]) => Promise<unknown>).apply(port, args);
      } catch (error) {
        return rethrowAccess(port.alias, error, identity);
      }
    };
  }
  return wrapped as unknown as KafkaPort;
}
