/** Renderers over run events: one line per event for humans (stderr), one JSON object per line for machines. */
import { table } from './table.js';
import type { GateResult, Progress, RunEvent, WriteDescription } from '../engine/events.js';
import type { StepRegistry } from '../engine/registry.js';
import type { Runbook } from '../engine/runbook-schema.js';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const json = (v: unknown) => JSON.stringify(v);
const num = (n: number) => n.toLocaleString('en-US');

/** The runbook's steps as a table: what each does, whether it writes, what it asks, how long it may wait. */
export function runbookTable(rb: Runbook, registry: StepRegistry): string {
  const t = table(['#', 'step', 'kind', 'writes', 'confirmation', 'waits up to']);
  rb.steps.forEach((s, i) => {
    const kind = registry.get(s.kind);
    const confirm = typeof s.confirm === 'object' && s.confirm.typeTargetAlias ? 'type the target alias' : s.confirm || kind?.alwaysConfirm ? 'yes/no' : '—';
    t.push([i + 1, s.id, s.kind, kind?.writes ? 'yes' : 'no', kind?.writes ? confirm : '—', s.wait ? secs(s.wait.timeoutMs) : '—']);
  });
  return t.toString();
}

/** Gates with what was observed against what was expected (observed as compact JSON, unwrapped so logs stay greppable). */
export function gatesTable(gates: GateResult[]): string {
  const t = table(['gate', 'result', 'observed', 'expected']);
  for (const g of gates) t.push([g.id, g.ok ? 'ok' : 'FAILED', json(g.observed), g.expected]);
  return t.toString();
}

/** A step's plan (what it is about to write). Offset resets as a table; anything else as JSON. */
export function stepPlanText(plan: unknown): string {
  const groups = Array.isArray(plan) ? (plan as { group?: unknown; partitions?: unknown }[]) : [];
  if (!groups.length || !groups.every((g) => typeof g.group === 'string' && Array.isArray(g.partitions))) return json(plan);
  type Row = { topic: string; partition: number; before: number | null; after: number; basis?: string; reReadRecords: number | null; path?: string };
  // A workload move in a replication graph (translate-move) names each partition's path: one more column.
  const withPath = (groups as { partitions: Row[] }[]).some((g) => g.partitions.some((p) => p.path));
  const t = table(['group', 'topic', 'partition', 'current offset', 'new offset', 'basis', 're-read records', ...(withPath ? ['path'] : [])]);
  let total = 0;
  let unknown = false;
  for (const g of groups as { group: string; partitions: Row[] }[]) {
    for (const p of g.partitions) {
      t.push([g.group, p.topic, p.partition, p.before ?? '(none)', p.after, p.basis ?? '', p.reReadRecords ?? '?', ...(withPath ? [p.path ?? ''] : [])]);
      if (p.reReadRecords === null) unknown = true;
      else total += p.reReadRecords;
    }
  }
  return `${t.toString()}\nrecords to re-read in total: ${unknown ? `≥ ${num(total)} (some unknown)` : num(total)}`;
}

