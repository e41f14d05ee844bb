/**
 * The hub-and-spoke sandbox's CLI (`sandbox up --topology hub-spoke [--spokes N]`, its status, and its traffic),
 * hooked into the `sandbox` command group by sandbox-commands.ts. Library: src/rehearsal/sandbox/hub-spoke.ts and
 * src/rehearsal/traffic/hub-spoke.ts.
 */
import { InvalidInputError } from '../errors.js';
import { HUB, hubSpokeStatusOf, hubSpokeUp, type HubSpokeStatus } from '../rehearsal/sandbox/hub-spoke.js';
import { loadState } from '../rehearsal/sandbox/state.js';
import { type HubSpokeTraffic, startHubSpokeTraffic } from '../rehearsal/traffic/hub-spoke.js';
import type { TrafficGroup, TrafficTopic } from '../rehearsal/traffic/generator.js';
import { table } from './table.js';

const say = (line: string) => process.stderr.write(`${line}\n`);
const mib = (b?: number) => (b === undefined ? '' : `${Math.round(b / 1048576)} MiB`);

/** Prints a hub-and-spoke sandbox's status (table or JSON). */
export function printHubSpokeStatus(s: HubSpokeStatus, output: 'table' | 'json'): void {
  if (output === 'json') {
    process.stdout.write(JSON.stringify(s) + '\n');
    return;
  }
  const t = table(['component', 'cluster', 'address', 'running', 'pid', 'rss']);
  for (const c of s.clusters) t.push([c.node, c.alias, c.bootstrapServers.join(','), c.running ? 'yes' : 'no', c.pid ?? '', mib(c.rssBytes)]);
  t.push([`mm2 ${s.mm2Version}`, `${s.flows.length} flows (one dedicated process)`, '', s.mm2.running ? 'yes' : 'no', s.mm2.pid ?? '', mib(s.mm2.rssBytes)]);
  process.stdout.write(
    `Kafka ${s.kafkaVersion} hub-and-spoke sandbox in ${s.stateDir}${s.startupMs !== undefined ? ` (up in ${(s.startupMs / 1000).toFixed(1)} s)` : ''}\n` +
      `${t.toString()}\nFlows: ${s.flows.join(', ')}\nClusters file: ${s.clustersFile}\n`,
  );
}

/** `sandbox up --topology hub-spoke`. @throws InvalidInputError for options of the other topologies. */
export async function hubSpokeUpAction(o: Record<string, unknown>): Promise<void> {
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
  ])
    if (o[opt] !== undefined)
      throw new InvalidInputError(`--${opt.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to --topology hub-spoke.`, {
        hint: 'A hub-and-spoke sandbox takes --spokes, --offset-lag-max, --kafka-version, --port-base and --state-dir (plaintext, dedicated MM2, default policy).',
      });
  const status = await hubSpokeUp(
    {
      stateDir: String(o.stateDir),
      ...(o.spokes !== undefined ? { spokes: o.spokes as 2 | 3 } : {}),
      ...(o.portBase !== undefined ? { portBase: o.portBase as number } : {}),
      ...(o.kafkaVersion !== undefined ? { kafkaVersion: String(o.kafkaVersion) } : {}),
      ...(o.offsetLagMax !== undefined ? { offsetLagMax: o.offsetLagMax as number } : {}),
    },
    say,
  );
  printHubSpokeStatus(status, o.output === 'json' ? 'json' : 'table');
}

/** Status of the sandbox in `stateDir` when it is a hub-and-spoke one (else undefined). */
export async function hubSpokeStatusIfAny(stateDir: string): Promise<HubSpokeStatus | undefined> {
  const state = await loadState(stateDir);
  return state?.hubSpoke ? hubSpokeStatusOf(state) : undefined;
}

/**
 * `sandbox traffic` on a hub-and-spoke sandbox: a producer on every cluster, the groups on `spoke1` reading its
 * `orders` and `hub.orders` (traffic/hub-spoke.ts). Undefined when the sandbox is of another kind.
 */
export async function hubSpokeTrafficIfAny(
  stateDir: string,
  o: { topics: TrafficTopic[]; ratePerSecond: number; groups: TrafficGroup[] },
): Promise<HubSpokeTraffic | undefined> {
  const s = await hubSpokeStatusIfAny(stateDir);
  if (!s) return undefined;
  const site = (alias: string) => ({ alias, bootstrapServers: s.clusters.find((c) => c.alias === alias)!.bootstrapServers });
  const spokes = s.clusters.map((c) => c.alias).filter((a) => a !== HUB);
  const traffic = await startHubSpokeTraffic({ hub: site(HUB), home: site(spokes[0]!), others: spokes.slice(1).map(site), ...o });
  say(`Hub and spoke: producers on ${s.clusters.map((c) => c.alias).join(', ')}; groups on ${spokes[0]} read orders and hub.orders`);
  return traffic;
}
