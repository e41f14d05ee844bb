/**
 * The traffic generator's ledger: every record acknowledged by the cluster and every record each consumer group
 * processed, by origin topic, partition and sequence number. From it, {@link deliveryReport} counts skipped and
 * duplicated records per group — the evidence that a failover lost nothing.
 */

/** The value the generator writes (JSON): origin topic, partition, per-partition sequence, produce time (epoch ms). */
export interface TrafficRecordValue {
  /** Id of the generator run, so runs never mix in one ledger. */
  run: string;
  topic: string;
  partition: number;
  /** 0-based, consecutive within (run, topic, partition). */
  seq: number;
  /** Epoch ms at which the record was sent. */
  ts: number;
}

/** Key `topic/partition`. */
export type PartitionKey = string;
export const partitionKey = (topic: string, partition: number): PartitionKey => `${topic}/${partition}`;

/** Per-group, per-partition consumption counts. */
interface Consumed {
  /** How many times each sequence was processed. */
  counts: Map<number, number>;
}

/** Skipped and duplicated records of one group on one partition. */
export interface PartitionDelivery {
  topic: string;
  partition: number;
  /** Records acknowledged by the cluster. */
  produced: number;
  /** Distinct sequences processed. */
  consumedDistinct: number;
  /** Acknowledged sequences never processed, as ranges `[first, last]`. */
  skipped: [number, number][];
  skippedCount: number;
  /** Processings beyond the first of a sequence. */
  duplicates: number;
}

/** Delivery summary of one consumer group. */
export interface GroupDelivery {
  groupId: string;
  skipped: number;
  duplicates: number;
  partitions: PartitionDelivery[];
}

/**
 * Per topic, how writes fared after a fault mark ({@link TrafficLedger.markFault}): the evidence a drill's RTO is
 * measured from (times epoch ms, on the generator's clock).
 */
export interface TopicWritesAfterFault {
  topic: string;
  /** When the last acknowledgement before the mark arrived; null when none had. */
  lastAckBeforeAt: number | null;
  /**
   * The first acknowledged send that STARTED at or after the mark — a write the fault could have blocked — with when
   * it was sent and acknowledged; null when none was acknowledged (yet).
   */
  firstAckAfter: { sentAt: number; ackedAt: number } | null;
  /** Sends (one per topic and tick) that failed after the mark and before that first acknowledgement. */
  failedSends: number;
}

/** In-memory ledger shared by the producer and the consumer groups of one generator. */
export class TrafficLedger {
  readonly run: string;
  /** Highest acknowledged sequence + 1 per partition (sequences are acknowledged in order per partition). */
  private readonly produced = new Map<PartitionKey, number>();
  private readonly consumed = new Map<string, Map<PartitionKey, Consumed>>();
  /** Records from other runs (or not from the generator) that consumers saw. */
  foreign = 0;
  /** Origin topics each group subscribes to (a group is judged only on those). */
  private readonly subscriptions = new Map<string, Set<string>>();
  /** Epoch ms of the last acknowledgement per topic. */
  private readonly lastAckAt = new Map<string, number>();
  /** The fault mark and, per topic, what happened to writes since (see {@link markFault}). */
  private fault: { at: number; topics: Map<string, TopicWritesAfterFault> } | undefined;

  constructor(run: string) {
    this.run = run;
  }

  /** Notes the origin topics a group reads (e.g. `orders` for `primary.orders` on dr). */
  subscribe(groupId: string, originTopics: string[]): void {
    const s = this.subscriptions.get(groupId) ?? new Set<string>();
    for (const t of originTopics) s.add(t);
    this.subscriptions.set(groupId, s);
  }

  /** Next sequence to send on a partition. */
  nextSeq(topic: string, partition: number): number {
    return this.produced.get(partitionKey(topic, partition)) ?? 0;
  }

  /**
   * Records that the cluster acknowledged `count` records starting at `firstSeq`; `timing` (epoch ms: when the send
   * started, when its acknowledgement arrived) feeds {@link writesAfterFault}.
   */
  acknowledge(topic: string, partition: number, firstSeq: number, count: number, timing?: { sentAt: number; ackedAt: number }): void {
    const k = partitionKey(topic, partition);
    this.produced.set(k, Math.max(this.produced.get(k) ?? 0, firstSeq + count));
    if (!timing) return;
    const f = this.fault ? this.faultTopic(topic) : undefined;
    if (f && !f.firstAckAfter && timing.sentAt >= this.fault!.at) f.firstAckAfter = { ...timing };
    this.lastAckAt.set(topic, Math.max(this.lastAckAt.get(topic) ?? 0, timing.ackedAt));
  }

  /** Records that a send to `topic` started at `sentAt` (epoch ms) failed (nothing of it counts as acknowledged). */
  sendFailed(topic: string, sentAt: number): void {
    const f = this.fault ? this.faultTopic(topic) : undefined;
    if (f && !f.firstAckAfter && sentAt >= this.fault!.at) f.failedSends++;
  }

