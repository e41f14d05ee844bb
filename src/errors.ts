/**
 * Typed errors and the process exit codes they map to.
 *
 * Every error a user can cause or meet carries a message that says what failed and a `hint` that says how to fix
 * it. The CLI's single error handler (src/cli/run-cli.ts) prints both and exits with {@link ExitCode}.
 */

/** Documented exit codes of the `kafka-failover` CLI (README, "Exit codes"). */
export const ExitCode = {
  /** Everything succeeded. */
  Ok: 0,
  /** An operation or a runbook step failed (including a missing prerequisite such as Java or Maven). */
  Failed: 1,
  /** Invalid input: bad flags, a malformed file, a port already taken. Nothing was written to any cluster. */
  InvalidInput: 2,
  /** A gate blocked the run. */
  GateBlocked: 3,
  /** The operator aborted. */
  Aborted: 4,
  /** Another run holds the lock for this cluster pair. */
  LockHeld: 5,
  /**
   * The run paused at a safe point (Ctrl-C, or a prompt left unanswered past --prompt-timeout): state saved, lock
   * released, every write so far recorded; `kafka-failover resume <run-id>` continues it.
   */
  Paused: 6,
  /** `audit verify` only: the hash chain is intact but the run has no `run.finished` (OPEN: crashed, paused, or cut). */
  AuditOpen: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class of every error the tool raises on purpose. */
export class KafkaFailoverError extends Error {
  /** The exit code the CLI uses for this error. */
  readonly exitCode: ExitCode;
  /** How to fix the problem, in one or two sentences; printed under the message. */
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.Failed;
    this.hint = options.hint;
  }
}

/** Input the user gave is wrong (flags, files, values). Exit code 2. */
export class InvalidInputError extends KafkaFailoverError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.InvalidInput });
  }
}

/** A prerequisite of this machine is missing or broken (Java, Maven, network to Maven Central). Exit code 1. */
export class PrerequisiteError extends KafkaFailoverError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.Failed });
  }
}

/** One problem found while validating a file: where it is and how to fix it. */
export interface ValidationProblem {
  /** Path of the file, as the user named it. */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** Dotted path of the field, e.g. `clusters.dr.bootstrapServers[0]`. */
  field: string;
  /** What is wrong. */
  message: string;
  /** How to fix it. */
  hint?: string;
}

/** Formats a problem as `file:line:column field: message (hint)`. */
export function formatProblem(p: ValidationProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  const hint = p.hint ? `\n    fix: ${p.hint}` : '';
  return `${where} ${p.field}: ${p.message}${hint}`;
}

/** A file failed validation; carries every problem found, not only the first. Exit code 2. */
export class ValidationError extends InvalidInputError {
  readonly problems: readonly ValidationProblem[];
  constructor(problems: readonly ValidationProblem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} found:\n` + problems.map((p) => `  ${formatProblem(p)}`).join('\n'));
    this.problems = problems;
  }
}
