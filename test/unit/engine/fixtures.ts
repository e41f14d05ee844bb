/** Shared fixtures of the engine's unit tests: a clusters file with one flow a->b, and Kafka ports that only answer describe-cluster. */
import type { LoadedClusters } from '../../../src/clusters/load.js';
import type { KafkaPort } from '../../../src/kafka/port.js';

export const clusters: LoadedClusters = {
  file: 'clusters.yaml',
  config: {
    clusters: { a: { bootstrapServers: ['h:1'] }, b: { bootstrapServers: ['h:2'] } },
    flows: [
      { source: 'a', target: 'b', replicationPolicy: 'default', separator: '.', offsetSyncsTopicLocation: 'source', groupsExclude: [], topicsExclude: [] },
    ],
  },
};

export const fakeKafka = (() => ({ describeCluster: async () => ({ clusterId: 'x', controllerId: 1, brokers: [] }), close: async () => {} })) as unknown as (
  a: string,
) => KafkaPort;
