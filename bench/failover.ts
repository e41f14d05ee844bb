/**
 * Benchmark: tool time of a planned failover for 100 groups × 6 partitions, beyond MM2 catch-up and configured
 * waits. A sandbox of its own (27090 block, wiped) gets a 6-partition topic with 600 records per partition and 100
 * groups committed at different offsets on primary; once MM2 has checkpointed all of them, bench/failover.yaml runs
 * (scope, preflight, lag, stop MM2, translate, reset, canary). Tool time = run time − the stop-replication quiet
 * window − the time spent in hook processes (the MM2 stop hook). Usage: npm run bench:failover.
 */
import path from 'node:path';
import { loadClustersFile } from '../src/clusters/load.js';
import { runRunbook } from '../src/engine/executor.js';
import { loadRunbook } from '../src/engine/load-runbook.js';
import { createKafkaPort } from '../src/kafka/kafkajs-adapter.js';
import { translateOffsets } from '../src/mm2/translate.js';
import { sandboxDown, sandboxUp } from '../src/rehearsal/sandbox/sandbox.js';
import { builtinRegistry } from '../src/steps/index.js';
import { waitFor } from '../src/util/wait.js';

const stateDir = path.resolve('.kafka-failover/bench-sandbox');
await sandboxDown({ stateDir, wipe: true });
const s = await sandboxUp({ stateDir, portBase: 27090 });
const primary = createKafkaPort('primary', { bootstrapServers: s.clusters.primary.bootstrapServers });
const dr = createKafkaPort('dr', { bootstrapServers: s.clusters.dr.bootstrapServers });
const topic = 'bench-orders';
await primary.createTopic(topic, 6);
for (let p = 0; p < 6; p++)
  await primary.produce(
    topic,
    Array.from({ length: 600 }, (_, i) => ({ value: `r${i}`, partition: p })),
  );
for (let g = 0; g < 100; g++)
  await primary.commitOffsets(
    `bench-group-${g}`,
    Array.from({ length: 6 }, (_, p) => ({ topic, partition: p, offset: 100 + ((g * 7 + p * 13) % 500) })),
  );
const clusters = await loadClustersFile(s.clustersFile);
const flow = clusters.config.flows[0]!;
await waitFor(
  'MM2 to checkpoint 100 groups × 6 partitions',
  async () => {
    const r = await translateOffsets({ flow, source: primary, target: dr, include: [/^bench-group-/] });
    if (r.partitions.filter((p) => p.basis === 'checkpoint').length < 600) throw new Error(`${r.partitions.length} translated`);
  },
  { timeoutMs: 180_000, intervalMs: 2000 },
);
await Promise.all([primary.close(), dr.close()]);

const registry = builtinRegistry();
const runbook = await loadRunbook(path.resolve('bench/failover.yaml'), registry);
const result = await runRunbook({ runbook, clusters, registry, dryRun: false, yes: true, runsDir: path.resolve('.kafka-failover/bench-runs') });
if (result.exitCode !== 0) throw new Error(`run ended ${result.outcome}: ${result.message}`);
const total = result.events.find((e) => e.kind === 'run.finished');
const runMs = total?.kind === 'run.finished' ? total.durationMs : 0;
const hookMs = result.events.reduce(
  (s2, e) =>
    s2 + (e.kind === 'write.done' && (e.result as { durationMs?: number } | undefined)?.durationMs ? (e.result as { durationMs: number }).durationMs : 0),
  0,
);
const quietMs = 1000;
const rows = result.events
  .filter((e) => e.kind === 'step.succeeded')
  .map((e) => (e.kind === 'step.succeeded' ? `| ${e.step} | ${(e.durationMs / 1000).toFixed(2)} s |` : ''));
await sandboxDown({ stateDir, wipe: true });
process.stdout.write(
  `| step | duration |\n|---|---|\n${rows.join('\n')}\n| **run** | ${(runMs / 1000).toFixed(2)} s |\n| hook processes (MM2 stop) | ${(hookMs / 1000).toFixed(2)} s |\n| configured quiet window | ${(quietMs / 1000).toFixed(2)} s |\n| **tool time** | ${((runMs - hookMs - quietMs) / 1000).toFixed(2)} s |\n`,
);
