/**
 * In-memory fakes for the MM2 unit tests: a Kafka cluster whose partitions hold records at explicit, possibly
 * non-dense offsets (transaction markers and compacted-away records leave gaps, as on a real broker, where a read
 * returns only data records), and a model of MirrorMaker 2's source task that copies a partition densely to the
 * target and emits offset syncs exactly when MM2 does (MM/OffsetSyncWriter.java, PartitionState.update:
 * first record of the task's lifetime, downstream − (last sync downstream + 1) ≥ offset.lag.max, an upstream gap
 * (upstream − previous upstream ≠ 1), a downstream rewind).
 */
import { ACL_OPERATIONS, type AclOperation } from '../../../src/kafka/authorized-operations.js';
import type { CommittedOffset, GroupType, KafkaPort, OffsetToCommit, ReadRecord, ShareStartOffset } from '../../../src/kafka/port.js';
import { encodeCheckpoint, encodeOffsetSync, type Checkpoint, type OffsetSync } from '../../../src/mm2/records.js';

/** One stored record. */
export interface MemRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** One partition: records (ascending offsets, gaps allowed), log start and high watermark. */
export interface MemPartition {
  records: MemRecord[];
  logStartOffset: number;
  highWatermark: number;
}

/** An in-memory cluster implementing the read side of {@link KafkaPort} and offset commits. */
export class MemoryKafka {
  readonly topics = new Map<string, MemPartition[]>();
  readonly groups = new Map<string, CommittedOffset[]>();
  /** Share groups' share-partition start offsets (KIP-932): kept apart from committed offsets, as the broker does. */
  readonly shareGroups = new Map<string, ShareStartOffset[]>();
  /** Types of groups other than classic (ListGroups v5 GroupType), e.g. `streams` for a streams group in `groups`. */
  readonly groupTypes = new Map<string, GroupType>();

  /**
   * The ACLs of the client's principal, when the fake cluster has an authorizer (undefined: none, every operation
   * allowed). Matched as StandardAuthorizer does for ALLOW bindings: a literal name, `*`, or a prefix; `ALL` allows
   * every operation; READ, WRITE, DELETE and ALTER imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS.
   */
  acls?: { resource: 'topic' | 'group' | 'cluster'; name: string; pattern?: 'literal' | 'prefixed'; operation: AclOperation | 'ALL' }[];

  constructor(readonly alias: string) {}

  /** Whether the principal may perform `op` on a resource (see {@link MemoryKafka.acls}). */
  allowed(resource: 'topic' | 'group' | 'cluster', name: string, op: AclOperation): boolean {
    if (!this.acls) return true;
    const implied: Partial<Record<AclOperation, AclOperation[]>> = {
      DESCRIBE: ['READ', 'WRITE', 'DELETE', 'ALTER'],
      DESCRIBE_CONFIGS: ['ALTER_CONFIGS'],
    };
    const ops = [op, ...(implied[op] ?? [])];
    return this.acls.some(
      (a) =>
        a.resource === resource &&
        (a.operation === 'ALL' || ops.includes(a.operation)) &&
        (a.pattern === 'prefixed' ? name.startsWith(a.name) : a.name === '*' || a.name === name),
    );
  }

  /** Creates (or returns) a topic with `n` empty partitions. */
  topic(name: string, n = 1): MemPartition[] {
    const ps = this.topics.get(name) ?? [];
    while (ps.length < n) ps.push({ records: [], logStartOffset: 0, highWatermark: 0 });
    this.topics.set(name, ps);
    return ps;
  }

  /** Appends a record at the high watermark (or at `offset`, which must be ≥ it: the skipped offsets are a gap). */
  append(topic: string, partition: number, r: { key?: Buffer | null; value?: Buffer | null; timestamp?: number; offset?: number }): number {
    const p = this.topic(topic)[partition]!;
    const offset = r.offset ?? p.highWatermark;
    if (offset < p.highWatermark) throw new Error(`offset ${offset} below the high watermark ${p.highWatermark}`);
    p.records.push({ offset, timestamp: r.timestamp ?? 0, key: r.key ?? null, value: r.value ?? Buffer.from(`v${offset}`) });
    p.highWatermark = offset + 1;
    return offset;
  }

