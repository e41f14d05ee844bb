/**
 * The {@link KafkaPort} methods for stretch clusters over kafkajs's protocol layer (cluster-requests.ts): brokers
 * with racks and fencing, the controller quorum, preferred-leader election and incremental topic config changes.
 */
import {
  ClusterApiUnavailableError,
  decodeAlterConfigs,
  decodeDescribeCluster,
  decodeDescribeQuorum,
  decodeElectLeaders,
  encodeAlterTopicConfigs,
  encodeDescribeCluster,
  encodeDescribeQuorum,
  encodeElectPreferredLeaders,
  errorName,
  sendClusterRequest,
} from './cluster-requests.js';
import { tolerantMetadata, type KafkajsCluster } from './kafkajs-client.js';
import { QuorumUnavailableError, type KafkaPort, type RackedBroker } from './port.js';

/** How long a broker may wait for the active controller to answer DescribeQuorum before the quorum counts as lost (ms). */
export const QUORUM_TIMEOUT_MS = 8000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new QuorumUnavailableError(`${what}: no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]);
}

/** How long this tool waits for a connection to one broker before calling it unreachable (ms). */
export const BROKER_PROBE_TIMEOUT_MS = 5000;

/** Tries a connection to every unfenced broker (kafkajs opens one per broker it finds; ApiVersions is its handshake). */
async function probe(c: KafkajsCluster, brokers: Omit<RackedBroker, 'reachable'>[]): Promise<RackedBroker[]> {
  await c.refreshMetadata().catch(() => {});
  return Promise.all(
    brokers.map(async (b) => {
      if (b.fenced === true) return { ...b, reachable: null };
      try {
        await withTimeout(c.findBroker({ nodeId: b.nodeId }), BROKER_PROBE_TIMEOUT_MS, `broker ${b.nodeId}`);
        return { ...b, reachable: true };
      } catch {
        return { ...b, reachable: false };
      }
    }),
  );
}

/** The four stretch methods of a port, given its lazily connected protocol cluster. */
export function stretchPortMethods(
  getCluster: () => Promise<KafkajsCluster>,
  /** A new, unconnected protocol cluster: DescribeQuorum gets connections of its own (see describeQuorum). */
  freshCluster: () => KafkajsCluster,
): Pick<KafkaPort, 'describeBrokers' | 'describeQuorum' | 'electPreferredLeaders' | 'alterTopicConfigs'> {
  return {
    async describeBrokers() {
      const c = await getCluster();
      try {
        const r = await sendClusterRequest(c, 'DescribeCluster', encodeDescribeCluster, decodeDescribeCluster);
        if (r.errorCode !== 0) throw new Error(`DescribeCluster answered ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
        const listed = r.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack, fenced: b.fenced }));
        return (await probe(c, listed)).sort((a, b) => a.nodeId - b.nodeId);
      } catch (error) {
        if (!(error instanceof ClusterApiUnavailableError)) throw error;
        // Before DescribeCluster: Metadata v1+ (live brokers only, with racks).
        const m = await tolerantMetadata(c);
        const listed = m.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null, fenced: null }));
        return (await probe(c, listed)).sort((a, b) => a.nodeId - b.nodeId);
      }
    },
    async describeQuorum() {
      // A connection of its own: a broker answers the requests of one connection in order, so a DescribeQuorum it
      // cannot forward (no active controller) would hold every later request of the shared connection behind it.
      const c = freshCluster();
      let r: Awaited<ReturnType<typeof decodeDescribeQuorum>>;
      try {
        r = await withTimeout(sendClusterRequest(c, 'DescribeQuorum', encodeDescribeQuorum, decodeDescribeQuorum), QUORUM_TIMEOUT_MS, 'DescribeQuorum');
      } catch (error) {
        if (error instanceof QuorumUnavailableError || error instanceof ClusterApiUnavailableError) throw error;
        // The broker could not forward it (no active controller): kafkajs reports the broker's error or a timeout.
        throw new QuorumUnavailableError(`DescribeQuorum failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        void c.disconnect().catch(() => {});
      }
      const code = r.errorCode || r.partitionErrorCode;
      if (code !== 0 || r.leaderId < 0)
        throw new QuorumUnavailableError(`DescribeQuorum answered ${code ? errorName(code) : 'no leader'}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
      const replica = (x: (typeof r.voters)[number]) => ({
        nodeId: x.replicaId,
        logEndOffset: x.logEndOffset,
        lastFetchTimestamp: x.lastFetchTimestamp,
        lastCaughtUpTimestamp: x.lastCaughtUpTimestamp,
      });
      return {
        leaderId: r.leaderId,
        leaderEpoch: r.leaderEpoch,
        highWatermark: r.highWatermark,
        voters: r.voters.map(replica),
        observers: r.observers.map(replica),
      };
    },
    async electPreferredLeaders(partitions) {
      if (partitions.length === 0) return [];
      const byTopic = new Map<string, number[]>();
      for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      const r = await sendClusterRequest(
        await getCluster(),
        'ElectLeaders',
        () =>
          encodeElectPreferredLeaders(
            [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })),
            30_000,
          ),
        (_v, b) => decodeElectLeaders(b),
      );
      if (r.errorCode !== 0) throw new Error(`ElectLeaders answered ${errorName(r.errorCode)}`);
      return r.results.map((x) => ({
        topic: x.topic,
        partition: x.partition,
        outcome: x.errorCode === 0 ? 'elected' : x.errorCode === 84 ? 'not-needed' : 'failed',
        ...(x.errorCode !== 0 && x.errorCode !== 84 ? { error: `${errorName(x.errorCode)}${x.errorMessage ? `: ${x.errorMessage}` : ''}` } : {}),
      }));
    },
    async alterTopicConfigs(topic, configs) {
      const [r] = await sendClusterRequest(
        await getCluster(),
        'IncrementalAlterConfigs',
        () => encodeAlterTopicConfigs([{ topic, configs }]),
        (_v, b) => decodeAlterConfigs(b),
      );
      if (!r) throw new Error(`IncrementalAlterConfigs for topic ${topic}: empty answer`);
      if (r.errorCode !== 0)
        throw new Error(`changing configs of topic ${topic} failed: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
    },
  };
}
