/**
 * Traffic for an aggregate sandbox (`sandbox up --topology aggregate`, docs/design/topologies.md): each regional
 * cluster (`r1`, `r2`) has a producer writing its own `orders` (independent sequences, one shared ledger, records
 * carrying the topic's global name `r1.orders`, `r2.orders` — also its remote name on every aggregate). The consumer
 * groups run on the first aggregate (`agg1`) and read every region's copy there (a pattern `^(r1|r2)\.orders$`).
 *
 * The moved workload is the groups alone: `stop-consumers` stops them (each commits what it processed), `redirect`
 * starts them, same group ids, on the other aggregate (`agg2`, reading its `r1.orders` and `r2.orders`), and the next
 * `redirect` brings them back. The producers stay on the regions throughout, so `freeze` is a no-op (nothing of the
 * moved workload writes); `produce-on-dr` and `failback` are refused.
 */
import { KafkaFailoverError } from '../../errors.js';
import { escapeRegExp, type Site, type SiteTrafficOptions, startSiteProducers, waitForRemoteTopics } from './active-active.js';
import type { MovableTraffic, TrafficAction } from './control.js';
import type { Traffic, TrafficGroup } from './generator.js';

/** Options of {@link startAggregateTraffic}. */
export interface AggregateTrafficOptions extends SiteTrafficOptions {
  /** Regional clusters: a producer each, never moved. At least one. */
  regions: Site[];
  /** The aggregate the groups start on, then the one `redirect` moves them to (each with every region's copies). */
  aggregates: [Site, Site];
}

/**
 * A group as it runs on an aggregate: the regions' copies of its topics, by a pattern per topic
 * (`^(r1|r2)\.orders$`), judged on the ledger topics `r1.orders`, `r2.orders` (the same names as the copies). Pure.
 */
export function aggregateGroup(g: TrafficGroup, regions: string[]): TrafficGroup {
  const copies = g.topics.flatMap((t) => regions.map((r) => `${r}.${t}`));
  return {
    ...g,
    topics: copies,
    subscribe: g.topics.map((t) => new RegExp(`^(${regions.map(escapeRegExp).join('|')})\\.${escapeRegExp(t)}$`)),
    ledgerTopics: copies,
  };
}

/** A running aggregate traffic set. */
export class AggregateTraffic implements MovableTraffic {
  /** Index in `aggregates` of the cluster the groups run on now. */
  private at = 0;
  constructor(
    private readonly o: AggregateTrafficOptions,
    /** The first region's producer and the groups (its ledger is the shared one). */
    readonly home: Traffic,
    /** The other regions' producers. */
    readonly others: Traffic[],
  ) {}

  /** Alias of the aggregate the groups run on now. */
  get groupsOn(): string {
    return this.o.aggregates[this.at]!.alias;
  }

  /** Starts every group on the aggregate they are on now. */
  async startGroups(): Promise<void> {
    const regions = this.o.regions.map((r) => r.alias);
    for (const g of this.o.groups) await this.home.startGroup(aggregateGroup(g, regions), this.o.aggregates[this.at]!.bootstrapServers);
  }

  /**
   * A traffic-ctl command: `freeze` (nothing: the producers are not moved), `stop-consumers`, `redirect` (the groups
   * to the other aggregate), `report` (nothing). @throws KafkaFailoverError for `produce-on-dr` and `failback`.
   */
  async handle(action: TrafficAction): Promise<void> {
    if (action === 'stop-consumers') for (const g of this.home.runningGroups()) await this.home.stopGroup(g);
    else if (action === 'redirect') {
      for (const g of this.home.runningGroups()) await this.home.stopGroup(g);
      this.at = 1 - this.at;
      await this.startGroups();
    } else if (action !== 'report' && action !== 'freeze')
      throw new KafkaFailoverError(`"${action}" does not apply to aggregate traffic.`, {
        hint: 'Use freeze (a no-op: the producers stay on the regions), stop-consumers, redirect (the groups to the other aggregate) or report.',
      });
  }

  /** Stops every producer and group. */
  async stop(): Promise<void> {
    await Promise.all([this.home.stop(), ...this.others.map((t) => t.stop())]);
  }
}

/**
 * Starts a producer on every region (one ledger), waits until MM2 has created every region's copies on both
 * aggregates (a pattern subscription is resolved when the group joins; `redirect` needs them on the second), then the
 * groups on the first aggregate.
 * @throws WaitTimeoutError when the copies do not appear in time (is MM2 running?).
 */
export async function startAggregateTraffic(o: AggregateTrafficOptions): Promise<AggregateTraffic> {
  const producers = await startSiteProducers(o.regions, o);
  for (const a of o.aggregates)
    await waitForRemoteTopics(
      a,
      o.regions.flatMap((r) => o.topics.map((t) => `${r.alias}.${t.name}`)),
      `MM2 ${o.regions.map((r) => `${r.alias}->${a.alias}`).join(', ')}`,
      o.clientExtra,
      o.remoteTopicsTimeoutMs,
    );
  const traffic = new AggregateTraffic(o, producers[0]!, producers.slice(1));
  await traffic.startGroups();
  return traffic;
}
