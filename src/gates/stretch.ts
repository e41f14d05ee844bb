/**
 * Stretch clusters (one Kafka cluster over two sites, racks = sites; docs/design/stretch-clusters.md): pure
 * judgements over what the Kafka port reads — which site is lost, whether the KRaft controller quorum can still
 * elect, which partitions are under `min.insync.replicas` (acks=all writes blocked) or offline, where replicas and
 * leaders are placed. No I/O: the steps (src/steps/stretch-*.ts) and `check` (src/check/stretch-checks.ts) read,
 * these functions judge.
 */
import { InvalidInputError } from '../errors.js';
import type { QuorumDescription, RackedBroker, TopicInfo } from '../kafka/port.js';

/** The documented manual procedure when the controller quorum has lost its majority (KIP-853). */
export const QUORUM_LOST_PROCEDURE = [
  'The KRaft controller quorum has lost its majority: no controller can be elected, so no leader election, ISR change or config change is possible; this tool will not act.',
  'Manual procedure (KIP-853 dynamic quorum, Kafka 3.9+; docs/design/stretch-clusters.md):',
  '1. Bring the lost site back if at all possible: the quorum recovers by itself once a majority of voters answers.',
  '2. Otherwise, on a surviving controller, confirm the state: kafka-metadata-quorum.sh --bootstrap-controller <host:port> describe --status --replication.',
  '3. Restore a majority with new voters in the surviving sites: format a new controller with kafka-storage.sh format --cluster-id <id> --no-initial-controllers, start it, then kafka-metadata-quorum.sh add-controller; remove the lost voters with kafka-metadata-quorum.sh remove-controller --controller-id <id> --controller-directory-id <uuid>. Adding and removing voters needs a committed quorum: with a static quorum (controller.quorum.voters) or no majority at all, recovery means restarting the surviving controllers with a changed voter set — a data-loss risk to be taken only with the Kafka vendor.',
  '4. Fix the placement: one voter per site with a tie-breaker controller in a third site, so that one site loss leaves a majority.',
].join('\n');

/** Node id → site of controller-only voters (combined nodes have a broker rack), parsed from `5=c,6=a`. */
export function parseControllerSites(spec: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  for (const part of (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)=([A-Za-z0-9_.-]+)$/.exec(part);
    if (!m)
      throw new InvalidInputError(`controllerSites: "${part}" is not <node id>=<site>.`, {
        hint: 'Write e.g. 5=c,6=a (controller-only voters and their sites).',
      });
    out.set(Number(m[1]), m[2]!);
  }
  return out;
}

/** The site of a node: its broker rack, else the controllerSites entry, else `unknown`. */
export function siteOf(nodeId: number, brokers: RackedBroker[], controllerSites: Map<number, string>): string {
  return brokers.find((b) => b.nodeId === nodeId)?.rack ?? controllerSites.get(nodeId) ?? 'unknown';
}

/** A broker is down when the controller fenced it or this tool cannot connect to it. */
export const brokerUp = (b: RackedBroker): boolean => b.fenced !== true && b.reachable !== false;

/** Brokers per site: total and up. */
export interface SiteBrokers {
  site: string;
  brokers: number[];
  up: number[];
  down: number[];
}

/** Brokers grouped by rack (`(none)` for brokers without `broker.rack`). */
export function brokersBySite(brokers: RackedBroker[]): SiteBrokers[] {
  const sites = new Map<string, SiteBrokers>();
  for (const b of brokers) {
    const site = b.rack ?? '(none)';
    const s = sites.get(site) ?? { site, brokers: [], up: [], down: [] };
    s.brokers.push(b.nodeId);
    (brokerUp(b) ? s.up : s.down).push(b.nodeId);
    sites.set(site, s);
  }
  return [...sites.values()].sort((a, b) => a.site.localeCompare(b.site));
}

/** A voter's state as the active controller reports it. */
export interface VoterState {
  nodeId: number;
  site: string;
  /** Leader itself, or fetched from it within the allowed time. */
  answering: boolean;
  leader: boolean;
  /** Metadata records behind the quorum's high watermark (−1 unknown). */
  lagRecords: number;
  /** ms since it last fetched from the leader (0 for the leader; −1 unknown). */
  lastFetchAgoMs: number;
}

/** The controller quorum, judged. */
export interface QuorumAssessment {
  /** `available`: a leader and a majority of voters answer; `lost`: no active controller answers. */
  state: 'available' | 'lost';
  leaderId: number | null;
  voters: VoterState[];
  /** Voters needed for a majority. */
  majority: number;
  answering: number;
  highWatermark: number | null;
  /** Sites whose loss alone would leave fewer than a majority of voters (from the voters' placement). */
  sitesWhoseLossBreaksQuorum: string[];
}

/**
 * Judges a DescribeQuorum answer (or its absence). A voter answers when it is the leader or fetched from it within
 * `missAfterMs` (KRaft followers fetch continuously; `controller.quorum.fetch.timeout.ms` is 2 s by default).
 */
