/**
 * The hub-and-spoke sandbox's pure parts: its layout, the one MirrorMaker 2 config running every flow (and only those:
 * no spoke-to-spoke herder), and the clusters file the rest of the tool loads.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadClustersFile } from '../../../src/clusters/load.js';
import { hubSpokeClustersDocument, hubSpokeFlows, hubSpokeLayout, hubSpokeMm2Properties } from '../../../src/rehearsal/sandbox/hub-spoke.js';
import type { SandboxState } from '../../../src/rehearsal/sandbox/state.js';
import { defaultSandboxOptions } from '../../../src/rehearsal/sandbox/topology.js';

describe('hub-and-spoke sandbox layout', () => {
  it('gives the hub and each spoke one combined node with its own client and controller ports', () => {
    const l = hubSpokeLayout(3, 14090);
    expect(l.map((c) => [c.alias, c.node.name, c.node.roles, c.node.port, c.node.controllerPort])).toEqual([
      ['hub', 'hub-1', 'combined', 14092, 14093],
      ['spoke1', 'spoke1-1', 'combined', 14094, 14095],
      ['spoke2', 'spoke2-1', 'combined', 14096, 14097],
      ['spoke3', 'spoke3-1', 'combined', 14098, 14099],
    ]);
  });

  it('enables exactly spokeK->hub and hub->spokeK in the one MM2 and turns off heartbeats of every other pair', () => {
    const p = hubSpokeMm2Properties(hubSpokeLayout(2, 14090), 100);
    expect(p.clusters).toBe('hub, spoke1, spoke2');
    const enabled = Object.entries(p)
      .filter(([k, v]) => k.endsWith('.enabled') && !k.includes('heartbeats') && v === 'true')
      .map(([k]) => k.replace('.enabled', ''));
    expect(enabled.sort()).toEqual(['hub->spoke1', 'hub->spoke2', 'spoke1->hub', 'spoke2->hub']);
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
    const state: SandboxState = {
      formatVersion: 1,
      options: defaultSandboxOptions({ stateDir: dir, portBase: 14090 }),
      libs: '/nowhere',
      clusterIds: { primary: '', dr: '' },
      processes: {},
      hubSpoke: {
        spokes: 3,
        clusterIds: { hub: 'AAAAAAAAAAAAAAAAAAAAAA', spoke1: 'BAAAAAAAAAAAAAAAAAAAAA', spoke2: 'CAAAAAAAAAAAAAAAAAAAAA', spoke3: 'DAAAAAAAAAAAAAAAAAAAAA' },
      },
    };
    const file = path.join(dir, 'clusters.yaml');
    await writeFile(file, stringify(hubSpokeClustersDocument(state)));
    const loaded = await loadClustersFile(file);
    expect(Object.keys(loaded.config.clusters).sort()).toEqual(['hub', 'spoke1', 'spoke2', 'spoke3']);
    expect(loaded.config.flows.map((f) => `${f.source}->${f.target}`)).toEqual(hubSpokeFlows(3).map((f) => `${f.source}->${f.target}`));
    expect(loaded.config.flows.every((f) => f.replicationPolicy === 'default')).toBe(true);
    expect(loaded.config.clusters.spoke2!.bootstrapServers).toEqual(['127.0.0.1:14096']);
  });
});
