/**
 * Observer (read-only) clusters (`clusters.<alias>.role: observer`; docs/design/topologies.md, "Observer clusters"):
 * MM2 writes copies into them and nothing else produces to them.
 * - `observer-flow-source` (medium): a flow of the clusters file reads from an observer — the file treats it as a
 *   cluster whose topics are worth replicating, i.e. one that takes writes.
 * - `observer-written` (high): a local topic of an observer (not internal, not a copy an inbound flow's replication
 *   policy names, not MM2's own `heartbeats`) whose log-end offsets grew while the check watched: something other
 *   than MM2 produces to it. Those records are in no flow and no runbook moves them: they are lost with the cluster.
 */
import type { FlowConfig } from '../clusters/schema.js';
import type { KafkaPort } from '../kafka/port.js';
import { isInternalTopic, upstreamTopic } from '../mm2/naming.js';
import { highWatermarks } from '../steps/shared.js';
import type { Finding } from './findings.js';

const flowName = (f: Pick<FlowConfig, 'source' | 'target'>) => `${f.source}->${f.target}`;

/** Flows of a clusters file whose source is an observer: one `observer-flow-source` finding per flow. */
export function checkObserverFlows(observers: readonly string[], flows: readonly FlowConfig[]): Finding[] {
  return flows
    .filter((f) => observers.includes(f.source))
    .map((f) => ({
      id: 'observer-flow-source' as const,
      severity: 'medium' as const,
      where: f.source,
      subject: flowName(f),
      evidence: { observer: f.source, flow: flowName(f), role: 'observer' },
      fix: `${f.source} is declared an observer (clusters.${f.source}.role) but ${flowName(f)} replicates its topics: an observer holds copies only. Remove that flow (another cluster's flow can carry the originals to ${f.target}), or remove role: observer if ${f.source} takes writes.`,
    }));
}

/**
 * Where a topic on an observer comes from: the inbound flow whose replication policy names it a copy (default policy:
 * the `<source><sep>` prefix; identity policy: a topic of the same name exists on the flow's source), `mm2` for the
 * `heartbeats` topic MM2's heartbeat connector writes on a flow's target, or undefined for a local topic.
 * @param sourceTopics topics of each inbound flow's source; undefined for a source that did not answer.
 * @returns `unknown` when an identity flow's source could not be listed (copies and local topics look alike).
 */
export function topicOrigin(
  topic: string,
  inbound: readonly FlowConfig[],
  sourceTopics: ReadonlyMap<string, ReadonlySet<string> | undefined>,
): FlowConfig | 'mm2' | 'unknown' | undefined {
  if (topic === 'heartbeats' && inbound.length) return 'mm2';
  let unknown = false;
  for (const f of inbound) {
    if (f.replicationPolicy === 'default') {
      if (upstreamTopic(f, topic) !== undefined) return f;
    } else {
      const src = sourceTopics.get(f.source);
      if (src === undefined) unknown = true;
      else if (src.has(topic)) return f;
    }
  }
  return unknown ? 'unknown' : undefined;
}

/** Options of {@link checkObserver}. */
export interface ObserverCheckOptions {
  /** Only topics whose whole name matches (check's `--topics`). */
  topics: RegExp;
  /** Time between the two samples of the log-end offsets (ms). */
  windowMs: number;
  /** Waits `ms`; the unit tests produce to the fake cluster here. */
  sleep(ms: number): Promise<void>;
}

/**
 * Samples the log-end offsets (high watermarks) of an observer's local topics twice, `windowMs` apart, and reports
 * each topic that grew (`observer-written`, evidence in offsets = records, transaction markers included).
 * @param sourceTopics see {@link topicOrigin}.
 */
export async function checkObserver(
  alias: string,
  port: KafkaPort,
  inbound: readonly FlowConfig[],
  sourceTopics: ReadonlyMap<string, ReadonlySet<string> | undefined>,
  o: ObserverCheckOptions,
): Promise<{ findings: Finding[]; notes: string[] }> {
  const notes: string[] = [];
  const local: string[] = [];
  const undecided: string[] = [];
  for (const t of (await port.listTopics()).sort()) {
    if (isInternalTopic(t) || !o.topics.test(t)) continue;
    const origin = topicOrigin(t, inbound, sourceTopics);
    if (origin === undefined) local.push(t);
    else if (origin === 'unknown') undecided.push(t);
  }
  if (undecided.length)
    notes.push(
      `${alias} (observer): ${undecided.length} topic(s) may be identity-policy copies or local topics — an identity flow's source did not answer, so they were not watched: ${undecided.join(', ')}`,
    );
  // High watermarks (log-end offsets, ListOffsets latest) by `topic/partition`, at both ends of the window.
  const before = await highWatermarks(port, local);
  const startedMs = Date.now();
  await o.sleep(o.windowMs);
  const after = await highWatermarks(port, local);
  const watchedMs = Date.now() - startedMs;
  const findings: Finding[] = [];
  for (const t of local) {
    const grew: Record<string, number> = {};
    let records = 0;
    for (const [key, end] of after) {
      const at = key.lastIndexOf('/');
      if (key.slice(0, at) !== t) continue;
      const d = end - (before.get(key) ?? 0);
      if (d > 0) {
        grew[key.slice(at + 1)] = d;
        records += d;
      }
    }
    if (records === 0) continue;
    findings.push({
      id: 'observer-written',
      severity: 'high',
      where: alias,
      subject: t,
      evidence: { records, windowMs: watchedMs, byPartition: grew, inboundFlows: inbound.map(flowName) },
      fix: `${alias} is an observer (clusters.${alias}.role) but ${t} — no copy of any inbound flow (${inbound.map(flowName).join(', ') || 'none'}) — took ${records} record(s) in ${Math.round(watchedMs / 100) / 10} s: something produces to it. Point that producer at a cluster that takes writes (its records replicate nowhere from ${alias} and no runbook moves them), or remove role: observer.`,
    });
  }
  if (local.length) notes.push(`${alias} (observer): ${local.length} local topic(s) watched for ${watchedMs} ms: ${local.join(', ')}`);
  return { findings, notes };
}
