/**
 * The hub-and-spoke sandbox (`sandbox up --topology hub-spoke`, docs/design/topologies.md): a hub `hub` and N spokes
 * `spoke1` … `spokeN` (N = 3 by default, 2 allowed), one combined KRaft node each, flows `spokeK->hub` and
 * `hub->spokeK` in one dedicated MirrorMaker 2. One layout of the multi-cluster sandbox (multi-cluster.ts), which
 * does the work; this module keeps the hub-and-spoke entry points.
 */
import path from 'node:path';
import { hubSpokeLayout, multiClusterStatusOf, multiClusterUp, type MultiClusterStatus, type MultiClusterUpInput } from './multi-cluster.js';
import { loadState } from './state.js';

export { HUB, type HubSpokeOptions, hubSpokeLayout, spokeAliases } from './multi-cluster.js';

/** What `sandbox up --topology hub-spoke` and `sandbox status` report for a hub-and-spoke sandbox. */
export type HubSpokeStatus = MultiClusterStatus;

/** Status of a hub-and-spoke sandbox (process table and /proc only). */
export const hubSpokeStatusOf = multiClusterStatusOf;

/** Input of {@link hubSpokeUp}. */
export interface HubSpokeUpInput extends MultiClusterUpInput {
  /** Spokes: 3 (default, or what the sandbox in `stateDir` was created with) or 2. */
  spokes?: 2 | 3;
}

/**
 * Brings the hub-and-spoke sandbox up (or back up): {@link multiClusterUp} with the hub-and-spoke layout.
 * @throws InvalidInputError (another kind of sandbox in that folder, a change of spokes, port base or Kafka
 *   version, ports in use), PrerequisiteError (Java, Maven), WaitTimeoutError (a cluster or MM2 did not become ready).
 */
export async function hubSpokeUp(input: HubSpokeUpInput, progress: (line: string) => void = () => {}): Promise<HubSpokeStatus> {
  const prev = await loadState(path.resolve(input.stateDir));
  const spokes = input.spokes ?? prev?.hubSpoke?.spokes ?? 3;
  return multiClusterUp(hubSpokeLayout(spokes), input, progress);
}
