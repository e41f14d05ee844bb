/**
 * A SASL_SSL sandbox of its own (`sandbox up --security sasl-ssl`, port base 16090): the authorizer on, the brokers
 * and MirrorMaker 2 the only super users, the tool connecting as `User:failover` (SCRAM-SHA-512 over TLS, ACLs only).
 * - the clusters file works in both forms (tls/sasl fields, and a client .properties file), and with SCRAM-SHA-256,
 *   PLAIN and OAUTHBEARER (a token command) — each proven by the broker accepting the connection;
 * - a wrong password, an expired or invalid token, an untrusted certificate and a host name mismatch each fail with
 *   exit 1 and a message naming the cluster and the cause, never as "cluster down", and no secret in any output or
 *   file;
 * - `check`, `offsets translate`, `plan` and a planned failover with live traffic — killed with SIGKILL after its first
 *   group reset and resumed — pass as the least-privilege principal (src/rehearsal/sandbox/acls.ts), the ledger
 *   counting 0 skipped;
 * - each ACL of that principal's planned-failover set, removed, makes `plan` block at its first step,
 *   check-permissions: exit 3, the ACL named, nothing written (state read back as the brokers' super user).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import type { AclEntry, Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { KafkaPort } from '../../src/kafka/port.js';
import { sandboxDown, type SandboxStatus } from '../../src/rehearsal/sandbox/sandbox.js';
import { kafkajsSecurity, unsecuredToken } from '../../src/rehearsal/sandbox/security.js';
import { leastPrivilegeAcls, toAclEntry } from '../../src/rehearsal/sandbox/acls.js';
import { createKafka } from '../../src/kafka/kafkajs-client.js';
import { runUntilKilled } from './helpers-resume.js';
import { allFilesText, securedPorts, startSecuredTraffic, upSecured } from './helpers-secured.js';
import { eventually, liveProcessesMentioning, runCli, uniqueName } from './helpers.js';

const PORT_BASE = 16090;
const id = uniqueName('ss').replace('ss-', '');
const topics = [`orders-${id}`, `payments-${id}`];
const groups = [`billing-${id}`, `shipping-${id}`];
let s: SandboxStatus;
let tmp: string;
let traffic: ResultPromise;
let ports: { primary: KafkaPort; dr: KafkaPort };
let password: string;

const sec = () => path.join(s.stateDir, 'security');
const runArgs = (clusters = s.clustersFile) => [
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

/**
 * The sandbox's clusters file (flow and MM2 hooks included) with other security for both clusters: `security` holds
 * the `tls` / `sasl` fields (YAML), `host` replaces 127.0.0.1 in the bootstrap servers.
 */
