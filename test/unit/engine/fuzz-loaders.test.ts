/**
 * Fuzzing the runbook and clusters-file loaders with fast-check: 5,000 mutations of each shipped file
 * (runbooks/planned-failover.yaml, docs/compose-clusters.yaml) — characters replaced, inserted and deleted, lines
 * dropped and duplicated. A loader may accept the text or refuse it with a typed input error whose message has
 * positions and no stack trace; nothing else may come out.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadClustersFile } from '../../../src/clusters/load.js';
import { loadRunbook } from '../../../src/engine/load-runbook.js';
import { InvalidInputError } from '../../../src/errors.js';
import { builtinRegistry } from '../../../src/steps/index.js';

type Op = { kind: 'replace' | 'insert' | 'delete' | 'drop-line' | 'dup-line'; at: number; ch: string };
const op = fc.record({
  kind: fc.constantFrom('replace', 'insert', 'delete', 'drop-line', 'dup-line') as fc.Arbitrary<Op['kind']>,
  at: fc.nat(),
  ch: fc.constantFrom(':', '-', ' ', '\n', '"', "'", '{', '}', '[', ']', '#', '&', '*', '!', '|', '>', '$', '\t', 'a', '0', '9', '.', ',', '\u00e9'),
});

function mutate(text: string, ops: Op[]): string {
  let t = text;
  for (const o of ops) {
    const i = t.length ? o.at % t.length : 0;
    if (o.kind === 'replace') t = t.slice(0, i) + o.ch + t.slice(i + 1);
    else if (o.kind === 'insert') t = t.slice(0, i) + o.ch + t.slice(i);
    else if (o.kind === 'delete') t = t.slice(0, i) + t.slice(i + 1);
    else {
      const lines = t.split('\n');
      const n = o.at % lines.length;
      if (o.kind === 'drop-line') lines.splice(n, 1);
      else lines.splice(n, 0, lines[n]!);
      t = lines.join('\n');
    }
  }
  return t;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'kf-fuzz-'));
const registry = builtinRegistry();

async function fuzz(original: string, name: string, load: (file: string) => Promise<unknown>) {
  let accepted = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 4 }), async (ops) => {
      const file = path.join(dir, name);
      writeFileSync(file, mutate(original, ops));
      try {
        await load(file);
        accepted++;
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidInputError);
        const message = (error as Error).message;
        expect(message).not.toMatch(/\n\s+at .+:\d+:\d+\)?$/m); // no stack frames
        refused++;
      }
    }),
    { numRuns: 5000 },
  );
  return { accepted, refused };
}

describe('loader fuzzing (fast-check)', () => {
  it('runbooks/planned-failover.yaml: 5,000 mutations, only typed input errors', async () => {
    const r = await fuzz(readFileSync('runbooks/planned-failover.yaml', 'utf8'), 'rb.yaml', (f) => loadRunbook(f, registry));
    expect(r.accepted + r.refused).toBe(5000);
    expect(r.refused).toBeGreaterThan(1000);
  }, 120_000);

  it('docs/compose-clusters.yaml: 5,000 mutations, only typed input errors', async () => {
    const r = await fuzz(readFileSync('docs/compose-clusters.yaml', 'utf8'), 'clusters.yaml', (f) => loadClustersFile(f));
    expect(r.accepted + r.refused).toBe(5000);
    expect(r.refused).toBeGreaterThan(1000);
  }, 120_000);
});
