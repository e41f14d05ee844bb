/**
 * The audit anchor (docs/design/audit-anchor.md): the head of every finished real run's audit chain — run id, `seq`
 * and `hash` of its last record (`run.finished`), outcome — kept outside the run directory, in the compacted topic
 * {@link ANCHOR_TOPIC} on the flow's target cluster (key: run id), next to the lease. A local user who can rewrite
 * `runs/` cannot silently cut the tail of a finished run or rewrite its whole chain consistently: `audit verify`
 * compares the file with the anchor whenever the target answers.
 *
 * MirrorMaker 2's default `topics.exclude` (`.*[\-\.]internal, .*\.replica, __.*`) matches the topic's name, so the
 * anchor is never replicated to the other cluster (a failback's reverse flow does not copy it either).
 */
import { ExitCode } from '../errors.js';
import pRetry from 'p-retry';
import type { KafkaPort } from '../kafka/port.js';
import { verifyAuditText } from './audit.js';
import { type AclNeed, ownTopicNeeds } from './permissions.js';

/** The compacted topic on the target cluster holding one anchor per run (key: run id). */
export const ANCHOR_TOPIC = 'kafka-failover-audit-anchor.internal';

/** The ACLs the audit anchor needs on the target: create its topic when missing, write and read it. */
export function anchorAcls(target: string): AclNeed[] {
  return ownTopicNeeds(target, ANCHOR_TOPIC, 'audit anchor (written by `run` at the end)');
}

/** The anchor of one finished run: the head of its audit chain. */
export interface AuditAnchor {
  runId: string;
  /** `seq` of the run's last record (its `run.finished`). */
  seq: number;
  /** `hash` (sha256 hex) of that record. */
  head: string;
  /** The run's outcome (`succeeded`, `failed`, `blocked`, `aborted`). */
  outcome: string;
  /** `<source>-><target>`. */
  flow: string;
  /** ISO time the anchor was written. */
  at: string;
}

/**
 * Writes (or replaces) a run's anchor: creates the compacted topic when missing, produces key = run id (acks=all).
 * Retries for up to 15 s (a broker may be restarting). @throws the last error when the cluster cannot be written.
 */
export async function writeAnchor(port: KafkaPort, anchor: AuditAnchor): Promise<void> {
  await pRetry(
    async () => {
      if (!(await port.listTopics()).includes(ANCHOR_TOPIC)) {
        await port.createTopic(ANCHOR_TOPIC, 1, undefined, { 'cleanup.policy': 'compact' }).catch(() => {});
      }
      await port.produce(ANCHOR_TOPIC, [{ key: anchor.runId, value: JSON.stringify(anchor), partition: 0 }]);
    },
    { retries: 5, minTimeout: 500, maxTimeout: 3000, maxRetryTime: 15_000 },
  );
}

/**
 * The latest anchor of `runId` on a cluster, or undefined when it has none (or the topic does not exist).
 * @throws when the cluster cannot be read (callers report the anchor as unreachable).
 */
export async function readAnchor(port: KafkaPort, runId: string): Promise<AuditAnchor | undefined> {
  if (!(await port.listTopics()).includes(ANCHOR_TOPIC)) return undefined;
  let found: AuditAnchor | undefined;
  for (const p of await port.partitionOffsets(ANCHOR_TOPIC)) {
    await port.readRange(ANCHOR_TOPIC, p.partition, p.logStartOffset, p.highWatermark, (r) => {
      if (r.key?.toString() !== runId || !r.value) return;
      try {
        const a = JSON.parse(r.value.toString()) as AuditAnchor;
        if (typeof a.seq === 'number' && typeof a.head === 'string') found = a;
      } catch {
        /* not an anchor record */
      }
    });
  }
  return found;
}

/** What `audit verify` learnt from the target cluster. */
export type AnchorLookup = { reachable: true; cluster: string; anchor?: AuditAnchor } | { reachable: false; reason: string };

/** Exit code of an intact but unfinished audit log (`OPEN`): README "Exit codes". */
export const AUDIT_OPEN_EXIT = ExitCode.AuditOpen;

/** The verdict of `audit verify`. */
export type AuditVerdict =
  | { verdict: 'OK'; records: number; runId: string; note: string }
  | { verdict: 'OPEN'; records: number; runId?: string; note: string }
  | { verdict: 'BROKEN'; records: number; line: number; reason: string };

