/**
 * An mTLS sandbox of its own (`sandbox up --security mtls`, port base 17090): TLS client certificates are the only
 * authentication (`ssl.client.auth=required`), the principal is the certificate's CN (`User:failover`, ACLs only;
 * the brokers and MirrorMaker 2 the only super users).
 * - a client certificate signed by another CA is refused: exit 1 naming the cluster and the cause;
 * - a planned failover with live traffic succeeds through the client.properties form of the clusters file
 *   (PEM key store), and the traffic ledger counts 0 skipped records on dr.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KafkaPort } from '../../src/kafka/port.js';
import { sandboxDown, type SandboxStatus } from '../../src/rehearsal/sandbox/sandbox.js';
import { securedPorts, startSecuredTraffic, upSecured } from './helpers-secured.js';
import { eventually, liveProcessesMentioning, runCli, uniqueName } from './helpers.js';

const PORT_BASE = 17090;
const id = uniqueName('mt').replace('mt-', '');
const topics = [`orders-${id}`];
const groups = [`billing-${id}`, `shipping-${id}`];
let s: SandboxStatus;
let tmp: string;
let traffic: ResultPromise;
let ports: { primary: KafkaPort; dr: KafkaPort };

const runArgs = (clusters: string) => [
  '--clusters',
  clusters,
  '--runs-dir',
  path.join(tmp, 'runs'),
  '--set',
  `stateDir=${s.stateDir}`,
  '--set',
  `groups=${groups.join('|')}`,
  '--set',
  `topics=${topics.join('|')}`,
];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-sec-mt-'));
  s = await upSecured('mtls', PORT_BASE, 'mtls');
  ports = await securedPorts(s.clustersFile);
  traffic = (
    await startSecuredTraffic(s, { rate: 100, topics: [`${topics[0]}:3`], groups: [groups[0]!, `${groups[1]}:5`], report: path.join(tmp, 'report.json') })
  ).child;
}, 400_000);

afterAll(async () => {
  traffic?.kill('SIGINT');
  await traffic;
  await Promise.allSettled([ports?.primary.close(), ports?.dr.close()]);
  if (s) {
    await sandboxDown({ stateDir: s.stateDir, wipe: true });
    expect(await liveProcessesMentioning(s.stateDir)).toEqual([]);
  }
});

describe('secured sandbox: mTLS', { shuffle: false }, () => {
  it('a client certificate from another CA is refused: exit 1 naming the cluster and the cause', async () => {
    const sec = path.join(s.stateDir, 'security');
    const doc = parse(readFileSync(s.clustersFile, 'utf8')) as { clusters: Record<string, Record<string, unknown>> };
    for (const c of Object.values(doc.clusters)) c.tls = { caFile: `${sec}/ca.crt`, certFile: `${sec}/rogue.crt`, keyFile: `${sec}/rogue.key` };
    const file = path.join(tmp, 'rogue.yaml');
    writeFileSync(file, stringify(doc));
    const r = await runCli(['plan', 'runbooks/planned-failover.yaml', ...runArgs(file)]);
    expect(r.exitCode).toBe(1);
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/Cluster (primary|dr): the broker refused this tool's TLS client certificate/);
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/cluster-down|does not answer/);
  });

  it('a planned failover with live traffic succeeds with client certificates (client.properties); on dr the groups skip nothing', async () => {
    const r = await runCli([
      'run',
      'runbooks/planned-failover.yaml',
      '--yes',
      '--output',
      'json',
      ...runArgs(path.join(s.stateDir, 'clusters-properties.yaml')),
    ]);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    expect(r.exitCode).toBe(0);
    await eventually(
      'the groups to reach the end of every partition on dr',
      async () => {
        for (const g of groups) {
          const committed = await ports.dr.committedOffsets(g);
          for (const p of await ports.dr.partitionOffsets(`primary.${topics[0]}`)) {
            if ((committed.find((c) => c.topic === `primary.${topics[0]}` && c.partition === p.partition)?.offset ?? -1) < p.highWatermark) return undefined;
          }
        }
        return true;
      },
      120_000,
    );
    traffic.kill('SIGINT');
    await traffic;
    const report = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as { produced: number; groups: { groupId: string; skipped: number }[] };
    expect(report.produced).toBeGreaterThan(300);
    for (const g of report.groups) expect({ group: g.groupId, skipped: g.skipped }).toEqual({ group: g.groupId, skipped: 0 });
    console.info(`secured planned failover (mtls): produced ${report.produced}; ${report.groups.map((g) => `${g.groupId} skipped ${g.skipped}`).join('; ')}`);
  });
});