  /** A partition with data records at exactly these offsets, and a high watermark (default last + 1: a marker after it raises it). */
  partitionWith(
    topic: string,
    partition: number,
    offsets: number[],
    o: { highWatermark?: number; logStartOffset?: number; timestamp?: (offset: number) => number } = {},
  ): void {
    const p = this.topic(topic, partition + 1)[partition]!;
    for (const offset of offsets) this.append(topic, partition, { offset, timestamp: o.timestamp?.(offset) ?? offset });
    if (o.highWatermark !== undefined) p.highWatermark = o.highWatermark;
    if (o.logStartOffset !== undefined) p.logStartOffset = o.logStartOffset;
  }

  writeCheckpoint(topic: string, c: Checkpoint, timestamp = 0): void {
    this.append(topic, 0, { ...encodeCheckpoint(c), timestamp });
  }

  writeOffsetSync(topic: string, s: OffsetSync): void {
    this.append(topic, 0, encodeOffsetSync(s));
  }

  commit(group: string, topic: string, partition: number, offset: number, metadata = ''): void {
    const list = (this.groups.get(group) ?? []).filter((c) => !(c.topic === topic && c.partition === partition));
    list.push({ topic, partition, offset, metadata });
    this.groups.set(group, list);
  }

  /** The port steps and readers see. Methods the code under test does not use throw. */
  port(): KafkaPort {
    const missing = (name: string) => () => {
      throw new Error(`MemoryKafka(${this.alias}): ${name} not faked`);
    };
    return {
      alias: this.alias,
      describeCluster: missing('describeCluster'),
      describeTopics: missing('describeTopics'),
      describeConfigs: missing('describeConfigs'),
      describeGroups: missing('describeGroups'),
      offsetsForTimestamp: missing('offsetsForTimestamp'),
      createTopic: missing('createTopic'),
      produce: missing('produce'),
      describeBrokers: missing('describeBrokers'),
      describeQuorum: missing('describeQuorum'),
      electPreferredLeaders: missing('electPreferredLeaders'),
      alterTopicConfigs: missing('alterTopicConfigs'),
      listTopics: async () => [...this.topics.keys()],
      // Classic consumer groups, as ListGroups v5 lists them.
      // As a Kafka 4.4 broker answers ApiVersions.
      groupApis: async () => ({
        ListGroups: 5,
        ConsumerGroupDescribe: 1,
        ShareGroupDescribe: 1,
        StreamsGroupDescribe: 1,
        DescribeShareGroupOffsets: 1,
        AlterShareGroupOffsets: 0,
        ConsumerGroupHeartbeat: 1,
      }),
      // As ListGroups v5 lists them: classic groups (admin commits), the types set in `groupTypes`, share groups.
      listGroups: async () => [
        ...[...this.groups.keys()].map((groupId) => {
          const type = this.groupTypes.get(groupId) ?? 'classic';
          return { groupId, protocolType: type === 'classic' ? 'consumer' : type, type, rawType: type };
        }),
        ...[...this.shareGroups.keys()].map((groupId) => ({ groupId, protocolType: 'share', type: 'share' as const, rawType: 'share' })),
      ],
      // An all-topics OffsetFetch for a share group answers no partitions (GroupCoordinatorShard.fetchAllOffsets).
      committedOffsets: async (g: string) => (this.groups.get(g) ?? []).map((c) => ({ ...c })),
      shareGroupOffsets: async (g: string) => (this.shareGroups.get(g) ?? []).map((o) => ({ ...o })),
      alterShareGroupOffsets: async (g: string, offsets: { topic: string; partition: number; startOffset: number }[]) => {
        const list = (this.shareGroups.get(g) ?? []).filter((x) => !offsets.some((o) => o.topic === x.topic && o.partition === x.partition));
        this.shareGroups.set(g, [...list, ...offsets.map((o) => ({ ...o, lag: null }))]);
      },
      partitionOffsets: async (t: string) => {
        const ps = this.topics.get(t);
        if (!ps) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION ${t}`);
        return ps.map((p, partition) => ({ partition, logStartOffset: p.logStartOffset, highWatermark: p.highWatermark }));
      },
      readRange: async (t: string, partition: number, from: number, to: number, on: (r: ReadRecord) => void) => {
        for (const r of this.topics.get(t)?.[partition]?.records ?? []) {
          if (r.offset >= from && r.offset < to && r.offset >= this.topics.get(t)![partition]!.logStartOffset)
            on({ topic: t, partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value });
        }
      },
      commitOffsets: async (g: string, offsets: OffsetToCommit[]) => {
        for (const o of offsets) this.commit(g, o.topic, o.partition, o.offset, o.metadata ?? '');
      },
      // As Kafka answers KIP-430 (src/kafka/authorized-operations.ts): topics and groups by name, existing or not;
      // a resource the principal may not DESCRIBE is refused; cluster operations only with DESCRIBE on the cluster.
      authorizedOperations: async (q: { topics: string[]; groups: string[] }) => {
        const all = Object.keys(ACL_OPERATIONS) as AclOperation[];
        const of = (r: 'topic' | 'group' | 'cluster', name: string) => all.filter((op) => this.allowed(r, name, op));
        const one = (r: 'topic' | 'group', name: string, exists: boolean) =>
          this.allowed(r, name, 'DESCRIBE')
            ? { operations: of(r, name), describeDenied: false, exists }
            : { operations: null, describeDenied: true, exists: null };
        return {
          cluster: this.allowed('cluster', 'kafka-cluster', 'DESCRIBE') ? of('cluster', 'kafka-cluster') : null,
          topics: new Map(q.topics.map((t) => [t, one('topic', t, this.topics.has(t))])),
          groups: new Map(q.groups.map((g) => [g, one('group', g, this.groups.has(g) || this.shareGroups.has(g))])),
          principal: 'User:failover',
        };
      },
      close: async () => {},
    } as KafkaPort;
  }
}

/**
 * MM2's source task for one partition: copies every data record of `source` `topic`/`partition` to `target`
 * `remote`/`partition` in order (densely: the target producer is not transactional, so no markers there) and writes
 * the offset syncs MM2 would into `syncsTopic` on `syncsCluster`. Returns the (upstream → downstream) pairs copied.
 */
export function mirrorPartition(a: {
  source: MemoryKafka;
  topic: string;
  partition: number;
  target: MemoryKafka;
  remote: string;
  syncsCluster: MemoryKafka;
  syncsTopic: string;
  maxOffsetLag?: number;
  /** Copy only upstream records below this offset (the rest never reaches the target). */
  until?: number;
  /** Called before each record is copied (e.g. to let another producer write into the remote topic meanwhile). */
  beforeCopy?: (upstream: number) => void;
}): { upstream: number; downstream: number }[] {
  const maxOffsetLag = a.maxOffsetLag ?? 100;
  a.target.topic(a.remote, a.partition + 1);
  a.syncsCluster.topic(a.syncsTopic, 1);
  let lastSyncDownstream = -1;
  let previousUpstream = -1;
  let previousDownstream = -1;
  const copied: { upstream: number; downstream: number }[] = [];
  for (const r of a.source.topics.get(a.topic)![a.partition]!.records) {
    if (a.until !== undefined && r.offset >= a.until) break;
    a.beforeCopy?.(r.offset);
    const downstream = a.target.append(a.remote, a.partition, { key: r.key, value: r.value, timestamp: r.timestamp });
    const emit =
      lastSyncDownstream === -1 ||
      downstream - (lastSyncDownstream + 1) >= maxOffsetLag ||
      r.offset - previousUpstream !== 1 ||
      downstream < previousDownstream;
    if (emit) {
      lastSyncDownstream = downstream;
      a.syncsCluster.writeOffsetSync(a.syncsTopic, { topic: a.topic, partition: a.partition, upstreamOffset: r.offset, downstreamOffset: downstream });
    }
    previousUpstream = r.offset;
    previousDownstream = downstream;
    copied.push({ upstream: r.offset, downstream });
  }
  return copied;
}
