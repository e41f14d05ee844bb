/**
 * Live human output: progress as plain lines at most every 5 s off a terminal, gates gathered into one table per
 * step, no colour codes when NO_COLOR is set, and the spinner only on a terminal.
 */
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/engine/events.js';
import { LiveOutput, PLAIN_PROGRESS_EVERY_MS } from '../../../src/cli/live.js';
import { progressText } from '../../../src/cli/render.js';

function sink(isTTY: boolean) {
  let text = '';
  const w = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  // What a terminal stream adds (tty.WriteStream), for the spinner.
  const stream = Object.assign(w, {
    isTTY,
    columns: 120,
    cursorTo: (x: number, y?: number) => readline.cursorTo(w, x, y),
    moveCursor: (dx: number, dy: number) => readline.moveCursor(w, dx, dy),
    clearLine: (dir: -1 | 0 | 1) => readline.clearLine(w, dir),
  });
  return { stream, text: () => text };
}

const progress = (remaining: number): RunEvent => ({
  kind: 'progress',
  step: 'lag',
  progress: {
    label: 'replication lag',
    unit: 'records',
    remaining,
    ratePerSec: 50,
    etaMs: remaining * 20,
    elapsedMs: 4000,
    timeoutMs: 120_000,
    detail: { orders: remaining - 10, payments: 10 },
  },
});
const ESC_COLOUR = /\u001b\[\d+m/;

describe('LiveOutput', () => {
  const saved = process.env.NO_COLOR;
  afterEach(() => {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  });

  it('off a terminal prints progress lines at most every 5 s, with the numbers', () => {
    let now = 0;
    const s = sink(false);
    const out = new LiveOutput({ stream: s.stream, now: () => now });
    out.event(progress(500));
    now += 1000;
    out.event(progress(450));
    now += PLAIN_PROGRESS_EVERY_MS;
    out.event(progress(100));
    const lines = s.text().split('\n').filter(Boolean);
    expect(lines).toEqual([
      '  … lag: replication lag: 500 records left (orders 490, payments 10) · draining 50 records/s · ETA 10 s · waited 4 s of 2 min 0 s',
      '  … lag: replication lag: 100 records left (orders 90, payments 10) · draining 50 records/s · ETA 2 s · waited 4 s of 2 min 0 s',
    ]);
  });

  it("gathers a step's final gates into one table of observed vs expected", () => {
    const s = sink(false);
    const out = new LiveOutput({ stream: s.stream });
    out.event({
      kind: 'gate',
      step: 'validate',
      final: true,
      gate: { id: 'groups-not-rewound', description: '', observed: { count: 0 }, expected: '0 partitions below plan', ok: true },
    });
    out.event({
      kind: 'gate',
      step: 'validate',
      final: true,
      gate: { id: 'groups-progressing', description: '', observed: { stalled: ['billing'] }, expected: '3 of 3 groups', ok: false },
    });
    out.event({ kind: 'step.failed', step: 'validate', durationMs: 1000, error: 'blocked', policy: 'abort' });
    const t = s.text();
    expect(t).toContain('gates of validate: 1 ok, 1 failed');
    expect(t).toMatch(/groups-progressing\s*│ FAILED\s*│ {"stalled":\["billing"\]}\s*│ 3 of 3 groups/);
    expect(t.indexOf('gates of validate')).toBeLessThan(t.indexOf('✖ validate'));
  });

  it('uses no colour codes with NO_COLOR set, even on a terminal', () => {
    process.env.NO_COLOR = '1';
    const s = sink(true);
    const out = new LiveOutput({ stream: s.stream });
    out.event({ kind: 'step.started', step: 'lag', stepKind: 'check-replication-lag', attempt: 1 });
    out.event(progress(10));
    out.event({ kind: 'step.succeeded', step: 'lag', durationMs: 1200, outputs: {} });
    out.close();
    expect(s.text()).toContain('✔ lag (1.2 s)');
    expect(s.text()).not.toMatch(ESC_COLOUR);
    // The same events with colours on do carry colour codes (so the check above can fail).
    const c = sink(true);
    const coloured = new LiveOutput({ stream: c.stream, color: true });
    coloured.event({ kind: 'step.succeeded', step: 'lag', durationMs: 1200, outputs: {} });
    expect(c.text()).toMatch(ESC_COLOUR);
  });

  it('on a terminal shows waits in a spinner line (redrawn in place), not as a line per poll', () => {
    const s = sink(true);
    const out = new LiveOutput({ stream: s.stream, color: false });
    out.event({ kind: 'step.started', step: 'lag', stepKind: 'check-replication-lag', attempt: 1 });
    for (let i = 0; i < 5; i++) out.event(progress(100 - i));
    out.close();
    expect(s.text()).not.toContain('  … lag:');
    expect(s.text()).toContain('\u001b['); // cursor control of the spinner
  });

  it('formats a quiet window as done of total', () => {
    expect(progressText({ label: 'quiet window on 2 source topic(s)', unit: 'ms', done: 2000, total: 3000 })).toBe(
      'quiet window on 2 source topic(s): 2,000 / 3,000 ms',
    );
  });
});
