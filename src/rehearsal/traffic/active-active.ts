/**
 * Traffic for an active-active sandbox (`sandbox up --topology active-active`): each cluster has a producer writing its
 * own local topics (`orders` on primary and `orders` on dr, independent sequences), and the consumer groups run on
 * one cluster reading both its local topic and the other cluster's copy (`orders` and `dr.orders` on primary;
 * `orders` and `primary.orders` on dr). One ledger is shared by both producers; records carry their topic's global
 * name (`primary.orders`, `dr.orders`: {@link TrafficOptions.site}), so a group is judged on both origins wherever
 * it reads them.
 *
 * The moved workload is the groups and the producer of the site they started on (the "home" producer): `freeze`
 * stops that producer, `stop-consumers` stops the groups, `redirect` starts the groups on the other cluster and moves
 * the home producer there — the same three commands serve the move and the return. The other site's producer runs
 * throughout, as an active-active site's own producers do.
 */
import { KafkaFailoverError } from '../../errors.js';
import { createKafka } from '../../kafka/kafkajs-client.js';
import { waitFor } from '../../util/wait.js';
import type { TrafficAction } from './control.js';
import { type Traffic, startTraffic, type TrafficGroup, type TrafficOptions, type TrafficTopic } from './generator.js';
import type { TrafficLedger } from './ledger.js';

/** A cluster by MM2 alias (`<alias>.<topic>` is a remote topic name). */
export interface Site {
  alias: string;
  bootstrapServers: string[];
}

/** The two clusters of the pair, by alias (the aliases are MM2's, so `<alias>.<topic>` is a remote topic name). */
export type SitePair = [Site, Site];

/** What every traffic set of per-site producers takes (active-active, hub-and-spoke, aggregate). */
export interface SiteTrafficOptions {
  /** Local topics, written on every producing site. */
  topics: TrafficTopic[];
  /** Records per second of each site's producer. */
  ratePerSecond: number;
  /** Groups by local topic names (`orders`); where they run, they read the topics' remote copies too. */
  groups: TrafficGroup[];
  clientExtra?: TrafficOptions['clientExtra'];
  /** How long to wait (ms) for MM2 to create the copies the groups read before they subscribe; default 120 000. */
  remoteTopicsTimeoutMs?: number;
}

/** Options of {@link startActiveActiveTraffic}. */
export interface ActiveActiveTrafficOptions extends SiteTrafficOptions {
  /** The home site first (where the groups and the moved producer start), then the other. */
  sites: SitePair;
}

/** `s` with every regular-expression metacharacter escaped. */
export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Starts a producer on each site, each writing its own `topics` under their global names (`<site>.<topic>`: records
 * and ledger), all in one ledger: `ledger`, or a new one made by the first site's producer.
 */
export async function startSiteProducers(sites: Site[], o: SiteTrafficOptions, ledger?: TrafficLedger): Promise<Traffic[]> {
  const producers: Traffic[] = [];
  for (const site of sites) {
    const shared = ledger ?? producers[0]?.ledger;
    producers.push(
      await startTraffic({
        bootstrapServers: site.bootstrapServers,
        topics: o.topics,
        ratePerSecond: o.ratePerSecond,
        site: site.alias,
        ...(shared ? { ledger: shared } : {}),
        ...(o.clientExtra ? { clientExtra: o.clientExtra } : {}),
      }),
    );
  }
  return producers;
}

/** A running active-active traffic pair. */
export class ActiveActiveTraffic {
  /** Index in `sites` of the cluster the groups (and the home producer) are on now. */
  private at = 0;
  constructor(
    private readonly o: ActiveActiveTrafficOptions,
    /** The home site's producer and the groups (its ledger is the shared one). */
    readonly home: Traffic,
    /** The other site's producer. */
    readonly other: Traffic,
  ) {}

  /** Alias of the cluster the groups run on now. */
  get groupsOn(): string {
    return this.o.sites[this.at]!.alias;
  }

