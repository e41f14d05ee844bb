/**
 * Where a sandbox comes from: the JVM provider (Maven Central jars, this machine's default) or testcontainers
 * when a Docker engine answers. {@link chooseProvider} asks testcontainers' `getContainerRuntimeClient()`, which
 * rejects within milliseconds when no engine is reachable.
 */
import { sandboxDown, sandboxUp, stopComponents, startComponents, type ProgressSink } from './sandbox.js';
import type { SandboxOptions } from './topology.js';

/** What tests and the demo need from a running sandbox. */
export interface SandboxHandle {
  provider: 'jvm' | 'testcontainers';
  /** `host:port` lists by cluster alias. */
  clusters: { primary: { bootstrapServers: string[]; clusterId?: string }; dr: { bootstrapServers: string[]; clusterId?: string } };
  /** Path of a clusters file describing the sandbox. */
  clustersFile: string;
  /** Options it runs with (JVM provider) — stateDir among them. */
  options: SandboxOptions;
}

/** A source of sandboxes. Fault controls are JVM-only (containers would use `docker kill`). */
export interface SandboxProvider {
  readonly name: 'jvm' | 'testcontainers';
  up(options: Partial<SandboxOptions>, progress?: ProgressSink): Promise<SandboxHandle>;
  down(handle: SandboxHandle, options?: { wipe?: boolean }): Promise<void>;
  stop?(handle: SandboxHandle, target: string, mode: 'graceful' | 'kill'): Promise<string[]>;
  start?(handle: SandboxHandle, target: string): Promise<string[]>;
}

/** The JVM provider: the sandbox of src/rehearsal/sandbox/sandbox.ts. */
export const jvmProvider: SandboxProvider = {
  name: 'jvm',
  async up(options, progress) {
    const s = await sandboxUp(options, progress);
    return { provider: 'jvm', clusters: s.clusters, clustersFile: s.clustersFile, options: s.options };
  },
  async down(handle, options) {
    await sandboxDown({ stateDir: handle.options.stateDir, wipe: Boolean(options?.wipe) });
  },
  stop: (handle, target, mode) => stopComponents(handle.options.stateDir, target, mode),
  start: (handle, target) => startComponents(handle.options.stateDir, target),
};

/** True when a Docker (or compatible) engine answers within `timeoutMs`. */
export async function dockerEngineAvailable(timeoutMs = 5000): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([getContainerRuntimeClient(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref())]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Picks the provider: `KAFKA_FAILOVER_SANDBOX_PROVIDER=jvm|testcontainers` forces one; otherwise testcontainers
 * when a Docker engine answers, else the JVM provider.
 */
export async function chooseProvider(env: NodeJS.ProcessEnv = process.env): Promise<SandboxProvider> {
  const forced = env.KAFKA_FAILOVER_SANDBOX_PROVIDER;
  if (forced === 'jvm') return jvmProvider;
  if (forced === 'testcontainers' || (forced === undefined && (await dockerEngineAvailable()))) {
    const { testcontainersProvider } = await import('./testcontainers-provider.js');
    return testcontainersProvider;
  }
  return jvmProvider;
}