/** What the first and last records of an intact log say (undefined fields when absent). */
export interface AuditHead {
  runId?: string;
  /** `<source>-><target>` from `run.started`. */
  flow?: string;
  dryRun?: boolean;
  records: number;
}

type Rec = { kind?: string; seq: number; hash: string; runId?: string; flow?: string; dryRun?: boolean };

const parse = (text: string): Rec[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Rec);

/** Run id, flow and dry-run flag of an audit log whose chain is intact (from its `run.started`). */
export function auditHead(text: string): AuditHead {
  if (!verifyAuditText(text).ok) return { records: 0 };
  const recs = parse(text);
  const started = recs.find((r) => r.kind === 'run.started');
  return {
    records: recs.length,
    ...(started?.runId ? { runId: started.runId } : {}),
    ...(started?.flow ? { flow: started.flow } : {}),
    ...(started ? { dryRun: Boolean(started.dryRun) } : {}),
  };
}

/**
 * Judges an audit log: the hash chain (every record), then the anchor when `lookup` reached the target.
 * - `BROKEN`: a record fails the chain; or the anchor disagrees (tail cut, chain rewritten, records after the end);
 *   or a finished real run has no anchor on a reachable target.
 * - `OPEN`: the chain is intact but there is no `run.finished` (crashed, paused, or a tail cut while the anchor could
 *   not be checked) — resumable, never printed as OK.
 * - `OK`: intact and finished; the note says whether the anchor matched, could not be reached, or is absent because
 *   the run was a dry-run (dry-runs write nothing to clusters, anchors included).
 */
export function judgeAudit(text: string, lookup: AnchorLookup): AuditVerdict {
  const chain = verifyAuditText(text);
  if (!chain.ok) return { verdict: 'BROKEN', records: chain.records, line: chain.line, reason: chain.reason };
  const recs = parse(text);
  const n = recs.length;
  const broken = (line: number, reason: string): AuditVerdict => ({ verdict: 'BROKEN', records: n, line, reason });
  if (n === 0) return { verdict: 'OPEN', records: 0, note: 'no records yet' };
  const started = recs[0]!;
  if (started.kind !== 'run.started' || !started.runId) return broken(1, 'the first record is not run.started');
  const runId = started.runId;
  const finishedAt = recs.findIndex((r) => r.kind === 'run.finished');
  if (finishedAt >= 0 && finishedAt < n - 1) return broken(finishedAt + 2, 'records after run.finished');
  const anchor = lookup.reachable ? lookup.anchor : undefined;
  if (lookup.reachable && anchor) {
    const where = `the anchor on ${lookup.cluster}`;
    if (anchor.seq > n)
      return broken(n + 1, `the file ends at record ${n}, but ${where} says run ${runId} finished at record ${anchor.seq} (the tail was cut)`);
    if (recs[anchor.seq - 1]?.hash !== anchor.head)
      return broken(anchor.seq, `its hash differs from ${where} (${anchor.head.slice(0, 12)}…): the chain was rewritten`);
    if (anchor.seq < n) return broken(anchor.seq + 1, `records after the end anchored on ${lookup.cluster}`);
    return { verdict: 'OK', records: n, runId, note: `run ${anchor.outcome}, anchor on ${lookup.cluster} matched (record ${anchor.seq})` };
  }
  if (finishedAt < 0)
    return {
      verdict: 'OPEN',
      records: n,
      runId,
      note: `no run.finished: the run crashed or paused${lookup.reachable ? '' : ', or its tail was cut'} (kafka-failover resume ${runId} continues it)${lookup.reachable ? '' : `; anchor not checked: ${lookup.reason}`}`,
    };
  if (started.dryRun) return { verdict: 'OK', records: n, runId, note: 'dry-run finished (dry-runs write no anchor)' };
  if (lookup.reachable)
    return broken(
      n,
      `no anchor for run ${runId} on ${lookup.cluster}: a finished real run writes one (the file was rewritten under another run id, or the run could not reach ${lookup.cluster} at its end)`,
    );
  return { verdict: 'OK', records: n, runId, note: `run finished; anchor could not be reached (${lookup.reason}): the chain alone was checked` };
}
