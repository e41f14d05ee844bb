/**
 * Invalid CLI input, through the real CLI (`bin/kafka-failover.js`, built by `npm run build`): one clear message
 * with a fix, exit 2, nothing written — and a run that hangs before its machine starts still quits at the second
 * SIGTERM or Ctrl-C. No Kafka is needed: the clusters files point at closed ports or at a local server that accepts
 * connections and never answers.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type Options } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../src/util/wait.js';

const BIN = path.resolve('bin/kafka-failover.js');
const RUNBOOK = path.resolve('runbooks/planned-failover.yaml');

/** Runs the built CLI; never throws on exit ≠ 0. SIGKILL on timeout: a process that ignores SIGTERM must not linger. */
async function cli(args: string[], options: Options = {}) {
  const r = await execa(process.execPath, [BIN, ...args], {
    reject: false,
    timeout: 15_000,
    killSignal: 'SIGKILL',
    env: { NO_COLOR: '1', CI: 'true' },
    ...options,
  });
  return { exitCode: r.exitCode, timedOut: r.timedOut, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** {@link cli} run by root without the capabilities that bypass file permissions. */
async function cliWithoutDacOverride(args: string[]) {
  const r = await execa('setpriv', ['--bounding-set', '-dac_override,-dac_read_search', '--', process.execPath, BIN, ...args], {
    reject: false,
    timeout: 15_000,
    killSignal: 'SIGKILL',
    env: { NO_COLOR: '1', CI: 'true' },
  });
  return { exitCode: r.exitCode, timedOut: r.timedOut, stdout: String(r.stdout), stderr: String(r.stderr) };
}

let dir: string;
let clusters: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kf-cli-input-'));
  await chmod(dir, 0o755); // readable by the unprivileged user of the EACCES test
  clusters = path.join(dir, 'clusters.yaml');
  // Closed ports: any attempt to reach a cluster fails at once (none should be made for bad input anyway).
  await writeFile(
    clusters,
    'clusters:\n  primary: { bootstrapServers: ["127.0.0.1:1"] }\n  dr: { bootstrapServers: ["127.0.0.1:2"] }\nflows:\n  - { source: primary, target: dr }\n',
  );
});

/** A runs directory that does not exist yet; the assertion `nothingWritten` checks it still does not. */
const freshRunsDir = () => path.join(dir, `runs-${Math.random().toString(36).slice(2, 8)}`);
const nothingWritten = (runsDir: string) => expect(existsSync(runsDir), `${runsDir} must not be created`).toBe(false);