export function assessQuorum(
  q: QuorumDescription | undefined,
  brokers: RackedBroker[],
  controllerSites: Map<number, string>,
  nowMs: number,
  missAfterMs: number,
): QuorumAssessment {
  if (!q) return { state: 'lost', leaderId: null, voters: [], majority: 0, answering: 0, highWatermark: null, sitesWhoseLossBreaksQuorum: [] };
  const voters = q.voters.map((v) => {
    const leader = v.nodeId === q.leaderId;
    const ago = v.lastFetchTimestamp >= 0 ? Math.max(0, nowMs - v.lastFetchTimestamp) : -1;
    return {
      nodeId: v.nodeId,
      site: siteOf(v.nodeId, brokers, controllerSites),
      leader,
      answering: leader || (ago >= 0 && ago <= missAfterMs),
      lagRecords: v.logEndOffset >= 0 ? Math.max(0, q.highWatermark - v.logEndOffset) : -1,
      lastFetchAgoMs: leader ? 0 : ago,
    };
  });
  const majority = Math.floor(voters.length / 2) + 1;
  const answering = voters.filter((v) => v.answering).length;
  return {
    state: answering >= majority ? 'available' : 'lost',
    leaderId: q.leaderId,
    voters,
    majority,
    answering,
    highWatermark: q.highWatermark,
    sitesWhoseLossBreaksQuorum: sitesBreakingQuorum(voters.map((v) => v.site)),
  };
}

/** Sites whose loss leaves fewer than a majority of the voters (placed by site). */
export function sitesBreakingQuorum(voterSites: string[]): string[] {
  const majority = Math.floor(voterSites.length / 2) + 1;
  return [...new Set(voterSites)].filter((s) => voterSites.filter((x) => x !== s).length < majority).sort();
}

/**
 * Verdict of `confirm-site-loss`: `site-lost` (every broker of one site is down), `network` (this tool cannot reach
 * one site's brokers but the cluster still has them unfenced while its quorum works: the path from here to that site,
 * not the site), `brokers-down` (some brokers, no whole site), `all-up`, `all-down`.
 */
export type SiteLossVerdict = 'site-lost' | 'network' | 'brokers-down' | 'all-up' | 'all-down';

/** What confirm-site-loss concludes from the brokers' fencing. */
export interface SiteLoss {
  verdict: SiteLossVerdict;
  /** The site whose every broker is down (verdict `site-lost`). */
  lostSite: string | null;
  /** Sites with every broker up. */
  survivingSites: string[];
  sites: SiteBrokers[];
}

/**
 * Which site is lost: exactly one site with every broker down while another has brokers up. A site whose brokers this
 * tool cannot reach but the cluster has not fenced is `network` while the quorum works (a working quorum fences a dead
 * broker within `broker.session.timeout.ms`); without a quorum nothing can be fenced, so it counts as lost.
 */
export function judgeSiteLoss(brokers: RackedBroker[], quorumAvailable: boolean): SiteLoss {
  const sites = brokersBySite(brokers);
  const dead = sites.filter((s) => s.up.length === 0);
  const surviving = sites.filter((s) => s.down.length === 0).map((s) => s.site);
  const anyDown = sites.some((s) => s.down.length > 0);
  const unfenced = (site: SiteBrokers) => brokers.some((b) => site.brokers.includes(b.nodeId) && b.fenced === false);
  const verdict: SiteLossVerdict =
    dead.length === sites.length
      ? 'all-down'
      : dead.length === 1
        ? quorumAvailable && unfenced(dead[0]!)
          ? 'network'
          : 'site-lost'
        : anyDown
          ? 'brokers-down'
          : 'all-up';
  return { verdict, lostSite: verdict === 'site-lost' ? dead[0]!.site : null, survivingSites: surviving, sites };
}

/** One topic's ISR state. */
export interface TopicIsr {
  topic: string;
  partitions: number;
  minInsyncReplicas: number;
  /** Partitions with fewer in-sync replicas than min ISR: acks=all produce fails (NOT_ENOUGH_REPLICAS). */
  underMinIsr: number;
  /** Partitions with no leader. */
  offline: number;
  /** Partitions whose ISR lacks a replica (any replica missing). */
  underReplicated: number;
  /** Partitions expected to be under min ISR: live replicas (on brokers that are up) fewer than min ISR. */
  expectedUnderMinIsr: number;
  /** Partitions whose ISR still lists a broker that is down (the leader has not shrunk it yet). */
  isrListsDownBrokers: number;
  /** Leaders per rack (`none` for offline partitions). */
  leadersByRack: Record<string, number>;
  /** Preferred leaders (first replica) per rack. */
  preferredLeadersByRack: Record<string, number>;
  /** Partitions whose leader is not the preferred replica. */
  notPreferredLeader: number;
}

