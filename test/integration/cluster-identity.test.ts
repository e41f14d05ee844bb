/**
 * Cluster identity: with dr's cluster id pinned in the clusters file but its bootstrap servers pointing at the
 * primary's address (a copy-paste mistake), every write is refused before it is sent, and nothing changes there.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import { resetSharedSandbox, runCli, sandbox, uniqueName, waitForFreeLease } from './helpers.js';

describe('cluster identity pinning', () => {
  it('refuses to write to "dr" when it answers with the primary\'s cluster id', async () => {
    await resetSharedSandbox();
    await waitForFreeLease();
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-identity-'));
    const doc = parse(await readFile(sandbox().clustersFile, 'utf8'));
    doc.clusters.dr.bootstrapServers = doc.clusters.primary.bootstrapServers; // wrong address, dr's id still pinned
    const clustersFile = path.join(tmp, 'clusters.yaml');
    await writeFile(clustersFile, stringify(doc));
    const group = uniqueName('identity');
    const runbook = path.join(tmp, 'rb.yaml');
    await writeFile(
      runbook,
      `apiVersion: kafka-failover/v1\nname: identity\nflow: primary->dr\nsteps:\n  - { id: canary, kind: validate, with: { canaryTopic: ${group} } }\n`,
    );
    const r = await runCli(['run', runbook, '--yes', '--clusters', clustersFile, '--runs-dir', path.join(tmp, 'runs')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      `Cluster "dr" answers with cluster id ${sandbox().clusters.primary.clusterId}, but the clusters file pins ${sandbox().clusters.dr.clusterId}`,
    );
    const primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
    expect(await primary.listTopics()).not.toContain(group); // the canary topic was never created on the wrong cluster
    await primary.close();
  });
});
