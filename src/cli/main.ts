/**
 * The `kafka-failover` CLI: parses arguments (commander), calls the library, renders results, and maps errors to
 * the documented exit codes in one place. No logic of its own beyond that.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, KafkaFailoverError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerCheckCommands } from './check-commands.js';
import { registerDrillCommands } from './drill-commands.js';
import { registerOffsetsCommands } from './offsets-commands.js';
import { registerRunCommands } from './run-commands.js';
import { registerSandboxCommands } from './sandbox-commands.js';

/** Builds the command tree (exported for tests). `setExit` receives a command's own exit code (e.g. a run's). */
export function buildProgram(setExit: (code: number) => void = () => {}): Command {
  const program = new Command('kafka-failover')
    .description('Failover orchestration runbooks for Apache Kafka disaster recovery with MirrorMaker 2')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSandboxCommands(program);
  registerOffsetsCommands(program, setExit);
  registerRunCommands(program, setExit);
  registerAuditCommands(program, setExit);
  registerCheckCommands(program, setExit);
  registerDrillCommands(program, setExit);
  return program;
}

/**
 * Runs the CLI and returns the exit code. Errors are printed as message + "fix:" hint on stderr, never as a stack
 * trace (set KAFKA_FAILOVER_DEBUG=1 to see one).
 */
export async function main(argv: string[]): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    return reportError(error);
  }
}

/** Prints an error for a human and returns its exit code. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (or the help / version text).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.Ok;
    return ExitCode.InvalidInput;
  }
  if (error instanceof KafkaFailoverError) {
    process.stderr.write(`error: ${error.message}\n${error.hint ? `  fix: ${error.hint}\n` : ''}`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.KAFKA_FAILOVER_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return ExitCode.Failed;
}
