/**
 * What a DR drill measured, from the events of its two runs (failover, failback) as they arrived, and the traffic
 * generator's ledger: RTO per phase and end to end, RPO (records at risk at the cutover), records never replicated
 * back, re-reads reported vs duplicates measured, skipped records per group, and the replication-lag curve.
 */
import type { RunEvent } from '../engine/events.js';
import type { SiteLossFigures, TopicWritesAfterFault } from './site-loss.js';

/** An event with the time it arrived (epoch ms). */
export interface TimedEvent {
  t: number;
  e: RunEvent;
}

/** One phase (a runbook step) on the drill's timeline; times in ms since the drill started. */
export interface Phase {
  run: 'failover' | 'failback';
  step: string;
  kind: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  outcome: 'ok' | 'failed' | 'not finished';
}

/** Per consumer group: what the runbook said it would re-read, and what the ledger saw. */
export interface GroupFigures {
  group: string;
  reReadReported: number | null;
  duplicatesMeasured: number | null;
  skippedMeasured: number | null;
  consumed: number | null;
}

/** One run's continuity proof before the reset (records, rows). */
export interface ContinuityFigures {
  run: 'failover' | 'failback';
  ok: boolean;
  rowsProven: number;
  exact: number;
  withReReads: number;
  reReadRecords: number;
  failures: number;
}

/** The reset step's final `offset-continuity` verdict of a run, or undefined when it has none (e.g. source unreachable). */
export function continuityOf(run: 'failover' | 'failback', events: TimedEvent[]): ContinuityFigures | undefined {
  const gate = events
    .map((x) => x.e)
    .filter((e): e is Extract<RunEvent, { kind: 'gate' }> => e.kind === 'gate' && e.final && e.gate.id === 'offset-continuity')
    .at(0);
  if (!gate) return undefined;
  const o = gate.gate.observed as Partial<Record<'rowsProven' | 'exact' | 'withReReads' | 'reReadRecords' | 'skips' | 'foreignRecords' | 'notFound', number>>;
  return {
    run,
    ok: gate.gate.ok,
    rowsProven: o.rowsProven ?? 0,
    exact: o.exact ?? 0,
    withReReads: o.withReReads ?? 0,
    reReadRecords: o.reReadRecords ?? 0,
    failures: (o.skips ?? 0) + (o.foreignRecords ?? 0) + (o.notFound ?? 0),
  };
}

/** The traffic generator's delivery report (`sandbox traffic-ctl report`). */
export interface TrafficFigures {
  produced: number;
  sendFailures: number;
  groups: { groupId: string; skipped: number; duplicates: number; consumed: number }[];
  /** The generator run's id (its records carry it). */
  run?: string;
  /** Acknowledged records per `topic/partition` (sequences 0…n−1). */
  producedByPartition?: Record<string, number>;
  /** After `mark-fault`: per topic, the first acknowledged write sent after the mark (src/drill/site-loss.ts). */
  writesAfterFault?: TopicWritesAfterFault[];
}

/** Everything a drill report shows (drill.json; units in the names). */
export interface DrillMeasurements {
  drillId: string;
  startedAt: string;
  failover: RunFigures;
  failback: RunFigures | null;
  phases: Phase[];
  rpo: { recordsAtRisk: number | null; dataLossWindowMs: number | null; neverReplicatedBack: number | null };
  groups: GroupFigures[];
  traffic: TrafficFigures | null;
  /**
   * The continuity proof of each run's offset plan (gate `offset-continuity`, src/gates/continuity.ts), as the reset
   * step's final verdict before it wrote: rows proven, exact, verified re-reads, failures. Absent in older drills.
   */
  continuity?: ContinuityFigures[];
  /**
   * A stretch cluster's site loss (`drill --kind stretch`): per topic the time acks=all writes were blocked, and the
   * acknowledged records read back from the log. Absent for MM2 drills.
   */
  siteLoss?: SiteLossFigures;
  /** Replication lag observed while the runbooks waited for it to drain (records, ms since the drill started). */
  lagCurve: { run: 'failover' | 'failback'; atMs: number; totalLagRecords: number }[];
  outcome: 'succeeded' | 'failed';
}

/** One run's identity and end-to-end figures. */
export interface RunFigures {
  runId: string;
  runbook: string;
  outcome: string;
  exitCode: number;
  /** End to end (run start → run end), ms. */
  rtoMs: number;
  auditFile: string;
}

