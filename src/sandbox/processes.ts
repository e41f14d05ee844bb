/**
 * Starting and stopping the sandbox's JVM processes, and knowing for sure that a PID is still the process we
 * started: a PID is recorded with the process's start time, and a process is ours only while both match.
 * Processes are never found or killed by name.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { execaSync } from 'execa';
import { waitFor } from '../util/wait.js';

/** What the state file keeps about a started process. */
export interface ProcessRecord {
  pid: number;
  /** Start time as the OS reports it (`/proc/<pid>/stat` field 22, clock ticks since boot; else `ps -o lstart`). */
  startTime: string;
  /** The command line, for `status` and debugging. */
  argv: string[];
  /** Where its stdout and stderr go. */
  logFile: string;
  /** ISO time at which we started it. */
  startedAt: string;
}

/**
 * The OS start time of a live process, or undefined when no such process runs (or it is a zombie).
 * Linux reads `/proc/<pid>/stat`; other systems ask `ps -o lstart=`.
 */
export function processStartTime(pid: number): string | undefined {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    let text: string;
    try {
      text = readFileSync(stat, 'utf8');
    } catch {
      return undefined;
    }
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return rest[19];
  }
  const r = execaSync('ps', ['-o', 'lstart=', '-p', String(pid)], { reject: false });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** True when the recorded process still runs and is the one we started (same PID and start time). */
export function isAlive(rec: ProcessRecord | undefined): boolean {
  return rec !== undefined && processStartTime(rec.pid) === rec.startTime;
}

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

/**
 * Stops a process we started. `graceful` sends SIGTERM and waits up to `timeoutMs`, then SIGKILL; `kill` sends
 * SIGKILL at once (a crash, for fault tests). Does nothing when the process is gone or the PID was reused.
 * @returns true when a signal was sent.
 */
export async function stopProcess(rec: ProcessRecord | undefined, mode: 'graceful' | 'kill', timeoutMs = 30_000): Promise<boolean> {
  if (!rec || !isAlive(rec)) return false;
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(rec.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const gone = async () => {
    if (isAlive(rec)) throw new Error(`pid ${rec.pid} still running`);
  };
  send(mode === 'kill' ? 'SIGKILL' : 'SIGTERM');
  try {
    await waitFor(`pid ${rec.pid} to exit`, gone, { timeoutMs, intervalMs: 100 });
  } catch {
    send('SIGKILL');
    await waitFor(`pid ${rec.pid} to exit after SIGKILL`, gone, { timeoutMs: 10_000, intervalMs: 100 });
  }
  return true;
}
