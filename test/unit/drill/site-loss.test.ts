/**
 * A stretch drill's site-loss measurements: per topic the time writes were blocked (from the traffic ledger's fault
 * mark and acknowledgement times), the RPO read back through a faithful fake of the Kafka port's partitionOffsets /
 * readRange (a log per partition, offsets from the log start), and the report section.
 */
import { describe, expect, it } from 'vitest';
import type { DrillMeasurements } from '../../../src/drill/measure.js';
import { htmlReport, markdownReport } from '../../../src/drill/report.js';
import { readBackAcknowledged, writesBlockedOf } from '../../../src/drill/site-loss.js';
import type { KafkaPort, ReadRecord } from '../../../src/kafka/port.js';
import { TrafficLedger } from '../../../src/rehearsal/traffic/ledger.js';

const T0 = 1_000_000;

describe('traffic ledger: writes after a fault mark', () => {
  it('keeps per topic the first acknowledged send that STARTED after the mark; earlier sends acknowledged late and failures are not it', () => {
    const l = new TrafficLedger('r1');
    l.acknowledge('orders', 0, 0, 5, { sentAt: T0 + 10, ackedAt: T0 + 20 });
    l.acknowledge('payments', 0, 0, 5, { sentAt: T0 + 15, ackedAt: T0 + 30 });
    l.markFault(T0 + 100);
    // Sent before the loss, acknowledged after it: not evidence that writes go through after the loss.
    l.acknowledge('orders', 1, 0, 2, { sentAt: T0 + 90, ackedAt: T0 + 110 });
    l.sendFailed('orders', T0 + 200);
    l.sendFailed('orders', T0 + 300);
    l.sendFailed('payments', T0 + 200);
    l.acknowledge('orders', 0, 5, 3, { sentAt: T0 + 4000, ackedAt: T0 + 4100 });
    l.acknowledge('orders', 0, 8, 3, { sentAt: T0 + 4200, ackedAt: T0 + 4250 }); // later ones change nothing
    l.sendFailed('orders', T0 + 5000); // after the first acknowledgement: not counted as blocked
    expect(l.faultMarkedAt()).toBe(T0 + 100);
    expect(l.writesAfterFault()).toEqual([
      { topic: 'orders', lastAckBeforeAt: T0 + 20, firstAckAfter: { sentAt: T0 + 4000, ackedAt: T0 + 4100 }, failedSends: 2 },
      { topic: 'payments', lastAckBeforeAt: T0 + 30, firstAckAfter: null, failedSends: 1 },
    ]);
  });

  it('without a mark there is nothing to report, and acknowledgements without timing still count as produced', () => {
    const l = new TrafficLedger('r1');
    l.acknowledge('orders', 0, 0, 3);
    expect(l.writesAfterFault()).toEqual([]);
    expect(l.producedTotal()).toBe(3);
  });
});

describe('writes blocked per topic (RTO)', () => {
  it('is the first acknowledgement after the loss minus the loss; a topic never acknowledged again is still blocked (null)', () => {
    const lostAt = T0 + 2000;
    expect(
      writesBlockedOf(lostAt, T0, [
        { topic: 'orders', lastAckBeforeAt: T0 + 1990, firstAckAfter: { sentAt: lostAt + 100, ackedAt: lostAt + 7500 }, failedSends: 12 },
        { topic: 'payments', lastAckBeforeAt: T0 + 1995, firstAckAfter: null, failedSends: 40 },
      ]),
    ).toEqual([
      { topic: 'orders', writesBlockedMs: 7500, firstAckSentAtMs: 2100, firstAckAtMs: 9500, failedSends: 12 },
      { topic: 'payments', writesBlockedMs: null, firstAckSentAtMs: null, firstAckAtMs: null, failedSends: 40 },
    ]);
  });

  it('ignores an acknowledgement of a write sent before the loss (the mark came later than the loss it stands for)', () => {
    expect(
      writesBlockedOf(T0 + 500, T0, [{ topic: 'orders', lastAckBeforeAt: null, firstAckAfter: { sentAt: T0 + 400, ackedAt: T0 + 600 }, failedSends: 0 }]),
    ).toEqual([{ topic: 'orders', writesBlockedMs: null, firstAckSentAtMs: null, firstAckAtMs: null, failedSends: 0 }]);
  });
});

/** A fake of the port's reading side over in-memory logs (`topic/partition` → values), log start offsets honoured. */
function fakeLogs(logs: Record<string, { logStart?: number; values: (string | null)[] }>): Pick<KafkaPort, 'partitionOffsets' | 'readRange'> {
  return {
    async partitionOffsets(topic) {
      const parts = Object.entries(logs).filter(([k]) => k.startsWith(`${topic}/`));
      if (parts.length === 0) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION ${topic}`); // as ListOffsets answers
      return parts.map(([k, l]) => ({ partition: Number(k.split('/')[1]), logStartOffset: l.logStart ?? 0, highWatermark: l.values.length }));
    },
    async readRange(topic, partition, from, to, onRecord) {
      const l = logs[`${topic}/${partition}`];
      if (!l) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION ${topic}/${partition}`);
      if (from < (l.logStart ?? 0)) throw new Error('OFFSET_OUT_OF_RANGE');
      for (let o = from; o < to; o++) {
        const v = l.values[o];
        const r: ReadRecord = { topic, partition, offset: o, timestamp: 0, key: null, value: v === null || v === undefined ? null : Buffer.from(v) };
        onRecord(r);
      }
    },
  };
}
const rec = (topic: string, partition: number, seq: number, run = 'r1') => JSON.stringify({ run, topic, partition, seq, ts: 1 });

