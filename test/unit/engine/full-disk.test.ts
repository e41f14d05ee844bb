/**
 * A nearly full disk under the run directory (issue 11, item 1), simulated at the `node:fs` layer the engine uses:
 * `writeSync` writes at most what is left of a byte budget (a short write, as write(2) does on a full tmpfs) and then
 * fails with ENOSPC; `writeFileSync` fails with ENOSPC once the budget is gone. The run must stop before any further
 * cluster write with one error naming the file and the free space, the audit log must be cut back to its last whole
 * record (chain intact, run open), no `.tmp` may be left, and `resume` must finish the run once space is freed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

/**
 * The simulated disk: bytes left for write(2) (the audit log; Infinity = no limit), the largest single write(2), and
 * which whole-file writes (run.json, snapshot.json, via writeFileSync) fail with ENOSPC.
 */
const disk: { free: number; maxPerWrite: number; failFile?: RegExp } = { free: Infinity, maxPerWrite: Infinity };

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  // Both signatures the engine may use: (fd, string) and (fd, buffer, offset, length).
  const writeSync = (fd: number, data: string | Uint8Array, offset?: number, length?: number): number => {
    const bytes =
      typeof data === 'string'
        ? Buffer.from(data, 'utf8')
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength).subarray(offset ?? 0, (offset ?? 0) + (length ?? data.byteLength - (offset ?? 0)));
    if (disk.free <= 0) throw enospc();
    const n = Math.min(bytes.length, disk.free, disk.maxPerWrite);
    disk.free -= n;
    return fs.writeSync(fd, bytes, 0, n);
  };
  const writeFileSync = (file: import('node:fs').PathOrFileDescriptor, data: string, options?: import('node:fs').WriteFileOptions) => {
    if (disk.failFile?.test(String(file))) {
      fs.writeFileSync(file, '', options); // the file is created, then the write fails (as on a full disk)
      throw enospc();
    }
    return fs.writeFileSync(file, data, options);
  };
  return { ...fs, default: { ...fs, writeSync, writeFileSync }, writeSync, writeFileSync };
});

const { verifyAuditText } = await import('../../../src/engine/audit.js');
const { loadRunForResume, runRunbook } = await import('../../../src/engine/executor.js');
const { loadRunbook } = await import('../../../src/engine/load-runbook.js');
const { StepRegistry } = await import('../../../src/engine/registry.js');
const { defineStep } = await import('../../../src/engine/step.js');
const { clusters, fakeKafka } = await import('./fixtures.js');

function registry(writes: string[]) {
  return new StepRegistry()
    .register(
      defineStep({
        kind: 'note',
        description: 'records a note',
        writes: false,
        input: z.strictObject({ text: z.string() }),
        async check(ctx, i) {
          ctx.note(i.text);
          return { outputs: { text: i.text } };
        },
      }),
    )
    .register(
      defineStep({
        kind: 'write',
        description: 'writes to cluster b',
        writes: true,
        input: z.strictObject({ what: z.string() }),
        async check() {
          return {};
        },
        async apply(ctx, i) {
          await ctx.write({ action: 'write', cluster: 'b', details: { what: i.what }, key: `w:${i.what}` }, async () => writes.push(i.what));
          return {};
        },
      }),
    );
}

const steps = ['a', 'b', 'c', 'd', 'e'].flatMap((x) => [
  `  - { id: n${x}, kind: note, with: { text: "${'x'.repeat(300)}" } }`,
  `  - { id: w${x}, kind: write, with: { what: ${x} } }`,
]);

async function setup() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-disk-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, `apiVersion: kafka-failover/v1\nname: t\nflow: a->b\nsteps:\n${steps.join('\n')}\n`);
  const writes: string[] = [];
  const reg = registry(writes);
  const runbook = await loadRunbook(file, reg);
  const runsDir = path.join(dir, 'runs');
  return {
    writes,
    reg,
    runbook,
    runsDir,
    go: () => runRunbook({ runbook, clusters, registry: reg, dryRun: false, yes: true, runsDir, kafka: fakeKafka, lock: false, runId: 'disk-test' }),
  };
}

const tmpFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));
const lastKind = (text: string) => (JSON.parse(text.trim().split('\n').at(-1)!) as { kind: string }).kind;

afterEach(() => {
  disk.free = Infinity;
  disk.maxPerWrite = Infinity;
  delete disk.failFile;
});

