/**
 * `kafka-failover check`: DR readiness against the known anti-patterns, as a table (or one JSON document), exit code
 * by the worst severity (0 none, 10 medium, 11 high, 12 critical). Read-only.
 */
import type { Command } from 'commander';
import { runCheck } from '../check/run-check.js';
import { clientSettings, loadClustersFile } from '../clusters/load.js';
import { createKafkaPort } from '../kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../kafka/port.js';
import { InvalidInputError } from '../errors.js';
import { resolveClustersFile, withClustersOptions } from './clusters-options.js';
import { durationMs, intIn, oneOf } from './parse.js';
import { table } from './table.js';

export function registerCheckCommands(program: Command, setExit: (code: number) => void): void {
  withClustersOptions(program.command('check'))
    .description(
      'DR readiness: replication factor, min.insync.replicas, ISR, unclean election, offline/under-replicated partitions, MM2 checkpoints, identity loops, active-active topics',
    )
    .option('--topics <regex>', 'only topics whose whole name matches', '.*')
    .option('--min-replication-factor <n>', 'smallest acceptable replication factor', intIn(1, 10), 3)
    .option('--min-insync-replicas <n>', 'smallest acceptable min.insync.replicas', intIn(1, 10), 2)
    .option('--max-checkpoint-age <duration>', 'a checkpoint older than this while its group moved is stale (e.g. 5m)', durationMs, 300_000)
    .option('--controller-sites <list>', 'stretch clusters: controller-only voters and their sites, e.g. 5=c (combined nodes take their broker rack)')
    .option(
      '--observer-window <duration>',
      'observer clusters: how long their local topics are watched for writes (log-end offsets sampled at both ends)',
      durationMs,
      5000,
    )
    .option('--output <format>', 'table or json', oneOf('table', 'json'), 'table')
    .action(async (o) => {
      const clusters = await loadClustersFile(resolveClustersFile(o.clusters as string | undefined));
      let topics: RegExp;
      try {
        topics = new RegExp(`^(?:${o.topics})$`);
      } catch (e) {
        throw new InvalidInputError(`--topics "${o.topics}" is not a valid regular expression: ${(e as Error).message}`, {
          hint: 'For example --topics "orders|payments".',
        });
      }
      const ports = new Map<string, KafkaPort>();
      const port = (alias: string) => {
        let p = ports.get(alias);
        if (!p) {
          const base = clientSettings(clusters, alias);
          p = createKafkaPort(alias, { ...base, extra: { ...base.extra, retry: { retries: 1 }, connectionTimeout: 3000 } });
          ports.set(alias, p);
        }
        return p;
      };
      try {
        const r = await runCheck({
          clusters,
          port,
          topics,
          minReplicationFactor: o.minReplicationFactor,
          minInsyncReplicas: o.minInsyncReplicas,
          maxCheckpointAgeMs: o.maxCheckpointAge,
          observerWindowMs: o.observerWindow,
          ...(o.controllerSites !== undefined ? { controllerSites: String(o.controllerSites) } : {}),
        });
        if (o.output === 'json') process.stdout.write(JSON.stringify(r) + '\n');
        else {
          if (r.findings.length) {
            const t = table(['severity', 'finding', 'where', 'subject', 'evidence', 'fix']);
            for (const f of r.findings) t.push([f.severity, f.id, f.where, f.subject, JSON.stringify(f.evidence), f.fix]);
            process.stdout.write(`${t.toString()}\n`);
          }
          for (const n of r.notes) process.stdout.write(`note: ${n}\n`);
          const counts = ['critical', 'high', 'medium'].map((s) => `${r.findings.filter((f) => f.severity === s).length} ${s}`).join(', ');
          process.stdout.write(
            `${r.findings.length ? `${r.findings.length} finding(s): ${counts}` : 'no findings'} — clusters ${r.checked.clusters.join(', ')}; flows ${r.checked.flows.map((f) => (r.checked.replicationPolicies[f] === 'identity' ? `${f} (identity)` : f)).join(', ')} (exit ${r.exitCode})\n`,
          );
        }
        setExit(r.exitCode);
      } finally {
        await Promise.allSettled([...ports.values()].map((p) => p.close()));
      }
    });
}