describe('RPO read back from the log', () => {
  it('counts acknowledged sequences missing from the log (as ranges) and ignores other runs, foreign values and retry copies', async () => {
    const port = fakeLogs({
      'orders/0': {
        values: [rec('orders', 0, 0), rec('orders', 0, 1), rec('orders', 0, 1), 'not json', null, rec('orders', 0, 2, 'old-run'), rec('orders', 0, 4)],
      },
      'orders/1': { values: [rec('orders', 1, 0), rec('orders', 1, 1)] },
      'payments/0': { logStart: 0, values: [] },
    });
    expect(await readBackAcknowledged(port, 'r1', { 'orders/0': 5, 'orders/1': 2, 'payments/0': 1 })).toEqual({
      acknowledged: 8,
      lost: 3,
      lostRanges: { 'orders/0': [[2, 3]], 'payments/0': [[0, 0]] },
      duplicatesInLog: 1,
      partitionsRead: 3,
    });
  });

  it('reads from the log start offset (records before it are gone by retention, not readable) and reports 0 lost when all are there', async () => {
    const port = fakeLogs({ 'orders/0': { logStart: 1, values: [null, rec('orders', 0, 0), rec('orders', 0, 1)] } });
    expect(await readBackAcknowledged(port, 'r1', { 'orders/0': 2 })).toMatchObject({ acknowledged: 2, lost: 0, lostRanges: {} });
  });

  it('a port error propagates (the drill then reports the read-back as not done)', async () => {
    await expect(readBackAcknowledged(fakeLogs({}), 'r1', { 'orders/0': 1 })).rejects.toThrow(/UNKNOWN_TOPIC_OR_PARTITION/);
  });
});

describe('stretch drill report', () => {
  const m: DrillMeasurements = {
    drillId: 'd2',
    startedAt: '2026-12-07T00:00:00.000Z',
    outcome: 'succeeded',
    failover: { runId: 'r1', runbook: 'stretch-site-loss.yaml', outcome: 'succeeded', exitCode: 0, rtoMs: 30_000, auditFile: '/a' },
    failback: { runId: 'r2', runbook: 'stretch-site-recovery.yaml', outcome: 'succeeded', exitCode: 0, rtoMs: 40_000, auditFile: '/b' },
    phases: [],
    rpo: { recordsAtRisk: null, dataLossWindowMs: null, neverReplicatedBack: null },
    groups: [{ group: 'billing', reReadReported: null, duplicatesMeasured: 4, skippedMeasured: 0, consumed: 900 }],
    traffic: { produced: 900, sendFailures: 52, groups: [{ groupId: 'billing', skipped: 0, duplicates: 4, consumed: 904 }] },
    siteLoss: {
      site: 'a',
      lostBy: 'drill',
      lostAtMs: 1500,
      restoreStartedAtMs: 45_000,
      topics: writesBlockedOf(T0 + 1500, T0, [
        { topic: 'orders', lastAckBeforeAt: null, firstAckAfter: { sentAt: T0 + 20_000, ackedAt: T0 + 21_500 }, failedSends: 12 },
        { topic: 'payments', lastAckBeforeAt: null, firstAckAfter: null, failedSends: 40 },
      ]),
      readBack: { acknowledged: 900, lost: 0, lostRanges: {}, duplicatesInLog: 3, partitionsRead: 5 },
    },
    lagCurve: [],
  };

  it('shows per topic the time writes were blocked and the acknowledged records lost, instead of the MM2 cutover figures', () => {
    const md = markdownReport(m);
    expect(md).toContain('Site **a** lost at +1.5 s (killed by the drill); started again at +45.0 s.');
    expect(md).toContain('| orders | 20.0 s | +20.0 s | +21.5 s | 12 |');
    expect(md).toContain('| payments | still blocked when the producers stopped | — | — | 40 |');
    expect(md).toContain('RPO: acknowledged records lost **0** of 900 acknowledged');
    expect(md).not.toContain('records at risk at the cutover');
    const html = htmlReport(m);
    expect(html).toContain('<td>orders</td><td>20.0 s</td>');
    expect(html).toContain('acknowledged records lost <b>0</b> of 900');
  });

  it('names the missing sequences when records were lost, and says why when the log could not be read', () => {
    const lost = markdownReport({
      ...m,
      siteLoss: { ...m.siteLoss!, readBack: { ...m.siteLoss!.readBack!, lost: 3, lostRanges: { 'orders/0': [[2, 3]], 'orders/2': [[7, 7]] } } },
    });
    expect(lost).toContain('lost **3** of 900');
    expect(lost).toContain('missing: orders/0 2–3; orders/2 7');
    const unread = markdownReport({ ...m, siteLoss: { ...m.siteLoss!, readBack: null, readBackError: 'Connection timeout' } });
    expect(unread).toContain('RPO: not measured (the log could not be read back: Connection timeout).');
  });
});
