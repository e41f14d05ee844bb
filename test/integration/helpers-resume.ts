/**
 * Killing the CLI at a chosen audit event, deterministically: the test reads the CLI's `--output json` events,
 * stops the process with SIGSTOP on the first one matching a predicate (so it cannot write anything more), reads
 * where it stopped — the last record of its audit log, and the hooks it had running — then SIGKILLs it and waits
 * for those hooks to end (an orphaned hook finishes its work, as it would after a real crash).
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { waitFor } from '../../src/util/wait.js';

/** An audit/output event, loosely typed. */
export type Ev = {
  kind: string;
  seq?: number;
  step?: string;
  runId?: string;
  outcome?: string;
  message?: string;
  write?: { action: string; key?: string; details: Record<string, unknown> };
  outputs?: Record<string, unknown>;
} & Record<string, unknown>;

/** The records of an audit log. */
export const auditEvents = (file: string): Ev[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Ev);

/** Direct children of a process (from /proc), e.g. the hooks a stopped CLI had running. */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

const alive = async (pid: number) => {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
};

/** Where a killed CLI stopped. */
export interface Stopped {
  runId: string;
  /** The event that triggered the stop. */
  trigger: Ev;
  /** The audit log as it was when the process was frozen (then killed). */
  audit: Ev[];
  /** Hooks (child processes) the process had running. */
  hooks: number[];
}

/**
 * Runs the CLI (`args` after `bin/kafka-failover.js`, which must include `--output json`) until an event matches
 * `at`, then freezes it, reads its audit log, runs `whileStopped` (reads of the clusters as the process left them),
 * and kills it. `auditFile(runId)` locates the run's audit log.
 * @throws Error when the process ends before the event.
 */
export async function runUntilKilled(
  args: string[],
  at: (e: Ev) => boolean,
  auditFile: (runId: string) => string,
  whileStopped?: (trigger: Ev) => Promise<void>,
): Promise<Stopped> {
  const child = execa(process.execPath, [path.resolve('bin/kafka-failover.js'), ...args], {
    reject: false,
    buffer: false,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let runId = '';
  let carry = '';
  let trigger: Ev | undefined;
  const hit = new Promise<Ev>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      carry += chunk.toString();
      const lines = carry.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        const e = JSON.parse(line) as Ev;
        if (e.kind === 'run.started' || e.kind === 'run.resumed') runId = e.runId!;
        if (!trigger && at(e)) {
          child.kill('SIGSTOP');
          trigger = e;
          resolve(e);
        }
      }
    });
  });
  const ended = child.then((r) => {
    if (!trigger) throw new Error(`the CLI ended (exit ${r.exitCode}) before the kill point: ${r.stderr}`);
  });
  const e = await Promise.race([hit, ended.then(() => undefined as never)]);
  const hooks = await childrenOf(child.pid!);
  const audit = auditEvents(auditFile(runId));
  try {
    await whileStopped?.(e);
  } finally {
    child.kill('SIGKILL');
  }
  const r = await child;
  if (r.signal !== 'SIGKILL') throw new Error(`the CLI was not killed (${r.signal ?? r.exitCode})`);
  await waitFor(
    "the killed run's hooks to finish",
    async () => {
      for (const pid of hooks) if (await alive(pid)) throw new Error(`hook ${pid} still running`);
    },
    { timeoutMs: 120_000, intervalMs: 200 },
  );
  return { runId, trigger: e, audit, hooks };
}
