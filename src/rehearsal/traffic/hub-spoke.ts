/**
 * Traffic for a hub-and-spoke sandbox (`sandbox up --topology hub-spoke`, docs/design/topologies.md): every cluster
 * has a producer writing its own `orders` — each spoke its local data, the hub the central data it distributes to the
 * spokes (`hub.orders` there) — with independent sequences in one shared ledger, records carrying the topic's global
 * name (`spoke1.orders`, `hub.orders`).
 *
 * The moved workload is the home spoke's (default `spoke1`): its consumer groups, reading the spoke's own `orders`
 * and the hub's copy `hub.orders`, and its producer. Between the home spoke and the hub this is exactly an
 * active-active pair ({@link ActiveActiveTraffic}): `redirect` starts the groups on the hub reading `spoke1.orders`
 * (the spoke's data, replicated) and `orders` (the hub's own, where the moved producer now writes), and the next
 * `redirect` brings them back. The other spokes' producers run throughout.
 */
import type { MovableTraffic, TrafficAction } from './control.js';
import { type ActiveActiveTraffic, type Site, type SiteTrafficOptions, startActiveActiveTraffic, startSiteProducers } from './active-active.js';
import type { Traffic } from './generator.js';

/** A cluster of the sandbox by alias (MM2's alias: `<alias>.<topic>` is a remote topic name). */
export type HubSpokeSite = Site;

/** Options of {@link startHubSpokeTraffic}; the groups also read the hub's copy (`hub.orders`). */
export interface HubSpokeTrafficOptions extends SiteTrafficOptions {
  hub: Site;
  /** The spoke whose groups and producer are the moved workload. */
  home: Site;
  /** The other spokes: a producer each, never moved. */
  others: Site[];
}

/** A running hub-and-spoke traffic set. */
export class HubSpokeTraffic implements MovableTraffic {
  constructor(
    /** The home spoke and the hub (groups, the moved producer, the hub's producer). */
    readonly pair: ActiveActiveTraffic,
    /** The other spokes' producers. */
    readonly spokes: Traffic[],
  ) {}

  /** The home spoke's producer and the groups (its ledger is the shared one). */
  get home(): Traffic {
    return this.pair.home;
  }

  /** `freeze`, `stop-consumers`, `redirect` (home spoke ⇄ hub) or `report`. */
  handle(action: TrafficAction): Promise<void> {
    return this.pair.handle(action);
  }

  /** Stops every producer and group. */
  async stop(): Promise<void> {
    await Promise.all([this.pair.stop(), ...this.spokes.map((t) => t.stop())]);
  }
}

/**
 * Starts the other spokes' producers, then the home spoke and the hub as an active-active pair (it waits until MM2
 * has created `spoke1.orders` on the hub and `hub.orders` on spoke1, then starts the groups on the home spoke).
 * @throws WaitTimeoutError when the copies do not appear in time (is MM2 running?).
 */
export async function startHubSpokeTraffic(o: HubSpokeTrafficOptions): Promise<HubSpokeTraffic> {
  const pair = await startActiveActiveTraffic({ ...o, sites: [o.home, o.hub] });
  const spokes = await startSiteProducers(o.others, o, pair.home.ledger);
  return new HubSpokeTraffic(pair, spokes);
}
