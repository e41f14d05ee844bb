/**
 * The sandbox's state file (`<stateDir>/sandbox.json`, mode 0600): options, jar folder, cluster ids and the PID +
 * start time of every process it started. Written after every process start or stop, so a crash mid-`up` leaves a
 * state that the next `up` recovers from and `down` can clean up.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProcessRecord } from './processes.js';
import type { AggregateOptions, HubSpokeOptions } from './multi-cluster.js';
import type { StretchOptions } from './stretch.js';
import type { ClusterAlias, SandboxOptions } from './topology.js';

/** Contents of `sandbox.json`. */
export interface SandboxState {
  formatVersion: 1;
  options: SandboxOptions;
  /** Folder holding the Kafka jars (brokers and Kafka's own tools). */
  libs: string;
  /**
   * Folder holding the MirrorMaker 2 jars, when MM2 runs another version than the brokers (versions.ts
   * `mm2VersionFor`); absent: MM2 runs from {@link libs}.
   */
  mm2Libs?: string;
  /** The MirrorMaker 2 version (absent in state files written before MM2 could differ: the Kafka version). */
  mm2Version?: string;
  /** KRaft cluster id of each cluster (base64url, 22 chars). */
  clusterIds: Record<ClusterAlias, string>;
  /** Component name (`primary-1`, `dr-1`, `mm2`) → the process we started. */
  processes: Record<string, ProcessRecord>;
  /** Set for a stretch sandbox (`sandbox up --topology stretch`, stretch.ts): one cluster over sites a, b (and c). */
  stretch?: StretchOptions;
  /** Set for a hub-and-spoke sandbox (`sandbox up --topology hub-spoke`, hub-spoke.ts): a hub, N spokes, one MM2. */
  hubSpoke?: HubSpokeOptions;
  /** Set for an aggregate sandbox (`sandbox up --topology aggregate`, multi-cluster.ts): r1, r2 → agg1, agg2, one MM2. */
  aggregate?: AggregateOptions;
}

/** Path of the state file in a state folder. */
export function stateFile(stateDir: string): string {
  return path.join(stateDir, 'sandbox.json');
}

/** Reads the state, or undefined when none was written yet. */
export async function loadState(stateDir: string): Promise<SandboxState | undefined> {
  const file = stateFile(stateDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as SandboxState;
}

/** Writes the state atomically (temp file + rename), mode 0600. */
export async function saveState(state: SandboxState): Promise<void> {
  const dir = state.options.stateDir;
  await mkdir(dir, { recursive: true });
  const tmp = `${stateFile(dir)}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, stateFile(dir));
}