const duration = (ms: number) => (ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.round(ms / 1000)} s`);

/** One line for a progress report: amount left, drain rate, ETA, time waited of the limit. */
export function progressText(p: Progress): string {
  const parts = [p.label + ':'];
  if (p.remaining !== undefined) {
    const detail =
      p.detail && Object.keys(p.detail).length > 1
        ? ` (${Object.entries(p.detail)
            .map(([k, v]) => `${k} ${num(v)}`)
            .join(', ')})`
        : '';
    parts.push(`${num(p.remaining)} ${p.unit} left${detail}`);
    if (p.ratePerSec !== undefined) parts.push(`· ${p.ratePerSec > 0 ? 'draining' : 'not draining'} ${num(Math.abs(p.ratePerSec))} ${p.unit}/s`);
    parts.push(`· ETA ${p.etaMs !== undefined ? duration(p.etaMs) : 'unknown'}`);
  } else if (p.done !== undefined && p.total !== undefined) parts.push(`${num(p.done)} / ${num(p.total)} ${p.unit}`);
  if (p.elapsedMs !== undefined && p.timeoutMs !== undefined) parts.push(`· waited ${duration(p.elapsedMs)} of ${duration(p.timeoutMs)}`);
  return parts.join(' ');
}

/** A human line for an event, or undefined for events not worth a line. */
export function humanLine(e: RunEvent): string | undefined {
  switch (e.kind) {
    case 'run.started':
      return `${e.dryRun ? 'DRY-RUN ' : ''}run ${e.runId}: ${e.name} (${e.flow}) by ${e.operator}@${e.host}`;
    case 'run.resumed':
      return `resuming run ${e.runId} from ${e.fromState} (${e.completedWrites} write(s) already done) by ${e.operator}@${e.host}`;
    case 'lock.acquired':
      return `lock on ${e.pair} taken (lease ${e.ttlMs / 1000} s)${e.stolenFrom ? ` — STOLEN from ${JSON.stringify(e.stolenFrom)}: "${e.reason}"` : ''}${e.expiredFrom ? " (the previous holder's lease had expired)" : ''}`;
    case 'step.started':
      return `▶ ${e.step} (${e.stepKind})`;
    case 'step.retry':
      return `  retry: attempt ${e.failedAttempt} failed (${e.error}); ${e.retriesLeft} retr${e.retriesLeft === 1 ? 'y' : 'ies'} left`;
    case 'gate':
      return e.final
        ? `  gate ${e.gate.id}: ${e.gate.ok ? 'ok' : 'FAILED'} — observed ${json(e.gate.observed)}, expected ${e.gate.expected}`
        : `  waiting: ${e.gate.id} observed ${json(e.gate.observed)}, expected ${e.gate.expected}`;
    case 'gate.overridden':
      return `  gate ${e.gate} OVERRIDDEN by ${e.by}: "${e.reason}" (observed ${json(e.observed)}, expected ${e.expected})`;
    case 'gate.decision':
      return `  operator chose ${e.decision}${e.timeoutMs ? ` (up to ${duration(e.timeoutMs)})` : ''} for gate(s) ${e.gates.join(', ')}`;
    case 'progress':
      return `  … ${progressText(e.progress)}`;
    case 'step.plan':
      return `  plan of ${e.step}:\n${stepPlanText(e.plan)}`;
    case 'confirm':
      return `  confirmation ${e.granted ? 'granted' : 'declined'} (${e.by}): ${e.prompt}`;
    case 'write.would':
      return `  would ${describe(e.write)}`;
    case 'write.intent':
      return undefined;
    case 'write.done':
      return `  done: ${describe(e.write)}`;
    case 'step.note':
      return `  ${e.message}`;
    case 'step.succeeded':
      return `✔ ${e.step} (${secs(e.durationMs)})`;
    case 'step.failed':
      return `✖ ${e.step} (${secs(e.durationMs)}): ${e.error}${e.policy !== 'abort' ? ` [onFailure: ${e.policy}]` : ''}`;
    case 'run.finished':
      return `run ${e.outcome} in ${secs(e.durationMs)} (exit ${e.exitCode})${e.message ? `: ${e.message}` : ''}\naudit log: ${e.auditFile}`;
    case 'run.paused':
      return `run PAUSED${e.step ? ` in step ${e.step}` : ''} after ${secs(e.durationMs)} (exit ${e.exitCode}): ${e.reason}\nstate saved; every write so far is in the audit log: ${e.auditFile}\nto continue: ${e.resumeCommand}`;
  }
}

function describe(w: WriteDescription): string {
  if (w.action === 'reset consumer group offsets') {
    const d = w.details as { group: string; partitions: unknown[] };
    return `${w.action} of ${d.group} on ${w.cluster} (${d.partitions.length} partition(s))`;
  }
  return `${w.action}${w.cluster ? ` on ${w.cluster}` : ''} ${json(w.details)}`;
}

/** The offset plan table from the reset writes (would or done) of a run. */
export function planTable(events: RunEvent[]): string | undefined {
  const rows = events.filter(
    (e): e is Extract<RunEvent, { kind: 'write.would' | 'write.done' }> =>
      (e.kind === 'write.would' || e.kind === 'write.done') && e.write.action === 'reset consumer group offsets',
  );
  return rows.length ? stepPlanText(rows.map((r) => r.write.details)) : undefined;
}

/** A closing summary for humans: each step with its duration, the groups moved and records to re-read, the audit file. */
export function runSummary(events: RunEvent[]): string {
  const t = table(['step', 'result', 'duration']);
  for (const e of events) {
    if (e.kind === 'step.succeeded') t.push([e.step, 'ok', secs(e.durationMs)]);
    else if (e.kind === 'step.failed') t.push([e.step, e.policy === 'continue' ? 'failed (continued)' : 'FAILED', secs(e.durationMs)]);
  }
  const lines = [t.toString()];
  const translated = events.find(
    (e): e is Extract<RunEvent, { kind: 'step.succeeded' }> => e.kind === 'step.succeeded' && Array.isArray(e.outputs.groups) && 'reReadRecords' in e.outputs,
  );
  if (translated) {
    const groups = translated.outputs.groups as { group: string; reReadRecords: number | null }[];
    lines.push(
      `groups moved: ${groups.length}; records to re-read: ${translated.outputs.reReadRecords ?? 'unknown'} (${groups.map((g) => `${g.group} ${g.reReadRecords ?? '?'}`).join(', ')})`,
    );
  }
  const resets = events.filter(
    (e): e is Extract<RunEvent, { kind: 'write.done' | 'write.would' }> =>
      (e.kind === 'write.done' || e.kind === 'write.would') && e.write.action === 'reset consumer group offsets',
  );
  if (resets.length) {
    // A negative re-read count would mean a target offset past the record the group was about to read: skipped records.
    const rows = resets.flatMap((r) => (r.write.details as { partitions: { reReadRecords: number | null }[] }).partitions);
    const skipped = rows.reduce((s, p) => s + (p.reReadRecords !== null && p.reReadRecords < 0 ? -p.reReadRecords : 0), 0);
    const reRead = rows.reduce((s, p) => s + Math.max(0, p.reReadRecords ?? 0), 0);
    const unknown = rows.filter((p) => p.reReadRecords === null).length;
    lines.push(
      `offsets ${resets[0]!.kind === 'write.done' ? 'written' : 'planned'}: ${resets.length} group(s), ${rows.length} partition(s); records re-read: ${num(reRead)}${unknown ? ` (+ ${unknown} partition(s) unknown)` : ''}; records skipped: ${num(skipped)}`,
    );
  }
  const proofs = events.filter((e): e is Extract<RunEvent, { kind: 'gate' }> => e.kind === 'gate' && e.final && e.gate.id === 'offset-continuity');
  for (const p of proofs) {
    const o = p.gate.observed as {
      rowsProven?: number;
      exact?: number;
      withReReads?: number;
      reReadRecords?: number;
      skips?: number;
      foreignRecords?: number;
      notFound?: number;
    };
    if (o.rowsProven)
      lines.push(
        `continuity proof (${p.step}): ${p.gate.ok ? 'proven' : 'FAILED'} — ${num(o.rowsProven)} partition(s): ${num(o.exact ?? 0)} exact, ${num(o.withReReads ?? 0)} with ${num(o.reReadRecords ?? 0)} verified re-read(s); skips ${num(o.skips ?? 0)}, foreign records ${num(o.foreignRecords ?? 0)}, not found ${num(o.notFound ?? 0)}`,
      );
  }
  const end = events.find((e): e is Extract<RunEvent, { kind: 'run.finished' }> => e.kind === 'run.finished');
  if (end) lines.push(`outcome: ${end.outcome} in ${secs(end.durationMs)} (exit ${end.exitCode}); audit log: ${end.auditFile}`);
  const paused = events.find((e): e is Extract<RunEvent, { kind: 'run.paused' }> => e.kind === 'run.paused');
  if (paused)
    lines.push(
      `outcome: PAUSED${paused.step ? ` in ${paused.step}` : ''} after ${secs(paused.durationMs)} (exit ${paused.exitCode}); audit log: ${paused.auditFile}\nto continue: ${paused.resumeCommand}`,
    );
  return lines.join('\n');
}
