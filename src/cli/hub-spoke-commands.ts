/**
 * The multi-cluster sandboxes' CLI — `sandbox up --topology hub-spoke [--spokes N]` and `sandbox up --topology
 * aggregate`, their status and their traffic — hooked into the `sandbox` command group by sandbox-commands.ts.
 * Library: src/rehearsal/sandbox/multi-cluster.ts, src/rehearsal/traffic/hub-spoke.ts and traffic/aggregate.ts.
 */
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import {
  AGGREGATE_LAYOUT,
  AGGREGATE_REGIONS,
  AGGREGATES,
  HUB,
  layoutOf,
  multiClusterStatusOf,
  multiClusterUp,
  type MultiClusterStatus,
} from '../rehearsal/sandbox/multi-cluster.js';
import { hubSpokeUp } from '../rehearsal/sandbox/hub-spoke.js';
import { loadState } from '../rehearsal/sandbox/state.js';
import { startAggregateTraffic } from '../rehearsal/traffic/aggregate.js';
import type { MovableTraffic } from '../rehearsal/traffic/control.js';
import { startHubSpokeTraffic } from '../rehearsal/traffic/hub-spoke.js';
import type { TrafficGroup, TrafficTopic } from '../rehearsal/traffic/generator.js';
import { table } from './table.js';

const say = (line: string) => process.stderr.write(`${line}\n`);
const mib = (b?: number) => (b === undefined ? '' : `${Math.round(b / 1048576)} MiB`);
const TITLES: Record<MultiClusterStatus['topology'], string> = { 'hub-spoke': 'hub-and-spoke', aggregate: 'aggregate' };

/** Prints a multi-cluster (hub-and-spoke or aggregate) sandbox's status (table or JSON). */
export function printMultiClusterStatus(s: MultiClusterStatus, output: 'table' | 'json'): void {
  if (output === 'json') {
    process.stdout.write(JSON.stringify(s) + '\n');
    return;
  }
  const t = table(['component', 'cluster', 'address', 'running', 'pid', 'rss']);
  for (const c of s.clusters) t.push([c.node, c.alias, c.bootstrapServers.join(','), c.running ? 'yes' : 'no', c.pid ?? '', mib(c.rssBytes)]);
  t.push([`mm2 ${s.mm2Version}`, `${s.flows.length} flows (one dedicated process)`, '', s.mm2.running ? 'yes' : 'no', s.mm2.pid ?? '', mib(s.mm2.rssBytes)]);
  process.stdout.write(
    `Kafka ${s.kafkaVersion} ${TITLES[s.topology]} sandbox in ${s.stateDir}${s.startupMs !== undefined ? ` (up in ${(s.startupMs / 1000).toFixed(1)} s)` : ''}\n` +
      `${t.toString()}\nFlows: ${s.flows.join(', ')}\nClusters file: ${s.clustersFile}\n`,
  );
}

/** `sandbox up --topology hub-spoke|aggregate`. @throws InvalidInputError for options of the other topologies. */
export async function multiClusterUpAction(o: Record<string, unknown>): Promise<void> {
  const topology = o.topology as MultiClusterStatus['topology'];
  for (const opt of [
    'brokers',
    'drBrokers',
    'mm2Mode',
    'syncGroupOffsets',
    'replicationPolicy',
    'security',
    'wanLatencyMs',
    'wanJitterMs',
    'wanBandwidthKbps',
    'stretchQuorum',
    'brokersPerSite',
    ...(topology === 'aggregate' ? ['spokes'] : []),
  ])
    if (o[opt] !== undefined)
      throw new InvalidInputError(`--${opt.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to --topology ${topology}.`, {
        hint: `A${topology === 'aggregate' ? 'n aggregate' : ' hub-and-spoke'} sandbox takes ${topology === 'hub-spoke' ? '--spokes, ' : ''}--offset-lag-max, --kafka-version, --port-base and --state-dir (plaintext, dedicated MM2, default policy).`,
      });
  const input = {
    stateDir: String(o.stateDir),
    ...(o.portBase !== undefined ? { portBase: o.portBase as number } : {}),
    ...(o.kafkaVersion !== undefined ? { kafkaVersion: String(o.kafkaVersion) } : {}),
    ...(o.offsetLagMax !== undefined ? { offsetLagMax: o.offsetLagMax as number } : {}),
  };
  const status =
    topology === 'aggregate'
      ? await multiClusterUp(AGGREGATE_LAYOUT, input, say)
      : await hubSpokeUp({ ...input, ...(o.spokes !== undefined ? { spokes: o.spokes as 2 | 3 } : {}) }, say);
  printMultiClusterStatus(status, o.output === 'json' ? 'json' : 'table');
}

/** Status of the sandbox in `stateDir` when it is a hub-and-spoke or an aggregate one (else undefined). */
export async function multiClusterStatusIfAny(stateDir: string): Promise<MultiClusterStatus | undefined> {
  const state = await loadState(path.resolve(stateDir));
  return state && layoutOf(state) ? multiClusterStatusOf(state) : undefined;
}

/**
 * `sandbox traffic` on a multi-cluster sandbox (undefined when the sandbox is of another kind):
 * - hub and spoke: a producer on every cluster, the groups on `spoke1` reading its `orders` and `hub.orders`
 *   (traffic/hub-spoke.ts);
 * - aggregate: a producer on r1 and on r2, the groups on agg1 reading `r1.orders` and `r2.orders`; `redirect` moves
 *   them to agg2 (traffic/aggregate.ts).
 * @returns the traffic set and where it runs (a line for the log).
 */
export async function multiClusterTrafficIfAny(
  stateDir: string,
  o: { topics: TrafficTopic[]; ratePerSecond: number; groups: TrafficGroup[] },
): Promise<{ traffic: MovableTraffic; where: string } | undefined> {
  const s = await multiClusterStatusIfAny(stateDir);
  if (!s) return undefined;
  const site = (alias: string) => ({ alias, bootstrapServers: s.clusters.find((c) => c.alias === alias)!.bootstrapServers });
  if (s.topology === 'aggregate') {
    const traffic = await startAggregateTraffic({ regions: AGGREGATE_REGIONS.map(site), aggregates: [site(AGGREGATES[0]), site(AGGREGATES[1])], ...o });
    const copies = AGGREGATE_REGIONS.flatMap((r) => o.topics.map((t) => `${r}.${t.name}`)).join(', ');
    say(`Aggregate: producers on ${AGGREGATE_REGIONS.join(', ')}; groups on ${AGGREGATES[0]} read ${copies} (redirect: to ${AGGREGATES[1]})`);
    return { traffic, where: `${AGGREGATE_REGIONS.join(' and ')} (groups on ${AGGREGATES[0]})` };
  }
  const spokes = s.clusters.map((c) => c.alias).filter((a) => a !== HUB);
  const traffic = await startHubSpokeTraffic({ hub: site(HUB), home: site(spokes[0]!), others: spokes.slice(1).map(site), ...o });
  say(`Hub and spoke: producers on ${s.clusters.map((c) => c.alias).join(', ')}; groups on ${spokes[0]} read orders and hub.orders`);
  return { traffic, where: 'every cluster (hub and spoke)' };
}
