/**
 * The engine's interactive behaviour with a fake prompter and fake step kinds (no Kafka): the operator's choices on
 * failing gates (override with a reason, wait with progress, retry, abort), prompts bounded by a timeout, and
 * pausing (Ctrl-C) at safe points — never between a write's intent and its completion — then resuming without
 * repeating a write.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyAuditText } from '../../../src/engine/audit.js';
import type { GateDecision, RunEvent } from '../../../src/engine/events.js';
import { loadRunForResume, runRunbook, type Prompter, type RunOptions } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { defineStep } from '../../../src/engine/step.js';
import { clusters, fakeKafka } from './fixtures.js';

/** A world the fake steps read and write: `lag` drains by `drainPerProbe` at each probe; writes are recorded. */
interface World {
  lag: number;
  drainPerProbe: number;
  writes: string[];
  /** When set, a write waits for it (a write in flight). */
  inFlight?: Promise<void>;
  onWriteStarted?: () => void;
}

function registry(w: World) {
  return new StepRegistry()
    .register(
      defineStep({
        kind: 'lag',
        description: 'replication lag gate',
        writes: false,
        input: z.strictObject({ max: z.number() }),
        async check(_ctx, i) {
          const value = w.lag;
          w.lag = Math.max(0, w.lag - w.drainPerProbe);
          return {
            gates: [
              {
                id: 'max-lag',
                description: 'replication lag',
                observed: { totalLagRecords: value },
                expected: `≤ ${i.max} records`,
                ok: value <= i.max,
                remaining: { value, unit: 'records', detail: { orders: value } },
              },
            ],
          };
        },
      }),
    )
    .register(
      defineStep({
        kind: 'write',
        description: 'a keyed write',
        writes: true,
        input: z.strictObject({ what: z.string() }),
        async check() {
          return { plan: { will: 'write' } };
        },
        async apply(ctx, i) {
          await ctx.write({ action: 'write', cluster: 'b', key: `w:${i.what}`, details: { what: i.what } }, async () => {
            w.onWriteStarted?.();
            if (w.inFlight) await w.inFlight;
            w.writes.push(i.what);
          });
        },
      }),
    );
}

const rb = (lagWait = '') =>
  `apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n  - id: lag\n    kind: lag\n    with: { max: 0 }\n${lagWait}  - id: first\n    kind: write\n    with: { what: one }\n    confirm: true\n  - id: second\n    kind: write\n    with: { what: two }\n    confirm: { typeTargetAlias: true }\n`;

async function start(yaml: string, w: World, extra: Partial<RunOptions> = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-interactive-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, yaml);
  const reg = registry(w);
  const runbook = await loadRunbook(file, reg);
  const runsDir = path.join(dir, 'runs');
  const r = await runRunbook({
    runbook,
    clusters,
    registry: reg,
    dryRun: false,
    yes: false,
    runsDir,
    kafka: fakeKafka,
    lock: false,
    operator: 'tester',
    ...extra,
  });
  return { r, runsDir, runbook, reg };
}

/** A prompter answering from scripts; records what it was asked. */
function scripted(decisions: GateDecision[], opts: { typed?: string; confirm?: boolean } = {}) {
  const asked: string[] = [];
  const prompter: Prompter = {
    confirm: async (m) => (asked.push(`confirm: ${m}`), opts.confirm ?? true),
    typeToConfirm: async (expected, m) => (asked.push(`type: ${m}`), (opts.typed ?? expected) === expected),
    gateDecision: async (step, failing) => {
      asked.push(`gates: ${step} ${failing.map((g) => `${g.id}=${JSON.stringify(g.observed)}`).join(',')}`);
      const d = decisions.shift();
      if (!d) throw new Error('no more scripted decisions');
      return d;
    },
  };
  return { prompter, asked };
}

