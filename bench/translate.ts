/**
 * Benchmark: translating 1,000 groups × 10 partitions from a real checkpoints topic on a sandbox broker.
 * Writes MM2-format checkpoint records (3 generations per (group, partition), as MM2 re-emits on progress) into
 * `<alias>.checkpoints.internal` on dr for a flow of its own, then times `translateOffsets` (checkpoints alone,
 * as in an emergency) and samples RSS. Also runs smaller and larger shapes to show that the cost follows the
 * checkpoint topic's size, not groups × topic size. Usage: npm run bench:translate. Figures → docs/benchmarks.md.
 */
import path from 'node:path';
import type { FlowConfig } from '../src/clusters/schema.js';
import { createKafkaPort } from '../src/kafka/kafkajs-adapter.js';
import { encodeCheckpoint } from '../src/mm2/records.js';
import { translateOffsets } from '../src/mm2/translate.js';
import { sandboxDown, sandboxUp } from '../src/rehearsal/sandbox/sandbox.js';

const stateDir = path.resolve('.kafka-failover/bench-sandbox');
const s = await sandboxUp({ stateDir, portBase: 27090 });
const dr = createKafkaPort('dr', { bootstrapServers: s.clusters.dr.bootstrapServers });
const admin = (await import('../src/kafka/kafkajs-client.js')).createKafka({ bootstrapServers: s.clusters.dr.bootstrapServers }).admin();
await admin.connect();

async function shape(groups: number, partitions: number, generations: number): Promise<string> {
  const alias = `bench${groups}x${partitions}x${generations}`;
  const flow: FlowConfig = {
    source: alias,
    target: 'dr',
    replicationPolicy: 'default',
    separator: '.',
    offsetSyncsTopicLocation: 'source',
    groupsExclude: [],
    topicsExclude: [],
  };
  const ck = `${alias}.checkpoints.internal`;
  const data = `${alias}.orders`;
  await admin.createTopics({
    topics: [
      { topic: ck, numPartitions: 1 },
      { topic: data, numPartitions: partitions },
    ],
    waitForLeaders: true,
  });
  for (let p = 0; p < partitions; p++)
    await dr.produce(
      data,
      Array.from({ length: 1000 }, (_, i) => ({ value: `r${i}`, partition: p })),
    );
  let batch: { key: Buffer; value: Buffer }[] = [];
  for (let gen = 1; gen <= generations; gen++) {
    for (let g = 0; g < groups; g++) {
      for (let p = 0; p < partitions; p++) {
        const off = Math.min(1000, gen * 300 + (g % 50));
        batch.push(encodeCheckpoint({ group: `group-${g}`, topic: data, partition: p, upstreamOffset: off + 7, downstreamOffset: off, metadata: '' }));
        if (batch.length === 5000) {
          await dr.produce(ck, batch);
          batch = [];
        }
      }
    }
  }
  if (batch.length) await dr.produce(ck, batch);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const r = await translateOffsets({ flow, target: dr });
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (r.partitions.length !== groups * partitions || r.partitions.some((x) => x.problem)) throw new Error(`unexpected result: ${r.partitions.length} rows`);
  return `| ${groups} × ${partitions} | ${r.reads.checkpointRecords.toLocaleString('en')} | ${(ms / 1000).toFixed(2)} s | ${Math.round(peak / 1048576)} MiB |`;
}

const rows = [await shape(100, 10, 3), await shape(1000, 10, 1), await shape(1000, 10, 3), await shape(1000, 10, 6)];
await admin.disconnect();
await dr.close();
await sandboxDown({ stateDir, wipe: true });
process.stdout.write(`| groups × partitions | checkpoint records read | translate time | peak RSS of the process |\n|---|---|---|---|\n${rows.join('\n')}\n`);