describe('kafka-failover: invalid input is refused (exit 2, a fix, nothing written)', () => {
  it('--set constructor=1 and --set __proto__=1 name no parameter of the runbook', async () => {
    for (const key of ['constructor', '__proto__']) {
      const v = await cli(['validate', RUNBOOK, '--set', `${key}=1`]);
      expect(v.exitCode, v.stdout + v.stderr).toBe(2);
      expect(v.stderr).toContain(`--set ${key}: no such parameter`);
      expect(v.stderr).toContain('fix: Parameters of this runbook: groups, topics, maxLagRecords, stateDir.');
      const runsDir = freshRunsDir();
      const p = await cli(['plan', RUNBOOK, '--clusters', clusters, '--runs-dir', runsDir, '--set', `${key}=1`]);
      expect(p.exitCode, p.stderr).toBe(2);
      expect(p.stderr).toContain(`--set ${key}: no such parameter`);
      nothingWritten(runsDir);
    }
  });

  it('--set maxLagRecords=0x10 (and 1e1, " 5", empty) is not a decimal integer', async () => {
    for (const value of ['0x10', '1e1', ' 5', '']) {
      const runsDir = freshRunsDir();
      const r = await cli(['plan', RUNBOOK, '--clusters', clusters, '--runs-dir', runsDir, '--set', `maxLagRecords=${value}`]);
      expect(r.exitCode, `${value}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`--set maxLagRecords: expected integer, got ${JSON.stringify(value)}`);
      expect(r.stderr).toContain('fix: Give maxLagRecords an integer value in decimal digits');
      expect(r.stderr).toMatch(/^error: 1 problem found/); // one message, not a follow-up "does not resolve"
      nothingWritten(runsDir);
    }
    const ok = await cli(['validate', RUNBOOK, '--set', 'maxLagRecords=16']);
    expect(ok.exitCode, ok.stderr).toBe(0);
  });

  it('--lock-ttl 0x1000 is not a decimal whole number', async () => {
    const runsDir = freshRunsDir();
    const r = await cli(['run', RUNBOOK, '--clusters', clusters, '--runs-dir', runsDir, '--lock-ttl', '0x1000']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('expected a whole number from 1000 to 3600000, got "0x1000"');
    nothingWritten(runsDir);
  });

  it('offsets translate --group "(" says the pattern is not a regular expression and how to escape it', async () => {
    const r = await cli(['offsets', 'translate', '--clusters', clusters, '--group', '(']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain("option '--group <regex>' argument '(' is invalid. not a valid regular expression (/(/: Unterminated group)");
    expect(r.stderr).toContain('Escape special characters with a backslash');
    expect(r.stderr).not.toContain('SyntaxError');
  });

  it('--flow a->b on plan and run is refused: the runbook names its own flow', async () => {
    for (const command of [['plan'], ['run', '--yes'], ['run', '--dry-run']]) {
      const runsDir = freshRunsDir();
      const r = await cli([...command, RUNBOOK, '--clusters', clusters, '--runs-dir', runsDir, '--flow', 'a->b']);
      expect(r.exitCode, `${command.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain("flow: --flow a->b is not this runbook's flow (primary->dr)");
      expect(r.stderr).toContain('fix: Leave --flow out');
      nothingWritten(runsDir);
    }
    const bad = await cli(['plan', RUNBOOK, '--clusters', clusters, '--flow', 'a=>b']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('is not of the form <source>-><target>');
  });

  it('a runbook flow the clusters file lacks is refused before the runs dir is created', async () => {
    const other = path.join(dir, 'other-flow.yaml');
    await writeFile(
      other,
      'clusters:\n  dc1: { bootstrapServers: ["127.0.0.1:1"] }\n  dc2: { bootstrapServers: ["127.0.0.1:2"] }\nflows:\n  - { source: dc1, target: dc2 }\n',
    );
    const runsDir = freshRunsDir();
    const r = await cli(['plan', RUNBOOK, '--clusters', other, '--runs-dir', runsDir]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(`No replication flow from primary to dr in ${other} (flows: dc1->dc2)`);
    nothingWritten(runsDir);
  });

  it('--runs-dir /proc/runs fails at once (exit 2) instead of spinning in a recursive mkdir', async () => {
    const started = Date.now();
    const r = await cli(['plan', RUNBOOK, '--clusters', clusters, '--runs-dir', '/proc/kf-runs']);
    expect(r.timedOut, 'the CLI spun until the 15 s timeout').toBe(false);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stderr).toContain('--runs-dir /proc/kf-runs: cannot create or write /proc/kf-runs (this file system does not allow creating folders there)');
    expect(r.stderr).toContain('fix: Give a folder you can write to');
  });

  it('an unwritable runs directory is refused with "permission denied" and a fix, not a raw EACCES', async () => {
    const parent = path.join(dir, 'read-only');
    await mkdir(parent);
    await chmod(parent, 0o555);
    const runsDir = path.join(parent, 'runs');
    // root may write anywhere: run the CLI then as root without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (util-linux
    // setpriv), for whom the folder's 0555 bits apply — the checkout itself may be unreadable to other users.
    const asRoot = process.getuid?.() === 0;
    for (const command of ['plan', 'run']) {
      const args = [command, RUNBOOK, '--clusters', clusters, '--runs-dir', runsDir, '--yes'];
      const r = asRoot ? await cliWithoutDacOverride(args) : await cli(args);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--runs-dir ${runsDir}: cannot create or write ${runsDir} (permission denied)`);
      expect(r.stderr).not.toContain('EACCES');
      nothingWritten(runsDir);
    }
  });

  it('runs still create a missing runs directory, nested folders included', async () => {
    const runsDir = path.join(dir, 'new', 'nested', 'runs');
    const r = await cli(['plan', RUNBOOK, '--clusters', clusters, '--runs-dir', runsDir]);
    expect(r.stderr).not.toContain('--runs-dir');
    expect(r.exitCode).toBe(3); // the scope gate blocks: no cluster answers
    expect((await readdir(runsDir)).length).toBe(1);
  });
});

describe('kafka-failover run: the second SIGTERM or Ctrl-C quits at once, even before the run starts', () => {
  let server: net.Server;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  let silent: string;

  beforeAll(async () => {
    // Accepts connections and never answers: the run hangs in the lease acquisition on the target, before its machine starts.
    server = net.createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    silent = path.join(dir, 'silent-clusters.yaml');
    await writeFile(
      silent,
      `clusters:\n  primary: { bootstrapServers: ["127.0.0.1:${port}"] }\n  dr: { bootstrapServers: ["127.0.0.1:${port}"] }\nflows:\n  - { source: primary, target: dr }\n`,
    );
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  for (const [signal, exitCode] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} twice: the first asks for a pause, the second exits with ${exitCode} within 2 s`, async () => {
      const before = connections;
      const child = execa(process.execPath, [BIN, 'run', RUNBOOK, '--yes', '--clusters', silent, '--runs-dir', freshRunsDir()], {
        reject: false,
        env: { NO_COLOR: '1', CI: 'true' },
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        // Connected to the silent target: the run is inside runRunbook (signal handlers installed), stuck on the lease.
        await waitFor(
          'the run to connect to the silent target',
          async () => {
            if (connections === before) throw new Error(`no connection yet; stderr: ${stderr.slice(-200)}`);
          },
          { timeoutMs: 15_000, intervalMs: 50 },
        );
        child.kill(signal);
        await waitFor(
          'the pause notice',
          async () => {
            if (!stderr.includes(`${signal}: pausing at the next safe point`)) throw new Error(stderr.slice(-300));
          },
          { timeoutMs: 5_000, intervalMs: 50 },
        );
        const sent = Date.now();
        child.kill(signal);
        const r = await child;
        expect(r.exitCode, stderr).toBe(exitCode);
        expect(Date.now() - sent).toBeLessThan(2_000);
        expect(stderr).toContain('quitting now; check the audit log before resuming');
      } finally {
        child.kill('SIGKILL');
      }
    }, 40_000);
  }
});

describe('kafka-failover validate: every problem of the runbook and the clusters file in one run', () => {
  let runbook: string;

  beforeAll(async () => {
    runbook = path.join(dir, 'three-problems.yaml');
    await writeFile(
      runbook,
      [
        'apiVersion: kafka-failover/v1',
        'name: x',
        'flow: primary->dr', //                  3: not a flow of the clusters file below
        'steps:',
        '  - id: lag',
        '    kind: check-replication-lag',
        '    timeoutMs: -5', //                   7: structural
        '  - id: tele',
        '    kind: teleport', //                  9: unknown kind
        '  - id: lag2',
        '    kind: check-replication-lag',
        '    with: { maxLagRecords: -5 }', //    12: bad input
        '',
      ].join('\n'),
    );
  });

  it('a structural error does not hide an unknown step kind and bad step inputs', async () => {
    const r = await cli(['validate', runbook]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: 3 problems found:');
    expect(r.stderr).toContain(`${runbook}:7:16 steps[0].timeoutMs: Too small: expected number to be >0`);
    expect(r.stderr).toContain(`${runbook}:9:11 steps[1].kind: unknown step kind "teleport"`);
    expect(r.stderr).toContain(`${runbook}:12:28 steps[2].with.maxLagRecords: Too small: expected number to be >=0`);
  });

  it("--clusters adds the clusters file's problems and the runbook's unknown flow to the same report", async () => {
    const badClusters = path.join(dir, 'bad-clusters.yaml');
    await writeFile(
      badClusters,
      'clusters:\n  dc1: { bootstrapServers: ["no-port"] }\n  dc2: { bootstrapServers: ["dc2:9092"] }\nflows:\n  - { source: dc1, target: dc2 }\n',
    );
    const r = await cli(['validate', runbook, '--clusters', badClusters]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('error: 5 problems found:');
    expect(r.stderr).toContain(`${badClusters}:2:29 clusters.dc1.bootstrapServers[0]: expected host:port, e.g. kafka-1:9092`);
    expect(r.stderr).toContain(`${runbook}:3:7 flow: flow primary->dr is not a flow of ${badClusters} (flows: dc1->dc2)`);
    expect(r.stderr).toContain(`${runbook}:9:11 steps[1].kind: unknown step kind "teleport"`);

    const missing = await cli(['validate', RUNBOOK, '--clusters', path.join(dir, 'nope.yaml'), '--flow', 'a->b']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('error: 2 problems found:');
    expect(missing.stderr).toContain(`${path.join(dir, 'nope.yaml')} (file): Cannot read ${path.join(dir, 'nope.yaml')}: no such file.`);
    expect(missing.stderr).toContain("flow: --flow a->b is not this runbook's flow (primary->dr)");
  });

  it('a valid runbook and clusters file pass (exit 0)', async () => {
    const r = await cli(['validate', RUNBOOK, '--clusters', clusters, '--flow', 'primary->dr']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`OK — planned-failover, flow primary->dr (a flow of ${clusters}, which is valid too)`);
  });
});

describe("the clusters file when --clusters is not given: $KAFKA_FAILOVER_CLUSTERS, else ./clusters.yaml, never the sandbox's", () => {
  it('with neither, plan and offsets say so, name the three ways to give one, exit 2 and create no runs dir', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'kf-no-clusters-'));
    for (const args of [
      ['plan', RUNBOOK, '--runs-dir', path.join(empty, 'runs')],
      ['offsets', 'lag'],
    ]) {
      const r = await cli(args, { cwd: empty });
      expect(r.exitCode, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('No clusters file: --clusters is not given, KAFKA_FAILOVER_CLUSTERS is not set, and ./clusters.yaml does not exist.');
      expect(r.stderr).toContain('--clusters .kafka-failover/sandbox/clusters.yaml');
    }
    nothingWritten(path.join(empty, 'runs'));
  });

  it("KAFKA_FAILOVER_CLUSTERS, then ./clusters.yaml, are the files used (their flow is checked against the runbook's)", async () => {
    const other = path.join(dir, 'env-flow.yaml');
    await writeFile(
      other,
      'clusters:\n  dc1: { bootstrapServers: ["127.0.0.1:1"] }\n  dc2: { bootstrapServers: ["127.0.0.1:2"] }\nflows:\n  - { source: dc1, target: dc2 }\n',
    );
    const fromEnv = await cli(['plan', RUNBOOK, '--runs-dir', freshRunsDir()], { env: { NO_COLOR: '1', CI: 'true', KAFKA_FAILOVER_CLUSTERS: other } });
    expect(fromEnv.exitCode, fromEnv.stderr).toBe(2);
    expect(fromEnv.stderr).toContain(other);
    const local = await mkdtemp(path.join(os.tmpdir(), 'kf-local-clusters-'));
    await writeFile(
      path.join(local, 'clusters.yaml'),
      'clusters:\n  dc3: { bootstrapServers: ["127.0.0.1:1"] }\n  dc4: { bootstrapServers: ["127.0.0.1:2"] }\nflows:\n  - { source: dc3, target: dc4 }\n',
    );
    const fromCwd = await cli(['plan', RUNBOOK, '--runs-dir', path.join(local, 'runs')], { cwd: local });
    expect(fromCwd.exitCode, fromCwd.stderr).toBe(2);
    expect(fromCwd.stderr).toContain(path.join(local, 'clusters.yaml'));
    expect(fromCwd.stderr).toContain('dc3->dc4');
  });
});
