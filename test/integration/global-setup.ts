/**
 * One sandbox per test run: started here (or reused when it is already up), handed to the tests with
 * `inject('sandbox')`, and stopped after the run if this setup started it.
 * It uses its own state folder and ports (29090 block) so a developer's demo sandbox (19090 block) keeps running.
 */
import path from 'node:path';
import 'vitest';
import type { TestProject } from 'vitest/node';
import { chooseProvider, type SandboxHandle } from '../../src/rehearsal/sandbox/provider.js';
import { loadState } from '../../src/rehearsal/sandbox/state.js';
import { sandboxStatusOf } from '../../src/rehearsal/sandbox/sandbox.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: SandboxHandle;
  }
}

export const TEST_STATE_DIR = path.resolve(process.env.KAFKA_FAILOVER_TEST_SANDBOX_DIR ?? '.kafka-failover/test-sandbox');
export const TEST_PORT_BASE = Number(process.env.KAFKA_FAILOVER_TEST_PORT_BASE ?? 29090);

export default async function setup(project: TestProject) {
  const provider = await chooseProvider();
  const before = await loadState(TEST_STATE_DIR);
  const wasUp =
    before !== undefined &&
    (() => {
      const s = sandboxStatusOf(before);
      return s.mm2.running && Object.values(s.clusters).every((c) => c.brokers.every((b) => b.running));
    })();
  const started = Date.now();
  const handle = await provider.up({ stateDir: TEST_STATE_DIR, portBase: TEST_PORT_BASE }, (line) => process.stderr.write(`[sandbox] ${line}\n`));
  process.stderr.write(`[sandbox] ${provider.name} sandbox ${wasUp ? 'reused' : 'ready'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  project.provide('sandbox', handle);
  return async () => {
    if (!wasUp) await provider.down(handle);
  };
}
