/** CLI input errors exit with code 2 and say what is wrong, without starting anything. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { saveState } from '../../../src/rehearsal/sandbox/state.js';
import { defaultSandboxOptions } from '../../../src/rehearsal/sandbox/topology.js';

async function run(...args: string[]) {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    const code = await main(['node', 'kafka-failover', ...args]);
    return { code, stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('kafka-failover sandbox: bad input', () => {
  it('rejects --brokers 2 (exit 2)', async () => {
    const r = await run('sandbox', 'up', '--brokers', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected one of 1, 3, got "2"');
  });

  it('rejects an unknown --mm2-mode, naming the allowed values (exit 2)', async () => {
    const r = await run('sandbox', 'up', '--mm2-mode', 'docker');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected one of dedicated, connect, got "docker"');
  });

  it('rejects an unknown sandbox component, listing the known ones (exit 2)', async () => {
    // A recorded sandbox (state file only: no process runs, so nothing can be killed by mistake).
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'kf-cli-'));
    await saveState({
      formatVersion: 1,
      options: defaultSandboxOptions({ stateDir, portBase: 39090 }),
      libs: path.join(stateDir, 'libs'),
      clusterIds: { primary: 'p'.repeat(22), dr: 'd'.repeat(22) },
      processes: {},
    });
    const r = await run('sandbox', 'kill', 'primary-9', '--state-dir', stateDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown sandbox component "primary-9"');
    expect(r.stderr).toContain('Use one of: primary, dr, mm2, mm2-reverse, primary-1, dr-1.');
  });

  it('kill in a folder with no sandbox says there is none (exit 2)', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'kf-cli-'));
    const none = await run('sandbox', 'kill', 'primary-9', '--state-dir', stateDir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No sandbox in');
  });

  it('status of a folder with no sandbox says how to start one (exit 2)', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'kf-cli-'));
    const r = await run('sandbox', 'status', '--state-dir', stateDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('fix: Start one with "kafka-failover sandbox up"');
  });

  it('down on a folder with no sandbox is a no-op (exit 0)', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'kf-cli-'));
    const r = await run('sandbox', 'down', '--state-dir', stateDir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Nothing was running');
  });

  it('sandbox up --topology aggregate refuses --spokes, naming what it takes (exit 2, nothing started)', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'kf-cli-'));
    const r = await run('sandbox', 'up', '--topology', 'aggregate', '--spokes', '2', '--state-dir', stateDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--spokes does not apply to --topology aggregate.');
    expect(r.stderr).toContain('An aggregate sandbox takes --offset-lag-max');
  });

  it('an unknown component of an aggregate sandbox lists its clusters, nodes and mm2 (exit 2)', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'kf-cli-'));
    await saveState({
      formatVersion: 1,
      options: defaultSandboxOptions({ stateDir, portBase: 39090 }),
      libs: path.join(stateDir, 'libs'),
      clusterIds: { primary: '', dr: '' },
      processes: {},
      aggregate: { clusterIds: { r1: 'a'.repeat(22), r2: 'b'.repeat(22), agg1: 'c'.repeat(22), agg2: 'd'.repeat(22) } },
    });
    const r = await run('sandbox', 'kill', 'primary', '--state-dir', stateDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown component "primary" of the aggregate sandbox.');
    expect(r.stderr).toContain('Use one of: mm2, r1, r1-1, r2, r2-1, agg1, agg1-1, agg2, agg2-1.');
  });
});
