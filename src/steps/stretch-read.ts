/** Reading a stretch cluster for the stretch steps (brokers with racks, quorum, topics with min ISR). */
import { z } from 'zod';
import { assessQuorum, parseControllerSites, type QuorumAssessment } from '../gates/stretch.js';
import { QuorumUnavailableError, type KafkaPort, type RackedBroker, type TopicInfo } from '../kafka/port.js';
import { regexString } from './shared.js';

/** Inputs every stretch step shares. */
export const stretchInputs = {
  /** Cluster alias of the stretch cluster (default: the runbook flow's source — a stretch runbook names it as both ends). */
  cluster: z.string().min(1).optional(),
  /** Controller-only voters and their sites, e.g. `5=c` (combined nodes take their broker rack). */
  controllerSites: z.string().default(''),
};

/** Topic selection of the ISR steps: a regex over whole names; internal topics (`__consumer_offsets`…) included. */
export const topicsInput = regexString.default('.*');

/** Topics matching `pattern` (whole name) with each one's effective `min.insync.replicas` (TopicConfig). */
export async function readTopics(port: KafkaPort, pattern: string): Promise<{ topics: TopicInfo[]; minIsr: Map<string, number> }> {
  const re = new RegExp(`^(?:${pattern})$`);
  const topics = (await port.describeTopics()).filter((t) => re.test(t.name));
  return { topics, minIsr: await minIsrOf(port, topics) };
}

/** Each topic's effective `min.insync.replicas` (TopicConfig; 1 when unset), read in one DescribeConfigs. */
export async function minIsrOf(port: KafkaPort, topics: readonly TopicInfo[]): Promise<Map<string, number>> {
  const cfg = topics.length
    ? await port.describeConfigs(
        'topic',
        topics.map((t) => t.name),
      )
    : new Map<string, Map<string, string | null>>();
  return new Map(topics.map((t) => [t.name, Number(cfg.get(t.name)?.get('min.insync.replicas') ?? '1')]));
}

/** Brokers (racks, fencing, reachability) and the quorum judged; a quorum that does not answer is `lost`. */
export async function readQuorum(
  port: KafkaPort,
  controllerSites: string,
  nowMs: number,
  missAfterMs: number,
): Promise<{ brokers: RackedBroker[]; quorum: QuorumAssessment; quorumError?: string }> {
  const brokers = await port.describeBrokers();
  try {
    const q = await port.describeQuorum();
    return { brokers, quorum: assessQuorum(q, brokers, parseControllerSites(controllerSites), nowMs, missAfterMs) };
  } catch (error) {
    if (!(error instanceof QuorumUnavailableError)) throw error;
    return { brokers, quorum: assessQuorum(undefined, brokers, parseControllerSites(controllerSites), nowMs, missAfterMs), quorumError: error.message };
  }
}
