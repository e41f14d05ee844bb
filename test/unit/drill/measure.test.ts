/** Drill measurements from timed events: phases on the drill's clock, the lag curve, RPO figures, per-group figures; and the reports built from them. */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/engine/events.js';
import { continuityOf, groupsOf, lagCurveOf, phasesOf, rpoOf, type DrillMeasurements, type TimedEvent } from '../../../src/drill/measure.js';
import { htmlReport, markdownReport } from '../../../src/drill/report.js';

const t0 = 1_000_000;
const ev = (t: number, e: RunEvent): TimedEvent => ({ t: t0 + t, e });
const lagGate = (v: number, final: boolean): RunEvent => ({
  kind: 'gate',
  step: 'lag',
  final,
  gate: { id: 'max-lag', description: '', observed: { totalLagRecords: v }, expected: '≤ 0', ok: v === 0 },
});
const failover: TimedEvent[] = [
  ev(0, { kind: 'step.started', step: 'lag', stepKind: 'check-replication-lag', attempt: 1 }),
  ev(100, lagGate(40, false)),
  ev(1100, lagGate(0, true)),
  ev(1200, { kind: 'step.succeeded', step: 'lag', durationMs: 1200, outputs: {} }),
  ev(1300, { kind: 'step.started', step: 'translate', stepKind: 'translate-offsets', attempt: 1 }),
  ev(1400, { kind: 'step.succeeded', step: 'translate', durationMs: 100, outputs: { groups: [{ group: 'billing', reReadRecords: 7 }] } }),
  ev(1500, { kind: 'step.started', step: 'reset', stepKind: 'reset-consumer-groups', attempt: 1 }),
];

const proofGate = (final: boolean, exact: number): RunEvent => ({
  kind: 'gate',
  step: 'reset',
  final,
  gate: {
    id: 'offset-continuity',
    description: '',
    observed: { rowsProven: 27, exact, withReReads: 27 - exact, reReadRecords: 9, skips: 0, foreignRecords: 0, notFound: 0 },
    expected: '',
    ok: true,
  },
});
const proven: TimedEvent[] = [...failover, ev(1600, proofGate(false, 20)), ev(1700, proofGate(true, 25))];

describe('drill measurements', () => {
  it('phases carry start and end on the drill clock; an unfinished step is marked so', () => {
    expect(phasesOf('failover', failover, t0)).toEqual([
      { run: 'failover', step: 'lag', kind: 'check-replication-lag', startMs: 0, endMs: 1200, durationMs: 1200, outcome: 'ok' },
      { run: 'failover', step: 'translate', kind: 'translate-offsets', startMs: 1300, endMs: 1400, durationMs: 100, outcome: 'ok' },
      { run: 'failover', step: 'reset', kind: 'reset-consumer-groups', startMs: 1500, endMs: 1500, durationMs: 0, outcome: 'not finished' },
    ]);
  });

  it('the lag curve and the records at risk at the cutover (the last max-lag verdict)', () => {
    expect(lagCurveOf('failover', failover, t0)).toEqual([
      { run: 'failover', atMs: 100, totalLagRecords: 40 },
      { run: 'failover', atMs: 1100, totalLagRecords: 0 },
    ]);
    expect(rpoOf(failover, null)).toEqual({ recordsAtRisk: 0, dataLossWindowMs: null, neverReplicatedBack: null });
  });

  it("per group: re-reads reported by the translation beside the ledger's duplicates and skips", () => {
    expect(groupsOf(failover, { produced: 10, sendFailures: 0, groups: [{ groupId: 'billing', skipped: 0, duplicates: 7, consumed: 17 }] })).toEqual([
      { group: 'billing', reReadReported: 7, duplicatesMeasured: 7, skippedMeasured: 0, consumed: 17 },
    ]);
  });

  it("the continuity proof is the reset step's final offset-continuity verdict (a waiting one is not)", () => {
    expect(continuityOf('failover', failover)).toBeUndefined();
    expect(continuityOf('failover', proven)).toEqual({ run: 'failover', ok: true, rowsProven: 27, exact: 25, withReReads: 2, reReadRecords: 9, failures: 0 });
  });

  it('the reports show the figures; the HTML is self-contained (Chart.js inlined, no external resource)', () => {
    const m: DrillMeasurements = {
      drillId: 'd1',
      startedAt: '2026-11-22T00:00:00.000Z',
      outcome: 'succeeded',
      failover: { runId: 'r1', runbook: 'planned.yaml', outcome: 'succeeded', exitCode: 0, rtoMs: 21_300, auditFile: '/a' },
      failback: null,
      phases: phasesOf('failover', failover, t0),
      rpo: rpoOf(failover, null),
      groups: groupsOf(failover, null),
      traffic: null,
      lagCurve: lagCurveOf('failover', failover, t0),
      continuity: [continuityOf('failover', proven)!],
    };
    expect(markdownReport(m)).toContain('| failover | planned.yaml | succeeded (exit 0) | 21.3 s | /a |');
    expect(markdownReport(m)).toContain('| failover | proven | 27 | 25 | 2 | 9 | 0 |');
    expect(htmlReport(m)).toContain('<td>proven</td><td>27</td><td>25</td><td>2</td><td>9</td><td>0</td>');
    const html = htmlReport(m);
    expect(html).toContain('new Chart(');
    expect(html.length).toBeGreaterThan(100_000); // the library itself
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });
});
