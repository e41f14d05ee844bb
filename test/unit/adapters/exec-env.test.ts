/**
 * Hooks and secrets, through the executor and the real exec port (execa, real processes): a hook's environment is
 * PATH, HOME, LANG, TZ plus what the runbook's `env` names — never a variable the clusters file reads a secret from,
 * nor anything else of the tool's environment — and hook output is redacted before it is cut to 4 KiB.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoadedClusters } from '../../../src/clusters/load.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { execStep } from '../../../src/steps/exec.js';
import { clusters, fakeKafka } from '../engine/fixtures.js';

const SECRET = 'h3-Pl4nted-Secret-Value';
const reg = new StepRegistry().register(execStep);

/** Clusters whose `b` reads its SASL password from KF_H3_PW. */
const withPasswordEnv: LoadedClusters = {
  ...clusters,
  config: {
    ...clusters.config,
    clusters: { ...clusters.config.clusters, b: { bootstrapServers: ['h:2'], sasl: { mechanism: 'scram-sha-512', username: 'u', passwordEnv: 'KF_H3_PW' } } },
  },
};

async function runHook(yaml: string, loaded: LoadedClusters = withPasswordEnv) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-exec-env-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, `apiVersion: kafka-failover/v1\nname: t\nflow: a->b\n${yaml}`);
  const runbook = await loadRunbook(file, reg);
  const r = await runRunbook({
    runbook,
    clusters: loaded,
    registry: reg,
    dryRun: false,
    yes: true,
    runsDir: path.join(dir, 'runs'),
    kafka: fakeKafka,
    lock: false,
  });
  return { ...r, dir, audit: readFileSync(r.auditFile, 'utf8') };
}

/** `env` output of a hook as NAME → value. */
function envOf(stdout: unknown): Record<string, string> {
  return Object.fromEntries(
    String(stdout)
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

afterEach(() => {
  for (const k of ['KF_H3_PW', 'KF_H3_UNRELATED', 'KF_H3_ALLOWED']) delete process.env[k];
});

describe('hook environment', () => {
  it('a hook running env sees neither the passwordEnv variable nor unrelated variables of the tool, only PATH, HOME, LANG, TZ', async () => {
    process.env.KF_H3_PW = SECRET;
    process.env.KF_H3_UNRELATED = 'tool-only';
    const r = await runHook('steps:\n  - id: env\n    kind: exec\n    with: { command: [env] }\n');
    expect(r.outcome).toBe('succeeded');
    const env = envOf(r.outputs.env?.stdout);
    expect(Object.keys(env)).not.toContain('KF_H3_PW');
    expect(Object.keys(env)).not.toContain('KF_H3_UNRELATED');
    expect(r.audit).not.toContain('KF_H3_PW');
    expect(r.audit).not.toContain(SECRET);
    expect(env.PATH).toBe(process.env.PATH);
    for (const name of Object.keys(env)) expect(['PATH', 'HOME', 'LANG', 'TZ', 'PWD', 'SHLVL', '_']).toContain(name);
  });

  it("the runbook's env.allow and env.set reach the hook, and nothing else", async () => {
    process.env.KF_H3_ALLOWED = 'allowed-value';
    process.env.KF_H3_UNRELATED = 'tool-only';
    const r = await runHook(
      'env:\n  allow: [KF_H3_ALLOWED, KF_H3_NOT_SET]\n  set: { REGION: eu-west-1 }\nsteps:\n  - id: env\n    kind: exec\n    with: { command: [env] }\n',
    );
    expect(r.outcome).toBe('succeeded');
    const env = envOf(r.outputs.env?.stdout);
    expect(env).toMatchObject({ KF_H3_ALLOWED: 'allowed-value', REGION: 'eu-west-1' });
    expect(env).not.toHaveProperty('KF_H3_NOT_SET');
    expect(env).not.toHaveProperty('KF_H3_UNRELATED');
  });

  it('an env.allow naming the variable the clusters file reads a password from fails the hook before it runs, naming the variable only', async () => {
    process.env.KF_H3_PW = SECRET;
    const r = await runHook('env:\n  allow: [KF_H3_PW]\nsteps:\n  - id: env\n    kind: exec\n    with: { command: [sh, -c, "echo ran > ran.txt"] }\n');
    expect(r.outcome).toBe('failed');
    expect(r.message).toContain('KF_H3_PW');
    expect(r.message).toContain('hooks never get secret variables');
    expect(r.audit).not.toContain(SECRET);
    expect(r.audit).not.toContain('"kind":"write.done"');
  });
});

describe('hook output redaction', () => {
  it('a secret straddling the 4 KiB cut is redacted before the cut (no partial secret kept)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-exec-cut-'));
    const pwFile = path.join(dir, 'pw');
    await writeFile(pwFile, SECRET);
    const withPasswordFile: LoadedClusters = {
      file: path.join(dir, 'clusters.yaml'),
      config: {
        ...clusters.config,
        clusters: { ...clusters.config.clusters, b: { bootstrapServers: ['h:2'], sasl: { mechanism: 'scram-sha-512', username: 'u', passwordFile: pwFile } } },
      },
    };
    // 8 characters of the secret before the last 4096 characters of output, the rest (and 4096 - 15 x) after.
    const after = 4096 - (SECRET.length - 8);
    const r = await runHook(
      `steps:\n  - id: cut\n    kind: exec\n    with: { command: [sh, -c, 'printf "%05000d" 0; cat ${pwFile}; printf "%0${after}d" 0'] }\n`,
      withPasswordFile,
    );
    expect(r.outcome).toBe('succeeded');
    const stdout = String(r.outputs.cut?.stdout);
    expect(stdout).toContain('***');
    for (const piece of [SECRET.slice(0, 8), SECRET.slice(8), SECRET.slice(-8)]) expect(r.audit).not.toContain(piece);
    expect(stdout.length).toBeLessThanOrEqual(4097);
  });
});
