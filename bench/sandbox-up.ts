/**
 * Benchmark: how long `sandbox up` takes to ready, and how much memory the default topology uses.
 * - cold up with jars cached (data wiped, processes stopped) → ready (probe crossed);
 * - total RSS of the sandbox's processes (VmRSS from /proc), sampled 20 s after ready;
 * - first-ever up including the jar download (empty jar cache and empty Maven local repository).
 * Usage: npm run bench:sandbox [-- --skip-download]. Prints a Markdown table; figures go into docs/benchmarks.md.
 * Uses its own state folder and ports (27090 block).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sandboxDown, sandboxUp } from '../src/rehearsal/sandbox/sandbox.js';
import { loadState } from '../src/rehearsal/sandbox/state.js';

const stateDir = path.resolve('.kafka-failover/bench-sandbox');
const portBase = 27090;

async function rssMiB(): Promise<{ total: number; each: Record<string, number> }> {
  const state = await loadState(stateDir);
  const each: Record<string, number> = {};
  for (const [name, rec] of Object.entries(state?.processes ?? {})) {
    const status = await readFile(`/proc/${rec.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    each[name] = Math.round(kb / 1024);
  }
  return { total: Object.values(each).reduce((a, b) => a + b, 0), each };
}

async function timedUp(env?: NodeJS.ProcessEnv): Promise<number> {
  await sandboxDown({ stateDir, wipe: true });
  const saved = { ...process.env };
  Object.assign(process.env, env ?? {});
  const t0 = performance.now();
  try {
    await sandboxUp({ stateDir, portBase });
  } finally {
    process.env = saved;
  }
  return (performance.now() - t0) / 1000;
}

const rows: string[] = [];
const cold = [] as number[];
for (let i = 0; i < 3; i++) cold.push(await timedUp());
await new Promise((r) => setTimeout(r, 20_000));
const rss = await rssMiB();
rows.push(`| cold \`up\` to ready, jars cached (3 runs) | ${cold.map((s) => s.toFixed(1)).join(' s, ')} s | ≤ 60 s |`);
rows.push(
  `| RSS of the default topology, 20 s after ready | ${rss.total} MiB (${Object.entries(rss.each)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}) | ≤ 2048 MiB |`,
);
if (!process.argv.includes('--skip-download')) {
  const cache = await mkdtemp(path.join(os.tmpdir(), 'kf-bench-cache-'));
  const repo = await mkdtemp(path.join(os.tmpdir(), 'kf-bench-m2-'));
  const first = await timedUp({ KAFKA_FAILOVER_CACHE: cache, KAFKA_FAILOVER_MAVEN_REPO: repo });
  rows.push(`| first-ever \`up\`, empty jar cache and Maven repository (download included) | ${first.toFixed(1)} s | — |`);
  await rm(cache, { recursive: true, force: true });
  await rm(repo, { recursive: true, force: true });
}
await sandboxDown({ stateDir, wipe: true });
process.stdout.write(`| measure | figure | target |\n|---|---|---|\n${rows.join('\n')}\n`);
