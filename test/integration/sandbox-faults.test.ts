/**
 * Fault controls and recovery on the shared sandbox: kill -9 a broker or MM2, see it reported, and `up` on the
 * half-dead sandbox brings back only what died (the running broker keeps its PID) and proves replication again.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sandboxStatus, sandboxUp, startComponents, stopComponents } from '../../src/rehearsal/sandbox/sandbox.js';
import { resetSharedSandbox, sandbox } from './helpers.js';

beforeAll(() => resetSharedSandbox()); // every component running, whatever an earlier file left

describe('sandbox fault controls', () => {
  it('kill -9 of dr-1 shows as not running; up recovers it and leaves primary-1 alone', async () => {
    const { stateDir } = sandbox().options;
    const before = await sandboxStatus(stateDir);
    const primaryPid = before.clusters.primary.brokers[0]!.pid;
    expect(await stopComponents(stateDir, 'dr-1', 'kill')).toEqual(['dr-1']);
    const killed = await sandboxStatus(stateDir);
    expect(killed.clusters.dr.brokers[0]!.running).toBe(false);
    expect(killed.clusters.primary.brokers[0]!.running).toBe(true);

    const after = await sandboxUp({ stateDir }); // waits for the probe to cross again
    expect(after.clusters.dr.brokers[0]!.running).toBe(true);
    expect(after.clusters.primary.brokers[0]!.pid).toBe(primaryPid);
    expect(after.mm2.running).toBe(true);
  });

  it('stops and starts MirrorMaker 2 alone; stopping a stopped component is a no-op', async () => {
    const { stateDir } = sandbox().options;
    expect(await stopComponents(stateDir, 'mm2', 'graceful')).toEqual(['mm2']);
    expect((await sandboxStatus(stateDir)).mm2.running).toBe(false);
    expect(await stopComponents(stateDir, 'mm2', 'graceful')).toEqual([]);
    expect(await startComponents(stateDir, 'mm2')).toEqual(['mm2']);
    expect((await sandboxStatus(stateDir)).mm2.running).toBe(true);
    await sandboxUp({ stateDir }); // replication proven again before the next test file
  });
});
