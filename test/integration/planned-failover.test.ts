/**
 * `runbooks/planned-failover.yaml` end to end through the real CLI, against the sandbox with live producers and
 * three consumer groups mid-stream (a `sandbox traffic` process the runbook's hooks command):
 * - `plan` (dry-run) changes nothing on either cluster (topics, groups, committed offsets) and runs no hook;
 * - a target group with a live member blocks the run at the preflight gate, before any write (exit 3, observed vs
 *   expected in the output and the audit log);
 * - the run succeeds non-interactively; the groups then consume on dr from the translated offsets, every produced
 *   record was consumed at least once across primary and dr (0 skipped), duplicates ≤ the reported re-reads;
 * - a lag gate over threshold blocks (exit 3) with the observed lag.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { sandboxUp } from '../../src/rehearsal/sandbox/sandbox.js';
import { eventually, joinLiveConsumer, resetSharedSandbox, runCli, sandbox, startSandboxTraffic, uniqueName, waitForFreeLease } from './helpers.js';

const id = uniqueName('pf').replace('pf-', '');
const topics = [`orders-${id}`, `payments-${id}`];
const groups = [`billing-${id}`, `shipping-${id}`, `analytics-${id}`];
let tmp: string;
let traffic: ResultPromise;
let primary: KafkaPort;
let dr: KafkaPort;

const runArgs = (extra: string[] = []) => [
  '--clusters',
  sandbox().clustersFile,
  '--runs-dir',
  path.join(tmp, 'runs'),
  '--set',
  `stateDir=${sandbox().options.stateDir}`,
  '--set',
  `groups=${groups.join('|')}`,
  '--set',
  `topics=${topics.join('|')}`,
  ...extra,
];

/**
 * Topics, groups and every group's committed offsets on a cluster (what a dry-run must not change). MirrorMaker 2's
 * own Connect worker groups (protocol type `connect`, e.g. `dr-mm2`) are left out: they come and go as MM2's workers
 * rebalance, commit no offsets, and no step of the tool ever writes to them.
 */
async function clusterState(port: KafkaPort, excludeGroups: string[] = []) {
  const topicNames = (await port.listTopics()).sort();
  const groupIds = (await port.listGroups())
    .filter((g) => g.protocolType !== 'connect')
    .map((g) => g.groupId)
    .sort();
  const offsets: Record<string, unknown> = {};
  for (const g of groupIds.filter((x) => !excludeGroups.includes(x))) offsets[g] = await port.committedOffsets(g);
  return { topics: topicNames, groups: groupIds, offsets };
}

function auditOf(stderr: string): Record<string, unknown>[] {
  const file = /audit log: (\S+)/.exec(stderr)?.[1];
  if (!file) throw new Error(`no audit log path in output:\n${stderr}`);
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-pf-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  // Live traffic, and the three groups committing at different positions.
  traffic = (
    await startSandboxTraffic({
      rate: 150,
      topics: [`${topics[0]}:6`, `${topics[1]}:3`],
      groups: [groups[0]!, `${groups[1]}:5`, `${groups[2]}:20`],
      report: path.join(tmp, 'report.json'),
    })
  ).child;
});

afterAll(async () => {
  traffic?.kill('SIGINT');
  await traffic;
  await Promise.all([primary?.close(), dr?.close()]);
  await sandboxUp({ stateDir: sandbox().options.stateDir }); // MM2 back for the next test file
});

