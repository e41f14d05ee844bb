/**
 * The one place every subprocess of a run goes through (hooks: kubectl, DNS scripts, MM2 control): execa with an
 * argument array and **no shell** unless a step asks for one explicitly, a timeout, captured output (bounded), and
 * redaction of given secrets from what is returned (and so from the audit log).
 *
 * Hooks get a **minimal environment**, never the tool's own: `PATH`, `HOME`, `LANG`, `TZ` (when set), plus the
 * names the runbook's `env.allow` lists (copied when set) and the values its `env.set` gives — and never a variable
 * the clusters file reads a secret from (`passwordEnv`, `keyPasswordEnv`, `${env:…}`): naming one fails the hook
 * before it starts. Design note: docs/design/hooks-and-secrets.md.
 */
import { execa } from 'execa';

/** What a hook run returns; recorded in the audit log. */
export interface ExecResult {
  argv: string[];
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** Last 4 KiB (4096 characters) of stdout / stderr, redacted before being cut. */
  stdout: string;
  stderr: string;
}

/** Runs processes for steps (a port: tests may replace it). */
export interface ExecPort {
  /** `env`: extra explicit variables for this process only (on top of the hook environment). */
  run(argv: string[], options?: { timeoutMs?: number; shell?: boolean; env?: Record<string, string>; cwd?: string; signal?: AbortSignal }): Promise<ExecResult>;
}

/** Variables every hook gets from the tool's environment when they are set. */
export const BASE_HOOK_ENV = ['PATH', 'HOME', 'LANG', 'TZ'] as const;

/** What a runbook adds to its hooks' environment (the runbook's `env` field). */
export interface HookEnvSpec {
  /** Names copied from the tool's environment when set. */
  allow?: string[];
  /** Explicit values. */
  set?: Record<string, string>;
}

/** A hook environment that would hand a hook a secret variable. The message names variables, never values. */
export class HookEnvError extends Error {}

/**
 * The environment a hook runs with: {@link BASE_HOOK_ENV} and `spec.allow` copied from `from` when set, then
 * `spec.set`; nothing else.
 * @param blocked names of variables the clusters file reads secrets from; never passed.
 * @throws HookEnvError when `spec` names a blocked variable (in `allow` or `set`).
 */
export function hookEnvironment(spec: HookEnvSpec = {}, blocked: readonly string[] = [], from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const named = [...(spec.allow ?? []), ...Object.keys(spec.set ?? {})].filter((n) => blocked.includes(n));
  if (named.length) {
    throw new HookEnvError(
      `the runbook's env names ${[...new Set(named)].join(', ')}, which the clusters file reads a secret from: hooks never get secret variables (remove it from env.allow / env.set; a hook that needs a credential reads its own, e.g. from a file only it can read)`,
    );
  }
  const env: Record<string, string> = {};
  for (const name of [...BASE_HOOK_ENV, ...(spec.allow ?? [])]) {
    const v = from[name];
    if (v !== undefined && !blocked.includes(name)) env[name] = v;
  }
  return { ...env, ...(spec.set ?? {}) };
}

/** Replaces every occurrence of every secret (literal match, longest first) by `***`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return [...secrets]
    .filter(Boolean)
    .sort((a, b) => b.length - a.length)
    .reduce((acc, sec) => acc.split(sec).join('***'), text);
}

/** Last 4096 characters, marked with a leading `…` when cut. */
const tail = (s: string) => (s.length > 4096 ? `…${s.slice(-4096)}` : s);

/** Options of {@link createExecPort}. */
export interface ExecPortOptions {
  /** Secret values replaced by `***` in returned output (read when a hook ends). */
  secrets?: () => string[];
  /** The runbook's additions to the hook environment. */
  env?: HookEnvSpec;
  /** Variables the clusters file reads secrets from: never in a hook's environment. */
  blockedEnv?: readonly string[];
  /** Where allowed variables are copied from (default `process.env`; tests pass their own). */
  from?: NodeJS.ProcessEnv;
}

/**
 * The execa implementation: hooks run with {@link hookEnvironment} only (`extendEnv: false`), and their output is
 * redacted, then cut to its last 4 KiB (so a cut never leaves part of a secret).
 * @throws (from `run`) Error for an empty command; HookEnvError when the environment would carry a secret variable.
 */
export function createExecPort(o: ExecPortOptions = {}): ExecPort {
  const redact = (s: string) => tail(redactSecrets(s, o.secrets?.() ?? []));
  return {
    async run(argv, opts = {}) {
      const [file, ...args] = argv;
      if (!file) throw new Error('empty hook command');
      const blocked = o.blockedEnv ?? [];
      const env = { ...hookEnvironment(o.env, blocked, o.from), ...hookEnvironment({ set: opts.env ?? {} }, blocked, {}) };
      const t0 = Date.now();
      const r = await execa(file, args, {
        reject: false,
        shell: opts.shell ?? false,
        timeout: opts.timeoutMs ?? 60_000,
        env,
        extendEnv: false,
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(opts.signal ? { cancelSignal: opts.signal } : {}),
        stdin: 'ignore',
      });
      const failedToStart = (r as { code?: string }).code === 'ENOENT';
      return {
        argv,
        exitCode: failedToStart ? null : (r.exitCode ?? null),
        timedOut: Boolean(r.timedOut),
        durationMs: Date.now() - t0,
        stdout: redact(String(r.stdout ?? '')),
        stderr: redact(failedToStart ? `command not found: ${file}` : String(r.stderr ?? '')),
      };
    },
  };
}
