// Registers the custom step kind of ensure-topic.js beside the built-in ones and plans (dry-run) runbook.yaml:
//   node examples/custom-step/run.js [clusters.yaml] [--apply]
// Without --apply nothing is written: the plan lists the topic it would create, with its exact values.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinRegistry, loadClustersFile, loadRunbook, planRunbook, runRunbook } from 'kafka-failover';
import { ensureTopic } from './ensure-topic.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Loads the example runbook with the custom kind registered and runs it.
 * @param {{ clustersFile?: string, apply?: boolean, sets?: Record<string, string>, runsDir?: string,
 *   kafka?: (alias: string) => import('kafka-failover').KafkaPort, lock?: false, sinks?: import('kafka-failover').EventSink[] }} o
 *   `kafka`: ports by alias instead of real connections (the example's test passes an in-memory cluster);
 *   `lock: false`: no run lock (its lease lives in a topic of the target, which an in-memory cluster does not keep).
 * @returns {Promise<import('kafka-failover').RunResult>}
 */
export async function runExample(o = {}) {
  const registry = builtinRegistry().register(ensureTopic);
  const runbook = await loadRunbook(path.join(here, 'runbook.yaml'), registry, o.sets ?? {});
  const clusters = await loadClustersFile(o.clustersFile ?? path.join(here, 'clusters.yaml'));
  const common = {
    runbook,
    clusters,
    registry,
    ...(o.runsDir ? { runsDir: o.runsDir } : {}),
    ...(o.kafka ? { kafka: o.kafka } : {}),
    ...(o.lock === false ? { lock: false } : {}),
    sinks: o.sinks ?? [],
  };
  return o.apply ? runRunbook({ ...common, dryRun: false, yes: true }) : planRunbook(common);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const clustersFile = args.find((a) => !a.startsWith('--'));
  const result = await runExample({
    apply: args.includes('--apply'),
    ...(clustersFile ? { clustersFile } : {}),
    sinks: [(e) => console.log(JSON.stringify(e))],
  });
  process.exitCode = result.exitCode;
}
