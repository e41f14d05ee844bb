/**
 * A runbook's problems are reported all at once: a structural (schema) error does not hide the checks after the
 * schema (step kinds, step inputs, parameters, the flow against a clusters file).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbook, type LoadRunbookOptions } from '../../../src/engine/load-runbook.js';
import { ValidationError } from '../../../src/errors.js';
import { builtinRegistry } from '../../../src/steps/index.js';

async function problems(lines: string[], sets: Record<string, string> = {}, options: LoadRunbookOptions = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kf-rb-all-'));
  const file = path.join(dir, 'rb.yaml');
  await writeFile(file, lines.join('\n') + '\n');
  const err = await loadRunbook(file, builtinRegistry(), sets, options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`);
}

const head = ['apiVersion: kafka-failover/v1', 'name: x', 'flow: primary->dr'];

describe('runbook validation reports every problem at once', () => {
  it('a structural error (timeoutMs: -5) does not hide an unknown step kind and bad step inputs', async () => {
    const list = await problems([
      ...head, //                                  1-3
      'steps:', //                                 4
      '  - id: lag', //                            5
      '    kind: check-replication-lag', //        6
      '    timeoutMs: -5', //                      7
      '  - id: tele', //                           8
      '    kind: teleport', //                     9
      '  - id: lag2', //                          10
      '    kind: check-replication-lag', //       11
      '    with: { maxLagRecords: -5 }', //       12
    ]);
    expect(list).toEqual([
      '7:16 steps[0].timeoutMs: Too small: expected number to be >0',
      '9:11 steps[1].kind: unknown step kind "teleport"',
      '12:28 steps[2].with.maxLagRecords: Too small: expected number to be >=0',
    ]);
  });

  it('an unknown top-level key, a bad parameter declaration and a bad --set are reported with the step problems', async () => {
    const list = await problems(
      [
        ...head, //                                                       1-3
        'colour: blue', //                                                4
        'parameters:', //                                                 5
        '  lag: { type: integer, default: 0 }', //                        6
        '  broken: { type: text }', //                                    7
        'steps:', //                                                      8
        '  - id: a', //                                                   9
        '    kind: check-replication-lag', //                            10
        '    with: { maxLagRecords: "${params.broken}" }', //            11 (uses the broken parameter: not checked further)
        '  - id: b', //                                                  12
        '    kind: check-replication-lag', //                            13
        '    with: { maxLagRecords: "${params.lag}" }', //               14 (the --set is refused: not checked further)
        '    onFailure: compensate', //                                  15
      ],
      { lag: '0x10' },
    );
    expect(list).toEqual([
      '4:9 (top level): Unrecognized key: "colour"',
      '6:8 parameters.lag: --set lag: expected integer, got "0x10"',
      '7:19 parameters.broken.type: Invalid option: expected one of "string"|"integer"|"number"|"boolean"',
      '15:16 steps[1].onFailure: onFailure: compensate needs a "compensate" step',
    ]);
  });

  it('--set keys are own properties: constructor, __proto__ and toString name no parameter', async () => {
    const sets = Object.create(null) as Record<string, string>;
    for (const key of ['constructor', '__proto__', 'toString']) sets[key] = '1'; // as pairs() builds them from --set
    const list = await problems([...head, 'steps:', '  - id: a', '    kind: check-replication-lag'], sets);
    expect(list).toEqual([
      '1:1 parameters: --set constructor: no such parameter',
      '1:1 parameters: --set __proto__: no such parameter',
      '1:1 parameters: --set toString: no such parameter',
    ]);
  });

  it('numbers from --set are decimal only', async () => {
    const rb = [...head, 'parameters:', '  n: { type: number, default: 1 }', 'steps:', '  - id: a', '    kind: check-replication-lag'];
    for (const bad of ['0x10', '1e3', '0b1', 'Infinity', ' 5', ''])
      expect(await problems(rb, { n: bad })).toEqual([`5:6 parameters.n: --set n: expected number, got ${JSON.stringify(bad)}`]);
  });

  it("the flow must be one of the clusters file's flows, and --flow must be the runbook's", async () => {
    const list = await problems(
      [...head, 'steps:', '  - id: a', '    kind: teleport'],
      {},
      { clusters: { file: 'c.yaml', flows: [{ source: 'dc1', target: 'dc2' }] }, flowOption: 'a->b' },
    );
    expect(list).toEqual([
      '3:7 flow: flow primary->dr is not a flow of c.yaml (flows: dc1->dc2)',
      "3:7 flow: --flow a->b is not this runbook's flow (primary->dr)",
      '6:11 steps[0].kind: unknown step kind "teleport"',
    ]);
  });
});
