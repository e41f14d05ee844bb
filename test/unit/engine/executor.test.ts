/**
 * Engine logic with fake step kinds and no Kafka: gates block (exit 3) before any write, overrides need a reason and
 * are audited, onFailure policies, dry-run turns writes into "would" records, confirmations in non-interactive runs,
 * the audit log is valid hash-chained JSON lines, and a snapshot is persisted.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verifyAuditText } from '../../../src/engine/audit.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { defineStep } from '../../../src/engine/step.js';
import { execStep } from '../../../src/steps/exec.js';
import type { LoadedClusters } from '../../../src/clusters/load.js';
import { clusters, fakeKafka } from './fixtures.js';

function registry(writes: string[]) {
  return new StepRegistry()
    .register(
      defineStep({
        kind: 'measure',
        description: 'a gate on a number',
        writes: false,
        input: z.strictObject({ value: z.number(), max: z.number().min(0) }),
        async check(_ctx, i) {
          return {
            gates: [{ id: 'max', description: 'value ≤ max', observed: i.value, expected: `≤ ${i.max}`, ok: i.value <= i.max }],
            outputs: { value: i.value },
          };
        },
      }),
    )
    .register(
      defineStep({
        kind: 'write',
        description: 'records a write',
        writes: true,
        input: z.strictObject({ what: z.string() }),
        async check() {
          return {};
        },
        async apply(ctx, i) {
          await ctx.write({ action: 'write', cluster: 'b', details: { what: i.what } }, async () => writes.push(i.what));
          return { wrote: i.what };
        },
      }),
    )
    .register(
      defineStep({
        kind: 'slow',
        description: 'takes long',
        writes: false,
        input: z.strictObject({}),
        async check(ctx) {
          await ctx.sleep(2000);
          return {};
        },
      }),
    )
    .register(
      defineStep({
        kind: 'boom',
        description: 'fails',
        writes: false,
        input: z.strictObject({}),
        async check() {
          throw new Error('boom');
        },
      }),
    );
}

async function setup(yaml: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-engine-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, `apiVersion: kafka-failover/v1\nname: t\nflow: a->b\n${yaml}`);
  return { dir, file };
}

async function run(
  yaml: string,
  opts: {
    dryRun?: boolean;
    yes?: boolean;
    overrides?: Record<string, string>;
    sets?: Record<string, string>;
    auditIo?: import('../../../src/engine/audit.js').AuditIo;
  } = {},
) {
  const writes: string[] = [];
  const reg = registry(writes);
  const { dir, file } = await setup(yaml);
  const runbook = await loadRunbook(file, reg, opts.sets ?? {});
  const r = await runRunbook({
    runbook,
    clusters,
    registry: reg,
    dryRun: opts.dryRun ?? false,
    yes: opts.yes ?? true,
    overrides: opts.overrides ?? {},
    runsDir: path.join(dir, 'runs'),
    kafka: fakeKafka,
    lock: false,
    operator: 'tester',
    ...(opts.auditIo ? { auditIo: opts.auditIo } : {}),
  });
  return { ...r, writes };
}

const twoSteps = `parameters:\n  v: { type: integer, default: 5 }\nsteps:\n  - id: lag\n    kind: measure\n    with: { value: "\${params.v}", max: 3 }\n  - id: reset\n    kind: write\n    with: { what: "v=\${steps.lag.outputs.value}" }\n`;

describe('executor', () => {
  it('a failing gate blocks the run (exit 3) before any write, with observed vs expected in the audit log', async () => {
    const r = await run(twoSteps);
    expect(r.outcome).toBe('blocked');
    expect(r.exitCode).toBe(3);
    expect(r.writes).toEqual([]);
    const audit = readFileSync(r.auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(audit.find((e) => e.kind === 'gate')).toMatchObject({ step: 'lag', gate: { id: 'max', observed: 5, expected: '≤ 3', ok: false } });
    expect(audit.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'blocked', exitCode: 3 });
    expect(r.message).toContain('--override lag.max="<reason>"');
  });

  it('passes when the gate holds, feeding outputs to later steps through templates', async () => {
    const r = await run(twoSteps, { sets: { v: '2' } });
    expect(r.outcome).toBe('succeeded');
    expect(r.writes).toEqual(['v=2']);
    expect(r.outputs.reset).toEqual({ wrote: 'v=2' });
  });

  it('an override with a reason lets the gate pass and is audited', async () => {
    const r = await run(twoSteps, { overrides: { 'lag.max': 'approved by the incident lead' } });
    expect(r.outcome).toBe('succeeded');
    expect(r.events.find((e) => e.kind === 'gate.overridden')).toMatchObject({
      step: 'lag',
      gate: 'max',
      reason: 'approved by the incident lead',
      observed: 5,
    });
  });

  it('dry-run turns writes into "would" records carrying the values, and writes nothing', async () => {
    const r = await run(twoSteps, { dryRun: true, sets: { v: '1' } });
    expect(r.outcome).toBe('succeeded');
    expect(r.writes).toEqual([]);
    expect(r.events.filter((e) => e.kind === 'write.would')).toEqual([
      expect.objectContaining({ step: 'reset', write: { action: 'write', cluster: 'b', details: { what: 'v=1' } } }),
    ]);
    expect(r.events.some((e) => e.kind === 'write.done')).toBe(false);
  });

  it('a confirmation nobody can give (no --yes, no terminal) blocks with the flag that would authorise it', async () => {
    const r = await run(`steps:\n  - id: w\n    kind: write\n    with: { what: x }\n    confirm: true\n`, { yes: false });
    expect(r.outcome).toBe('blocked');
    expect(r.writes).toEqual([]);
    expect(r.message).toContain('needs a confirmation');
  });

  it('an operator who declines a confirmation aborts the run (exit 4) with nothing written', async () => {
    const writes: string[] = [];
    const reg = registry(writes);
    const { dir, file } = await setup(`steps:\n  - id: w\n    kind: write\n    with: { what: x }\n    confirm: { typeTargetAlias: true }\n`);
    const runbook = await loadRunbook(file, reg);
    const asked: string[] = [];
    const r = await runRunbook({
      runbook,
      clusters,
      registry: reg,
      dryRun: false,
      yes: false,
      runsDir: path.join(dir, 'runs'),
      kafka: fakeKafka,
      lock: false,
      prompter: { confirm: async () => true, typeToConfirm: async (expected, message) => (asked.push(`${expected}|${message}`), false) },
    });
    expect(r).toMatchObject({ outcome: 'aborted', exitCode: 4 });
    expect(asked).toEqual(['b|Type "b" to let step "w" write to b']);
    expect(writes).toEqual([]);
    expect(r.events.find((e) => e.kind === 'confirm')).toMatchObject({ granted: false, by: 'operator' });
  });

  it('onFailure: continue goes on; abort ends the run failed (exit 1)', async () => {
    const cont = await run(`steps:\n  - id: a\n    kind: boom\n    onFailure: continue\n  - id: b\n    kind: write\n    with: { what: after }\n`);
    expect(cont.outcome).toBe('succeeded');
    expect(cont.writes).toEqual(['after']);
    const abort = await run(`steps:\n  - id: a\n    kind: boom\n  - id: b\n    kind: write\n    with: { what: after }\n`);
    expect(abort).toMatchObject({ outcome: 'failed', exitCode: 1, writes: [] });
  });

  it('onFailure: compensate runs the compensation step, then fails', async () => {
    const r = await run(`steps:\n  - id: a\n    kind: boom\n    onFailure: compensate\n    compensate: { kind: write, with: { what: undo } }\n`);
    expect(r.outcome).toBe('failed');
    expect(r.writes).toEqual(['undo']);
  });

  it('a step over its timeoutMs fails the run', async () => {
    const r = await run(`steps:\n  - id: s\n    kind: slow\n    timeoutMs: 100\n`);
    expect(r.outcome).toBe('failed');
    expect(r.message).toContain('step "s" timed out after 100 ms');
  });

  it('when the audit log cannot be written, the run stops before the write it would describe', async () => {
    const { writeSync } = await import('node:fs');
    // Records: run.started, step.started, gate, step.succeeded, step.started, then write.intent — the disk is
    // "full" from that 6th record on, so the write it describes must never be sent.
    let lines = 0;
    const kinds: string[] = [];
    const writes: string[] = [];
    const reg = registry(writes);
    const { dir, file } = await setup(twoSteps);
    const runbook = await loadRunbook(file, reg, { v: '1' });
    const r = await runRunbook({
      runbook,
      clusters,
      registry: reg,
      dryRun: false,
      yes: true,
      runsDir: path.join(dir, 'runs'),
      kafka: fakeKafka,
      lock: false,
      auditIo: {
        write: (fd, buf, off, len) => {
          kinds.push(
            JSON.parse(
              Buffer.from(buf)
                .subarray(off, off + len)
                .toString('utf8'),
            ).kind,
          );
          if (++lines >= 6) throw new Error('ENOSPC: no space left on device');
          return writeSync(fd, buf, off, len);
        },
        fsync: () => {},
        ftruncate: () => {},
      },
    }).catch((error: Error) => error);
    expect(kinds[5]).toBe('write.intent');
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toContain('ENOSPC');
    expect(writes).toEqual([]);
  });

  it('audit verification detects a change of any single byte of any record, the last one included', async () => {
    const r = await run(twoSteps, { sets: { v: '0' } });
    const text = readFileSync(r.auditFile, 'utf8');
    const bytes = Buffer.from(text, 'utf8');
    const lineOf = (i: number) => bytes.subarray(0, i).toString('utf8').split('\n').length;
    let mutations = 0;
    for (let i = 0; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i] = copy[i]! ^ 0x01;
      const v = verifyAuditText(copy.toString('utf8'));
      expect(v.ok, `byte ${i} changed went unnoticed`).toBe(false);
      if (!v.ok) expect([lineOf(i), lineOf(i) + 1]).toContain(v.line);
      mutations++;
    }
    expect(mutations).toBe(bytes.length);
    // Removing a whole record is detected too.
    const lines = text.trim().split('\n');
    expect(verifyAuditText([...lines.slice(0, 2), ...lines.slice(3)].join('\n'))).toMatchObject({ ok: false, line: 3 });
  });

  it('a secret printed by a hook never reaches the audit log, the events or the snapshot', async () => {
    const secret = 'pl4nted-S3cret-value';
    // Hooks never get the password's environment variable (test/unit/adapters/exec-env.test.ts): this one reads the
    // password file, as a hook with access to it could.
    const pwFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'kf-engine-pw-')), 'pw');
    await writeFile(pwFile, secret);
    const withSasl: LoadedClusters = {
      ...clusters,
      config: {
        ...clusters.config,
        clusters: { ...clusters.config.clusters, b: { bootstrapServers: ['h:2'], sasl: { mechanism: 'scram-sha-512', username: 'u', passwordFile: pwFile } } },
      },
    };
    const reg = registry([]).register(execStep);
    const { dir, file } = await setup(
      `steps:\n  - id: leak\n    kind: exec\n    with: { command: [sh, -c, 'echo "password is $(cat ${pwFile})"; cat ${pwFile} >&2; exit 3'] }\n`,
    );
    const runbook = await loadRunbook(file, reg);
    const r = await runRunbook({
      runbook,
      clusters: withSasl,
      registry: reg,
      dryRun: false,
      yes: true,
      runsDir: path.join(dir, 'runs'),
      kafka: fakeKafka,
      lock: false,
    });
    expect(r.outcome).toBe('failed');
    const everything = [
      readFileSync(r.auditFile, 'utf8'),
      readFileSync(path.join(r.runDir, 'snapshot.json'), 'utf8'),
      JSON.stringify(r.events),
      r.message ?? '',
    ].join('\n');
    expect(everything).toContain('password is ***');
    expect(everything.split(secret).length - 1).toBe(0);
  });

  it('writes an audit log of hash-chained JSON lines, mode 0600, and a persisted snapshot', async () => {
    const r = await run(twoSteps, { sets: { v: '0' } });
    const text = readFileSync(r.auditFile, 'utf8');
    const lines = text.trim().split('\n');
    expect(verifyAuditText(text)).toEqual({ ok: true, records: lines.length });
    let prev = '0'.repeat(64);
    lines.forEach((line, i) => {
      const rec = JSON.parse(line);
      expect(rec.seq).toBe(i + 1);
      expect(rec.prev).toBe(prev);
      const { hash, ...rest } = rec;
      expect(
        createHash('sha256')
          .update(line.replace(`,"hash":"${hash}"}`, '}'))
          .digest('hex'),
      ).toBe(hash);
      prev = hash;
      void rest;
    });
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: 'run.started', operator: 'tester', dryRun: false, parameters: { v: 0 } });
    const { statSync } = await import('node:fs');
    expect(statSync(r.auditFile).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(r.runDir, 'snapshot.json'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(r.runDir, 'snapshot.json'), 'utf8'))).toMatchObject({ status: 'done', value: 'succeeded' });
  });
});