const kinds = (events: RunEvent[]) => events.map((e) => e.kind);
const audit = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('interactive gates', () => {
  it("an operator override needs a reason, is recorded as the operator's, and lets the run write", async () => {
    const w: World = { lag: 42, drainPerProbe: 0, writes: [] };
    const { prompter, asked } = scripted([{ action: 'override', reason: 'lag is on a topic being retired (ticket OPS-7)' }]);
    const { r } = await start(rb(), w, { prompter });
    expect(r).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
    expect(asked[0]).toBe('gates: lag max-lag={"totalLagRecords":42}');
    expect(w.writes).toEqual(['one', 'two']);
    const a = audit(r.auditFile);
    expect(a.find((e) => e.kind === 'gate.decision')).toMatchObject({ step: 'lag', gates: ['max-lag'], decision: 'override', by: 'operator' });
    expect(a.find((e) => e.kind === 'gate.overridden')).toMatchObject({
      gate: 'max-lag',
      reason: 'lag is on a topic being retired (ticket OPS-7)',
      observed: { totalLagRecords: 42 },
      by: 'operator',
    });
    // The decision precedes the first write, in a verifiable chain.
    expect(a.findIndex((e) => e.kind === 'gate.overridden')).toBeLessThan(a.findIndex((e) => e.kind === 'write.intent'));
    expect(verifyAuditText(readFileSync(r.auditFile, 'utf8')).ok).toBe(true);
  });

  it('"wait" polls until the gate holds and reports records left, drain rate and ETA', async () => {
    const w: World = { lag: 50, drainPerProbe: 10, writes: [] };
    const { prompter } = scripted([{ action: 'wait', timeoutMs: 10_000 }]);
    const { r } = await start(rb('    wait: { timeoutMs: 1, intervalMs: 50 }\n'), w, { prompter });
    expect(r.outcome).toBe('succeeded');
    const progress = r.events.filter((e): e is Extract<RunEvent, { kind: 'progress' }> => e.kind === 'progress').map((e) => e.progress);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    const last = progress.at(-1)!;
    expect(last).toMatchObject({ unit: 'records', timeoutMs: 10_000, detail: { orders: last.remaining } });
    expect(last.remaining).toBeLessThan(progress[0]!.remaining!);
    expect(last.ratePerSec).toBeGreaterThan(0);
    expect(last.etaMs).toBeGreaterThanOrEqual(0);
    expect(r.events.filter((e) => e.kind === 'gate' && e.final && e.step === 'lag').map((e) => (e as { gate: { ok: boolean } }).gate.ok)).toEqual([
      false,
      true,
    ]);
  });

  it('"retry" checks again; "abort" ends the run aborted (exit 4) with nothing written', async () => {
    const w: World = { lag: 7, drainPerProbe: 1, writes: [] };
    const { prompter, asked } = scripted([{ action: 'retry' }, { action: 'abort' }]);
    const { r } = await start(rb(), w, { prompter });
    expect(r).toMatchObject({ outcome: 'aborted', exitCode: 4 });
    expect(asked).toEqual(['gates: lag max-lag={"totalLagRecords":7}', 'gates: lag max-lag={"totalLagRecords":6}']);
    expect(w.writes).toEqual([]);
    expect(r.events.filter((e) => e.kind === 'gate.decision').map((e) => (e as { decision: string }).decision)).toEqual(['retry', 'abort']);
  });

  it('without a prompter (pipeline) a failing gate blocks (exit 3) and names --override', async () => {
    const w: World = { lag: 3, drainPerProbe: 0, writes: [] };
    const { r } = await start(rb(), w);
    expect(r).toMatchObject({ outcome: 'blocked', exitCode: 3 });
    expect(r.message).toContain('--override lag.max-lag="<reason>"');
    expect(kinds(r.events)).not.toContain('gate.decision');
  });

  it("a writing step's plan is shown (and audited) before its confirmation", async () => {
    const w: World = { lag: 0, drainPerProbe: 0, writes: [] };
    const { prompter } = scripted([]);
    const { r } = await start(rb(), w, { prompter });
    const k = kinds(r.events);
    expect(k.indexOf('step.plan')).toBeLessThan(k.indexOf('confirm'));
    expect(r.events.find((e) => e.kind === 'step.plan')).toMatchObject({ step: 'first', plan: { will: 'write' } });
  });
});

