/**
 * The multi-cluster sandboxes' pure parts, for both layouts (hub and spoke; aggregate): the clusters and their ports,
 * the one MirrorMaker 2 config running every flow (and only those: no herder for any other pair), and the clusters
 * file the rest of the tool loads.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadClustersFile } from '../../../src/clusters/load.js';
import {
  AGGREGATE_LAYOUT,
  hubSpokeLayout,
  layoutClusters,
  layoutMm2Properties,
  layoutOf,
  multiClusterClustersDocument,
  type SandboxLayout,
} from '../../../src/rehearsal/sandbox/multi-cluster.js';
import type { SandboxState } from '../../../src/rehearsal/sandbox/state.js';
import { defaultSandboxOptions } from '../../../src/rehearsal/sandbox/topology.js';

const mm2Of = (layout: SandboxLayout) => layoutMm2Properties(layoutClusters(layout, 14090), layout.flows, 100);
/** The pairs the MM2 config enables (`a->b.enabled = true`), sorted. */
const enabledPairs = (p: Record<string, string>) =>
  Object.entries(p)
    .filter(([k, v]) => k.endsWith('.enabled') && !k.includes('heartbeats') && v === 'true')
    .map(([k]) => k.replace('.enabled', ''))
    .sort();

/** A state file of a layout's sandbox with made-up cluster ids, written nowhere. */
function stateOf(dir: string, kind: Pick<SandboxState, 'hubSpoke' | 'aggregate'>): SandboxState {
  return {
    formatVersion: 1,
    options: defaultSandboxOptions({ stateDir: dir, portBase: 14090 }),
    libs: '/nowhere',
    clusterIds: { primary: '', dr: '' },
    processes: {},
    ...kind,
  };
}

/** Writes the state's clusters document and loads it as the tool does. */
async function loadedClustersFile(state: SandboxState) {
  const file = path.join(state.options.stateDir, 'clusters.yaml');
  await writeFile(file, stringify(multiClusterClustersDocument(state)));
  return loadClustersFile(file);
}

describe('hub-and-spoke sandbox layout', () => {
  it('gives the hub and each spoke one combined node with its own client and controller ports', () => {
    const l = layoutClusters(hubSpokeLayout(3), 14090);
    expect(l.map((c) => [c.alias, c.node.name, c.node.roles, c.node.port, c.node.controllerPort])).toEqual([
      ['hub', 'hub-1', 'combined', 14092, 14093],
      ['spoke1', 'spoke1-1', 'combined', 14094, 14095],
      ['spoke2', 'spoke2-1', 'combined', 14096, 14097],
      ['spoke3', 'spoke3-1', 'combined', 14098, 14099],
    ]);
  });

  it('enables exactly spokeK->hub and hub->spokeK in the one MM2 and turns off heartbeats of every other pair', () => {
    const p = mm2Of(hubSpokeLayout(2));
    expect(p.clusters).toBe('hub, spoke1, spoke2');
    expect(enabledPairs(p)).toEqual(['hub->spoke1', 'hub->spoke2', 'spoke1->hub', 'spoke2->hub']);
    // MirrorMakerConfig makes a herder for any pair emitting heartbeats, enabled or not.
    expect(p['spoke1->spoke2.enabled']).toBe('false');
    expect(p['spoke1->spoke2.emit.heartbeats.enabled']).toBe('false');
    expect(p['spoke2->spoke1.emit.heartbeats.enabled']).toBe('false');
    expect(p['hub->spoke1.emit.heartbeats.enabled']).toBeUndefined();
    // Worker settings reach each target's worker only with its alias prefix.
    for (const a of ['hub', 'spoke1', 'spoke2']) {
      expect(p[`${a}.scheduled.rebalance.max.delay.ms`]).toBe('0');
      expect(p[`${a}.plugin.discovery`]).toBe('service_load');
    }
  });

  it('writes a clusters file with every cluster and every flow that the tool loads', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-hub-spoke-'));
    const state = stateOf(dir, {
      hubSpoke: {
        spokes: 3,
        clusterIds: { hub: 'AAAAAAAAAAAAAAAAAAAAAA', spoke1: 'BAAAAAAAAAAAAAAAAAAAAA', spoke2: 'CAAAAAAAAAAAAAAAAAAAAA', spoke3: 'DAAAAAAAAAAAAAAAAAAAAA' },
      },
    });
    expect(layoutOf(state)).toEqual(hubSpokeLayout(3));
    const loaded = await loadedClustersFile(state);
    expect(Object.keys(loaded.config.clusters).sort()).toEqual(['hub', 'spoke1', 'spoke2', 'spoke3']);
    expect(loaded.config.flows.map((f) => `${f.source}->${f.target}`)).toEqual(hubSpokeLayout(3).flows.map((f) => `${f.source}->${f.target}`));
    expect(loaded.config.flows.every((f) => f.replicationPolicy === 'default')).toBe(true);
    expect(loaded.config.clusters.spoke2!.bootstrapServers).toEqual(['127.0.0.1:14096']);
  });
});

