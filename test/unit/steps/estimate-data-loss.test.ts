/**
 * The data-loss window from target-side signals, over an in-memory target (no source): the window starts at the
 * oldest last-replicated record among active partitions; a partition is idle only when a heartbeat that crossed
 * from the source is newer than its last record by more than `idleMs`; MM2's own heartbeats on the target prove
 * nothing about the source and never narrow the window; without a replicated heartbeat every non-empty partition
 * counts (fail closed). The gate passes only with an accepted window at least as large as the estimate.
 */
import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../../src/engine/step.js';
import type { KafkaPort, ReadRecord } from '../../../src/kafka/port.js';
import { encodeCheckpoint, encodeHeartbeat } from '../../../src/mm2/records.js';
import { estimateDataLoss } from '../../../src/steps/estimate-data-loss.js';

const T = 1_800_000_000_000;
type Rec = { timestamp: number; key: Buffer | null; value: Buffer | null };

/** A target cluster in memory: topic → partitions → records (offsets from 0). */
function memoryTarget(topics: Record<string, Rec[][]>): KafkaPort {
  return {
    alias: 'dr',
    listTopics: async () => Object.keys(topics),
    partitionOffsets: async (t: string) => (topics[t] ?? []).map((recs, partition) => ({ partition, logStartOffset: 0, highWatermark: recs.length })),
    readRange: async (t: string, p: number, from: number, to: number, on: (r: ReadRecord) => void) => {
      (topics[t]?.[p] ?? [])
        .slice(from, to)
        .forEach((r, i) => on({ offset: from + i, timestamp: r.timestamp, key: r.key, value: r.value, headers: {} } as unknown as ReadRecord));
    },
  } as unknown as KafkaPort;
}

const data = (ts: number): Rec => ({ timestamp: ts, key: null, value: Buffer.from('x') });
const hb = (ts: number, source: string, target: string): Rec => ({
  timestamp: ts,
  ...encodeHeartbeat({ sourceClusterAlias: source, targetClusterAlias: target, timestamp: ts }),
});
const ckpt: Rec = {
  timestamp: T - 2000,
  ...encodeCheckpoint({ group: 'billing', topic: 'primary.orders', partition: 0, upstreamOffset: 10, downstreamOffset: 10, metadata: '' }),
};

function ctx(target: KafkaPort): StepContext {
  return {
    stepId: 'estimate',
    dryRun: false,
    flow: {
      source: 'primary',
      target: 'dr',
      replicationPolicy: 'default',
      separator: '.',
      offsetSyncsTopicLocation: 'source',
      groupsExclude: [],
      topicsExclude: [],
    },
    kafka: () => target,
    reachable: async (a: string) => a === 'dr',
    now: () => T,
    note: () => {},
  } as unknown as StepContext;
}

async function estimate(topics: Record<string, Rec[][]>, acceptedWindowMs = -1) {
  const input = estimateDataLoss.input.parse({ topics: 'orders', acceptedWindowMs });
  return estimateDataLoss.check(ctx(memoryTarget(topics)), input);
}

const base = {
  'primary.orders': [[data(T - 5000), data(T - 1000)], [data(T - 600_000)]],
  'primary.checkpoints.internal': [[ckpt]],
  heartbeats: [[hb(T, 'primary', 'dr')]], // MM2's own, written straight to dr: MM2 runs, nothing more
};

describe('estimate-data-loss', () => {
  it('with a heartbeat that crossed from the source: idle partitions are left out, the window starts at the oldest active last record', async () => {
    const r = await estimate({ ...base, 'primary.heartbeats': [[hb(T - 500, 'dr', 'primary')]] });
    expect(r.outputs).toMatchObject({
      estimatedWindowMs: 1000,
      windowStart: T - 1000,
      windowEnd: T,
      activePartitions: 1,
      heartbeat: { topic: 'primary.heartbeats', ageMs: 500 },
      mm2Heartbeat: { topic: 'heartbeats', ageMs: 0 },
      newestCheckpointAgeMsByGroup: { billing: 2000 },
    });
    expect((r.outputs as { idlePartitions: string[] }).idlePartitions).toEqual([`orders/1 (last record ${new Date(T - 600_000).toISOString()})`]);
  });

  it("without one (MM2's own heartbeats do not count): every non-empty partition is active — a wider window, never a narrower one", async () => {
    const r = await estimate(base);
    expect(r.outputs).toMatchObject({ estimatedWindowMs: 600_000, windowStart: T - 600_000, activePartitions: 2, heartbeat: null });
  });

  it('the gate holds only with an accepted window ≥ the estimate, and names the flag', async () => {
    const topics = { ...base, 'primary.heartbeats': [[hb(T - 500, 'dr', 'primary')]] };
    expect((await estimate(topics, 1000)).gates![0]).toMatchObject({ id: 'loss-window-accepted', ok: true });
    const short = (await estimate(topics, 999)).gates![0]!;
    expect(short).toMatchObject({ ok: false, observed: { estimatedWindowMs: 1000, acceptedWindowMs: 999 } });
    expect(short.expected).toContain('--accept-data-loss-window');
    expect((await estimate(topics)).gates![0]).toMatchObject({ ok: false, observed: { acceptedWindowMs: null } });
  });

  it('with nothing replicated and no heartbeat the window is unknown and the gate fails closed', async () => {
    const r = await estimate({ 'primary.orders': [[]], 'primary.checkpoints.internal': [[ckpt]] }, 3_600_000);
    expect(r.gates![0]).toMatchObject({ ok: false, observed: { estimatedWindowMs: null } });
  });
});