describe('pausing and bounded prompts', () => {
  it('a prompt left unanswered past the timeout pauses the run (exit 6, resume command); resume finishes it', async () => {
    const w: World = { lag: 0, drainPerProbe: 0, writes: [] };
    const never: Prompter = {
      confirm: async () => true,
      typeToConfirm: (_e, _m, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    };
    const { r, runsDir, runbook, reg } = await start(rb(), w, { prompter: never, promptTimeoutMs: 200 });
    expect(r).toMatchObject({ outcome: 'paused', exitCode: 6 });
    expect(w.writes).toEqual(['one']);
    const paused = r.events.at(-1) as Extract<RunEvent, { kind: 'run.paused' }>;
    expect(paused).toMatchObject({ kind: 'run.paused', step: 'second', exitCode: 6 });
    expect(paused.reason).toMatch(/no answer to "Type "b" .*" within 0 s/);
    expect(paused.resumeCommand).toBe(`kafka-failover resume ${r.runId} --runs-dir ${runsDir}`);
    expect(kinds(r.events)).not.toContain('run.finished');

    const { resume } = loadRunForResume(runsDir, r.runId);
    const again = await runRunbook({ runbook, clusters, registry: reg, dryRun: false, yes: true, runsDir, kafka: fakeKafka, lock: false, resume });
    expect(again.outcome).toBe('succeeded');
    expect(w.writes).toEqual(['one', 'two']); // "one" not written twice
    expect(verifyAuditText(readFileSync(r.auditFile, 'utf8')).ok).toBe(true);
  });

  it('Ctrl-C during a gate wait pauses at once, before any write', async () => {
    const w: World = { lag: 1000, drainPerProbe: 1, writes: [] };
    const ctl = new AbortController();
    setTimeout(() => ctl.abort('the operator pressed Ctrl-C'), 150);
    const t0 = Date.now();
    const { r } = await start(rb('    wait: { timeoutMs: 60000, intervalMs: 50 }\n'), w, { yes: true, pauseSignal: ctl.signal });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r).toMatchObject({ outcome: 'paused', exitCode: 6 });
    expect(r.events.at(-1)).toMatchObject({ kind: 'run.paused', step: 'lag', reason: 'the operator pressed Ctrl-C' });
    expect(w.writes).toEqual([]);
    expect(kinds(r.events)).not.toContain('write.intent');
  });

  it('Ctrl-C during a write lets it complete and be recorded, then pauses before the next; resume does not repeat it', async () => {
    let release!: () => void;
    const ctl = new AbortController();
    const w: World = { lag: 0, drainPerProbe: 0, writes: [], inFlight: new Promise<void>((r) => (release = r)) };
    w.onWriteStarted = () => {
      ctl.abort('the operator pressed Ctrl-C');
      setTimeout(release, 100);
    };
    const { r, runsDir, runbook, reg } = await start(rb(), w, { yes: true, pauseSignal: ctl.signal });
    expect(r).toMatchObject({ outcome: 'paused', exitCode: 6 });
    expect(w.writes).toEqual(['one']);
    const k = kinds(r.events);
    expect(k.filter((x) => x === 'write.intent').length).toBe(1);
    expect(k.filter((x) => x === 'write.done').length).toBe(1);
    expect(r.events.at(-1)).toMatchObject({ kind: 'run.paused', step: 'second' });

    w.inFlight = undefined;
    w.onWriteStarted = undefined;
    const { resume } = loadRunForResume(runsDir, r.runId);
    const again = await runRunbook({ runbook, clusters, registry: reg, dryRun: false, yes: true, runsDir, kafka: fakeKafka, lock: false, resume });
    expect(again.outcome).toBe('succeeded');
    expect(w.writes).toEqual(['one', 'two']);
  });
});
