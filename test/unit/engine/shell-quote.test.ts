/**
 * Template values never become shell code: a reference inside a shell hook's command is refused at load time (so
 * `validate` fails, and a `--set` value with `;`, `$(…)`, backticks or a newline never reaches /bin/sh), every shell
 * hook is warned about, and string parameters may declare a `pattern` their values must match.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { runRunbook } from '../../../src/engine/executor.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { StepRegistry } from '../../../src/engine/registry.js';
import { execStep, redirectStep } from '../../../src/steps/exec.js';
import { clusters, fakeKafka } from './fixtures.js';

const reg = new StepRegistry().register(execStep).register(redirectStep);

async function setup(yaml: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-shell-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, `apiVersion: kafka-failover/v1\nname: t\nflow: a->b\n${yaml}`);
  return { dir, file };
}

const INJECTIONS = (marker: string) => [`x; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `x\ntouch ${marker}`];

describe('shell hooks', () => {
  it('a --set value in a shell hook is refused at load time and never runs a command (; $( ) backticks newline)', async () => {
    for (const value of INJECTIONS('MARKER')) {
      const { dir, file } = await setup(
        `parameters:\n  ns: { type: string, default: prod }\nsteps:\n  - id: hook\n    kind: exec\n    with: { command: [echo, "\${params.ns}"], shell: true }\n`,
      );
      const marker = path.join(dir, 'pwned');
      const err = await loadRunbook(file, reg, { ns: value.replace('MARKER', marker) })
        .then((runbook) =>
          runRunbook({ runbook, clusters, registry: reg, dryRun: false, yes: true, runsDir: path.join(dir, 'runs'), kafka: fakeKafka, lock: false }),
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(existsSync(marker), `--set ns=${JSON.stringify(value)} ran a command`).toBe(false);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems).toEqual([
        expect.objectContaining({ field: 'steps[0].with.command[1]', line: 9, message: expect.stringContaining('${params.ns} inside a shell hook') }),
      ]);
    }
  });

  it('step outputs and flow names in shell hooks (redirect commands, compensate) are refused too', async () => {
    const { file } = await setup(
      'steps:\n  - id: a\n    kind: exec\n    with: { command: ["true"] }\n  - id: b\n    kind: redirect\n    with: { commands: [["echo ${steps.a.outputs.stdout}"]], shell: true }\n    onFailure: compensate\n    compensate: { kind: exec, with: { command: ["echo ${flow.target}"], shell: true } }\n',
    );
    const err = (await loadRunbook(file, reg).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems.map((p) => p.field)).toEqual(['steps[1].with.commands[0][0]', 'steps[1].compensate.with.command[0]']);
  });

  it('validate warns on every shell hook, with its line, even one without templates', async () => {
    const { file } = await setup(
      'steps:\n  - id: a\n    kind: exec\n    with: { command: ["kubectl get pods | wc -l"], shell: true }\n  - id: b\n    kind: exec\n    with: { command: [kubectl, get, pods] }\n    onFailure: compensate\n    compensate: { kind: exec, with: { command: ["echo undo"], shell: true } }\n',
    );
    const loaded = await loadRunbook(file, reg);
    expect(loaded.warnings.map((w) => [w.field, w.line])).toEqual([
      ['steps[0].with.shell', 7],
      ['steps[1].compensate.with.shell', 12],
    ]);
    expect(loaded.warnings[0]!.message).toContain('runs its command through /bin/sh');
  });

  it('a hook without a shell takes the same hostile --set value as one literal argv element', async () => {
    const { dir, file } = await setup(
      `parameters:\n  ns: { type: string, default: prod }\nsteps:\n  - id: hook\n    kind: exec\n    with: { command: [echo, "\${params.ns}"] }\n`,
    );
    const marker = path.join(dir, 'pwned');
    const runbook = await loadRunbook(file, reg, { ns: `$(touch ${marker}); touch ${marker}` });
    expect(runbook.warnings).toEqual([]);
    const r = await runRunbook({ runbook, clusters, registry: reg, dryRun: false, yes: true, runsDir: path.join(dir, 'runs'), kafka: fakeKafka, lock: false });
    expect(r.outcome).toBe('succeeded');
    expect(existsSync(marker)).toBe(false);
    expect(String(r.outputs.hook?.stdout)).toBe(`$(touch ${marker}); touch ${marker}`);
  });
});

describe('parameter pattern', () => {
  const yaml =
    'parameters:\n  ns: { type: string, default: prod, pattern: "[a-z0-9-]+" }\nsteps:\n  - id: hook\n    kind: exec\n    with: { command: [echo, "${params.ns}"] }\n';

  it('a --set value must match the whole pattern', async () => {
    const { file } = await setup(yaml);
    expect((await loadRunbook(file, reg, { ns: 'staging-2' })).params.ns).toBe('staging-2');
    const err = (await loadRunbook(file, reg, { ns: 'prod; rm -rf /' }).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems).toContainEqual(
      expect.objectContaining({ field: 'parameters.ns', message: expect.stringContaining("does not match the parameter's pattern [a-z0-9-]+ (whole value)") }),
    );
  });

  it('the default must match too, and pattern is refused on non-string parameters', async () => {
    const bad = await setup(
      'parameters:\n  ns: { type: string, default: "Prod!", pattern: "[a-z]+" }\n  n: { type: integer, default: 1, pattern: "[0-9]+" }\nsteps:\n  - id: hook\n    kind: exec\n    with: { command: [echo, "${params.ns}"] }\n',
    );
    const err = (await loadRunbook(bad.file, reg).catch((e: unknown) => e)) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.problems.map((p) => p.field).sort()).toEqual(['parameters.n.pattern', 'parameters.ns']);
  });
});
