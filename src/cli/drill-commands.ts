/**
 * `kafka-failover drill --failover <runbook> --failback <runbook>`: a DR drill with measured RTO/RPO, written as
 * drill.json, report.md and a self-contained report.html under `--reports-dir/<drill-id>/`. Unattended by design
 * (confirmations are recorded as `--yes`); run it on a non-production pair. `--kind stretch --site <s>`: a stretch
 * cluster's site loss and recovery (one clusters file; with `--sandbox-state-dir` the drill kills and restarts the site).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { findFlow, loadClustersFile } from '../clusters/load.js';
import type { TrafficFigures } from '../drill/measure.js';
import { runDrill, type DrillTraffic } from '../drill/run-drill.js';
import { loadRunbook } from '../engine/load-runbook.js';
import { InvalidInputError } from '../errors.js';
import { killSite, startSite } from '../rehearsal/sandbox/stretch.js';
import { sendTrafficCommand } from '../rehearsal/traffic/control.js';
import { CLUSTERS_ENV, FAILBACK_CLUSTERS_ENV, resolveClustersFile } from './clusters-options.js';
import { builtinRegistry } from '../steps/index.js';
import { LiveOutput } from './live.js';
import { durationMs, oneOf } from './parse.js';
import { pairs } from './run-commands.js';

/** The sandbox's `sandbox traffic` process as a drill's traffic generator. */
const sandboxTraffic = (stateDir: string): DrillTraffic => ({
  produceOnDr: async () => void (await sendTrafficCommand(stateDir, 'produce-on-dr')),
  freeze: async () => void (await sendTrafficCommand(stateDir, 'freeze')),
  report: async () => (await sendTrafficCommand(stateDir, 'report')) as TrafficFigures,
  markFault: async () => void (await sendTrafficCommand(stateDir, 'mark-fault')),
});

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerDrillCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command('drill')
    .description(
      'DR drill: failover, a DR period, failback — unattended — with RTO per phase and end to end, RPO, and skipped/duplicated records per group; --kind stretch: a site loss and recovery of a stretch cluster, with the time writes were blocked per topic and acknowledged records lost',
    )
    .requiredOption('--failover <runbook>', 'failover runbook (e.g. runbooks/planned-failover.yaml)')
    .requiredOption('--failback <runbook>', 'failback runbook (e.g. runbooks/failback.yaml)')
    .option('--clusters <file>', `clusters file of the failover (default: $${CLUSTERS_ENV}, else ./clusters.yaml)`)
    .option(
      '--failback-clusters <file>',
      `clusters file of the failback, reverse flow (default: $${FAILBACK_CLUSTERS_ENV}, else ./clusters-failback.yaml; --kind stretch: the --clusters file)`,
    )
    .option('--set <key=value>', 'a parameter of both runbooks (repeatable)', collect)
    .option(
      '--kind <kind>',
      'mm2 (a cluster pair; default) or stretch (one cluster over sites: site-loss and recovery runbooks)',
      oneOf('mm2', 'stretch'),
      'mm2',
    )
    .option('--site <site>', "stretch: the site (rack) lost; also the site-loss runbook's `site` parameter unless --set")
    .option(
      '--sandbox-state-dir <dir>',
      'stretch sandbox: the drill kills the site (kill -9, `sandbox kill-site`) at its start and starts it again before the recovery runbook; without it the site is taken as lost already',
    )
    .option('--dr-period <duration>', 'time on the DR cluster between failover and failback', durationMs, 10_000)
    .option(
      '--traffic-state-dir <dir>',
      "command this sandbox's traffic generator: producers to dr for the DR period, then its ledger for skipped/duplicated records",
    )
    .option('--settle-timeout <duration>', 'longest wait for the groups to catch up before the ledger is read', durationMs, 120_000)
    .option('--runs-dir <dir>', 'where run directories go', 'runs')
    .option('--reports-dir <dir>', 'where drill reports go (one folder per drill)', 'drills')
    .option('--output <format>', 'human or json (the measurements)', oneOf('human', 'json'), 'human')
    .action(async (o) => {
      const registry = builtinRegistry();
      const stretch = o.kind === 'stretch';
      if (stretch && !o.site) throw new InvalidInputError('drill --kind stretch needs --site: the site (rack) that is lost.', { hint: 'E.g. --site a.' });
      if (!stretch && (o.site || o.sandboxStateDir))
        throw new InvalidInputError('--site and --sandbox-state-dir apply to drill --kind stretch only.', { hint: 'Add --kind stretch, or leave them out.' });
      const sets = pairs(o.set as string[] | undefined, '--set');
      if (stretch && !('site' in sets)) sets.site = String(o.site);
      // A parameter goes to each runbook that declares it (the two need not declare the same ones); `carried` ones
      // (from the failover run) only where the operator set nothing.
      const load = async (file: string, carried: Record<string, string> = {}) => {
        const first = await loadRunbook(path.resolve(file), registry, {});
        const params = { ...carried, ...sets };
        return loadRunbook(first.file, registry, Object.fromEntries(Object.entries(params).filter(([k]) => k in first.runbook.parameters)));
      };
      const [fo, fb] = await Promise.all([load(o.failover), load(o.failback)]);
      const clustersFile = resolveClustersFile(o.clusters as string | undefined);
      // A stretch cluster is one cluster: both runbooks use the same clusters file.
      const failbackFile =
        stretch && !o.failbackClusters
          ? clustersFile
          : resolveClustersFile(o.failbackClusters as string | undefined, {
              flag: '--failback-clusters',
              env: FAILBACK_CLUSTERS_ENV,
              fallback: 'clusters-failback.yaml',
            });
      const sandboxDir = o.sandboxStateDir ? path.resolve(String(o.sandboxStateDir)) : undefined;
      const [co, cb] = await Promise.all([loadClustersFile(clustersFile), loadClustersFile(failbackFile)]);
      // Nothing is killed or written before both runbooks are known to act on a stretch flow.
      if (stretch)
        for (const [rb, c] of [
          [fo, co],
          [fb, cb],
        ] as const) {
          const [source, target] = rb.runbook.flow.split('->') as [string, string];
          if (findFlow(c, { source, target }).kind !== 'stretch')
            throw new InvalidInputError(
              `drill --kind stretch: ${rb.file} acts on flow ${rb.runbook.flow}, which ${c.file} does not declare as kind: stretch.`,
              {
                hint: 'Use the stretch runbooks (runbooks/stretch-site-loss.yaml, runbooks/stretch-site-recovery.yaml) with a clusters file whose flow has kind: stretch.',
              },
            );
        }
      const live = new LiveOutput({ stream: process.stderr });
      const r = await runDrill({
        failover: { runbook: fo, clusters: co },
        failback: { runbook: fb, clusters: cb },
        registry,
        runsDir: String(o.runsDir),
        reportsDir: String(o.reportsDir),
        drPeriodMs: o.drPeriod,
        settleTimeoutMs: o.settleTimeout,
        ...(o.trafficStateDir ? { traffic: sandboxTraffic(path.resolve(String(o.trafficStateDir))) } : {}),
        ...(stretch
          ? {
              siteLoss: {
                site: String(o.site),
                ...(sandboxDir
                  ? {
                      lose: async () => void (await killSite(sandboxDir, String(o.site))),
                      restore: async () => void (await startSite(sandboxDir, String(o.site))),
                    }
                  : {}),
                reloadFailback: (carried: Record<string, string>) => load(o.failback, carried),
              },
            }
          : {}),
        ...(o.output === 'json' ? {} : { sinks: [live.event] }),
      });
      live.close();
      const m = r.measurements;
      if (o.output === 'json') process.stdout.write(JSON.stringify({ ...m, reportDir: r.dir }) + '\n');
      else if (m.siteLoss) {
        const x = m.siteLoss;
        process.stdout.write(
          `Drill ${m.drillId}: ${m.outcome}. Site ${x.site} lost; writes blocked ${x.topics.map((t) => `${t.topic} ${t.writesBlockedMs === null ? 'still' : `${(t.writesBlockedMs / 1000).toFixed(1)} s`}`).join(', ') || '— (no traffic)'}; ` +
            `acknowledged records lost ${x.readBack ? `${x.readBack.lost} of ${x.readBack.acknowledged}` : '—'}; ` +
            `skipped ${m.groups.map((g) => `${g.group} ${g.skippedMeasured ?? '—'}`).join(', ')}.\nReport: ${path.join(r.dir, 'report.html')} (and report.md, drill.json)\n`,
        );
      } else {
        process.stdout.write(
          `Drill ${m.drillId}: ${m.outcome}. Failover RTO ${(m.failover.rtoMs / 1000).toFixed(1)} s${m.failback ? `, failback RTO ${(m.failback.rtoMs / 1000).toFixed(1)} s` : ''}; ` +
            `records at risk at the cutover ${m.rpo.recordsAtRisk ?? '—'}; never replicated back ${m.rpo.neverReplicatedBack ?? '—'}; ` +
            `skipped ${m.groups.map((g) => `${g.group} ${g.skippedMeasured ?? '—'}`).join(', ')}.\nReport: ${path.join(r.dir, 'report.html')} (and report.md, drill.json)\n`,
        );
      }
      setExit(r.exitCode);
    });
}
