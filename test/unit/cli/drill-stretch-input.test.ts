/**
 * `drill --kind stretch` input errors, through the real CLI (built): one clear message with a fix, exit 2, and
 * nothing done — no runs or reports folder created, no site killed (the sandbox folder given is never touched). No
 * Kafka: the clusters files point at closed ports.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/kafka-failover.js');
let dir: string;
let mm2: string;
let mm2Back: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kf-drill-stretch-input-'));
  mm2 = path.join(dir, 'clusters.yaml');
  mm2Back = path.join(dir, 'clusters-failback.yaml');
  const c = (s: string, t: string) =>
    `clusters:\n  primary: { bootstrapServers: ["127.0.0.1:1"] }\n  dr: { bootstrapServers: ["127.0.0.1:2"] }\nflows:\n  - { source: ${s}, target: ${t} }\n`;
  await writeFile(mm2, c('primary', 'dr'));
  await writeFile(mm2Back, c('dr', 'primary'));
});

async function drill(args: string[]) {
  const runs = path.join(dir, `runs-${Math.random().toString(36).slice(2, 8)}`);
  const reports = path.join(dir, `reports-${Math.random().toString(36).slice(2, 8)}`);
  const r = await execa(process.execPath, [BIN, 'drill', ...args, '--runs-dir', runs, '--reports-dir', reports], {
    reject: false,
    timeout: 15_000,
    killSignal: 'SIGKILL',
    env: { NO_COLOR: '1', CI: 'true' },
  });
  expect(existsSync(runs), 'no runs folder').toBe(false);
  expect(existsSync(reports), 'no reports folder').toBe(false);
  return { exitCode: r.exitCode, stderr: String(r.stderr) };
}

describe('drill --kind stretch: bad input', () => {
  it('without --site: says the site is needed (exit 2)', async () => {
    const r = await drill([
      '--kind',
      'stretch',
      '--failover',
      'runbooks/stretch-site-loss.yaml',
      '--failback',
      'runbooks/stretch-site-recovery.yaml',
      '--clusters',
      mm2,
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('drill --kind stretch needs --site');
  });

  it('--site on an MM2 drill is refused rather than ignored (exit 2)', async () => {
    const r = await drill([
      '--site',
      'a',
      '--failover',
      'runbooks/planned-failover.yaml',
      '--failback',
      'runbooks/failback.yaml',
      '--clusters',
      mm2,
      '--failback-clusters',
      mm2Back,
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--site and --sandbox-state-dir apply to drill --kind stretch only');
  });

  it('MM2 runbooks on a mirror flow with --kind stretch: refused before any site is killed (the sandbox folder stays untouched)', async () => {
    const sandbox = await mkdtemp(path.join(dir, 'sandbox-'));
    const r = await drill([
      ...['--kind', 'stretch', '--site', 'a', '--sandbox-state-dir', sandbox],
      ...['--failover', 'runbooks/planned-failover.yaml', '--failback', 'runbooks/failback.yaml', '--clusters', mm2, '--failback-clusters', mm2Back],
    ]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('which');
    expect(r.stderr).toContain('does not declare as kind: stretch');
    expect(await readdir(sandbox)).toEqual([]);
  });
});
