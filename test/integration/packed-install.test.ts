/**
 * The package as users install it: `npm pack` of this repository, the tarball installed into an empty folder, and
 * from there (cwd = that folder, nothing of the repository on any path) the installed `kafka-failover`:
 * `--help`, `validate` of every packaged runbook, `sandbox up` on a port block of its own, live `sandbox traffic`, the
 * packaged planned-failover runbook run non-interactively (its hooks call the installed tool through `${tool.argv}`),
 * 0 records skipped, then `sandbox down --wipe`. The waits use the installed package's library entry
 * (`import … from 'kafka-failover'` in a script of that folder). Needs the npm registry (or its cache) for the
 * dependencies.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, liveProcessesMentioning } from './helpers.js';

const repo = path.resolve('.');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kf-packed-'));
const app = path.join(tmp, 'app');
const stateDir = path.join(tmp, 'sandbox');
const PORT_BASE = 24090;
const groups = ['billing', 'shipping', 'analytics'];
// npm's own variables (npx/vitest set npm_config_*, npm_package_*) would point the nested npm at this repository.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const env = { ...cleanEnv, NO_COLOR: '1', CI: 'true' };
const bin = () => path.join(app, 'node_modules/.bin/kafka-failover');
/** The installed tool, run from the install folder. */
const tool = (args: string[], timeout = 240_000) => execa(bin(), args, { cwd: app, env, reject: false, timeout });
let traffic: ResultPromise | undefined;
let sandboxStarted = false;

/** Probes written into the install folder: they import the installed package by name, as a user's program would. */
const PROBE = `import { clientSettings, createKafkaPort, findFlow, loadClustersFile, translateOffsets } from 'kafka-failover';
const [mode, clustersFile, ...groups] = process.argv.slice(2);
const clusters = await loadClustersFile(clustersFile);
const flow = findFlow(clusters);
const port = (alias) => createKafkaPort(alias, clientSettings(clusters, alias));
const source = port(flow.source), target = port(flow.target);
const waiting = [];
try {
  if (mode === 'checkpoints') {
    const r = await translateOffsets({ flow, source, target, include: groups.map((g) => new RegExp('^' + g + '$')) });
    for (const g of groups) {
      const committed = await source.committedOffsets(g);
      const missing = committed.filter((c) => !r.partitions.some((p) => p.group === g && p.sourceTopic === c.topic && p.partition === c.partition && p.basis === 'checkpoint'));
      if (committed.length === 0 || missing.length) waiting.push(g + ': ' + committed.length + ' committed, ' + missing.length + ' without checkpoint');
    }
  } else {
    // Each group reads its own topics (shipping reads orders only): every partition of a topic it commits on, to the end.
    for (const g of groups) {
      const committed = await target.committedOffsets(g);
      if (committed.length === 0) waiting.push(g + ': nothing committed on ' + flow.target);
      for (const t of new Set(committed.map((c) => c.topic))) for (const p of await target.partitionOffsets(t)) {
        const at = committed.find((c) => c.topic === t && c.partition === p.partition)?.offset ?? -1;
        if (at < p.highWatermark) waiting.push(g + ' at ' + at + ' < ' + p.highWatermark + ' on ' + t + '/' + p.partition);
      }
    }
  }
} finally {
  await Promise.allSettled([source.close(), target.close()]);
}
console.log(JSON.stringify({ ok: waiting.length === 0, waiting }));
`;