describe('aggregate sandbox layout', () => {
  it('gives r1, r2, agg1 and agg2 one combined node each, in that port order', () => {
    const l = layoutClusters(AGGREGATE_LAYOUT, 10090);
    expect(l.map((c) => [c.alias, c.node.name, c.node.roles, c.node.port, c.node.controllerPort])).toEqual([
      ['r1', 'r1-1', 'combined', 10092, 10093],
      ['r2', 'r2-1', 'combined', 10094, 10095],
      ['agg1', 'agg1-1', 'combined', 10096, 10097],
      ['agg2', 'agg2-1', 'combined', 10098, 10099],
    ]);
  });

  it('runs exactly every region -> every aggregate in the one MM2: nothing between aggregates, nothing back', () => {
    const p = mm2Of(AGGREGATE_LAYOUT);
    expect(p.clusters).toBe('r1, r2, agg1, agg2');
    expect(enabledPairs(p)).toEqual(['r1->agg1', 'r1->agg2', 'r2->agg1', 'r2->agg2']);
    for (const pair of ['agg1->agg2', 'agg2->agg1', 'agg1->r1', 'agg2->r2', 'r1->r2', 'r2->r1']) {
      expect(p[`${pair}.enabled`], pair).toBe('false');
      expect(p[`${pair}.emit.heartbeats.enabled`], pair).toBe('false');
    }
    // Dense offset syncs for record matching (offset.lag.max as given, as in hub-spoke), and MM2's default places:
    // offset syncs on the source (mm2-offset-syncs.agg1.internal on r1), so no location is set at all.
    expect(p['offset.lag.max']).toBe('100');
    expect(p['sync.group.offsets.enabled']).toBe('false');
    expect(Object.keys(p).filter((k) => k.includes('offset-syncs.topic.location'))).toEqual([]);
    expect(Object.keys(p).filter((k) => k.includes('replication.policy'))).toEqual([]);
    for (const a of ['r1', 'r2', 'agg1', 'agg2']) expect(p[`${a}.plugin.discovery`]).toBe('service_load');
  });

  it('writes a clusters file with the four clusters and the four flows, each with the one MM2’s stop/start hooks', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-aggregate-'));
    const state = stateOf(dir, {
      aggregate: { clusterIds: { r1: 'AAAAAAAAAAAAAAAAAAAAAA', r2: 'BAAAAAAAAAAAAAAAAAAAAA', agg1: 'CAAAAAAAAAAAAAAAAAAAAA', agg2: 'DAAAAAAAAAAAAAAAAAAAAA' } },
    });
    expect(layoutOf(state)?.topology).toBe('aggregate');
    const loaded = await loadedClustersFile(state);
    expect(Object.keys(loaded.config.clusters).sort()).toEqual(['agg1', 'agg2', 'r1', 'r2']);
    expect(loaded.config.clusters.agg1!.bootstrapServers).toEqual(['127.0.0.1:14096']);
    expect(loaded.config.flows.map((f) => `${f.source}->${f.target}`).sort()).toEqual(['r1->agg1', 'r1->agg2', 'r2->agg1', 'r2->agg2']);
    expect(loaded.config.flows.every((f) => f.replicationPolicy === 'default' && f.offsetSyncsTopicLocation === 'source')).toBe(true);
    const doc = multiClusterClustersDocument(state) as { flows: { mm2: { hooks: { stop: string[]; start: string[] } } }[] };
    for (const f of doc.flows) {
      expect(f.mm2.hooks.stop.slice(-4)).toEqual(['stop', 'mm2', '--state-dir', dir]);
      expect(f.mm2.hooks.start.slice(-4)).toEqual(['start', 'mm2', '--state-dir', dir]);
    }
  });
});
