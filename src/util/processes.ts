/**
 * Knowing for sure that a PID is still the process we mean, and stopping it: a PID is recorded with the process's
 * start time as the OS reports it, and a process is that one only while both match (a reused PID is someone else).
 * Processes are never found or killed by name. Used by the run lock (is the holder alive?), the sandbox (its JVMs)
 * and the traffic generator; nothing here starts processes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execaSync } from 'execa';
import { waitFor } from './wait.js';

/** What is recorded about a process so it can be recognised (and stopped) later. */
export interface ProcessRecord {
  pid: number;
  /** Start time as the OS reports it (`/proc/<pid>/stat` field 22, clock ticks since boot; else `ps -o lstart`). */
  startTime: string;
  /** The command line, for `status` and debugging (empty for a process that recorded itself). */
  argv: string[];
  /** Where its stdout and stderr go ('' when not redirected). */
  logFile: string;
  /** ISO time at which it was started (or recorded itself). */
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

/** True when the recorded process still runs and is the one recorded (same PID and start time). */
export function isAlive(rec: ProcessRecord | undefined): boolean {
  return rec !== undefined && processStartTime(rec.pid) === rec.startTime;
}

/**
 * Stops a recorded process. `graceful` sends SIGTERM and waits up to `timeoutMs` (ms), then SIGKILL; `kill` sends
 * SIGKILL at once (a crash, for fault tests). Does nothing when the process is gone or the PID was reused.
 * @returns true when a signal was sent.
 * @throws WaitTimeoutError when the process outlives SIGKILL by 10 s.
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
