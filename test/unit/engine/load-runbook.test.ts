/** Runbook validation: every problem at once with file:line:column and a hint; the shipped runbooks are valid. */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { ValidationError } from '../../../src/errors.js';
import { builtinRegistry } from '../../../src/steps/index.js';

async function problems(yaml: string, sets: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-rb-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, yaml);
  const err = await loadRunbook(file, builtinRegistry(), sets).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).problems;
}

describe('runbook loader', () => {
  it('accepts every shipped runbook', async () => {
    const files = (await readdir('runbooks')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files)
      await expect(loadRunbook(path.join('runbooks', f), builtinRegistry())).resolves.toMatchObject({ runbook: { apiVersion: 'kafka-failover/v1' } });
  });

  it('reports unknown kinds, unknown variables, negative thresholds, duplicate ids and bad --set values together', async () => {
    const list = await problems(
      [
        'apiVersion: kafka-failover/v1', // 1
        'name: x', // 2
        'flow: primary->dr', // 3
        'parameters:', // 4
        '  maxLag: { type: integer, default: 0, minimum: 0 }', // 5
        'steps:', // 6
        '  - id: lag', // 7
        '    kind: check-replication-lag', // 8
        '    with: { maxLagRecords: -5 }', // 9
        '  - id: lag', // 10
        '    kind: teleport', // 11
        '  - id: t', // 12
        '    kind: translate-offsets', // 13
        '    with: { groups: "${params.nope}" }', // 14
      ].join('\n'),
      { maxLag: 'many' },
    );
    const by = (field: string) => list.find((p) => p.field === field);
    expect(by('parameters.maxLag')).toMatchObject({ line: 5, message: '--set maxLag: expected integer, got "many"' });
    expect(by('steps[0].with.maxLagRecords')).toMatchObject({ line: 9 });
    expect(by('steps[1].id')).toMatchObject({ line: 10, message: 'duplicate step id "lag" (also step 1)' });
    expect(by('steps[1].kind')).toMatchObject({ line: 11, message: 'unknown step kind "teleport"', hint: expect.stringContaining('translate-offsets') });
    expect(by('steps[2].with.groups')).toMatchObject({ line: 14, message: 'unknown template variable ${params.nope}' });
  });

  it("refuses a reference to a later step's outputs", async () => {
    const list = await problems(
      'apiVersion: kafka-failover/v1\nname: x\nflow: a->b\nsteps:\n  - id: reset\n    kind: reset-consumer-groups\n    with: { plan: "${steps.translate.outputs.plan}" }\n  - id: translate\n    kind: translate-offsets\n',
    );
    expect(list[0]).toMatchObject({ line: 7, message: '${steps.translate.outputs.plan} does not name the outputs of an earlier step' });
  });

  it('reports malformed YAML and a missing apiVersion with positions', async () => {
    expect((await problems('name: [unclosed\n'))[0]).toMatchObject({ field: '(yaml)', line: expect.any(Number) });
    expect(await problems('name: x\nflow: a->b\nsteps: []\n')).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'apiVersion' }), expect.objectContaining({ field: 'steps' })]),
    );
  });
});