describe('a full disk under the run directory', () => {
  it('short writes are completed: every record is whole when write(2) writes at most 64 bytes at a time', async () => {
    disk.maxPerWrite = 64;
    const s = await setup();
    const r = await s.go();
    expect(r.outcome).toBe('succeeded');
    const text = readFileSync(r.auditFile, 'utf8');
    expect(verifyAuditText(text)).toMatchObject({ ok: true });
    expect(lastKind(text)).toBe('run.finished');
  });

  it('the audit log filling the disk mid-record: the run throws one line naming audit.jsonl and the free bytes, cut back to the last whole record, no further write; resume finishes once space is freed', async () => {
    const s = await setup();
    disk.free = 5000; // the audit log runs out part-way through a record
    const error = await s.go().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'AuditWriteError', exitCode: 1 });
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      /^Cannot write \/.*\/runs\/disk-test\/audit\.jsonl: ENOSPC: no space left on device, write \(\d+ bytes free on its filesystem\); the run stopped before any further write to a cluster\.$/,
    );
    const runDir = path.join(s.runsDir, 'disk-test');
    const text = readFileSync(path.join(runDir, 'audit.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const v = verifyAuditText(text);
    expect(v).toMatchObject({ ok: true });
    expect(text).not.toContain('"kind":"run.finished"');
    // Every write that was sent has its write.done: nothing was sent after the failure.
    const dones = text.split('\n').filter((l) => l.includes('"kind":"write.done"')).length;
    expect(s.writes.length).toBe(dones);
    expect(s.writes.length).toBeLessThan(5);
    expect(tmpFiles(runDir)).toEqual([]);
    expect(disk.free).toBe(0); // the last record was written in part before ENOSPC, then cut back

    disk.free = Infinity; // space freed
    const { record, resume } = loadRunForResume(s.runsDir, 'disk-test');
    const again = await runRunbook({
      runbook: s.runbook,
      clusters,
      registry: s.reg,
      dryRun: record.dryRun,
      yes: true,
      runsDir: s.runsDir,
      kafka: fakeKafka,
      lock: false,
      resume,
    });
    expect(again.outcome).toBe('succeeded');
    expect(s.writes).toEqual(['a', 'b', 'c', 'd', 'e']); // each write sent once
    const after = readFileSync(path.join(runDir, 'audit.jsonl'), 'utf8');
    expect(verifyAuditText(after)).toMatchObject({ ok: true });
    expect(lastKind(after)).toBe('run.finished');
  });

  it('the snapshot failing to write does not escape the xstate subscriber: the run throws one line naming snapshot.json, no .tmp is left, no further write; resume finishes', async () => {
    const s = await setup();
    disk.failFile = /snapshot\.json/;
    const error = await s.go().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'RunFileWriteError', exitCode: 1 });
    expect((error as Error).message).toMatch(
      /^Cannot write \/.*\/runs\/disk-test\/snapshot\.json: ENOSPC[^\n]*\(\d+ bytes free on its filesystem\); the run stopped before any further write to a cluster\.$/,
    );
    const runDir = path.join(s.runsDir, 'disk-test');
    expect(tmpFiles(runDir)).toEqual([]);
    expect(existsSync(path.join(runDir, 'snapshot.json'))).toBe(false);
    const text = readFileSync(path.join(runDir, 'audit.jsonl'), 'utf8');
    expect(verifyAuditText(text)).toMatchObject({ ok: true });
    expect(text).not.toContain('"kind":"run.finished"');
    expect(s.writes).toEqual([]); // the first snapshot (after step na) failed: wa never wrote
    delete disk.failFile;
    const { resume } = loadRunForResume(s.runsDir, 'disk-test');
    const again = await runRunbook({
      runbook: s.runbook,
      clusters,
      registry: s.reg,
      dryRun: false,
      yes: true,
      runsDir: s.runsDir,
      kafka: fakeKafka,
      lock: false,
      resume,
    });
    expect(again.outcome).toBe('succeeded');
    expect(s.writes).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('run.json failing to write: the run throws naming run.json before any record or write, and leaves no run.json.tmp', async () => {
    const s = await setup();
    disk.failFile = /run\.json/;
    const error = await s.go().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'RunFileWriteError', exitCode: 1 });
    expect((error as Error).message).toMatch(/^Cannot write \/.*\/runs\/disk-test\/run\.json: ENOSPC/);
    const runDir = path.join(s.runsDir, 'disk-test');
    expect(tmpFiles(runDir)).toEqual([]);
    expect(readFileSync(path.join(runDir, 'audit.jsonl'), 'utf8')).toBe('');
    expect(s.writes).toEqual([]);
  });
});
