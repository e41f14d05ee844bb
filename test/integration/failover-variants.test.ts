/**
 * A full planned failover (runbooks/planned-failover.yaml through the CLI, live traffic) on the two other sandbox
 * shapes users run, each on its own ports and state folder, wiped at start and brought down after:
 * - MM2 in Kafka Connect mode: stop-replication stops the source and checkpoint connectors through Connect's REST API
 *   (PUT /connectors/{name}/stop, audited), and the worker itself reports them STOPPED afterwards;
 * - Kafka 3.9.1 (brokers and MM2 from the 3.9 line).
 * In both, once the groups have read everything on dr, the traffic ledger shows no record skipped by any group and
 * no more duplicates than the translation reported.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import { translateOffsets } from '../../src/mm2/translate.js';
import { connectorStatus } from '../../src/rehearsal/sandbox/connect-rest.js';
import { MIRROR_CONNECTORS, connectorName } from '../../src/rehearsal/sandbox/configs.js';
import { sandboxDown, sandboxUp, type SandboxStatus } from '../../src/rehearsal/sandbox/sandbox.js';
import type { GroupDelivery } from '../../src/rehearsal/traffic/ledger.js';
import { eventually, extraSandboxOptions, liveProcessesMentioning, runCli, sandboxFlow, uniqueName } from './helpers.js';
import type { Ev } from './helpers-resume.js';

/** Runs the planned failover on a sandbox with live traffic; returns the run's events and the ledger's verdict. */
async function failover(s: SandboxStatus, stateDir: string) {
  const id = uniqueName('fv').replace('fv-', '');
  const topics = [`orders-${id}`, `payments-${id}`];
  const groups = [`billing-${id}`, `shipping-${id}`];
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-variant-'));
  const report = path.join(tmp, 'report.json');
  const traffic = execa(
    process.execPath,
    [
      path.resolve('bin/kafka-failover.js'),
      'sandbox',
      'traffic',
      '--state-dir',
      stateDir,
      '--rate',
      '100',
      '--topics',
      `${topics[0]}:3,${topics[1]}:2`,
      '--groups',
      `${groups[0]},${groups[1]}:5`,
      '--report',
      report,
    ],
    { reject: false, env: { ...process.env, NO_COLOR: '1' } },
  );
  const primary = createKafkaPort('primary', { bootstrapServers: s.clusters.primary.bootstrapServers });
  const dr = createKafkaPort('dr', { bootstrapServers: s.clusters.dr.bootstrapServers });
  try {
    // MM2 has checkpointed every partition of both groups (so the plan comes from MM2's checkpoints).
    await eventually(
      'MM2 to checkpoint every partition of both groups',
      async () => {
        const r = await translateOffsets({ flow: sandboxFlow(), source: primary, target: dr, include: groups.map((g) => new RegExp(`^${g}$`)) }).catch(
          () => undefined,
        );
        return r && r.partitions.filter((p) => p.basis === 'checkpoint').length === groups.length * 5 ? true : undefined;
      },
      180_000,
    );
    const r = await runCli([
      'run',
      'runbooks/planned-failover.yaml',
      '--yes',
      '--output',
      'json',
      '--clusters',
      s.clustersFile,
      '--runs-dir',
      path.join(tmp, 'runs'),
      '--set',
      `stateDir=${stateDir}`,
      '--set',
      `groups=${groups.join('|')}`,
      '--set',
      `topics=${topics.join('|')}`,
    ]);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Ev);
    expect(events.at(-1), r.stderr.slice(-2000)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    const reported = Object.fromEntries(
      (events.find((e) => e.kind === 'step.succeeded' && e.step === 'translate')!.outputs!.groups as { group: string; reReadRecords: number | null }[]).map(
        (g) => [g.group, g.reReadRecords],
      ),
    );
    await eventually(
      'the groups to read everything on dr',
      async () => {
        for (const g of groups) {
          const committed = await dr.committedOffsets(g);
          for (const t of topics)
            for (const p of await dr.partitionOffsets(`primary.${t}`))
              if ((committed.find((c) => c.topic === `primary.${t}` && c.partition === p.partition)?.offset ?? -1) < p.highWatermark) return undefined;
        }
        return true;
      },
      120_000,
    );
    traffic.kill('SIGINT');
    await traffic;
    const ledger = JSON.parse(readFileSync(report, 'utf8')) as { produced: number; groups: GroupDelivery[] };
    expect(ledger.groups.map((g) => g.groupId).sort()).toEqual([...groups].sort());
    expect(ledger.produced).toBeGreaterThan(500);
    for (const g of ledger.groups) {
      expect({ group: g.groupId, skipped: g.skipped }).toEqual({ group: g.groupId, skipped: 0 });
      expect(g.duplicates).toBeLessThanOrEqual(reported[g.groupId]!);
    }
    return {
      events,
      summary: `produced ${ledger.produced}; ${ledger.groups.map((g) => `${g.groupId.split('-')[0]} skipped ${g.skipped}, duplicates ${g.duplicates} (reported ${reported[g.groupId]})`).join('; ')}`,
    };
  } finally {
    traffic.kill('SIGINT');
    await traffic;
    await Promise.all([primary.close(), dr.close()]);
  }
}

