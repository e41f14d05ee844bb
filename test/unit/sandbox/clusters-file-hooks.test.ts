/**
 * The MM2 stop/start hooks the sandbox writes into its clusters files run this installation's tool (the running Node
 * and this package's bin/kafka-failover.js), never `npx kafka-failover`: from a folder without the package installed
 * npx fetches it from the registry in the middle of a failover (found by test/integration/packed-install.test.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sandboxClustersDocument, sandboxFailbackDocument } from '../../../src/rehearsal/sandbox/clusters-file.js';
import { defaultSandboxOptions } from '../../../src/rehearsal/sandbox/topology.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/kafka-failover.js');
const options = defaultSandboxOptions({ stateDir: '/tmp/some-sandbox' });
const ids = { primary: 'p-id', dr: 'd-id' };

type Doc = { flows: { mm2: { hooks: { stop: string[]; start: string[] } } }[] };

describe('sandbox clusters files: MM2 hooks', () => {
  it.each([
    ['clusters.yaml', sandboxClustersDocument, 'mm2'],
    ['clusters-failback.yaml', sandboxFailbackDocument, 'mm2-reverse'],
  ] as const)('%s stops and starts %s through node + this bin, not npx', (_file, build, process_) => {
    const { hooks } = (build(options, ids) as unknown as Doc).flows[0]!.mm2;
    expect(hooks.stop).toEqual([process.execPath, bin, 'sandbox', 'stop', process_, '--state-dir', '/tmp/some-sandbox']);
    expect(hooks.start).toEqual([process.execPath, bin, 'sandbox', 'start', process_, '--state-dir', '/tmp/some-sandbox']);
  });
});
