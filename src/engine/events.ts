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
   * (e.g. `reset:<group>`). Writes without a key are idempotent by themselves and simply run again.
   */
  key?: string;
}

export type RunOutcome = 'succeeded' | 'failed' | 'blocked' | 'aborted';

export type RunEvent =
  | { kind: 'run.started'; runId: string; runbook: string; runbookSha256: string; name: string; dryRun: boolean; operator: string; host: string; toolVersion: string; parameters: Record<string, unknown>; flow: string }
  | { kind: 'run.resumed'; runId: string; operator: string; host: string; toolVersion: string; fromState: string; completedWrites: number }
  | { kind: 'lock.acquired'; pair: string; ttlMs: number; stolenFrom?: unknown; expiredFrom?: unknown; reason?: string }
  | { kind: 'step.started'; step: string; stepKind: string; attempt: number }
  | { kind: 'gate'; step: string; gate: GateResult; final: boolean }
  | { kind: 'gate.overridden'; step: string; gate: string; reason: string; observed: unknown; expected: string }
  | { kind: 'confirm'; step: string; prompt: string; granted: boolean; by: 'operator' | '--yes' }
  | { kind: 'write.intent'; step: string; write: WriteDescription }
  | { kind: 'write.done'; step: string; write: WriteDescription; result?: unknown }
  | { kind: 'write.would'; step: string; write: WriteDescription }
  | { kind: 'step.note'; step: string; message: string; data?: unknown }
  | { kind: 'step.succeeded'; step: string; durationMs: number; outputs: Record<string, unknown> }
  | { kind: 'step.failed'; step: string; durationMs: number; error: string; policy: 'abort' | 'continue' | 'compensate' }
  | { kind: 'run.finished'; runId: string; outcome: RunOutcome; durationMs: number; exitCode: number; message?: string; auditFile: string };

/** Something that receives events (audit log, printers). */
export type EventSink = (event: RunEvent) => void;