describe('planned failover on the other sandbox shapes', () => {
  it('MM2 in Connect mode: stopped through Connect REST (connectors STOPPED), 0 skipped', async () => {
    const opts = { ...extraSandboxOptions('failover-connect', 26090), mm2Mode: 'connect' as const };
    await sandboxDown({ ...opts, wipe: true });
    try {
      const s = await sandboxUp(opts);
      expect(s.mm2).toMatchObject({ mode: 'connect', running: true });
      const { events, summary } = await failover(s, opts.stateDir);
      const stops = events.filter((e) => e.kind === 'write.done' && e.step === 'stop-mm2');
      const url = (kind: (typeof MIRROR_CONNECTORS)[number]) => `${s.mm2.restUrl}/connectors/${encodeURIComponent(connectorName(kind))}/stop`;
      expect(stops.map((e) => e.write)).toEqual([
        { action: 'stop MM2 connector (Connect REST)', details: { method: 'PUT', url: url(MIRROR_CONNECTORS[0]) } },
        { action: 'stop MM2 connector (Connect REST)', details: { method: 'PUT', url: url(MIRROR_CONNECTORS[1]) } },
      ]);
      for (const kind of MIRROR_CONNECTORS.slice(0, 2)) expect((await connectorStatus(s.mm2.restUrl!, connectorName(kind))).connector).toBe('STOPPED');
      console.info(`failover-variants (connect): ${summary}`);
    } finally {
      await sandboxDown({ ...opts, wipe: true });
    }
    expect(await liveProcessesMentioning(opts.stateDir)).toEqual([]);
  }, 600_000);

  it('Kafka 3.9.1: the planned failover succeeds, 0 skipped', async () => {
    const opts = { ...extraSandboxOptions('failover-3.9', 27090), kafkaVersion: '3.9.1' };
    await sandboxDown({ ...opts, wipe: true });
    try {
      const s = await sandboxUp(opts);
      expect(s.kafkaVersion).toBe('3.9.1');
      const { events, summary } = await failover(s, opts.stateDir);
      // The same runbook moves classic groups; the preflight reports what 3.9 serves of the newer group APIs: no share
      // groups (ShareGroupDescribe, share offsets unavailable), no streams groups; KIP-848's preview APIs at v0 (its
      // consumer groups are described too).
      const preflight = events.find((e) => e.kind === 'gate' && e.step === 'preflight');
      expect(preflight?.gate).toMatchObject({
        id: 'target-groups-empty',
        ok: true,
        observed: {
          groupApis: {
            ListGroups: 'v5',
            ConsumerGroupDescribe: 'v0',
            ShareGroupDescribe: 'unavailable',
            StreamsGroupDescribe: 'unavailable',
            DescribeShareGroupOffsets: 'unavailable',
            AlterShareGroupOffsets: 'unavailable',
            ConsumerGroupHeartbeat: 'v0',
          },
        },
      });
      console.info(`failover-variants (kafka 3.9.1): ${summary}`);
    } finally {
      await sandboxDown({ ...opts, wipe: true });
    }
    expect(await liveProcessesMentioning(opts.stateDir)).toEqual([]);
  }, 600_000);
});