  /**
   * Marks the moment of a fault (epoch ms; e.g. a site was just lost): from here on, per topic, the first
   * acknowledged send that started at or after it is kept. A new mark replaces the previous one.
   */
  markFault(at: number): void {
    this.fault = { at, topics: new Map() };
    for (const t of this.lastAckAt.keys()) this.faultTopic(t);
  }

  /** The fault mark (epoch ms), or null when none was set. */
  faultMarkedAt(): number | null {
    return this.fault?.at ?? null;
  }

  /** Per topic written (sorted by name), how writes fared since the fault mark; empty without a mark. */
  writesAfterFault(): TopicWritesAfterFault[] {
    if (!this.fault) return [];
    const topics = new Set([...this.lastAckAt.keys(), ...this.fault.topics.keys(), ...[...this.produced.keys()].map((k) => k.slice(0, k.lastIndexOf('/')))]);
    return [...topics].sort().map((t) => ({ ...this.faultTopic(t) }));
  }

  private faultTopic(topic: string): TopicWritesAfterFault {
    const f = this.fault!;
    let e = f.topics.get(topic);
    if (!e) {
      const last = this.lastAckAt.get(topic);
      e = { topic, lastAckBeforeAt: last !== undefined && last <= f.at ? last : null, firstAckAfter: null, failedSends: 0 };
      f.topics.set(topic, e);
    }
    return e;
  }

  /** Acknowledged record count per partition. */
  producedCounts(): Map<PartitionKey, number> {
    return new Map(this.produced);
  }

  /** Total acknowledged records. */
  producedTotal(): number {
    let n = 0;
    for (const v of this.produced.values()) n += v;
    return n;
  }

  /** Notes that a group processed a record; values from another run count as foreign. */
  consume(groupId: string, value: TrafficRecordValue | undefined): void {
    if (!value || value.run !== this.run) {
      this.foreign++;
      return;
    }
    let g = this.consumed.get(groupId);
    if (!g) {
      g = new Map();
      this.consumed.set(groupId, g);
    }
    const k = partitionKey(value.topic, value.partition);
    let c = g.get(k);
    if (!c) {
      c = { counts: new Map() };
      g.set(k, c);
    }
    c.counts.set(value.seq, (c.counts.get(value.seq) ?? 0) + 1);
  }

  /** How many times a group processed each sequence of one partition. */
  consumedSeqs(groupId: string, topic: string, partition: number): ReadonlyMap<number, number> {
    return this.consumed.get(groupId)?.get(partitionKey(topic, partition))?.counts ?? new Map();
  }

  /** Total processings by a group (duplicates included). */
  consumedTotal(groupId: string): number {
    let n = 0;
    for (const c of this.consumed.get(groupId)?.values() ?? []) for (const v of c.counts.values()) n += v;
    return n;
  }

  /** Skipped and duplicated records of every group, against everything acknowledged so far on the topics it reads. */
  deliveryReport(groupIds: string[]): GroupDelivery[] {
    return groupIds.map((groupId) => {
      const g = this.consumed.get(groupId) ?? new Map<PartitionKey, Consumed>();
      const partitions: PartitionDelivery[] = [];
      const subscribed = this.subscriptions.get(groupId);
      for (const [k, produced] of [...this.produced.entries()].sort()) {
        const slash = k.lastIndexOf('/');
        if (subscribed && !subscribed.has(k.slice(0, slash))) continue;
        const c = g.get(k)?.counts ?? new Map<number, number>();
        const skipped: [number, number][] = [];
        let duplicates = 0;
        for (let seq = 0; seq < produced; seq++) {
          const n = c.get(seq) ?? 0;
          if (n === 0) {
            const last = skipped[skipped.length - 1];
            if (last && last[1] === seq - 1) last[1] = seq;
            else skipped.push([seq, seq]);
          } else duplicates += n - 1;
        }
        const skippedCount = skipped.reduce((s, [a, b]) => s + b - a + 1, 0);
        partitions.push({
          topic: k.slice(0, slash),
          partition: Number(k.slice(slash + 1)),
          produced,
          consumedDistinct: produced - skippedCount,
          skipped,
          skippedCount,
          duplicates,
        });
      }
      return {
        groupId,
        skipped: partitions.reduce((s, p) => s + p.skippedCount, 0),
        duplicates: partitions.reduce((s, p) => s + p.duplicates, 0),
        partitions,
      };
    });
  }
}

/** Parses a generator value; undefined when the bytes are not one. */
export function parseTrafficValue(value: Buffer | null): TrafficRecordValue | undefined {
  if (value?.[0] !== 0x7b) return undefined;
  try {
    const v = JSON.parse(value.toString('utf8')) as Partial<TrafficRecordValue>;
    if (typeof v.run === 'string' && typeof v.topic === 'string' && Number.isInteger(v.partition) && Number.isInteger(v.seq) && typeof v.ts === 'number') {
      return v as TrafficRecordValue;
    }
  } catch {
    /* not ours */
  }
  return undefined;
}
