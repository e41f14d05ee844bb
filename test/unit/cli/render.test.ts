/** The human renderers over run events: the plan table and the closing summary carry the numbers. */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/engine/events.js';
import { planTable, runSummary } from '../../../src/cli/render.js';

const events: RunEvent[] = [
  {
    kind: 'step.succeeded',
    step: 'translate',
    durationMs: 120,
    outputs: {
      groups: [
        { group: 'billing', reReadRecords: 5 },
        { group: 'analytics', reReadRecords: 182 },
      ],
      reReadRecords: 187,
    },
  },
  {
    kind: 'write.would',
    step: 'reset',
    write: {
      action: 'reset consumer group offsets',
      cluster: 'dr',
      details: { group: 'billing', partitions: [{ topic: 'primary.orders', partition: 0, before: null, after: 42, basis: 'checkpoint', reReadRecords: 5 }] },
    },
  },
  {
    kind: 'gate',
    step: 'reset',
    final: true,
    gate: {
      id: 'offset-continuity',
      description: '',
      observed: { rowsProven: 12, exact: 11, withReReads: 1, reReadRecords: 5, skips: 0, foreignRecords: 0, notFound: 0 },
      expected: '',
      ok: true,
    },
  },
  { kind: 'step.succeeded', step: 'reset', durationMs: 1500, outputs: {} },
  { kind: 'step.failed', step: 'redirect', durationMs: 300, error: 'hook exited 1', policy: 'continue' },
  { kind: 'run.finished', runId: 'r', outcome: 'succeeded', durationMs: 2100, exitCode: 0, auditFile: '/runs/r/audit.jsonl' },
];

describe('human renderers', () => {
  it('prints the offset plan with current → new offsets, the basis and re-reads', () => {
    const t = planTable(events)!;
    expect(t).toMatch(/billing\s*│ primary\.orders\s*│ 0\s*│ \(none\)\s*│ 42\s*│ checkpoint\s*│ 5/);
    expect(t).toContain('records to re-read in total: 5');
  });

  it("ends with each step's duration, the re-read figures and the audit file", () => {
    const s = runSummary(events);
    expect(s).toMatch(/translate\s*│ ok\s*│ 0\.1 s/);
    expect(s).toMatch(/redirect\s*│ failed \(continued\)\s*│ 0\.3 s/);
    expect(s).toContain('groups moved: 2; records to re-read: 187 (billing 5, analytics 182)');
    expect(s).toContain('continuity proof (reset): proven — 12 partition(s): 11 exact, 1 with 5 verified re-read(s); skips 0, foreign records 0, not found 0');
    expect(s).toContain('outcome: succeeded in 2.1 s (exit 0); audit log: /runs/r/audit.jsonl');
  });
});
