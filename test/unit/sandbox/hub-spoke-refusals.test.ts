/**
 * A hub-and-spoke sandbox folder, an aggregate one and a two-cluster one are never mistaken for each other: `up` of
 * one kind on another's folder is refused before anything starts (the state file is left as it was).
 */
import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/errors.js';
import { hubSpokeUp } from '../../../src/rehearsal/sandbox/hub-spoke.js';
import { AGGREGATE_LAYOUT, multiClusterUp } from '../../../src/rehearsal/sandbox/multi-cluster.js';
import { sandboxUp } from '../../../src/rehearsal/sandbox/sandbox.js';
import { saveState, stateFile, type SandboxState } from '../../../src/rehearsal/sandbox/state.js';
import { defaultSandboxOptions } from '../../../src/rehearsal/sandbox/topology.js';

async function folderWith(kind: 'hub-spoke' | 'aggregate' | 'two-clusters'): Promise<string> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'kf-hs-refuse-'));
  const state: SandboxState = {
    formatVersion: 1,
    options: defaultSandboxOptions({ stateDir, portBase: 14090 }),
    libs: '/nowhere',
    clusterIds: { primary: 'AAAAAAAAAAAAAAAAAAAAAA', dr: 'BAAAAAAAAAAAAAAAAAAAAA' },
    processes: {},
    ...(kind === 'hub-spoke' ? { hubSpoke: { spokes: 2 as const, clusterIds: { hub: 'C', spoke1: 'D', spoke2: 'E' } } } : {}),
    ...(kind === 'aggregate' ? { aggregate: { clusterIds: { r1: 'C', r2: 'D', agg1: 'E', agg2: 'F' } } } : {}),
  };
  await saveState(state);
  return stateDir;
}

describe('hub-and-spoke sandbox folders', () => {
  it('sandbox up (two clusters) refuses a hub-and-spoke folder', async () => {
    const dir = await folderWith('hub-spoke');
    const before = await readFile(stateFile(dir), 'utf8');
    await expect(sandboxUp({ stateDir: dir })).rejects.toThrow(InvalidInputError);
    await expect(sandboxUp({ stateDir: dir })).rejects.toThrow(/hub-and-spoke sandbox/);
    expect(await readFile(stateFile(dir), 'utf8')).toBe(before);
  });

  it('sandbox up --topology hub-spoke refuses a two-cluster folder, and a change of spokes', async () => {
    const two = await folderWith('two-clusters');
    await expect(hubSpokeUp({ stateDir: two })).rejects.toThrow(/not a hub-and-spoke sandbox/);
    const hs = await folderWith('hub-spoke');
    const before = await readFile(stateFile(hs), 'utf8');
    await expect(hubSpokeUp({ stateDir: hs, spokes: 3 })).rejects.toThrow(/created with spokes=2; the command asks for spokes=3/);
    expect(await readFile(stateFile(hs), 'utf8')).toBe(before);
  });

  it('sandbox up --topology aggregate refuses a hub-and-spoke folder; hub-spoke and two-cluster up refuse an aggregate one', async () => {
    const hs = await folderWith('hub-spoke');
    await expect(multiClusterUp(AGGREGATE_LAYOUT, { stateDir: hs })).rejects.toThrow(/not an aggregate sandbox/);
    const agg = await folderWith('aggregate');
    const before = await readFile(stateFile(agg), 'utf8');
    await expect(hubSpokeUp({ stateDir: agg })).rejects.toThrow(/not a hub-and-spoke sandbox/);
    await expect(sandboxUp({ stateDir: agg })).rejects.toThrow(/is an aggregate sandbox/);
    await expect(multiClusterUp(AGGREGATE_LAYOUT, { stateDir: agg, portBase: 15090 })).rejects.toThrow(/created with portBase=14090/);
    expect(await readFile(stateFile(agg), 'utf8')).toBe(before);
  });
});