async function probe(mode: 'checkpoints' | 'caught-up'): Promise<true | undefined> {
  const r = await execa(process.execPath, ['probe.mjs', mode, path.join(stateDir, 'clusters.yaml'), ...groups], {
    cwd: app,
    env,
    reject: false,
    timeout: 60_000,
  });
  if (r.exitCode !== 0) throw new Error(`probe ${mode} failed (exit ${r.exitCode}): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ok: boolean; waiting: string[] };
  if (!out.ok) throw new Error(out.waiting.join('; ')); // the wait's "last observed" names what is missing
  return true;
}

beforeAll(async () => {
  // Pack (runs `prepare`: the build) and install the tarball into an empty folder with its own package.json.
  const pack = await execa('npm', ['pack', '--pack-destination', tmp, '--json'], { cwd: repo, env: cleanEnv });
  const tarball = path.join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'packed-install-check', private: true, type: 'module' }));
  await execa('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, env: cleanEnv, timeout: 240_000 });
  writeFileSync(path.join(app, 'probe.mjs'), PROBE);
}, 300_000);

afterAll(async () => {
  traffic?.kill('SIGINT');
  await traffic;
  if (sandboxStarted) await tool(['sandbox', 'down', '--state-dir', stateDir, '--wipe']);
});

describe('the packed package, installed into an empty folder', () => {
  it('installs the bin, the built library and the runbooks, and nothing of the sources or tests', () => {
    const installed = path.join(app, 'node_modules/kafka-failover');
    expect(existsSync(bin())).toBe(true);
    expect(existsSync(path.join(installed, 'dist/index.js'))).toBe(true);
    expect(
      readdirSync(path.join(installed, 'runbooks'))
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    ).toEqual(
      // Every runbook of the repository (a list written here went stale when one was added).
      readdirSync(path.join(repo, 'runbooks'))
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    );
    for (const absent of ['src', 'test', 'examples', '.ci']) expect(existsSync(path.join(installed, absent))).toBe(false);
  });

  it('--help answers from the install folder', async () => {
    const r = await tool(['--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Usage: kafka-failover/);
    const version = await tool(['--version']);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('validates every packaged runbook', async () => {
    const dir = path.join('node_modules/kafka-failover/runbooks');
    for (const f of readdirSync(path.join(app, dir)).filter((x) => x.endsWith('.yaml'))) {
      const r = await tool(['validate', path.join(dir, f)]);
      expect({ runbook: f, exitCode: r.exitCode, stderr: r.stderr }).toEqual({ runbook: f, exitCode: 0, stderr: r.exitCode === 0 ? r.stderr : '' });
    }
  });

  it('sandbox up, live traffic, the packaged planned failover (hooks through ${tool.argv}), 0 skipped, sandbox down', async () => {
    sandboxStarted = true;
    const up = await tool(['sandbox', 'up', '--port-base', String(PORT_BASE), '--state-dir', stateDir]);
    expect({ exitCode: up.exitCode, stderr: up.exitCode === 0 ? '' : up.stderr }).toEqual({ exitCode: 0, stderr: '' });

    const report = path.join(tmp, 'traffic-report.json');
    traffic = tool(['sandbox', 'traffic', '--state-dir', stateDir, '--rate', '100', '--report', report], 300_000);
    await eventually('MM2 to checkpoint every committed partition of the three groups', () => probe('checkpoints'), 120_000);

    const run = await tool([
      'run',
      'node_modules/kafka-failover/runbooks/planned-failover.yaml',
      '--yes',
      '--output',
      'json',
      '--clusters',
      path.join(stateDir, 'clusters.yaml'),
      '--runs-dir',
      path.join(app, 'runs'),
      '--set',
      `stateDir=${stateDir}`,
    ]);
    const events = run.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { kind: string; outcome?: string; write?: { action: string; details?: { argv?: string[] } } });
    expect(events.at(-1), run.stderr).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    expect(run.exitCode).toBe(0);
    // The hooks ran the installed tool (node + node_modules/kafka-failover/bin), not npx or a repository path.
    const hookArgv = events.filter((e) => e.kind === 'write.done' && e.write?.action.startsWith('run hook')).map((e) => e.write!.details!.argv!);
    expect(hookArgv.length).toBeGreaterThan(0);
    for (const argv of hookArgv) expect(argv.slice(0, 2)).toEqual([process.execPath, path.join(app, 'node_modules/kafka-failover/bin/kafka-failover.js')]);

    await eventually('the groups to read every partition to its end on dr', () => probe('caught-up'), 120_000);
    traffic.kill('SIGINT');
    const stopped = await traffic;
    traffic = undefined;
    expect(stopped.exitCode).toBe(0);
    const delivered = JSON.parse(readFileSync(report, 'utf8')) as { produced: number; groups: { groupId: string; skipped: number }[] };
    expect(delivered.produced).toBeGreaterThan(0);
    expect(delivered.groups.map((g) => ({ group: g.groupId, skipped: g.skipped }))).toEqual(groups.map((g) => ({ group: g, skipped: 0 })));

    const down = await tool(['sandbox', 'down', '--state-dir', stateDir, '--wipe']);
    expect(down.exitCode).toBe(0);
    sandboxStarted = false;
    expect(await liveProcessesMentioning(stateDir)).toEqual([]);
  });
});
