/**
 * A traffic generator for rehearsals, drills and tests: creates topics, produces keyed records carrying a
 * per-partition sequence number and a timestamp at a set rate, and runs consumer groups that commit offsets as they
 * go. Everything it sends and processes lands in a {@link TrafficLedger}, so a test can prove afterwards that no
 * record was skipped and count the duplicates.
 *
 * Producing is at least once: a batch that fails is sent again with the same sequence numbers on the next tick,
 * so sequences stay consecutive per partition and a record counts as produced only once acknowledged (acks=all).
 * Each topic is sent on its own, and the ledger keeps when each topic's sends were acknowledged (drills measure
 * per topic how long writes were blocked from it).
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import pRetry, { AbortError } from 'p-retry';
import { closableSockets } from './closable-sockets.js';
import { createKafka, type ClientSettings } from '../../kafka/kafkajs-client.js';
import { TrafficLedger, parseTrafficValue, type TrafficRecordValue } from './ledger.js';

/** A topic the generator writes to. */
export interface TrafficTopic {
  name: string;
  partitions: number;
  /** Used when the generator creates the topic; default the cluster's default. */
  replicationFactor?: number;
}

/** A consumer group the generator runs. */
export interface TrafficGroup {
  groupId: string;
  /** Topics it subscribes to (on the cluster it runs against: after failover, e.g. `primary.orders`). */
  topics: string[];
  /** What the consumer subscribes to, when not `topics` (e.g. a pattern matching a topic and its remote copy). */
  subscribe?: (string | RegExp)[];
  /** Pause after each record (ms), to keep groups at different positions mid-stream; default 0. */
  delayMs?: number;
  /** The ledger topics it is judged on, when not derived from `topics` (active-active: `primary.orders`, `dr.orders`). */
  ledgerTopics?: string[];
}

/** Options of {@link startTraffic}. */
export interface TrafficOptions {
  /** Cluster to produce to (and, by default, to consume from). */
  bootstrapServers: string[];
  topics: TrafficTopic[];
  /** Records per second over all partitions; 0 runs no producer. */
  ratePerSecond: number;
  groups?: TrafficGroup[];
  /** Continue an earlier run's ledger (same run id and sequences). */
  ledger?: TrafficLedger;
  /** TLS/SASL for every client the generator makes, on every cluster it reaches (a secured sandbox's clusters share them). */
  clientExtra?: ClientSettings['extra'];
  /**
   * Active-active: the site whose producer this is. Its records carry (and the ledger counts them under) the topic's
   * global name `<site>.<topic>` — `orders` written on primary is `primary.orders` — so the two sites' `orders`, whose
   * sequences are independent, never mix in one ledger shared by both generators. Absent: the topic's own name.
   */
  site?: string;
}

/** Snapshot of the generator's counters. */
export interface TrafficStats {
  run: string;
  produced: number;
  sendFailures: number;
  consumed: Record<string, number>;
}

const TICK_MS = 100;

/** A running generator. Stop it with {@link Traffic.stop}. */
export class Traffic {
  readonly ledger: TrafficLedger;
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Per topic: the send in flight (one at a time per topic). */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Per topic: records owed at the configured rate, and the next partition of its round-robin. */
  private readonly topicState = new Map<string, { carry: number; cursor: number }>();
  private readonly consumers = new Map<string, { consumer: Consumer; refuseNewConnections: () => void }>();
  /** Groups whose crashed member is being replaced (see replaceMember); stopGroup takes a group out. */
  private readonly replacing = new Set<string>();
  /** The cluster the producer writes to when moved off the generator's own (see {@link moveProducer}). */
  private producerKafka: Kafka | undefined;
  sendFailures = 0;
  lastSendError: string | undefined;

  constructor(private readonly options: TrafficOptions) {
    this.ledger = options.ledger ?? new TrafficLedger(randomUUID().slice(0, 8));
    this.kafka = createKafka({ bootstrapServers: options.bootstrapServers, clientId: 'kafka-failover-traffic', extra: { ...options.clientExtra } });
  }

