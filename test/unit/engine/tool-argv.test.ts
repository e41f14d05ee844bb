/**
 * `${tool.argv}`: in a hook's argv it expands to the running Node binary and this package's bin script (two
 * elements), so hooks run the installation that runs the runbook; the shipped runbooks use it and never npx.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { resolve } from '../../../src/engine/templates.js';
import { builtinRegistry } from '../../../src/steps/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const runbooksDir = path.join(root, 'runbooks');
const scope = { params: { stateDir: '/tmp/s' }, steps: {}, flow: { source: 'a', target: 'b' } };

/** Every array of strings in a value (hook argvs). */
function argvs(value: unknown, out: unknown[][] = []): unknown[][] {
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) out.push(value);
    else value.forEach((v) => argvs(v, out));
  } else if (value && typeof value === 'object') Object.values(value).forEach((v) => argvs(v, out));
  return out;
}

describe('${tool.argv}', () => {
  it('expands, as an argv element, to [process.execPath, absolute bin/kafka-failover.js] followed by the rest', () => {
    const argv = resolve(['${tool.argv}', 'sandbox', 'traffic-ctl', 'freeze', '--state-dir', '${params.stateDir}'], scope) as string[];
    expect(argv).toEqual([process.execPath, path.join(root, 'bin', 'kafka-failover.js'), 'sandbox', 'traffic-ctl', 'freeze', '--state-dir', '/tmp/s']);
    expect(path.isAbsolute(argv[1]!)).toBe(true);
    expect(existsSync(argv[1]!)).toBe(true);
  });

  it('the shipped runbooks call the tool through ${tool.argv}, never npx, and their hook commands resolve to this installation', async () => {
    const files = readdirSync(runbooksDir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    let toolHooks = 0;
    for (const f of files) {
      const loaded = await loadRunbook(path.join(runbooksDir, f), builtinRegistry());
      for (const step of loaded.runbook.steps) {
        const resolved = resolve(step.with, { params: loaded.params, steps: {}, flow: loaded.flow }, (ref) => ref.startsWith('steps.'));
        for (const argv of argvs(resolved)) {
          expect(argv[0], `${f} step ${step.id}: ${JSON.stringify(argv)}`).not.toBe('npx');
          expect(argv, `${f} step ${step.id}`).not.toContain('kafka-failover');
          if (argv[0] === process.execPath) {
            toolHooks++;
            expect(argv[1]).toBe(path.join(root, 'bin', 'kafka-failover.js'));
          }
        }
      }
    }
    expect(toolHooks).toBe(15); // planned-failover 3, failback 4, emergency-failover 1, stretch-site-loss 1, stretch-site-recovery 1, active-active-move 3, aggregate-move 2
  });
});
