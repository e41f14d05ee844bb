/**
 * The one place every subprocess of a run goes through (hooks: kubectl, DNS scripts, MM2 control): execa with an
 * argument array and **no shell** unless a step asks for one explicitly, a timeout, captured output (bounded), and
 * redaction of given secrets from what is returned (and so from the audit log).
 */
import { execa } from 'execa';

/** What a hook run returns; recorded in the audit log. */
export interface ExecResult {
  argv: string[];
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Last 4 KiB of stdout / stderr. */
  stdout: string;
  stderr: string;
}

/** Runs processes for steps (a port: tests may replace it). */
export interface ExecPort {
  run(argv: string[], options?: { timeoutMs?: number; shell?: boolean; env?: Record<string, string>; cwd?: string; signal?: AbortSignal }): Promise<ExecResult>;
}

const tail = (s: string) => (s.length > 4096 ? `…${s.slice(-4096)}` : s);

/** The execa implementation. `secrets` are replaced by `***` in returned output. */
export function createExecPort(secrets: () => string[] = () => []): ExecPort {
  const redact = (s: string) => secrets().filter(Boolean).reduce((acc, sec) => acc.split(sec).join('***'), s);
  return {
    async run(argv, o = {}) {
      const [file, ...args] = argv;
      if (!file) throw new Error('empty hook command');
      const t0 = Date.now();
      const r = await execa(file, args, {
        reject: false,
        shell: o.shell ?? false,
        timeout: o.timeoutMs ?? 60_000,
        ...(o.env ? { env: o.env } : {}),
        ...(o.cwd ? { cwd: o.cwd } : {}),
        ...(o.signal ? { cancelSignal: o.signal } : {}),
        stdin: 'ignore',
      });
      const failedToStart = (r as { code?: string }).code === 'ENOENT';
      return {
        argv,
        exitCode: failedToStart ? null : (r.exitCode ?? null),
        timedOut: Boolean(r.timedOut),
        durationMs: Date.now() - t0,
        stdout: redact(tail(String(r.stdout ?? ''))),
        stderr: redact(tail(failedToStart ? `command not found: ${file}` : String(r.stderr ?? ''))),
      };
    },
  };
}