/** The per-topic ISR report from metadata, broker racks/fencing and each topic's min ISR. */
export function isrReport(topics: TopicInfo[], brokers: RackedBroker[], minIsr: Map<string, number>): TopicIsr[] {
  const rack = new Map(brokers.map((b) => [b.nodeId, b.rack ?? '(none)']));
  const up = new Set(brokers.filter(brokerUp).map((b) => b.nodeId));
  return topics
    .map((t) => {
      const m = minIsr.get(t.name) ?? 1;
      const r: TopicIsr = {
        topic: t.name,
        partitions: t.partitions.length,
        minInsyncReplicas: m,
        underMinIsr: 0,
        offline: 0,
        underReplicated: 0,
        expectedUnderMinIsr: 0,
        isrListsDownBrokers: 0,
        leadersByRack: {},
        preferredLeadersByRack: {},
        notPreferredLeader: 0,
      };
      for (const p of t.partitions) {
        if (p.leader < 0) r.offline++;
        if (p.isr.length < m) r.underMinIsr++;
        if (p.isr.length < p.replicas.length) r.underReplicated++;
        if (p.replicas.filter((x) => up.has(x)).length < m) r.expectedUnderMinIsr++;
        if (p.isr.some((x) => !up.has(x))) r.isrListsDownBrokers++;
        const lr = p.leader < 0 ? 'none' : (rack.get(p.leader) ?? 'unknown');
        r.leadersByRack[lr] = (r.leadersByRack[lr] ?? 0) + 1;
        const pr = p.replicas[0] === undefined ? 'none' : (rack.get(p.replicas[0]) ?? 'unknown');
        r.preferredLeadersByRack[pr] = (r.preferredLeadersByRack[pr] ?? 0) + 1;
        if (p.leader >= 0 && p.leader !== p.replicas[0]) r.notPreferredLeader++;
      }
      return r;
    })
    .sort((a, b) => a.topic.localeCompare(b.topic));
}

/** A placement problem of one topic. */
export interface PlacementIssue {
  topic: string;
  kind: 'replicas-in-one-rack' | 'one-site-satisfies-min-isr' | 'rack-missing';
  evidence: Record<string, unknown>;
}

/**
 * Placement problems of a stretch cluster: partitions whose replicas all sit in one rack (a site loss takes every
 * copy); topics whose min ISR one site's replicas can satisfy alone (an acknowledged write may exist in one site
 * only); brokers without `broker.rack` (rack-aware placement is off for them).
 */
export function placementIssues(topics: TopicInfo[], brokers: RackedBroker[], minIsr: Map<string, number>): PlacementIssue[] {
  const rack = new Map(brokers.map((b) => [b.nodeId, b.rack]));
  const out: PlacementIssue[] = [];
  const noRack = brokers.filter((b) => !b.rack).map((b) => b.nodeId);
  if (noRack.length) out.push({ topic: '(brokers)', kind: 'rack-missing', evidence: { brokersWithoutRack: noRack, brokers: brokers.length } });
  for (const t of topics) {
    const m = minIsr.get(t.name) ?? 1;
    const oneRack = t.partitions.filter(
      (p) => p.replicas.length > 0 && new Set(p.replicas.map((x) => rack.get(x) ?? null)).size === 1 && rack.get(p.replicas[0]!),
    );
    if (oneRack.length)
      out.push({
        topic: t.name,
        kind: 'replicas-in-one-rack',
        evidence: { partitions: oneRack.map((p) => p.partition), replicas: oneRack[0]!.replicas, rack: rack.get(oneRack[0]!.replicas[0]!) },
      });
    // The most replicas of a partition in one rack: when that is ≥ min ISR, one site alone can acknowledge a write.
    let worst = 0;
    for (const p of t.partitions) {
      const counts = new Map<string, number>();
      for (const x of p.replicas) {
        const r = rack.get(x);
        if (r) counts.set(r, (counts.get(r) ?? 0) + 1);
      }
      worst = Math.max(worst, ...counts.values());
    }
    const racks = new Set(t.partitions.flatMap((p) => p.replicas.map((x) => rack.get(x)).filter(Boolean)));
    if (racks.size > 1 && worst >= m && oneRack.length === 0)
      out.push({
        topic: t.name,
        kind: 'one-site-satisfies-min-isr',
        evidence: { minInsyncReplicas: m, maxReplicasInOneRack: worst, replicationFactor: t.partitions[0]?.replicas.length ?? 0 },
      });
  }
  return out;
}

/** Parses `orders=3,payments=default` (a topic's previous min ISR, or `default` = no topic-level value). */
export function parseRestoreSpec(spec: string): { topic: string; value: string | null }[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^([A-Za-z0-9._-]+)=(default|\d+)$/.exec(part);
      if (!m)
        throw new InvalidInputError(`restore: "${part}" is not <topic>=<min ISR>|default.`, {
          hint: 'Take it from the site-loss run: output "restore" of its lower-min-isr step.',
        });
      return { topic: m[1]!, value: m[2] === 'default' ? null : m[2]! };
    });
}
