/**
 * A run's directory, `<runs dir>/<run id>/`: run.json (what `resume` trusts: dry-run or real, --yes, overrides; hashed
 * into `run.started`), snapshot.json (the machine after every transition), audit.jsonl (src/engine/audit.ts), and
 * reading them back to resume an interrupted run.
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { RunFileWriteError, verifyAuditText } from './audit.js';
import type { WriteDescription } from './events.js';

/**
 * Run ids: what `runRunbook` generates (`20261203T151832-1a2b3c`) or any 1–64 letters, digits, `_` and `-`
 * starting with a letter or digit. No dots or slashes: a run id is a directory name, never a path.
 */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** @throws InvalidInputError when `runId` does not match {@link RUN_ID_PATTERN}. */
export function assertRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new InvalidInputError(`"${runId}" is not a run id (1–64 letters, digits, "_" or "-", e.g. 20261203T151832-1a2b3c).`, {
      hint: 'Give the run id printed at the start of the run (its directory name under --runs-dir), not a path.',
    });
  }
}

/** A new run id: UTC time `nowMs` (ms since the epoch) to the second, and 6 random hex digits. */
export function newRunId(nowMs: number): string {
  return `${new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 6)}`;
}

/**
 * The identity of a write for `resume`: the step's own checkpoint key when it gave one (`reset:<cluster>:<group>`),
 * else the step id, action and details (a hook's argv) — so no write whose `write.done` is in the audit log is sent
 * again, keyed or not (README, "Crash safety"). Details go through JSON, so the key read back from the audit log
 * equals the one computed in the resumed process.
 */
export function writeKey(stepId: string, w: WriteDescription): string {
  return w.key ?? JSON.stringify([stepId, w.action, w.details ?? null]);
}

/** What `resume` needs from an interrupted run's directory. */
export interface ResumeState {
  runId: string;
  /** The machine's persisted snapshot (absent when the process died before the first one). */
  snapshot?: unknown;
  /** Audit chain position to continue from. */
  chain: { prev: string; seq: number };
  /** {@link writeKey}s of writes whose `write.done` is in the audit log (hooks that exited non-zero left out). */
  doneKeys: Set<string>;
  /** State the run was in. */
  fromState: string;
}

/** What run.json records about a run, so it can be resumed. */
export interface RunRecord {
  runId: string;
  runbookFile: string;
  runbookSha256: string;
  sets: Record<string, string>;
  clustersFile: string;
  dryRun: boolean;
  yes: boolean;
  overrides: Record<string, string>;
  createdAt: string;
}

/**
 * Writes a run-directory file atomically: `<file>.tmp` (0600, fsynced), then rename. On failure the `.tmp` is
 * removed and the old file (if any) is left as it was.
 * @throws RunFileWriteError naming `file` and the free space.
 */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new RunFileWriteError(file, error);
  }
}

/**
 * Writes `<runDir>/run.json` atomically.
 * @returns the sha256 (hex) of the bytes written, which `run.started` records.
 * @throws RunFileWriteError when it cannot be written.
 */
export function writeRunRecord(runDir: string, record: RunRecord): string {
  const text = JSON.stringify(record, null, 2);
  writeFileAtomic(path.join(runDir, 'run.json'), text);
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Reads an interrupted run's directory: run.json, the persisted snapshot, the audit chain position and the checkpoint
 * keys of completed writes.
 * @throws InvalidInputError when the run does not exist, already finished, or its audit log is broken.
 */
export function loadRunForResume(runsDir: string, runId: string): { record: RunRecord; resume: ResumeState } {
  assertRunId(runId);
  const dir = path.resolve(runsDir, runId);
  const read = (f: string) => {
    try {
      return readFileSync(path.join(dir, f), 'utf8');
    } catch {
      throw new InvalidInputError(`Run ${runId} has no ${f} in ${dir}.`, { hint: 'Give the run id printed at the start of the run, and the same --runs-dir.' });
    }
  };
  const runJson = read('run.json');
  const auditText = read('audit.jsonl');
  const check = verifyAuditText(auditText);
  if (!check.ok)
    throw new InvalidInputError(`The audit log of run ${runId} is broken at record ${check.line}: ${check.reason}.`, {
      hint: 'A run with a broken audit log cannot be resumed; start a new run.',
    });
  const lines = auditText
    .split('\n')
    .filter((l) => l !== '')
    .map(
      (l) =>
        JSON.parse(l) as {
          kind: string;
          hash: string;
          seq: number;
          outcome?: string;
          step?: string;
          write?: WriteDescription;
          result?: { exitCode?: unknown };
          runJsonSha256?: string;
        },
    );
  const started = lines[0];
  if (started?.kind !== 'run.started')
    throw new InvalidInputError(`The audit log of run ${runId} has no run.started record: nothing to resume.`, { hint: 'Start a new run.' });
  // run.json decides what a resume does (dry-run or real, --yes, overrides): it must be the file the run started with.
  const runJsonSha256 = createHash('sha256').update(runJson).digest('hex');
  if (started.runJsonSha256 !== runJsonSha256) {
    throw new InvalidInputError(
      `run.json of run ${runId} ${started.runJsonSha256 ? `changed since the run started (sha256 ${runJsonSha256.slice(0, 12)}… ≠ ${started.runJsonSha256.slice(0, 12)}… in run.started)` : 'is not hashed in its run.started record (started by an older version)'}; refusing to resume from it.`,
      { hint: 'Restore run.json as the run wrote it, or start a new run.' },
    );
  }
  let record: RunRecord;
  try {
    record = JSON.parse(runJson) as RunRecord;
  } catch {
    throw new InvalidInputError(`run.json of run ${runId} is not valid JSON.`, { hint: 'Start a new run.' });
  }
  if (lines.some((l) => l.kind === 'run.finished'))
    throw new InvalidInputError(`Run ${runId} already finished (${lines.find((l) => l.kind === 'run.finished')?.outcome}).`, {
      hint: 'Only an interrupted run can be resumed.',
    });
  // A process killed before the machine's first snapshot resumes from the first step.
  let snapshot: { value?: unknown } | undefined;
  try {
    snapshot = JSON.parse(readFileSync(path.join(dir, 'snapshot.json'), 'utf8')) as { value?: unknown };
  } catch {
    snapshot = undefined;
  }
  const last = lines[lines.length - 1]!;
  return {
    record,
    resume: {
      runId,
      ...(snapshot ? { snapshot } : {}),
      chain: { prev: last.hash, seq: last.seq },
      // A hook has a write.done whatever its end (its result says how it ended): only one that exited 0 is done. One
      // that exited non-zero, timed out or was killed by the pause or the crash (exit code null) runs again.
      doneKeys: new Set(
        lines
          .filter(
            (l) =>
              l.kind === 'write.done' && l.step && l.write && !(l.result && typeof l.result === 'object' && 'exitCode' in l.result && l.result.exitCode !== 0),
          )
          .map((l) => writeKey(l.step!, l.write!)),
      ),
      fromState: snapshot ? JSON.stringify(snapshot.value) : 'the start (no snapshot yet)',
    },
  };
}
