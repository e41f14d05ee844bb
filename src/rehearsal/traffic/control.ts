/**
 * Commanding a running `sandbox traffic` process from another process (runbook hooks): the command is written to
 * `<stateDir>/traffic-command.json`, the traffic process polls it (every 200 ms), acts, and answers in
 * `<stateDir>/traffic-ack.json`. The traffic process records itself (PID + start time) in `traffic.json`, so a
 * command to a process that is gone fails at once instead of waiting.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KafkaFailoverError } from '../../errors.js';
import { isAlive, processStartTime, type ProcessRecord } from '../../util/processes.js';
import { waitFor } from '../../util/wait.js';
import type { Traffic } from './generator.js';

/**
 * What a traffic process can be told. `mark-fault`: a fault happened now (e.g. a site was lost); from then on its
 * ledger keeps, per topic, the first acknowledged write sent after it (TrafficLedger.markFault).
 */
export type TrafficAction = 'freeze' | 'stop-consumers' | 'redirect' | 'produce-on-dr' | 'failback' | 'report' | 'mark-fault';
export const TRAFFIC_ACTIONS: TrafficAction[] = ['freeze', 'stop-consumers', 'redirect', 'produce-on-dr', 'failback', 'report', 'mark-fault'];

const files = (stateDir: string) => ({
  self: path.join(stateDir, 'traffic.json'),
  command: path.join(stateDir, 'traffic-command.json'),
  ack: path.join(stateDir, 'traffic-ack.json'),
});

const writeAtomic = (file: string, value: unknown) => {
  writeFileSync(`${file}.tmp`, JSON.stringify(value), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
};
const readJson = <T>(file: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
};

/** Serves commands in the traffic process. Returns a stop function. */
export function serveTrafficControl(stateDir: string, handle: (action: TrafficAction) => Promise<unknown>): () => void {
  const f = files(stateDir);
  const rec: ProcessRecord = {
    pid: process.pid,
    startTime: processStartTime(process.pid) ?? '',
    argv: process.argv,
    logFile: '',
    startedAt: new Date().toISOString(),
  };
  writeAtomic(f.self, rec);
  let last = readJson<{ id: string }>(f.command)?.id;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    const cmd = readJson<{ id: string; action: TrafficAction }>(f.command);
    if (!cmd || cmd.id === last) return;
    last = cmd.id;
    busy = true;
    handle(cmd.action)
      .then((result) => writeAtomic(f.ack, { id: cmd.id, ok: true, result }))
      .catch((e: Error) => writeAtomic(f.ack, { id: cmd.id, ok: false, error: e.message }))
      .finally(() => (busy = false));
  }, 200);
  return () => clearInterval(timer);
}

/**
 * Sends a command to the traffic process of a sandbox and waits for its answer.
 * @throws KafkaFailoverError when no traffic process runs, it answers with an error, or it does not answer in time.
 */
export async function sendTrafficCommand(stateDir: string, action: TrafficAction, timeoutMs = 60_000): Promise<unknown> {
  const f = files(stateDir);
  const rec = existsSync(f.self) ? readJson<ProcessRecord>(f.self) : undefined;
  if (!rec || !isAlive(rec))
    throw new KafkaFailoverError(`No traffic process runs for ${stateDir}.`, { hint: 'Start one with "kafka-failover sandbox traffic".' });
  const id = randomUUID();
  writeAtomic(f.command, { id, action });
  const ack = await waitFor(
    `the traffic process to ${action}`,
    async () => {
      const a = readJson<{ id: string; ok: boolean; error?: string; result?: unknown }>(f.ack);
      if (a?.id !== id) throw new Error('no answer yet');
      return a;
    },
    { timeoutMs, intervalMs: 100 },
  );
  if (!ack.ok) throw new KafkaFailoverError(`The traffic process could not ${action}: ${ack.error}`);
  return ack.result;
}

/**
 * A traffic set whose moved workload `traffic-ctl` commands (active-active, hub-and-spoke, aggregate): `home` holds
 * the consumer groups and the ledger every producer of the set shares.
 */
export interface MovableTraffic {
  readonly home: Traffic;
  /** Acts on a traffic-ctl command. @throws KafkaFailoverError for an action the set does not support. */
  handle(action: TrafficAction): Promise<void>;
  /** Stops every producer and group. */
  stop(): Promise<void>;
}
