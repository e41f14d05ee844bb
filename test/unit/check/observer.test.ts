/**
 * Observer (read-only) clusters: `role: observer` in the clusters file (a bad value names file, line and field); a
 * run or plan whose flow targets an observer is refused (exit 2, pointing at `clusters.<alias>.role`) before any
 * cluster is reached; `check` reports a flow out of an observer and, over an in-memory cluster, the local topics
 * that grow while it watches — never MM2's copies, its heartbeats or internal topics.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkObserver, checkObserverFlows, topicOrigin } from '../../../src/check/observer-checks.js';
import { assertNotObserverTarget, loadClustersFile } from '../../../src/clusters/load.js';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { ValidationError } from '../../../src/errors.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { defineStep } from '../../../src/engine/step.js';
import type { KafkaPort } from '../../../src/kafka/port.js';
import { MemoryKafka } from '../mm2/memory-kafka.js';

const flow = (source: string, target: string, replicationPolicy: 'default' | 'identity' = 'default'): FlowConfig => ({
  source,
  target,
  replicationPolicy,
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: [],
  topicsExclude: [],
});

async function clustersFile(role: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-observer-'));
  const file = path.join(dir, 'clusters.yaml');
  await writeFile(
    file,
    `clusters:\n  primary: { bootstrapServers: ["h:1"] }\n  dr:\n    bootstrapServers: ["h:2"]\n    role: ${role}\nflows:\n  - { source: primary, target: dr }\n`,
  );
  return { dir, file };
}

describe('observer clusters in the clusters file', () => {
  it('a role other than observer or read-write is refused naming file, line and field', async () => {
    const { file } = await clustersFile('observr');
    const e = await loadClustersFile(file).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).exitCode).toBe(2);
    expect((e as ValidationError).problems).toMatchObject([{ file, line: 5, field: 'clusters.dr.role', hint: expect.stringContaining('"observer"') }]);
  });

  it('a move onto an observer is refused (exit 2) pointing at its role line; onto another cluster it is not', async () => {
    const { file } = await clustersFile('observer');
    const loaded = await loadClustersFile(file);
    expect(loaded.observers).toEqual({ dr: { line: 5, column: 11 } });
    const e = (() => {
      try {
        assertNotObserverTarget(loaded, 'dr', 'offsets move --flow primary->dr');
      } catch (x) {
        return x as ValidationError;
      }
    })();
    expect(e?.exitCode).toBe(2);
    expect(e?.problems).toMatchObject([{ file, line: 5, field: 'clusters.dr.role', message: expect.stringContaining('dr is an observer') }]);
    expect(() => assertNotObserverTarget(loaded, 'primary', 'a return')).not.toThrow();
  });

  it('runRunbook refuses a runbook whose flow targets an observer before it reaches a cluster or creates the run directory', async () => {
    const { dir, file } = await clustersFile('observer');
    const loaded = await loadClustersFile(file);
    const rbFile = path.join(dir, 'rb.yaml');
    await writeFile(rbFile, 'apiVersion: kafka-failover/v1\nname: t\nflow: primary->dr\nsteps:\n  - { id: w, kind: write, with: {} }\n');
    const writes: string[] = [];
    const reg = new StepRegistry().register(
      defineStep({
        kind: 'write',
        description: 'records a write',
        writes: true,
        input: z.strictObject({}),
        async check() {
          return {};
        },
        async apply() {
          writes.push('w');
          return {};
        },
      }),
    );
    const reached: string[] = [];
    const r = runRunbook({
      runbook: await loadRunbook(rbFile, reg),
      clusters: loaded,
      registry: reg,
      dryRun: true,
      yes: true,
      overrides: {},
      runsDir: path.join(dir, 'runs'),
      kafka: (alias) => {
        reached.push(alias);
        throw new Error('no cluster may be reached');
      },
      lock: false,
    });
    await expect(r).rejects.toMatchObject({ exitCode: 2, problems: [{ field: 'clusters.dr.role', line: 5 }] });
    expect(reached).toEqual([]);
    expect(writes).toEqual([]);
    expect(existsSync(path.join(dir, 'runs'))).toBe(false);
  });
});

describe('check: observer findings', () => {
  it('a flow out of an observer is observer-flow-source; flows into it are not', () => {
    const r = checkObserverFlows(['obs'], [flow('primary', 'obs'), flow('obs', 'archive')]);
    expect(r).toMatchObject([{ id: 'observer-flow-source', severity: 'medium', where: 'obs', subject: 'obs->archive' }]);
  });

  it('copies of inbound flows and MM2 heartbeats are not local topics; identity copies need the source listed', () => {
    const sources = new Map([['b', new Set(['orders'])]]);
    expect(topicOrigin('primary.orders', [flow('primary', 'obs')], sources)).toMatchObject({ source: 'primary' });
    expect(topicOrigin('heartbeats', [flow('primary', 'obs')], sources)).toBe('mm2');
    expect(topicOrigin('scratch', [flow('primary', 'obs')], sources)).toBeUndefined();
    expect(topicOrigin('orders', [flow('b', 'obs', 'identity')], sources)).toMatchObject({ source: 'b' });
    expect(topicOrigin('scratch', [flow('b', 'obs', 'identity')], sources)).toBeUndefined();
    expect(topicOrigin('orders', [flow('c', 'obs', 'identity')], new Map([['c', undefined]]))).toBe('unknown');
  });

  it('a local topic that grows during the window is reported with its growth in records; copies, heartbeats and idle topics are not', async () => {
    const obs = new MemoryKafka('obs');
    for (const t of ['primary.orders', 'heartbeats', 'mm2-offsets.primary.internal', 'idle']) obs.partitionWith(t, 0, [0, 1]);
    obs.topic('scratch', 2);
    obs.append('scratch', 0, {});
    const r = await checkObserver('obs', obs.port(), [flow('primary', 'obs')], new Map(), {
      topics: /.*/,
      windowMs: 1000,
      // What happens on the cluster while the check waits: MM2 copies and heartbeats, and a stray producer on scratch.
      sleep: async () => {
        for (const t of ['primary.orders', 'heartbeats', 'mm2-offsets.primary.internal']) obs.append(t, 0, {});
        for (let i = 0; i < 3; i++) obs.append('scratch', 1, {});
        obs.append('scratch', 0, {});
      },
    });
    expect(r.findings).toMatchObject([
      { id: 'observer-written', severity: 'high', where: 'obs', subject: 'scratch', evidence: { records: 4, byPartition: { 0: 1, 1: 3 } } },
    ]);
    expect(r.notes.join('\n')).toContain('2 local topic(s) watched');
  });

  it('nothing growing on an observer is no finding', async () => {
    const obs = new MemoryKafka('obs');
    obs.partitionWith('scratch', 0, [0, 1, 2]);
    const r = await checkObserver('obs', obs.port() as KafkaPort, [flow('primary', 'obs')], new Map(), { topics: /.*/, windowMs: 10, sleep: async () => {} });
    expect(r.findings).toEqual([]);
  });
});
