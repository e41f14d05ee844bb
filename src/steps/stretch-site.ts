/**
 * Stretch cluster site loss (docs/design/stretch-clusters.md):
 * - `confirm-site-loss`: which sites' brokers answer (the cluster's fencing and this tool's connections) and which
 *   voters of the controller quorum answer; verdict `site-lost` / `network` / `brokers-down` / `all-up` / `all-down`.
 *   Gate: one whole site is lost (and, with `site`, the one the operator named).
 * - `check-quorum`: voters, leader, metadata-log lag; blocks when the quorum cannot elect (majority lost), with the
 *   documented manual procedure (KIP-853) instead of acting.
 */
import { z } from 'zod';
import type { GateResult } from '../engine/events.js';
import { defineStep } from '../engine/step.js';
import { judgeSiteLoss, QUORUM_LOST_PROCEDURE } from '../gates/stretch.js';
import { readQuorum, stretchInputs } from './stretch-read.js';

/** ms without a fetch from the active controller after which a voter counts as not answering. */
const missAfterMs = z.number().int().positive().default(5000);

export const confirmSiteLoss = defineStep({
  kind: 'confirm-site-loss',
  description: "stretch cluster: which site's brokers and controllers answer; verdict site lost / network / brokers down",
  writes: false,
  input: z.strictObject({
    ...stretchInputs,
    /** The site the operator believes lost (a rack); empty: whichever is. */
    site: z.string().default(''),
    /** `site-lost` (site-loss runbook) or `all-up` (recovery: every broker of every site is back). */
    expect: z.enum(['site-lost', 'all-up']).default('site-lost'),
    missAfterMs,
  }),
  async check(ctx, input) {
    const alias = input.cluster ?? ctx.flow.source;
    const { brokers, quorum, quorumError } = await readQuorum(ctx.kafka(alias), input.controllerSites, ctx.now(), input.missAfterMs);
    const loss = judgeSiteLoss(brokers, quorum.state === 'available');
    const controllersBySite: Record<string, { voters: number[]; answering: number[] }> = {};
    for (const v of quorum.voters) {
      const s = controllersBySite[v.site] ?? { voters: [], answering: [] };
      controllersBySite[v.site] = s;
      s.voters.push(v.nodeId);
      if (v.answering) s.answering.push(v.nodeId);
    }
    const summary = loss.sites.map((s) => `site ${s.site}: ${s.up.length}/${s.brokers.length} broker(s) up`).join('; ');
    ctx.note(
      `${alias}: ${loss.verdict}${loss.lostSite ? ` (site ${loss.lostSite})` : ''}; ${summary}; controller quorum ${quorum.state}` +
        (quorum.state === 'available'
          ? ` (${quorum.answering}/${quorum.voters.length} voters answer, leader ${quorum.leaderId})`
          : ` (${quorumError ?? 'no active controller'})`),
      { loss, controllersBySite, quorumState: quorum.state },
    );
    const gates: GateResult[] = [
      input.expect === 'all-up'
        ? {
            id: 'all-up',
            description: 'every broker of every site answers and none is fenced, and the controller quorum is available',
            observed: { verdict: loss.verdict, sites: loss.sites, quorumState: quorum.state },
            expected: 'verdict all-up, quorum available',
            ok: loss.verdict === 'all-up' && quorum.state === 'available',
          }
        : {
            id: 'site-lost',
            description: input.site
              ? `every broker of site ${input.site} is down and the other site serves`
              : 'every broker of exactly one site is down and the other site serves',
            observed: { verdict: loss.verdict, lostSite: loss.lostSite, sites: loss.sites },
            expected: input.site ? `verdict site-lost, site ${input.site}` : 'verdict site-lost',
            ok: loss.verdict === 'site-lost' && (input.site === '' || loss.lostSite === input.site),
          },
    ];
    return {
      gates,
      outputs: {
        verdict: loss.verdict,
        lostSite: loss.lostSite ?? '',
        survivingSites: loss.survivingSites.join(','),
        quorumState: quorum.state,
        sites: loss.sites,
        controllersBySite,
      },
    };
  },
});

export const checkQuorum = defineStep({
  kind: 'check-quorum',
  description: 'stretch cluster: KRaft controller quorum — voters, leader, metadata lag; blocks (with the manual procedure) when it cannot elect',
  writes: false,
  input: z.strictObject({
    ...stretchInputs,
    missAfterMs,
    /** Largest metadata-log lag (records) an answering voter may have. */
    maxLagRecords: z.number().int().min(0).default(1000),
  }),
  async check(ctx, input) {
    const alias = input.cluster ?? ctx.flow.source;
    const { quorum, quorumError } = await readQuorum(ctx.kafka(alias), input.controllerSites, ctx.now(), input.missAfterMs);
    const lost = quorum.state === 'lost';
    if (lost)
      ctx.note(`${alias}: controller quorum lost (${quorumError ?? `${quorum.answering} of ${quorum.voters.length} voters answer`})\n${QUORUM_LOST_PROCEDURE}`);
    else
      ctx.note(
        `${alias}: controller quorum available — leader ${quorum.leaderId}, ${quorum.answering}/${quorum.voters.length} voters answer (majority ${quorum.majority}); ` +
          quorum.voters.map((v) => `${v.nodeId}@${v.site}${v.leader ? ' (leader)' : ''}: ${v.answering ? `lag ${v.lagRecords}` : 'not answering'}`).join(', '),
        quorum,
      );
    const laggards = quorum.voters.filter((v) => v.answering && v.lagRecords > input.maxLagRecords);
    const gates: GateResult[] = [
      {
        id: 'quorum-available',
        description: 'a majority of the controller quorum answers and a leader is elected (otherwise no leader election, ISR or config change can happen)',
        observed: lost
          ? { state: 'quorum lost', error: quorumError ?? null, answering: quorum.answering, voters: quorum.voters.length, procedure: QUORUM_LOST_PROCEDURE }
          : { state: 'available', leaderId: quorum.leaderId, answering: quorum.answering, voters: quorum.voters.length },
        expected: `≥ ${quorum.majority || 'a majority of'} voters answering, a leader`,
        ok: !lost,
      },
      {
        id: 'voters-caught-up',
        description: `answering voters are at most ${input.maxLagRecords} metadata records behind`,
        observed: { laggards: laggards.map((v) => ({ nodeId: v.nodeId, lagRecords: v.lagRecords })) },
        expected: `≤ ${input.maxLagRecords} records`,
        ok: laggards.length === 0,
      },
    ];
    return {
      gates,
      outputs: {
        quorumState: lost ? 'quorum lost' : 'available',
        leaderId: quorum.leaderId ?? -1,
        votersAnswering: quorum.answering,
        voters: quorum.voters.length,
        sitesWhoseLossBreaksQuorum: quorum.sitesWhoseLossBreaksQuorum.join(','),
      },
    };
  },
});
