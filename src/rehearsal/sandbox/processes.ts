/**
 * Starting the sandbox's JVM processes detached from the CLI. Recognising and stopping them (PID + start time, never
 * by name) is generic and lives in src/util/processes.ts; it is re-exported here for the sandbox's modules.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { processStartTime, type ProcessRecord } from '../../util/processes.js';

export { isAlive, processStartTime, stopProcess, type ProcessRecord } from '../../util/processes.js';

/**
 * Starts a long-running process detached from this one (it outlives the CLI), output appended to `logFile`.
 * @throws Error when the OS cannot start it.
 */
export function spawnDaemon(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ProcessRecord {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    const startTime = processStartTime(child.pid);
    if (startTime === undefined) throw new Error(`${command} exited at once; see ${logFile}`);
    return { pid: child.pid, startTime, argv: [command, ...args], logFile, startedAt: new Date().toISOString() };
  } finally {
    closeSync(fd);
  }
}
