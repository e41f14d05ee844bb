/**
 * A DR drill on a non-production pair: the failover runbook, a DR period, the failback runbook — both unattended
 * (`--yes` semantics: every confirmation is recorded as such) — then the groups are let catch up and the traffic
 * generator's ledger is read. Writes the report (src/drill/report.ts) even when a run fails: a failed drill is
 * evidence too.
 *
 * A stretch cluster's drill ({@link DrillOptions.siteLoss}): the site is lost (killed, or taken as given), the
 * site-loss runbook runs, the cluster serves from the surviving site for the DR period, the site returns and the
 * recovery runbook runs (its `restore` parameter carried over from the loss run's lower-min-isr step); then per topic
 * the time writes were blocked and the acknowledged records read back (src/drill/site-loss.ts).
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
  outputsOfKind,
  type DrillMeasurements,
  type RunFigures,
  type TimedEvent,
  type TrafficFigures,
} from './measure.js';
import { writeDrillReport } from './report.js';
import { readBackAcknowledged, writesBlockedOf, type ReadBackFigures, type SiteLossFigures } from './site-loss.js';

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
  /** A stretch cluster's site loss: failover = the site-loss runbook, failback = the recovery runbook, one cluster. */
  siteLoss?: DrillSiteLoss;
}

/** The site loss a stretch drill rehearses (the CLI's `--kind stretch --site <s>`; the sandbox implements lose/restore). */
export interface DrillSiteLoss {
  /** The site (rack) lost. */
  site: string;
  /** Loses the site (e.g. `sandbox kill-site`: kill -9 of its brokers and controllers); absent: it is lost already. */
  lose?: () => Promise<void>;
  /**
   * Starts the site again before the recovery runbook (or, when the loss run stopped, at once: the drill undoes its
   * own fault); absent: the recovery runbook waits for it (its first step).
   */
  restore?: () => Promise<void>;
  /**
   * The recovery runbook loaded again with parameters carried over from the loss run: `restore` = what its
   * lower-min-isr step lowered (that step's `restore` output), unless the caller set it.
   */
  reloadFailback: (carried: Record<string, string>) => Promise<LoadedRunbook>;
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
  /** A fault happens now (a site loss): the ledger keeps per topic the first acknowledged write sent after it. */
  markFault?(): Promise<void>;
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

  let lostAt = t0;
  if (o.siteLoss?.lose) {
    await o.siteLoss.lose();
    lostAt = now();
  }
  if (o.siteLoss && o.traffic?.markFault) await o.traffic.markFault();

  const over = await run('failover', o.failover);
  let back: Awaited<ReturnType<typeof run>> | undefined;
  let traffic: TrafficFigures | null = null;
  let restoreStartedAt: number | null = null;
  if (over.r.exitCode === 0) {
    if (o.traffic && !o.siteLoss) await o.traffic.produceOnDr();
    await new Promise((r) => setTimeout(r, o.drPeriodMs));
    let failback = o.failback;
    if (o.siteLoss) {
      if (o.siteLoss.restore) {
        restoreStartedAt = now();
        await o.siteLoss.restore();
      }
      const restore = outputsOfKind(over.timed, 'lower-min-isr')?.restore;
      failback = { ...o.failback, runbook: await o.siteLoss.reloadFailback(typeof restore === 'string' ? { restore } : {}) };
    }
    back = await run('failback', failback);
  } else if (o.siteLoss?.restore) {
    // The loss run stopped: no recovery runbook, but the drill undoes its own fault (the site it killed).
    restoreStartedAt = now();
    await o.siteLoss.restore();
  }
  let readBack: ReadBackFigures | null = null;
  let readBackError: string | undefined;
  if (o.traffic) {
    // Producers stop, the groups read to the end where they now are, then the ledger is read.
    await o.traffic.freeze();
    if (back?.r.exitCode === 0) {
      const groups = o.siteLoss ? (await o.traffic.report()).groups.map((g) => g.groupId) : undefined;
      await settle(o.failback, o.settleTimeoutMs, groups);
    }
    traffic = await o.traffic.report();
    if (o.siteLoss && traffic.run && traffic.producedByPartition) {
      const r = await readBack_(o.failback, traffic.run, traffic.producedByPartition);
      if ('error' in r) readBackError = r.error;
      else readBack = r;
    }
  }
  const siteLoss: SiteLossFigures | undefined = o.siteLoss
    ? {
        site: o.siteLoss.site,
        lostBy: o.siteLoss.lose ? 'drill' : 'given',
        lostAtMs: lostAt - t0,
        restoreStartedAtMs: restoreStartedAt === null ? null : restoreStartedAt - t0,
        topics: writesBlockedOf(lostAt, t0, traffic?.writesAfterFault ?? []),
        readBack,
        ...(readBackError ? { readBackError } : {}),
      }
    : undefined;
  const runsOk = over.r.exitCode === 0 && back?.r.exitCode === 0;
  // acks=all must lose nothing: an acknowledged record missing from the log fails the drill.
  const lostRecords = (readBack?.lost ?? 0) > 0;
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
    ...(siteLoss ? { siteLoss } : {}),
    lagCurve: [...lagCurveOf('failover', over.timed, t0), ...(back ? lagCurveOf('failback', back.timed, t0) : [])],
    outcome: runsOk && !lostRecords ? 'succeeded' : 'failed',
  };
  const dir = writeDrillReport(o.reportsDir, measurements);
  const runsExit = over.r.exitCode !== 0 ? over.r.exitCode : (back?.r.exitCode ?? 1);
  return { dir, measurements, exitCode: runsExit === 0 && lostRecords ? 1 : runsExit };
}

/**
 * The stretch drill's RPO: every acknowledged record of the traffic run looked up in the log of the cluster (the
 * failback flow's target), by a client of the drill's own; `{ error }` when the cluster could not be read (the report
 * says so instead of a figure).
 */
async function readBack_(
  x: { runbook: LoadedRunbook; clusters: LoadedClusters },
  run: string,
  acknowledged: Record<string, number>,
): Promise<ReadBackFigures | { error: string }> {
  const [source, target] = x.runbook.runbook.flow.split('->') as [string, string];
  const flow = findFlow(x.clusters, { source, target });
  const port = createKafkaPort(flow.target, clientSettings(x.clusters, flow.target));
  try {
    return await readBackAcknowledged(port, run, acknowledged);
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  } finally {
    await port.close();
  }
}

/**
 * Waits until every group of the failback's `groups` parameter (or the `groups` named) has read every partition it
 * commits on, on the failback's target.
 */
async function settle(x: { runbook: LoadedRunbook; clusters: LoadedClusters }, timeoutMs: number, groups?: string[]): Promise<void> {
  const flow = findFlow(x.clusters, { source: x.runbook.runbook.flow.split('->')[0]!, target: x.runbook.runbook.flow.split('->')[1]! });
  const port = createKafkaPort(flow.target, clientSettings(x.clusters, flow.target));
  const re = new RegExp(`^(?:${String(x.runbook.params.groups ?? '.*')})$`);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      let behind = 0;
      const ids = groups ?? (await port.listGroups()).map((y) => y.groupId).filter((y) => re.test(y));
      for (const g of ids) {
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