/** Phases of one run from its timed events. */
export function phasesOf(run: 'failover' | 'failback', events: TimedEvent[], t0: number): Phase[] {
  const out: Phase[] = [];
  const open = new Map<string, { kind: string; start: number }>();
  for (const { t, e } of events) {
    if (e.kind === 'step.started') open.set(e.step, { kind: e.stepKind, start: t });
    if (e.kind === 'step.succeeded' || e.kind === 'step.failed') {
      const s = open.get(e.step);
      if (!s) continue;
      open.delete(e.step);
      out.push({
        run,
        step: e.step,
        kind: s.kind,
        startMs: s.start - t0,
        endMs: t - t0,
        durationMs: e.durationMs,
        outcome: e.kind === 'step.succeeded' ? 'ok' : 'failed',
      });
    }
  }
  const last = events.at(-1)?.t ?? t0;
  for (const [step, s] of open)
    out.push({ run, step, kind: s.kind, startMs: s.start - t0, endMs: last - t0, durationMs: last - s.start, outcome: 'not finished' });
  return out;
}

/** Replication-lag observations of a run (`max-lag` gates, waiting and final). */
export function lagCurveOf(run: 'failover' | 'failback', events: TimedEvent[], t0: number): DrillMeasurements['lagCurve'] {
  return events
    .filter((x): x is { t: number; e: Extract<RunEvent, { kind: 'gate' }> } => x.e.kind === 'gate' && x.e.gate.id === 'max-lag')
    .map(({ t, e }) => ({ run, atMs: t - t0, totalLagRecords: Number((e.gate.observed as { totalLagRecords?: number }).totalLagRecords ?? NaN) }))
    .filter((p) => Number.isFinite(p.totalLagRecords));
}

/** The outputs a step of a given kind produced in a run (first match), or undefined. */
export function outputsOfKind(events: TimedEvent[], kind: string): Record<string, unknown> | undefined {
  const started = events.find((x) => x.e.kind === 'step.started' && x.e.stepKind === kind)?.e as Extract<RunEvent, { kind: 'step.started' }> | undefined;
  if (!started) return undefined;
  const done = events.find((x) => x.e.kind === 'step.succeeded' && x.e.step === started.step)?.e as Extract<RunEvent, { kind: 'step.succeeded' }> | undefined;
  return done?.outputs;
}

/** RPO figures: lag at the cutover (the last max-lag verdict of the failover), the emergency window, what never came back. */
export function rpoOf(failover: TimedEvent[], failback: TimedEvent[] | null): DrillMeasurements['rpo'] {
  const finals = failover.filter((x) => x.e.kind === 'gate' && x.e.final && x.e.gate.id === 'max-lag');
  const last = finals.at(-1)?.e as Extract<RunEvent, { kind: 'gate' }> | undefined;
  const estimate = outputsOfKind(failover, 'estimate-data-loss');
  const back = failback ? outputsOfKind(failback, 'translate-back') : undefined;
  return {
    recordsAtRisk: last ? Number((last.gate.observed as { totalLagRecords?: number }).totalLagRecords ?? NaN) : null,
    dataLossWindowMs: estimate ? ((estimate.estimatedWindowMs as number | null) ?? null) : null,
    neverReplicatedBack: back ? ((back.neverReplicatedRecords as number | undefined) ?? null) : null,
  };
}

/** Per-group figures: re-reads the failover's translation reported, and the ledger's duplicates and skips. */
export function groupsOf(failover: TimedEvent[], traffic: TrafficFigures | null): GroupFigures[] {
  const translated = (outputsOfKind(failover, 'translate-offsets')?.groups as { group: string; reReadRecords: number | null }[] | undefined) ?? [];
  const names = [...new Set([...translated.map((g) => g.group), ...(traffic?.groups.map((g) => g.groupId) ?? [])])].sort();
  return names.map((group) => {
    const t = traffic?.groups.find((g) => g.groupId === group);
    return {
      group,
      reReadReported: translated.find((g) => g.group === group)?.reReadRecords ?? null,
      duplicatesMeasured: t ? t.duplicates : null,
      skippedMeasured: t ? t.skipped : null,
      consumed: t ? t.consumed : null,
    };
  });
}