function clustersWith(name: string, security: string, host = '127.0.0.1'): string {
  const file = path.join(tmp, `${name}.yaml`);
  const doc = parse(readFileSync(s.clustersFile, 'utf8')) as { clusters: Record<string, Record<string, unknown>> };
  const fields = parse(`{ ${security} }`) as Record<string, unknown>;
  for (const c of Object.values(doc.clusters)) {
    delete c.tls;
    delete c.sasl;
    Object.assign(c, fields, { bootstrapServers: (c.bootstrapServers as string[]).map((x) => x.replace('127.0.0.1', host)) });
  }
  writeFileSync(file, stringify(doc));
  return file;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-sec-ss-'));
  s = await upSecured('sasl-ssl', PORT_BASE, 'sasl-ssl');
  password = readFileSync(path.join(sec(), 'failover.password'), 'utf8').trim();
  ports = await securedPorts(s.clustersFile);
  traffic = (
    await startSecuredTraffic(s, {
      rate: 100,
      topics: [`${topics[0]}:3`, `${topics[1]}:2`],
      groups: [groups[0]!, `${groups[1]}:5`],
      report: path.join(tmp, 'report.json'),
    })
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

describe('secured sandbox: SASL_SSL', { shuffle: false }, () => {
  it('the tool authenticates with SCRAM-SHA-512 (client.properties), SCRAM-SHA-256, PLAIN and OAUTHBEARER (token command)', async () => {
    const token = [process.execPath, path.resolve('bin/kafka-failover.js'), 'sandbox', 'token'];
    const files = {
      // (the tls/sasl fields form, s.clustersFile, is what every later test uses)
      'scram-512 client.properties': path.join(s.stateDir, 'clusters-properties.yaml'),
      'scram-256': clustersWith('s256', `tls: { caFile: ${sec()}/ca.crt }, sasl: { mechanism: scram-sha-256, username: failover, passwordEnv: KF_TEST_PW }`),
      plain: clustersWith(
        'plain',
        `tls: { caFile: ${sec()}/ca.crt }, sasl: { mechanism: plain, username: failover, passwordFile: ${sec()}/failover.password }`,
      ),
      oauthbearer: clustersWith('oauth', `tls: { caFile: ${sec()}/ca.crt }, sasl: { mechanism: oauthbearer, tokenCommand: ${JSON.stringify(token)} }`),
    };
    for (const [how, file] of Object.entries(files)) {
      const r = await runCli(['check', '--clusters', file, '--output', 'json'], { KF_TEST_PW: password });
      // Findings about the sandbox (RF 1) exit 11; what matters: both clusters answered, as the broker authorised them.
      expect({ how, exitCode: r.exitCode, unreachable: r.stdout.includes('cluster-unreachable') }).toEqual({ how, exitCode: 11, unreachable: false });
      expect(r.stdout).toContain(`sandbox-probe`);
    }
  });

  it('refused credentials, tokens and certificates: exit 1 naming the cluster and the cause, never "cluster down", no secret anywhere', async () => {
    writeFileSync(path.join(tmp, 'wrong.password'), 'not-the-password-42\n');
    writeFileSync(path.join(tmp, 'expired.token'), `${unsecuredToken('failover', 0)}\n`);
    writeFileSync(path.join(tmp, 'garbage.token'), 'eyJub3QiOiJhIHRva2VuIn0.x.y\n');
    const scram = `sasl: { mechanism: scram-sha-512, username: failover, passwordFile: ${sec()}/failover.password }`;
    const cases: [string, string, RegExp][] = [
      [
        clustersWith(
          'wrong-pw',
          `tls: { caFile: ${sec()}/ca.crt }, sasl: { mechanism: scram-sha-512, username: failover, passwordFile: ${tmp}/wrong.password }`,
        ),
        'wrong password',
        /Cluster (primary|dr): authentication failed: the broker refused the SASL SCRAM-SHA-512 credentials of user "failover"/,
      ],
      [
        clustersWith('expired', `tls: { caFile: ${sec()}/ca.crt }, sasl: { mechanism: oauthbearer, tokenFile: ${tmp}/expired.token }`),
        'expired token',
        /Cluster (primary|dr): the broker refused the OAUTHBEARER token .*status "invalid_token"/,
      ],
      [
        clustersWith('garbage', `tls: { caFile: ${sec()}/ca.crt }, sasl: { mechanism: oauthbearer, tokenFile: ${tmp}/garbage.token }`),
        'invalid token',
        /Cluster (primary|dr): the broker refused the OAUTHBEARER token/,
      ],
      [clustersWith('untrusted', `tls: true, ${scram}`), 'untrusted certificate', /Cluster (primary|dr): the broker's TLS certificate is not trusted/],
      [
        clustersWith('hostname', `tls: { caFile: ${sec()}/ca.crt }, ${scram}`, 'localhost'),
        'host name mismatch',
        /Cluster (primary|dr): TLS host name mismatch/,
      ],
    ];
    const secrets = [password, readFileSync(path.join(tmp, 'expired.token'), 'utf8').trim(), 'not-the-password-42', 'eyJub3QiOiJhIHRva2VuIn0'];
    for (const [file, what, message] of cases) {
      // `check` for every cause; `plan` (the engine's reachability probe) for one credential and one token case.
      const commands = [
        ['check', '--clusters', file],
        ...(what === 'wrong password' || what === 'expired token' ? [['plan', 'runbooks/planned-failover.yaml', ...runArgs(file)]] : []),
      ];
      for (const args of commands) {
        const r = await runCli(args);
        const out = `${r.stdout}\n${r.stderr}`;
        expect({ what, command: args[0], exitCode: r.exitCode }).toEqual({ what, command: args[0], exitCode: 1 });
        expect(out).toMatch(message);
        expect(out).not.toMatch(/cluster-down|cluster-unreachable|does not answer/);
        for (const secret of secrets) expect(out.includes(secret), `${what}: a secret in the output of ${args[0]}`).toBe(false);
      }
    }
    const written = allFilesText(path.join(tmp, 'runs'));
    for (const secret of secrets) expect(written.includes(secret), 'a secret in a run directory').toBe(false);
  });

  it('plan passes with OAUTHBEARER (token command)', async () => {
    const token = [process.execPath, path.resolve('bin/kafka-failover.js'), 'sandbox', 'token'];
    const file = clustersWith('oauth-plan', `tls: { caFile: ${sec()}/ca.crt }, sasl: { mechanism: oauthbearer, tokenCommand: ${JSON.stringify(token)} }`);
    const plan = await runCli(['plan', 'runbooks/planned-failover.yaml', ...runArgs(file)]);
    expect(plan.stderr).toContain('run succeeded');
    expect(plan.exitCode).toBe(0);
    for (const g of groups) expect(plan.stdout).toContain(g);
  });

  it('check, offsets translate and plan pass as User:failover; plan writes nothing', async () => {
    const check = await runCli(['check', '--clusters', s.clustersFile, '--output', 'json']);
    expect(check.exitCode).toBe(11); // RF-1 findings of a one-broker sandbox; no critical one
    expect(check.stdout).not.toContain('"critical"');
    // The failover ACLs finding: the probe topic is replicated but the tool may not read it (a failover of every
    // replicated topic would need it), named as check-permissions names it; the grant covers everything else.
    const acl = (JSON.parse(check.stdout) as { findings: { id: string; evidence: { missing: string[]; unknown: string[] } }[] }).findings.find(
      (f) => f.id === 'failover-acls-missing',
    );
    expect(acl?.evidence.missing.sort()).toEqual([
      'dr: TOPIC "primary.sandbox-probe" READ for User:failover (steps check-replication-lag, translate-offsets, reset-consumer-groups)',
      'primary: TOPIC "sandbox-probe" READ for User:failover (steps check-replication-lag, translate-offsets)',
    ]);
    expect(acl?.evidence.unknown).toEqual([]);
    const tr = await runCli(['offsets', 'translate', '--clusters', s.clustersFile, '--group', `^(${groups.join('|')})$`, '--output', 'json']);
    expect(tr.exitCode).toBe(0);
    for (const g of groups) expect(tr.stdout).toContain(`"group":"${g}"`);
    const before = await ports.dr.listGroups();
    const plan = await runCli(['plan', 'runbooks/planned-failover.yaml', ...runArgs()]);
    expect(plan.stderr).toContain('run succeeded');
    expect(plan.exitCode).toBe(0);
    for (const g of groups) expect(plan.stdout).toContain(g);
    expect((await ports.dr.listGroups()).map((g) => g.groupId).sort()).toEqual(before.map((g) => g.groupId).sort());
  });

  it('each ACL of the least-privilege set, removed, makes plan block at check-permissions: exit 3, the ACL named, nothing written', async () => {
    // The operator's hand: the brokers' principal (a super user), as the sandbox's own ACL set-up uses it.
    const admin = Object.fromEntries(
      await Promise.all(
        (['primary', 'dr'] as const).map(async (c) => {
          const a = createKafka({
            bootstrapServers: s.clusters[c].bootstrapServers,
            clientId: 'acl-test',
            extra: await kafkajsSecurity('sasl-ssl', s.stateDir, 'broker'),
          }).admin();
          await a.connect();
          return [c, a] as const;
        }),
      ),
    ) as Record<'primary' | 'dr', Admin>;
    // Independent oracle of "nothing written": read with the super user, not the tool.
    const stateOf = async () => ({
      primaryTopics: (await admin.primary.listTopics()).sort(),
      drTopics: (await admin.dr.listTopics()).sort(),
      drOffsets: await Promise.all(groups.map(async (g) => [g, await admin.dr.fetchOffsets({ groupId: g })] as const)),
    });
    const present = async (entry: AclEntry, c: 'primary' | 'dr') =>
      (await admin[c].describeAcls({ ...entry, resourcePatternType: entry.resourcePatternType })).resources.length > 0;
    try {
      const before = await stateOf();
      // The tool's own topics do not exist yet: their CREATE is checked too (a run would create them).
      for (const t of ['kafka-failover-lease.internal', 'kafka-failover-audit-anchor.internal', 'kafka-failover-canary'])
        expect(before.drTopics).not.toContain(t);
      // The set's bindings this invocation uses: the sandbox grants the `analytics` group prefix too, which these
      // groups (billing-…, shipping-…) do not fall under — removing it rightly blocks nothing.
      const acls = leastPrivilegeAcls((t) => `primary.${t}`).filter((a) => a.resource !== 'group' || groups.some((g) => g.startsWith(a.name)));
      expect(acls).toHaveLength(20);
      const t0 = Date.now();
      for (const a of acls) {
        const entry = toAclEntry(a, 'User:failover');
        await admin[a.cluster].deleteAcls({ filters: [entry] });
        await eventually(`${JSON.stringify(a)} removed`, async () => ((await present(entry, a.cluster)) ? undefined : true), 30_000);
        const r = await runCli(['plan', 'runbooks/planned-failover.yaml', ...runArgs()]);
        const out = `${r.stdout}\n${r.stderr}`;
        // CREATE of a topic not there yet: without CREATE on its name only CREATE on the cluster could allow it, which
        // Kafka shows only to a principal that may DESCRIBE the cluster: UNKNOWN, and the run blocks all the same.
        const verdict = a.operation === 'CREATE' ? 'UNKNOWN' : 'MISSING';
        const named = new RegExp(
          `${verdict} ${a.cluster}: ${a.resource.toUpperCase()} "${a.name.replace(/[.]/g, '\\.')}[^"]*" ${a.operation} for User:failover`,
        );
        expect({
          acl: a,
          exitCode: r.exitCode,
          named: named.test(out),
          blockedAt: /blocked at permissions|permissions.*blocked/i.test(out) || r.exitCode === 3,
        }).toEqual({
          acl: a,
          exitCode: 3,
          named: true,
          blockedAt: true,
        });
        expect(out).not.toContain('▶ scope'); // blocked at the first step: no other step ran
        await admin[a.cluster].createAcls({ acl: [entry] });
        await eventually(`${JSON.stringify(a)} restored`, async () => ((await present(entry, a.cluster)) ? true : undefined), 30_000);
      }
      expect(await stateOf()).toEqual(before);
      console.info(
        `least privilege: ${acls.length} ACLs, each removed → plan blocked at check-permissions (exit 3), in ${Math.round((Date.now() - t0) / 1000)} s`,
      );
    } finally {
      await Promise.allSettled([admin.primary.disconnect(), admin.dr.disconnect()]);
    }
  });

  it('a planned failover with live traffic, killed (kill -9) after its first group reset and resumed, succeeds as User:failover; on dr the groups skip nothing', async () => {
    const runs = path.join(tmp, 'runs');
    const killed = await runUntilKilled(
      ['run', 'runbooks/planned-failover.yaml', '--yes', '--output', 'json', ...runArgs()],
      (e) => e.kind === 'write.done' && e.write?.action === 'reset consumer group offsets',
      (runId) => path.join(runs, runId, 'audit.jsonl'),
    );
    expect(killed.audit.map((e) => e.kind)).not.toContain('run.finished');
    const r = await runCli(['resume', killed.runId, '--runs-dir', runs, '--output', 'json']);
    const tail = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; outcome?: string; exitCode?: number; completedWrites?: number });
    expect(tail[0]).toMatchObject({ kind: 'run.resumed', completedWrites: killed.audit.filter((e) => e.kind === 'write.done').length });
    expect(tail.at(-1), r.stderr).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
    expect(r.exitCode).toBe(0);
    await eventually(
      'the groups to reach the end of every partition on dr',
      async () => {
        for (const g of groups) {
          const committed = await ports.dr.committedOffsets(g);
          for (const t of topics) {
            for (const p of await ports.dr.partitionOffsets(`primary.${t}`)) {
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
    const report = JSON.parse(readFileSync(path.join(tmp, 'report.json'), 'utf8')) as { produced: number; groups: { groupId: string; skipped: number }[] };
    expect(report.produced).toBeGreaterThan(300);
    for (const g of report.groups) expect({ group: g.groupId, skipped: g.skipped }).toEqual({ group: g.groupId, skipped: 0 });
    expect(allFilesText(path.join(tmp, 'runs')).includes(password)).toBe(false);
    console.info(
      `secured planned failover (sasl-ssl): produced ${report.produced}; ${report.groups.map((g) => `${g.groupId} skipped ${g.skipped}`).join('; ')}`,
    );
  });
});