  /** A group as it runs on site `i`: the local topics and the other site's copies (a pattern, refreshed often). */
  private groupOn(g: TrafficGroup, i: number): TrafficGroup {
    const far = this.o.sites[1 - i]!.alias;
    return {
      ...g,
      topics: [...g.topics, ...g.topics.map((t) => `${far}.${t}`)],
      subscribe: g.topics.map((t) => new RegExp(`^(${escapeRegExp(far)}\\.)?${escapeRegExp(t)}$`)),
      ledgerTopics: g.topics.flatMap((t) => this.o.sites.map((s) => `${s.alias}.${t}`)),
    };
  }

  /** Starts every group on the cluster they are on now. */
  async startGroups(): Promise<void> {
    for (const g of this.o.groups) await this.home.startGroup(this.groupOn(g, this.at), this.o.sites[this.at]!.bootstrapServers);
  }

  /**
   * A traffic-ctl command: `freeze` (the moved producer stops), `stop-consumers`, `redirect` (groups and the moved
   * producer to the other cluster), `report` (nothing). @throws KafkaFailoverError for the two-cluster-only actions.
   */
  async handle(action: TrafficAction): Promise<void> {
    if (action === 'freeze') await this.home.stopProducing();
    else if (action === 'stop-consumers') for (const g of this.home.runningGroups()) await this.home.stopGroup(g);
    else if (action === 'redirect') {
      for (const g of this.home.runningGroups()) await this.home.stopGroup(g);
      this.at = 1 - this.at;
      await this.startGroups();
      await this.home.moveProducer(this.o.sites[this.at]!.bootstrapServers);
    } else if (action !== 'report')
      throw new KafkaFailoverError(`"${action}" does not apply to active-active traffic.`, {
        hint: 'Use freeze, stop-consumers, redirect (to the other cluster) or report.',
      });
  }

  /** Stops both producers and every group. */
  async stop(): Promise<void> {
    await Promise.all([this.home.stop(), this.other.stop()]);
  }
}

/**
 * Waits until `topics` (remote copies MM2 creates, e.g. `dr.orders`) exist on `site`: a pattern subscription is
 * resolved when the group joins, so groups reading copies start after this. `by` names the flow in the message.
 * @param timeoutMs default 120 000.
 * @throws WaitTimeoutError naming the missing topics.
 */
export async function waitForRemoteTopics(
  site: { alias: string; bootstrapServers: string[] },
  topics: string[],
  by: string,
  clientExtra?: TrafficOptions['clientExtra'],
  timeoutMs = 120_000,
): Promise<void> {
  const admin = createKafka({ bootstrapServers: site.bootstrapServers, clientId: 'kafka-failover-traffic', extra: { ...clientExtra } }).admin();
  await admin.connect();
  try {
    await waitFor(
      `${by} to create ${topics.join(', ')} on ${site.alias}`,
      async () => {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t));
        if (missing.length) throw new Error(`missing ${missing.join(', ')}`);
      },
      { timeoutMs, intervalMs: 1000 },
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts both producers, waits until MM2 has created each site's copy of the other's topics (`dr.orders` on primary
 * and `primary.orders` on dr: a pattern subscription is resolved when the group joins), then the groups on the home site.
 * @throws WaitTimeoutError when the copies do not appear in time (is MM2 running both ways?).
 */
export async function startActiveActiveTraffic(o: ActiveActiveTrafficOptions): Promise<ActiveActiveTraffic> {
  const [homeSite, otherSite] = o.sites;
  const [other, home] = (await startSiteProducers([otherSite, homeSite], o)) as [Traffic, Traffic];
  for (const [here, far] of [
    [homeSite, otherSite],
    [otherSite, homeSite],
  ] as const)
    await waitForRemoteTopics(
      here,
      o.topics.map((t) => `${far.alias}.${t.name}`),
      `MM2 ${far.alias} → ${here.alias}`,
      o.clientExtra,
      o.remoteTopicsTimeoutMs,
    );
  const aa = new ActiveActiveTraffic(o, home, other);
  await aa.startGroups();
  return aa;
}
