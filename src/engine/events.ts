/**
 * Everything a run does, as one union of events tagged by `kind`. The audit log, the JSON output (`--output json`)
 * and the human output are formatters over these same events.
 */

/** A gate's verdict: what was measured against what was required. */
export interface GateResult {
  /** Stable id within the step, e.g. `max-lag`; overrides name it as `<step id>.<gate id>`. */
  id: string;
  description: string;
  /** What was measured (numbers, not adjectives). */
  observed: unknown;
  /** What was required, e.g. `≤ 0 records`. */
  expected: string;
  ok: boolean;
  /**
   * For gates that hold once a quantity drains to the expected value (replication lag, stalled groups): how much is
   * left, so waits can report a drain rate and an ETA. `unit` is e.g. `records`, `groups`; `detail` breaks the
   * value down (e.g. lag per topic).
   */
  remaining?: { value: number; unit: string; detail?: Record<string, number> };
}

/** One side effect, described before it happens (exact values). */
export interface WriteDescription {
  /** Short verb phrase, e.g. `reset consumer group offsets`, `run hook`. */
  action: string;
  /** Cluster alias written to, when a cluster is written. */
  cluster?: string;
  /** Exact values: group, partitions with before → after offsets, hook argv… */
  details: Record<string, unknown>;
  /**
   * Checkpoint key: a write whose `write.done` with this key is in the run's audit log is not sent again on resume
   * (e.g. `reset:<group>`). Without one, the step id, action and details identify the write (executor `writeKey`).
   */
  key?: string;
}

export type RunOutcome = 'succeeded' | 'failed' | 'blocked' | 'aborted';

/** What the operator chose for failing gates (interactive runs). */
export type GateDecision = { action: 'retry' } | { action: 'wait'; timeoutMs: number } | { action: 'override'; reason: string } | { action: 'abort' };

/** Live progress of a long wait (lag draining, a quiet window, groups resuming). Units are in `unit`; rates per second. */
export interface Progress {
  /** What is measured, e.g. `replication lag`, `quiet window`. */
  label: string;
  unit: string;
  /** Amount done so far and the total, when the wait has a known length (e.g. a quiet window in ms). */
  done?: number;
  total?: number;
  /** Amount left (e.g. records of lag) and how fast it shrinks (per second, over the recent samples), with the ETA (ms). */
  remaining?: number;
  ratePerSec?: number;
  etaMs?: number;
  /** Time waited so far and the wait's limit (ms). */
  elapsedMs?: number;
  timeoutMs?: number;
  /** A breakdown, e.g. lag per topic (records). */
  detail?: Record<string, number>;
}

export type RunEvent =
  | {
      kind: 'run.started';
      runId: string;
      runbook: string;
      runbookSha256: string;
      name: string;
      dryRun: boolean;
      operator: string;
      host: string;
      toolVersion: string;
      parameters: Record<string, unknown>;
      flow: string;
      runJsonSha256?: string;
    }
  | { kind: 'run.resumed'; runId: string; operator: string; host: string; toolVersion: string; fromState: string; completedWrites: number }
  | { kind: 'lock.acquired'; pair: string; ttlMs: number; stolenFrom?: unknown; expiredFrom?: unknown; replacedStale?: unknown; reason?: string }
  | { kind: 'step.started'; step: string; stepKind: string; attempt: number }
  | { kind: 'step.retry'; step: string; failedAttempt: number; retriesLeft: number; error: string }
  | { kind: 'gate'; step: string; gate: GateResult; final: boolean }
  | { kind: 'gate.overridden'; step: string; gate: string; reason: string; observed: unknown; expected: string; by: 'operator' | '--override' }
  | { kind: 'gate.decision'; step: string; gates: string[]; decision: GateDecision['action']; timeoutMs?: number; by: 'operator' }
  | { kind: 'progress'; step: string; progress: Progress }
  | { kind: 'step.plan'; step: string; plan: unknown }
  | { kind: 'confirm'; step: string; prompt: string; granted: boolean; by: 'operator' | '--yes' }
  | { kind: 'write.intent'; step: string; write: WriteDescription }
  | { kind: 'write.done'; step: string; write: WriteDescription; result?: unknown }
  | { kind: 'write.would'; step: string; write: WriteDescription }
  | { kind: 'step.note'; step: string; message: string; data?: unknown }
  | { kind: 'step.succeeded'; step: string; durationMs: number; outputs: Record<string, unknown> }
  | { kind: 'step.failed'; step: string; durationMs: number; error: string; policy: 'abort' | 'continue' | 'compensate' }
  | { kind: 'run.finished'; runId: string; outcome: RunOutcome; durationMs: number; exitCode: number; message?: string; auditFile: string }
  | { kind: 'run.paused'; runId: string; step?: string; reason: string; durationMs: number; exitCode: number; resumeCommand: string; auditFile: string };

/** Every event kind, in the order a run emits them; docs/events.md documents each (a unit test keeps the two in step). */
export const RUN_EVENT_KINDS = [
  'run.started',
  'run.resumed',
  'lock.acquired',
  'step.started',
  'step.retry',
  'gate',
  'progress',
  'gate.decision',
  'gate.overridden',
  'step.plan',
  'confirm',
  'write.intent',
  'write.would',
  'write.done',
  'step.note',
  'step.succeeded',
  'step.failed',
  'run.finished',
  'run.paused',
] as const satisfies readonly RunEvent['kind'][];

// Compile-time check that RUN_EVENT_KINDS names every kind of the union.
type MissingKinds = Exclude<RunEvent['kind'], (typeof RUN_EVENT_KINDS)[number]>;
const everyKindListed: MissingKinds extends never ? true : MissingKinds = true;
void everyKindListed;

/** Something that receives events (audit log, printers). */
export type EventSink = (event: RunEvent) => void;
