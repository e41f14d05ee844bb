/**
 * `check` fails closed on a flow of which nothing is visible: no checkpoints topic on the target and no group with
 * commits on the source is what a principal without ACLs sees on a cluster with an authorizer (Metadata and
 * ListGroups leave out what it may not Describe) — never "no findings" (over in-memory clusters).
 */
import { describe, expect, it } from 'vitest';
import { checkFlow } from '../../../src/check/flow-checks.js';
import type { FlowConfig } from '../../../src/clusters/schema.js';
import { MemoryKafka } from '../mm2/memory-kafka.js';

const flow: FlowConfig = {
  source: 'primary',
  target: 'dr',
  replicationPolicy: 'default',
  separator: '.',
  offsetSyncsTopicLocation: 'source',
  groupsExclude: [],
  topicsExclude: [],
};
const thresholds = { maxCheckpointAgeMs: 300_000, minInsyncReplicas: 2 };

describe('check: mm2-not-visible', () => {
  it('an empty-looking flow (no checkpoints, no groups with commits) is a high finding', async () => {
    const r = await checkFlow(flow, new MemoryKafka('dr').port(), new MemoryKafka('primary').port(), /.*/, thresholds);
    expect(r.findings).toMatchObject([{ id: 'mm2-not-visible', severity: 'high', where: 'primary->dr', evidence: { checkpointsTopic: null } }]);
  });

  it('groups with commits and no checkpoints stay checkpoints-missing (critical), without the blind-flow finding', async () => {
    const primary = new MemoryKafka('primary');
    primary.partitionWith('orders', 0, [0, 1]);
    primary.commit('billing', 'orders', 0, 1);
    const r = await checkFlow(flow, new MemoryKafka('dr').port(), primary.port(), /.*/, thresholds);
    expect(r.findings.map((f) => f.id)).toEqual(['checkpoints-missing']);
  });
});
