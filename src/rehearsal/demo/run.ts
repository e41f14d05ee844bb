/**
 * `npm run demo`: a planned failover on a fresh sandbox with live traffic, ending with measured figures.
 * 1. A sandbox of its own (state `.kafka-failover/demo`, ports 19190+), wiped first so every demo starts clean.
 * 2. `sandbox traffic`: orders (6 partitions) and payments (3) at 100 records/s; groups billing, shipping, analytics.
 * 3. `runbooks/planned-failover.yaml`, non-interactive (`--yes`), through the same executor the CLI uses.
 * 4. Once the groups have caught up on dr, the traffic stops and its ledger gives skipped and duplicated records.
 * The sandbox is stopped at the end (`--keep` leaves it running).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { loadClustersFile } from '../../clusters/load.js';
import { Writable } from 'node:stream';
import { LiveOutput } from '../../cli/live.js';
import { runRunbook } from '../../engine/executor.js';
import { loadRunbook } from '../../engine/load-runbook.js';
import { createKafkaPort } from '../../kafka/kafkajs-adapter.js';
import { sandboxDown, sandboxUp } from '../sandbox/sandbox.js';
import { builtinRegistry } from '../../steps/index.js';
import { waitFor } from '../../util/wait.js';

const say = (s: string) => process.stdout.write(`${s}\n`);
const stateDir = path.resolve('.kafka-failover/demo');
const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bin/kafka-failover.js');

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  say('== 1. sandbox: clusters primary and dr, MirrorMaker 2 primary -> dr (fresh)');
  await sandboxDown({ stateDir, wipe: true });
  const s = await sandboxUp({ stateDir, portBase: 19190 }, (l) => say(`   ${l}`));
  const reportFile = path.join(stateDir, 'traffic-report.json');
  say('== 2. traffic: 100 records/s to orders and payments; groups billing, shipping, analytics consuming on primary');
  const traffic = execa(process.execPath, [bin, 'sandbox', 'traffic', '--state-dir', stateDir, '--rate', '100', '--report', reportFile], { reject: false });
  await new Promise((r) => setTimeout(r, 15_000));
  say('== 3. run runbooks/planned-failover.yaml --yes');
  const registry = builtinRegistry();
  const runbook = await loadRunbook(path.resolve('runbooks/planned-failover.yaml'), registry, { stateDir });
  const clusters = await loadClustersFile(s.clustersFile);
  // The CLI's own human output (gate tables, progress every 5 s), indented under this section.
  const indented = new Writable({
    write: (chunk, _enc, cb) => {
      process.stdout.write(String(chunk).replace(/^(?=.)/gm, '   '));
      cb();
    },
  });
  const live = new LiveOutput({ stream: indented, tty: false });
  const result = await runRunbook({ runbook, clusters, registry, dryRun: false, yes: true, runsDir: path.resolve('runs'), sinks: [live.event] });
  live.close();
  if (result.exitCode !== 0) {
    traffic.kill('SIGINT');
    await traffic;
    say(`The failover did not succeed (exit ${result.exitCode}). Audit log: ${result.auditFile}`);
    return result.exitCode;
  }
  say('== 4. consumers now on dr: waiting for them to read to the end, then stopping the traffic');
  const dr = createKafkaPort('dr', { bootstrapServers: s.clusters.dr.bootstrapServers });
  const groups = ['billing', 'shipping', 'analytics'];
  await waitFor(
    'the groups to catch up on dr',
    async () => {
      for (const g of groups) {
        const committed = await dr.committedOffsets(g);
        const topics = [...new Set(committed.map((c) => c.topic))];
        for (const t of topics)
          for (const p of await dr.partitionOffsets(t))
            if ((committed.find((c) => c.topic === t && c.partition === p.partition)?.offset ?? -1) < p.highWatermark)
              throw new Error(`${g} behind on ${t}/${p.partition}`);
      }
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
  await dr.close();
  traffic.kill('SIGINT');
  await traffic;
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    produced: number;
    groups: { groupId: string; skipped: number; duplicates: number; consumed: number }[];
  };
  const translate = result.events.find((e) => e.kind === 'step.succeeded' && e.step === 'translate');
  const reReads = new Map(
    ((translate?.kind === 'step.succeeded' ? translate.outputs.groups : []) as { group: string; reReadRecords: number | null }[]).map((g) => [
      g.group,
      g.reReadRecords,
    ]),
  );
  say('\n== Summary');
  for (const e of result.events) if (e.kind === 'step.succeeded') say(`   ${e.step.padEnd(15)} ${(e.durationMs / 1000).toFixed(1).padStart(5)} s`);
  const total = result.events.find((e) => e.kind === 'run.finished');
  say(`   ${'failover total'.padEnd(15)} ${(((total?.kind === 'run.finished' && total.durationMs) || 0) / 1000).toFixed(1).padStart(5)} s`);
  say(`   records produced: ${report.produced}`);
  for (const g of report.groups)
    say(
      `   ${g.groupId.padEnd(10)} re-read reported ${String(reReads.get(g.groupId) ?? '?').padStart(5)}, duplicates measured ${String(g.duplicates).padStart(5)}, skipped ${g.skipped}`,
    );
  const skipped = report.groups.reduce((n, g) => n + g.skipped, 0);
  say(`   records skipped: ${skipped} (must be 0)`);
  say(`   audit log: ${result.auditFile}`);
  if (!keep) {
    await sandboxDown({ stateDir });
    say('   demo sandbox stopped (run with -- --keep to leave it up)');
  }
  return skipped === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`demo failed: ${e.message}\n`);
    process.exit(1);
  },
);
