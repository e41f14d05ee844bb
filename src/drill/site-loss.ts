/**
 * What a stretch-cluster drill measures of a site loss (docs/design/stretch-clusters.md, "Drill"): per topic, how
 * long acks=all writes were blocked — from the site loss to the first acknowledgement of a write SENT after it, as the
 * traffic generator observed it (never the runbook's own timing) — and the RPO as acknowledged records missing from
 * the log, read back partition by partition by a client of the drill's own (no consumer group) against the traffic
 * ledger's sequence numbers.
 */
import type { KafkaPort, ReadRecord } from '../kafka/port.js';

/**
 * Per topic, how the traffic generator's writes fared after the fault mark (`sandbox traffic-ctl mark-fault`;
 * TrafficLedger.writesAfterFault), epoch ms on the generator's clock (the same host's clock as the drill's).
 */
export interface TopicWritesAfterFault {
  topic: string;
  lastAckBeforeAt: number | null;
  firstAckAfter: { sentAt: number; ackedAt: number } | null;
  failedSends: number;
}

/** One topic's blocked window as a drill reports it; times in ms since the drill started. */
export interface TopicWritesBlocked {
  topic: string;
  /**
   * RTO of the topic's writes (ms): from the site loss to the first acknowledgement of a write sent after it; null
   * when no write sent after the loss was acknowledged before the drill stopped the producers (still blocked).
   */
  writesBlockedMs: number | null;
  /** When that first write was sent and acknowledged (ms since the drill started); null with writesBlockedMs null. */
  firstAckSentAtMs: number | null;
  firstAckAtMs: number | null;
  /** Sends refused or timed out between the loss and that first acknowledgement (one per topic and producer tick). */
  failedSends: number;
}

/** Acknowledged records read back from the log (the RPO of a stretch drill). */
export interface ReadBackFigures {
  /** Records the cluster acknowledged (acks=all) to the traffic generator, per its ledger. */
  acknowledged: number;
  /** Acknowledged sequence numbers not found in the log: the RPO in records (must be 0 with acks=all). */
  lost: number;
  /** Per partition `topic/partition` with a loss: the missing sequences as ranges `[first, last]`. */
  lostRanges: Record<string, [number, number][]>;
  /** Records of the run found in the log beyond the first copy of each sequence (producer retries after a timeout). */
  duplicatesInLog: number;
  partitionsRead: number;
}

/** A stretch drill's site-loss figures (drill.json `siteLoss`). */
export interface SiteLossFigures {
  site: string;
  /** How the site was lost: killed by the drill (`sandbox kill-site`), or taken as given (lost before the drill). */
  lostBy: 'drill' | 'given';
  /** The site loss (ms since the drill started): when the kill returned, or the drill's start when given. */
  lostAtMs: number;
  /** When the drill started the site again (ms since the drill started); null when it did not. */
  restoreStartedAtMs: number | null;
  topics: TopicWritesBlocked[];
  /** Null when the drill had no traffic ledger to check against, or the log could not be read (readBackError). */
  readBack: ReadBackFigures | null;
  /** Why the read-back failed (the cluster's error), when it did. */
  readBackError?: string;
}

/**
 * Per topic, the time writes were blocked by a loss at `lostAt` (epoch ms), from the generator's record of its
 * acknowledgements after its fault mark. A write sent after the loss cannot be acknowledged by the lost site's
 * replicas, so its acknowledgement is the first evidence that acks=all writes go through again.
 * @param t0 the drill's start (epoch ms), for the report's relative times.
 */
export function writesBlockedOf(lostAt: number, t0: number, writes: TopicWritesAfterFault[]): TopicWritesBlocked[] {
  return writes.map((w) => {
    const first = w.firstAckAfter && w.firstAckAfter.sentAt >= lostAt ? w.firstAckAfter : null;
    return {
      topic: w.topic,
      writesBlockedMs: first ? first.ackedAt - lostAt : null,
      firstAckSentAtMs: first ? first.sentAt - t0 : null,
      firstAckAtMs: first ? first.ackedAt - t0 : null,
      failedSends: w.failedSends,
    };
  });
}

/** The generator's record value, as far as the read-back uses it (src/rehearsal/traffic/ledger.ts writes it). */
function runAndSeq(value: Buffer | null): { run: string; topic: string; partition: number; seq: number } | undefined {
  if (value?.[0] !== 0x7b) return undefined;
  try {
    const v = JSON.parse(value.toString('utf8')) as { run?: unknown; topic?: unknown; partition?: unknown; seq?: unknown };
    return typeof v.run === 'string' && typeof v.topic === 'string' && Number.isInteger(v.partition) && Number.isInteger(v.seq)
      ? { run: v.run, topic: v.topic, partition: v.partition as number, seq: v.seq as number }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads every partition the ledger acknowledged records on, from its log start offset to its high watermark, with
 * the given port (a client of the drill's own, no consumer group), and counts the acknowledged sequences of `run`
 * that are not in the log.
 * @param acknowledged records acknowledged per `topic/partition` (the ledger's `producedByPartition`: sequences
 *   0…n−1 were acknowledged).
 * @throws whatever the port throws (an unreachable cluster): the drill reports the read-back as not done.
 */
export async function readBackAcknowledged(
  port: Pick<KafkaPort, 'partitionOffsets' | 'readRange'>,
  run: string,
  acknowledged: Record<string, number>,
): Promise<ReadBackFigures> {
  const byTopic = new Map<string, { partition: number; count: number }[]>();
  for (const [key, count] of Object.entries(acknowledged)) {
    const slash = key.lastIndexOf('/');
    const topic = key.slice(0, slash);
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition: Number(key.slice(slash + 1)), count }]);
  }
  const out: ReadBackFigures = { acknowledged: 0, lost: 0, lostRanges: {}, duplicatesInLog: 0, partitionsRead: 0 };
  for (const [topic, parts] of [...byTopic].sort(([a], [b]) => a.localeCompare(b))) {
    const offsets = await port.partitionOffsets(topic);
    for (const { partition, count } of parts.sort((a, b) => a.partition - b.partition)) {
      out.acknowledged += count;
      const o = offsets.find((x) => x.partition === partition);
      const seen = new Map<number, number>();
      if (o && o.highWatermark > o.logStartOffset) {
        await port.readRange(topic, partition, o.logStartOffset, o.highWatermark, (r: ReadRecord) => {
          const v = runAndSeq(r.value);
          if (v?.run === run && v.topic === topic && v.partition === partition) seen.set(v.seq, (seen.get(v.seq) ?? 0) + 1);
        });
      }
      out.partitionsRead++;
      const ranges: [number, number][] = [];
      for (let seq = 0; seq < count; seq++) {
        if (seen.has(seq)) continue;
        const last = ranges.at(-1);
        if (last && last[1] === seq - 1) last[1] = seq;
        else ranges.push([seq, seq]);
        out.lost++;
      }
      if (ranges.length) out.lostRanges[`${topic}/${partition}`] = ranges;
      for (const n of seen.values()) out.duplicatesInLog += n - 1;
    }
  }
  return out;
}
