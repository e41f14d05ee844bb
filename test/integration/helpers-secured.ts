/**
 * Helpers for the secured-sandbox test files: each starts its OWN sandbox (a security profile) on a fixed port
 * base of its own and a state folder under the test sandbox folder, and tears it down in afterAll. Clients reach it
 * as the tool does: through the clusters file the sandbox wrote (the tool's principal User:failover, not a super user).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { clientSettings, loadClustersFile } from '../../src/clusters/load.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { translateOffsets } from '../../src/mm2/translate.js';
import { sandboxDown, sandboxUp, type SandboxStatus } from '../../src/rehearsal/sandbox/sandbox.js';
import type { SandboxSecurity } from '../../src/rehearsal/sandbox/security.js';
import { waitFor } from '../../src/util/wait.js';
import { TEST_STATE_DIR } from './global-setup.js';
import { sandboxFlow } from './helpers.js';

/** Starts a secured sandbox of its own (state folder `<test sandbox dir>-<name>`). */
export async function upSecured(security: Exclude<SandboxSecurity, 'plaintext'>, portBase: number, name: string): Promise<SandboxStatus> {
  const stateDir = `${TEST_STATE_DIR}-${name}`;
  await sandboxDown({ stateDir, wipe: true });
  return sandboxUp({ security, portBase, stateDir }, (line) => process.stderr.write(`[${name}] ${line}\n`));
}

/** Ports for both clusters as the clusters file gives them (TLS/SASL included). */
export async function securedPorts(clustersFile: string): Promise<{ primary: KafkaPort; dr: KafkaPort }> {
  const loaded = await loadClustersFile(clustersFile);
  return { primary: createKafkaPort('primary', clientSettings(loaded, 'primary')), dr: createKafkaPort('dr', clientSettings(loaded, 'dr')) };
}

/** Waits until MM2 has checkpointed every partition each group has committed on primary. */
export async function waitForSecuredCheckpoints(clustersFile: string, groups: string[]): Promise<void> {
  const { primary, dr } = await securedPorts(clustersFile);
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  try {
    await waitFor(
      `MM2 to checkpoint every committed partition of ${groups.join(', ')}`,
      async () => {
        const r = await translateOffsets({ flow: sandboxFlow(), source: primary, target: dr, include: groups.map((g) => new RegExp(`^${esc(g)}$`)) });
        for (const g of groups) {
          const committed = await primary.committedOffsets(g);
          const missing = committed.filter(
            (c) => !r.partitions.some((p) => p.group === g && p.sourceTopic === c.topic && p.partition === c.partition && p.basis === 'checkpoint'),
          );
          if (committed.length === 0 || missing.length) throw new Error(`${g}: ${committed.length} committed, ${missing.length} without checkpoint`);
        }
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
  } finally {
    await Promise.allSettled([primary.close(), dr.close()]);
  }
}

/** Starts `sandbox traffic` on a secured sandbox and waits for checkpoints of every group. */
export async function startSecuredTraffic(
  s: SandboxStatus,
  o: { topics: string[]; groups: string[]; rate: number; report: string },
): Promise<{ child: ResultPromise }> {
  const child = execa(
    process.execPath,
    [
      path.resolve('bin/kafka-failover.js'),
      'sandbox',
      'traffic',
      '--state-dir',
      s.stateDir,
      '--rate',
      String(o.rate),
      '--topics',
      o.topics.join(','),
      '--groups',
      o.groups.join(','),
      '--report',
      o.report,
    ],
    { reject: false, env: { ...process.env, NO_COLOR: '1' } },
  );
  try {
    await waitForSecuredCheckpoints(
      s.clustersFile,
      o.groups.map((g) => g.split(':')[0]!),
    );
  } catch (e) {
    child.kill('SIGINT');
    const r = await child;
    throw new Error(`${(e as Error).message}\ntraffic output:\n${String(r.stderr).slice(-2000)}`);
  }
  return { child };
}

/** Every file under a folder (recursively), as text: to prove no secret was written anywhere. */
export function allFilesText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    out += statSync(p).isDirectory() ? allFilesText(p) : readFileSync(p, 'utf8');
  }
  return out;
}
