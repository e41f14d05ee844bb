/** Renderers over run events: one line per event for humans (stderr), one JSON object per line for machines. */
import Table from 'cli-table3';
import type { RunEvent, WriteDescription } from '../engine/events.js';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const json = (v: unknown) => JSON.stringify(v);

/** A human line for an event, or undefined for events not worth a line. */
export function humanLine(e: RunEvent): string | undefined {
  switch (e.kind) {
    case 'run.started':
      return `${e.dryRun ? 'DRY-RUN ' : ''}run ${e.runId}: ${e.name} (${e.flow}) by ${e.operator}@${e.host}`;
    case 'run.resumed':
      return `resuming run ${e.runId} from ${e.fromState} (${e.completedWrites} write(s) already done) by ${e.operator}@${e.host}`;
    case 'lock.acquired':
      return `lock on ${e.pair} taken (lease ${e.ttlMs / 1000} s)${e.stolenFrom ? ` — STOLEN from ${JSON.stringify(e.stolenFrom)}: "${e.reason}"` : ''}${e.expiredFrom ? ' (the previous holder\'s lease had expired)' : ''}`;
    case 'step.started':
      return `▶ ${e.step} (${e.stepKind})`;
    case 'gate':
      return e.final ? `  gate ${e.gate.id}: ${e.gate.ok ? 'ok' : 'FAILED'} — observed ${json(e.gate.observed)}, expected ${e.gate.expected}` : `  waiting: ${e.gate.id} observed ${json(e.gate.observed)}, expected ${e.gate.expected}`;
    case 'gate.overridden':
      return `  gate ${e.gate} OVERRIDDEN: "${e.reason}" (observed ${json(e.observed)}, expected ${e.expected})`;
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
  const rows = events.filter((e): e is Extract<RunEvent, { kind: 'write.would' | 'write.done' }> => (e.kind === 'write.would' || e.kind === 'write.done') && e.write.action === 'reset consumer group offsets');
  if (!rows.length) return undefined;
  const t = new Table({ head: ['group', 'topic', 'partition', 'current offset', 'new offset', 're-read records'], style: { head: [], border: [] } });
  let total = 0;
  let unknown = false;
  for (const r of rows) {
    const d = r.write.details as { group: string; partitions: { topic: string; partition: number; before: number | null; after: number; reReadRecords: number | null }[] };
    for (const p of d.partitions) {
      t.push([d.group, p.topic, p.partition, p.before ?? '(none)', p.after, p.reReadRecords ?? '?']);
      if (p.reReadRecords === null) unknown = true;
      else total += p.reReadRecords;
    }
  }
  return `${t.toString()}\nrecords to re-read in total: ${unknown ? `≥ ${total} (some unknown)` : total}`;
}

/** A closing summary for humans: each step with its duration, the groups moved and records to re-read, the audit file. */
export function runSummary(events: RunEvent[]): string {
  const t = new Table({ head: ['step', 'result', 'duration'], style: { head: [], border: [] } });
  for (const e of events) {
    if (e.kind === 'step.succeeded') t.push([e.step, 'ok', secs(e.durationMs)]);
    else if (e.kind === 'step.failed') t.push([e.step, e.policy === 'continue' ? 'failed (continued)' : 'FAILED', secs(e.durationMs)]);
  }
  const lines = [t.toString()];
  const translated = events.find((e): e is Extract<RunEvent, { kind: 'step.succeeded' }> => e.kind === 'step.succeeded' && Array.isArray(e.outputs.groups) && 'reReadRecords' in e.outputs);
  if (translated) {
    const groups = translated.outputs.groups as { group: string; reReadRecords: number | null }[];
    lines.push(`groups moved: ${groups.length}; records to re-read: ${translated.outputs.reReadRecords ?? 'unknown'} (${groups.map((g) => `${g.group} ${g.reReadRecords ?? '?'}`).join(', ')})`);
  }
  const end = events.find((e): e is Extract<RunEvent, { kind: 'run.finished' }> => e.kind === 'run.finished');
  if (end) lines.push(`outcome: ${end.outcome} in ${secs(end.durationMs)} (exit ${end.exitCode}); audit log: ${end.auditFile}`);
  return lines.join('\n');
}
