/**
 * A DR drill on a non-production pair: the failover runbook, a DR period, the failback runbook — both unattended
 * (`--yes` semantics: every confirmation is recorded as such) — then the groups are let catch up and the traffic
 * generator's ledger is read. Writes the report (src/drill/report.ts) even when a run fails: a failed drill is
 * evidence too.
 */
import { randomUUID } from 'node:crypto';
import type { LoadedClusters } from '../clusters/load.js';
import { clientSettings, findFlow } from '../clusters/load.js';
import type { EventSink } from '../engine/events.js';
import { runRunbook, type RunResult } from '../engine/executor.js';
import type { LoadedRunbook } from '../engine/load-runbook.js';
import type { StepRegistry } from '../engine/registry.js';
import { createKafkaPort } from '../kafka/kafkajs-adapter.js';
import {
  continuityOf,
  groupsOf,
  lagCurveOf,
  phasesOf,
  rpoOf,
  type DrillMeasurements,
  type RunFigures,
  type TimedEvent,
  type TrafficFigures,
} from './measure.js';
import { writeDrillReport } from './report.js';

/** Options of {@link runDrill}. */
export interface DrillOptions {
  failover: { runbook: LoadedRunbook; clusters: LoadedClusters };
  failback: { runbook: LoadedRunbook; clusters: LoadedClusters };
  registry: StepRegistry;
  runsDir: string;
  reportsDir: string;
  /** Time on the DR cluster between the two runs (ms). */
  drPeriodMs: number;
  /** A traffic generator to command (producers to dr for the DR period, freeze and report at the end), e.g. the sandbox's. */
  traffic?: DrillTraffic;
  /** Longest wait for the groups to read everything on the failback's target (ms). */
  settleTimeoutMs: number;
  sinks?: EventSink[];
  now?: () => number;
}

/**
 * The traffic generator a drill commands, when it has one (the CLI's `--traffic-state-dir` commands the sandbox's
 * `sandbox traffic` process): the drill stays apart from the rehearsal tooling that implements it.
 */
export interface DrillTraffic {
  /** Producers move to the failover's target for the DR period. */
  produceOnDr(): Promise<void>;
  /** Producers stop (the groups keep reading). */
  freeze(): Promise<void>;
  /** The sequence ledger's figures: produced, and per group skipped and duplicated records. */
  report(): Promise<TrafficFigures>;
}

/** The drill's result: where its report is and what it measured. */
export interface DrillResult {
  dir: string;
  measurements: DrillMeasurements;
  exitCode: number;
}

/** Runs the drill. Never throws for a failed run (it is in the report); throws for setup errors only. */
export async function runDrill(o: DrillOptions): Promise<DrillResult> {
  const now = o.now ?? Date.now;
  const drillId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 6)}`;
  const t0 = now();
  const run = async (which: 'failover' | 'failback', x: { runbook: LoadedRunbook; clusters: LoadedClusters }) => {
    const timed: TimedEvent[] = [];
    const r = await runRunbook({
      runbook: x.runbook,
      clusters: x.clusters,
      registry: o.registry,
      dryRun: false,
      yes: true,
      runsDir: o.runsDir,
      sinks: [(e) => timed.push({ t: now(), e }), ...(o.sinks ?? [])],
    });
    return { which, r, timed };
  };
  const figures = (x: { r: RunResult; timed: TimedEvent[] }, runbook: LoadedRunbook): RunFigures => {
    const end = x.timed.find((t) => t.e.kind === 'run.finished' || t.e.kind === 'run.paused')?.e as { durationMs?: number } | undefined;
    return { runId: x.r.runId, runbook: runbook.file, outcome: x.r.outcome, exitCode: x.r.exitCode, rtoMs: end?.durationMs ?? 0, auditFile: x.r.auditFile };
  };

  const over = await run('failover', o.failover);
  let back: Awaited<ReturnType<typeof run>> | undefined;
  let traffic: TrafficFigures | null = null;
  if (over.r.exitCode === 0) {
    if (o.traffic) await o.traffic.produceOnDr();
    await new Promise((r) => setTimeout(r, o.drPeriodMs));
    back = await run('failback', o.failback);
  }
  if (o.traffic) {
    // Producers stop, the groups read to the end where they now are, then the ledger is read.
    await o.traffic.freeze();
    if (back?.r.exitCode === 0) await settle(o.failback, o.settleTimeoutMs);
    traffic = await o.traffic.report();
  }
  const measurements: DrillMeasurements = {
    drillId,
    startedAt: new Date(t0).toISOString(),
    failover: figures(over, o.failover.runbook),
    failback: back ? figures(back, o.failback.runbook) : null,
    phases: [...phasesOf('failover', over.timed, t0), ...(back ? phasesOf('failback', back.timed, t0) : [])],
    rpo: rpoOf(over.timed, back?.timed ?? null),
    groups: groupsOf(over.timed, traffic),
    traffic,
    continuity: [continuityOf('failover', over.timed), ...(back ? [continuityOf('failback', back.timed)] : [])].filter((c) => c !== undefined),
    lagCurve: [...lagCurveOf('failover', over.timed, t0), ...(back ? lagCurveOf('failback', back.timed, t0) : [])],
    outcome: over.r.exitCode === 0 && back?.r.exitCode === 0 ? 'succeeded' : 'failed',
  };
  const dir = writeDrillReport(o.reportsDir, measurements);
  return { dir, measurements, exitCode: over.r.exitCode !== 0 ? over.r.exitCode : (back?.r.exitCode ?? 1) };
}

/** Waits until every group of the failback's `groups` parameter has read every partition it commits on, on the failback's target. */
async function settle(x: { runbook: LoadedRunbook; clusters: LoadedClusters }, timeoutMs: number): Promise<void> {
  const flow = findFlow(x.clusters, { source: x.runbook.runbook.flow.split('->')[0]!, target: x.runbook.runbook.flow.split('->')[1]! });
  const port = createKafkaPort(flow.target, clientSettings(x.clusters, flow.target));
  const re = new RegExp(`^(?:${String(x.runbook.params.groups ?? '.*')})$`);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      let behind = 0;
      for (const g of (await port.listGroups()).map((y) => y.groupId).filter((y) => re.test(y))) {
        const committed = await port.committedOffsets(g);
        for (const topic of new Set(committed.map((c) => c.topic))) {
          for (const p of await port.partitionOffsets(topic))
            behind += Math.max(0, p.highWatermark - (committed.find((c) => c.topic === topic && c.partition === p.partition)?.offset ?? p.highWatermark));
        }
      }
      if (behind === 0 || Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await port.close();
  }
}