// One scenario in order (plan before the failover, the lag gate after it has stopped MM2): kept in order under
// --sequence.shuffle, which still shuffles the files. A shuffled run once planned after the failover (2 of 3 groups
// already at their offsets: 1 reset instead of 3).
describe('planned failover (runbooks/planned-failover.yaml)', { shuffle: false }, () => {
  it('plan (dry-run) changes nothing on either cluster and runs no hook', async () => {
    const drBefore = await clusterState(dr);
    const primaryBefore = await clusterState(primary, groups); // the live groups keep committing on primary
    const hwmBefore = (await primary.partitionOffsets(topics[0]!)).reduce((s, p) => s + p.highWatermark, 0);
    const r = await runCli(['plan', 'runbooks/planned-failover.yaml', ...runArgs()]);
    expect(r.stderr).toContain('run succeeded');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Offset plan (nothing was written)');
    for (const g of groups) expect(r.stdout).toContain(g);
    const audit = auditOf(r.stderr);
    expect(audit.filter((e) => e.kind === 'write.done' || e.kind === 'write.intent')).toEqual([]);
    // Exactly the writes a run would make: one per hook, stop, canary — and one reset per group (all three).
    const would = audit.filter((e) => e.kind === 'write.would') as { step: string; write: { details: { group?: string } } }[];
    expect(would.map((e) => e.step)).toEqual(['freeze', 'stop-consumers', 'stop-mm2', 'reset', 'reset', 'reset', 'redirect', 'validate']);
    expect(
      would
        .filter((e) => e.step === 'reset')
        .map((e) => e.write.details.group)
        .sort(),
    ).toEqual([...groups].sort());
    expect(await clusterState(dr)).toEqual(drBefore);
    expect(await clusterState(primary, groups)).toEqual(primaryBefore);
    // The freeze hook did not run: producers are still writing.
    await eventually(
      'producers to keep writing',
      async () => ((await primary.partitionOffsets(topics[0]!)).reduce((s, p) => s + p.highWatermark, 0) > hwmBefore ? true : undefined),
      20_000,
    );
  });

  it('a target group with a live member blocks the run at the preflight gate, before any write (exit 3)', async () => {
    const consumer = await joinLiveConsumer(groups[0]!, `primary.${topics[0]}`);
    try {
      const r = await runCli(['run', 'runbooks/planned-failover.yaml', '--yes', ...runArgs()]);
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toMatch(
        new RegExp(
          `target-groups-empty\\s*│ FAILED\\s*│ \\{"groupsWithMembers":\\["${groups[0]} \\(type classic, Stable, 1 member\\(s\\): \\S+ client kafka-failover-test host [^"]+\\)"\\][^│]*│ 0 groups with members`,
        ),
      );
      const audit = auditOf(r.stderr);
      expect(audit.find((e) => e.kind === 'gate' && (e.gate as { ok: boolean }).ok === false)).toMatchObject({
        step: 'preflight',
        gate: { id: 'target-groups-empty', expected: '0 groups with members' },
      });
      expect(audit.filter((e) => String(e.kind).startsWith('write.'))).toEqual([]);
      expect(audit.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'blocked', exitCode: 3 });
    } finally {
      await consumer.disconnect();
    }
  });

  it('runs to success non-interactively; every offset matched exactly and proven: on dr the groups skip nothing and re-read nothing', async () => {
    const r = await runCli(['run', 'runbooks/planned-failover.yaml', '--yes', '--output', 'json', ...runArgs()]);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    expect(r.exitCode).toBe(0);
    const translated = events.find((e) => e.kind === 'step.succeeded' && e.step === 'translate');
    const reported = Object.fromEntries(
      (translated.outputs.groups as { group: string; reReadRecords: number | null }[]).map((g) => [g.group, g.reReadRecords]),
    );
    expect(Object.keys(reported).sort()).toEqual([...groups].sort());
    // Record matching (the default) with the source answering and replication caught up: every row exact, and the
    // continuity proof before the reset found each planned offset holding the group's next record.
    const plan = translated.outputs.plan as { group: string; basis: string }[];
    expect(plan.filter((p) => p.basis !== 'record-match')).toEqual([]);
    const proof = events.find((e) => e.kind === 'gate' && e.step === 'reset' && e.gate.id === 'offset-continuity' && e.final);
    expect(proof?.gate).toMatchObject({ ok: true, observed: { rowsProven: plan.length, exact: plan.length } });

    // The groups now run on dr (redirected by the runbook): wait until they have read everything there.
    await eventually(
      'the groups to reach the end of every partition on dr',
      async () => {
        for (const g of groups) {
          const committed = await dr.committedOffsets(g);
          for (const t of topics) {
            for (const p of await dr.partitionOffsets(`primary.${t}`)) {
              if ((committed.find((c) => c.topic === `primary.${t}` && c.partition === p.partition)?.offset ?? -1) < p.highWatermark) return undefined;
            }
          }
        }
        return true;
      },
      120_000,
    );
    traffic.kill('SIGINT');
    await traffic;
    const report = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as {
      produced: number;
      sendFailures: number;
      groups: { groupId: string; skipped: number; duplicates: number }[];
    };
    expect(report.produced).toBeGreaterThan(1000);
    for (const g of report.groups) {
      expect({ group: g.groupId, skipped: g.skipped }).toEqual({ group: g.groupId, skipped: 0 });
      // Every row was matched: 0 re-reads reported, and the ledger counts 0 duplicates.
      expect({ group: g.groupId, reported: reported[g.groupId], duplicates: g.duplicates }).toEqual({ group: g.groupId, reported: 0, duplicates: 0 });
    }
    console.info(
      `planned failover: produced ${report.produced}; ${report.groups.map((g) => `${g.groupId.split('-')[0]} skipped ${g.skipped}, duplicates ${g.duplicates} (reported re-read ${reported[g.groupId]})`).join('; ')}`,
    );
  });

  it('a lag gate over its threshold blocks with the observed lag (exit 3)', async () => {
    // MM2 is stopped by the failover above; records written now cannot reach dr.
    await primary.produce(
      topics[0]!,
      Array.from({ length: 25 }, (_, i) => ({ value: `late-${i}`, partition: 0 })),
    );
    const rb = path.join(tmp, 'lag-only.yaml');
    (await import('node:fs')).writeFileSync(
      rb,
      `apiVersion: kafka-failover/v1\nname: lag-only\nflow: primary->dr\nsteps:\n  - id: lag\n    kind: check-replication-lag\n    with: { maxLagRecords: 10, topics: "${topics[0]}" }\n`,
    );
    const r = await runCli(['run', rb, '--yes', '--clusters', sandbox().clustersFile, '--runs-dir', path.join(tmp, 'runs')]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/max-lag\s*│ FAILED\s*│ \{"maxLagRecords":25,.*│ ≤ 10 records per partition/);
    const audit = auditOf(r.stderr);
    expect(audit.find((e) => e.kind === 'gate')).toMatchObject({ gate: { id: 'max-lag', ok: false, observed: { maxLagRecords: 25 } } });
  });
});