  /** Creates missing topics, then starts producing and the consumer groups. */
  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = this.options.topics.filter((t) => !existing.has(t.name));
      if (missing.length) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({
            topic: t.name,
            numPartitions: t.partitions,
            ...(t.replicationFactor ? { replicationFactor: t.replicationFactor } : {}),
          })),
        });
      }
    } finally {
      await admin.disconnect();
    }
    if (this.options.ratePerSecond > 0) await this.startProducing();
    for (const g of this.options.groups ?? []) await this.startGroup(g);
  }

  /** Starts (or restarts) the producer at the configured rate. */
  async startProducing(): Promise<void> {
    if (this.producer) return;
    this.producer = (this.producerKafka ?? this.kafka).producer({ allowAutoTopicCreation: false, retry: { retries: 1 } });
    await this.producer.connect();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** True while the producer runs (between startProducing and stopProducing). */
  get producing(): boolean {
    return this.timer !== undefined;
  }

  /**
   * Moves the producer to another cluster (a DR period, or back after a failback): stops it, creates the topics
   * there when missing (same partition counts), and produces on with the same sequences — unless `produce` is false
   * (e.g. a client following a redirect while its writes are frozen: it moves, and stays frozen).
   */
  async moveProducer(bootstrapServers: string[], options: { produce?: boolean } = {}): Promise<void> {
    await this.stopProducing();
    this.producerKafka =
      bootstrapServers === this.options.bootstrapServers
        ? undefined
        : createKafka({ bootstrapServers, clientId: 'kafka-failover-traffic', extra: { ...this.options.clientExtra } });
    const admin = (this.producerKafka ?? this.kafka).admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = this.options.topics.filter((t) => !existing.has(t.name));
      if (missing.length) await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions })) });
    } finally {
      await admin.disconnect();
    }
    if (this.options.ratePerSecond > 0 && options.produce !== false) await this.startProducing();
  }

  /** Stops producing (the "freeze writes" of a failover); waits for the batch in flight. */
  async stopProducing(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight.values()]);
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => {});
  }

  /**
   * Sends this tick's share of records of each topic, round-robin over its partitions; on failure the same sequences
   * go next tick. Each topic is sent on its own (its share of the rate, its own request in flight): a topic whose
   * writes are refused (e.g. under min.insync.replicas) neither holds back the others nor shares their outcome, so
   * the ledger's acknowledgement times are per topic.
   */
  private tick(): void {
    const total = this.options.topics.reduce((n, t) => n + t.partitions, 0);
    for (const t of this.options.topics) {
      const s = this.topicState.get(t.name) ?? { carry: 0, cursor: 0 };
      this.topicState.set(t.name, s);
      if (this.inFlight.has(t.name) || !this.producer) continue;
      s.carry += (this.options.ratePerSecond * (t.partitions / total) * TICK_MS) / 1000;
      const n = Math.floor(s.carry);
      if (n === 0) continue;
      const send = this.sendTopic(this.producer, t, s, n).finally(() => this.inFlight.delete(t.name));
      this.inFlight.set(t.name, send);
    }
  }

  private async sendTopic(producer: Producer, t: TrafficTopic, s: { carry: number; cursor: number }, n: number): Promise<void> {
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const p = (s.cursor + i) % t.partitions;
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    // Active-active: the ledger (and the records) name the topic globally, `<site>.<topic>` (see `site`).
    const ledgerTopic = this.options.site ? `${this.options.site}.${t.name}` : t.name;
    const batches = [...counts].map(([partition, count]) => ({ partition, count, first: this.ledger.nextSeq(ledgerTopic, partition) }));
    const sentAt = Date.now();
    const messages = batches.flatMap((b) =>
      Array.from({ length: b.count }, (_, i) => {
        const value: TrafficRecordValue = { run: this.ledger.run, topic: ledgerTopic, partition: b.partition, seq: b.first + i, ts: sentAt };
        return { key: `${ledgerTopic}-${b.partition}-${b.first + i}`, value: JSON.stringify(value), partition: b.partition };
      }),
    );
    try {
      await producer.sendBatch({ acks: -1, timeout: 5000, topicMessages: [{ topic: t.name, messages }] });
      const ackedAt = Date.now();
      for (const b of batches) this.ledger.acknowledge(ledgerTopic, b.partition, b.first, b.count, { sentAt, ackedAt });
      s.carry -= n;
      s.cursor = (s.cursor + n) % t.partitions;
    } catch (error) {
      this.sendFailures++;
      this.lastSendError = error instanceof Error ? error.message : String(error);
      this.ledger.sendFailed(ledgerTopic, sentAt);
      s.carry = Math.min(s.carry, this.options.ratePerSecond); // do not build an unbounded backlog
    }
  }

  /**
   * Starts a consumer group (committing offsets as it goes, every 500 ms) against `bootstrapServers`
   * (default: the generator's cluster). A group that is already running here is left alone.
   *
   * A member kafkajs stops for good — it restarts a crashed consumer only when the error is retriable
   * (kafkajs src/consumer/index.js, onCrash), and e.g. KafkaJSGroupCoordinatorNotFound or KafkaJSLockTimeout are not,
   * as happens while a site's coordinators move after its loss — is replaced by a new member of the group, on the same
   * cluster, until {@link stopGroup}: traffic that silently stops consuming would read as a stuck failover.
   * @throws when the consumer cannot connect, subscribe or start (the group is then not running).
   */
  async startGroup(group: TrafficGroup, bootstrapServers: string[] = this.options.bootstrapServers): Promise<void> {
    if (this.consumers.has(group.groupId)) return;
    // Judge the group on the topics it reads, by origin name (a remote topic `primary.orders` carries `orders`).
    const origins = this.options.topics.map((t) => t.name);
    this.ledger.subscribe(group.groupId, group.ledgerTopics ?? group.topics.map((t) => origins.find((o) => t === o || t.endsWith(`.${o}`)) ?? t));
    // A client of its own per group, whose sockets can be cut: see stopGroup.
    const sockets = closableSockets();
    const kafka = createKafka({
      bootstrapServers,
      clientId: 'kafka-failover-traffic',
      extra: { ...this.options.clientExtra, socketFactory: sockets.socketFactory },
    });
    // A pattern subscription picks up topics created later (a topic written during a DR period): refresh often.
    const consumer = kafka.consumer({
      groupId: group.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 10_000,
      ...(group.subscribe ? { metadataMaxAge: 3000 } : {}),
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000, restartOnFailure: async () => !sockets.refusing() },
    });
    // Registered before connecting, so that a stopGroup meanwhile finds (and stops) this member.
    const member = { consumer, refuseNewConnections: sockets.refuseNew };
    this.consumers.set(group.groupId, member);
    // kafkajs logs nothing here (kafkajs-client.ts): say when a group's consumer crashes, and whether it restarts.
    consumer.on(consumer.events.CRASH, (e) => {
      const replace = !e.payload.restart && this.consumers.get(group.groupId) === member;
      process.stderr.write(
        `traffic: group ${group.groupId} consumer crashed (${e.payload.error.name}: ${e.payload.error.message}); restart: ${e.payload.restart}${replace ? '; kafkajs gives up on this error: a new member replaces it' : ''}\n`,
      );
      if (replace) this.replaceMember(group, bootstrapServers, member);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: group.subscribe ?? group.topics, fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        autoCommitInterval: 500,
        eachMessage: async ({ message }) => {
          this.ledger.consume(group.groupId, parseTrafficValue(message.value));
          if (group.delayMs) await new Promise((r) => setTimeout(r, group.delayMs));
        },
      });
    } catch (error) {
      if (this.consumers.get(group.groupId) === member) this.consumers.delete(group.groupId);
      sockets.refuseNew();
      await consumer.disconnect().catch(() => {});
      throw error;
    }
  }

  /**
   * Replaces a member kafkajs will not restart: the old client may open no new connection (it can never rejoin), and
   * a new member starts, again after a failed start (p-retry, 1–5 s apart, up to 2 min), unless the group is stopped
   * meanwhile.
   */
  private replaceMember(group: TrafficGroup, bootstrapServers: string[], crashed: { refuseNewConnections: () => void }): void {
    this.consumers.delete(group.groupId);
    crashed.refuseNewConnections();
    this.replacing.add(group.groupId);
    void pRetry(
      async () => {
        if (!this.replacing.has(group.groupId)) throw new AbortError('group stopped');
        await this.startGroup(group, bootstrapServers);
        if (this.replacing.delete(group.groupId)) process.stderr.write(`traffic: group ${group.groupId}: a new member started\n`);
      },
      { retries: 40, minTimeout: 1000, maxTimeout: 5000, maxRetryTime: 120_000 },
    ).catch((error: unknown) => {
      if (!this.replacing.delete(group.groupId)) return; // stopped meanwhile
      process.stderr.write(`traffic: group ${group.groupId}: no new member could start (${error instanceof Error ? error.message : String(error)})\n`);
    });
  }

  /** Stops one consumer group's member (commits what it processed, then leaves the group). */
  async stopGroup(groupId: string): Promise<void> {
    this.replacing.delete(groupId);
    const c = this.consumers.get(groupId);
    this.consumers.delete(groupId);
    if (!c) return;
    // Against a dead cluster kafkajs retries the final commit and the leave for minutes: give up waiting after 5 s
    // (the group's last commits are what they are; the member is gone with the cluster). Such a member must stay
    // gone: if the cluster came back while kafkajs still retried — or restarted the consumer after a crash, which it
    // does even once disconnect() has resolved — it would rejoin the group there (a zombie member on the old cluster,
    // which a failback's reset rightly refuses; seen in CI). So from here on its client may open no new connection,
    // the only way back to a restarted cluster, and is never restarted; the connections it has stay, so on a live but
    // slow cluster the disconnect still finishes with its final commit.
    await Promise.race([c.consumer.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);
    c.refuseNewConnections();
  }

  /** Ids of the groups running now. */
  runningGroups(): string[] {
    return [...new Set([...this.consumers.keys(), ...this.replacing])];
  }

  /** Current counters. */
  stats(): TrafficStats {
    const consumed: Record<string, number> = {};
    for (const g of this.options.groups ?? []) consumed[g.groupId] = this.ledger.consumedTotal(g.groupId);
    for (const g of this.runningGroups()) consumed[g] = this.ledger.consumedTotal(g);
    return { run: this.ledger.run, produced: this.ledger.producedTotal(), sendFailures: this.sendFailures, consumed };
  }

  /** Stops producing and every group. */
  async stop(): Promise<void> {
    await this.stopProducing();
    await Promise.all([...new Set([...this.consumers.keys(), ...this.replacing])].map((g) => this.stopGroup(g)));
  }
}

/** Default topology of demo traffic: `orders` (6 partitions) and `payments` (3), three groups at different speeds. */
export const DEFAULT_TRAFFIC_TOPICS: TrafficTopic[] = [
  { name: 'orders', partitions: 6 },
  { name: 'payments', partitions: 3 },
];
export const DEFAULT_TRAFFIC_GROUPS: TrafficGroup[] = [
  { groupId: 'billing', topics: ['orders', 'payments'] },
  { groupId: 'shipping', topics: ['orders'], delayMs: 5 },
  { groupId: 'analytics', topics: ['orders', 'payments'], delayMs: 20 },
];

/** Creates and starts a generator. */
export async function startTraffic(options: TrafficOptions): Promise<Traffic> {
  const t = new Traffic(options);
  await t.start();
  return t;
}
