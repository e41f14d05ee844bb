/**
 * `check` finds Kafka Streams applications whose state stores would restart empty after a failover: changelog topics
 * (`<application.id>-…-changelog`) replicated under a prefix the application never reads (over in-memory clusters).
 */
import { describe, expect, it } from 'vitest';
import { checkFlow } from '../../../src/check/flow-checks.js';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { MemoryKafka } from '../mm2/memory-kafka.js';

const flow = (replicationPolicy: 'default' | 'identity'): FlowConfig => ({
  source: 'primary',
  target: 'dr',
  replicationPolicy,
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: [],
  topicsExclude: [],
});

function world() {
  const primary = new MemoryKafka('primary');
  const dr = new MemoryKafka('dr');
  primary.partitionWith('words', 0, [0, 1, 2]);
  primary.partitionWith('wc-app-counts-changelog', 0, [0, 1]);
  primary.partitionWith('wc-app-by-word-repartition', 0, [0]);
  primary.commit('wc-app', 'words', 0, 3);
  primary.groupTypes.set('wc-app', 'streams');
  primary.commit('plain', 'words', 0, 1);
  dr.partitionWith('primary.words', 0, [0, 1, 2]);
  dr.partitionWith('primary.wc-app-counts-changelog', 0, [0, 1]);
  const target = { ...dr.port(), describeConfigs: async () => new Map() };
  return { source: primary.port(), target };
}

describe('check: streams-state-not-replicated', () => {
  it('names the application, its changelog topics and the prefixed copies it never reads (default policy)', async () => {
    const { source, target } = world();
    const r = await checkFlow(flow('default'), target, source, /.*/, { maxCheckpointAgeMs: 300_000, minInsyncReplicas: 2 });
    const f = r.findings.filter((x) => x.id === 'streams-state-not-replicated');
    expect(f).toEqual([
      expect.objectContaining({
        severity: 'high',
        subject: 'wc-app',
        evidence: {
          groupType: 'streams',
          changelogTopics: ['wc-app-counts-changelog'],
          onTargetAs: ['primary.wc-app-counts-changelog'],
          readOnTargetFrom: ['wc-app-counts-changelog'],
        },
      }),
    ]);
    expect(f[0]!.fix).toMatch(/its state starts empty/);
  });

  it('says nothing under the identity policy (the changelog keeps its name on the target)', async () => {
    const { source, target } = world();
    const r = await checkFlow(flow('identity'), target, source, /.*/, { maxCheckpointAgeMs: 300_000, minInsyncReplicas: 2 });
    expect(r.findings.filter((x) => x.id === 'streams-state-not-replicated')).toEqual([]);
  });
});
