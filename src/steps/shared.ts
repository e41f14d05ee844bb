/** Helpers shared by step kinds: topic selection and regex inputs. */
import type { KafkaPort } from '../kafka/port.js';
import { isInternalTopic } from '../mm2/naming.js';

export { regexString } from '../util/regex.js';

/** Non-internal topics of a cluster whose names match `pattern` (whole name). */
export async function selectTopics(port: KafkaPort, pattern: string): Promise<string[]> {
  const re = new RegExp(`^(?:${pattern})$`);
  return (await port.listTopics())
    .filter((t) => !isInternalTopic(t) && !t.startsWith('mm2-') && t !== 'heartbeats' && !t.endsWith('.heartbeats') && re.test(t))
    .sort();
}

/** High watermark per `topic/partition`. */
export async function highWatermarks(port: KafkaPort, topics: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of topics) for (const p of await port.partitionOffsets(t)) out.set(`${t}/${p.partition}`, p.highWatermark);
  return out;
}
