/** docs/events.md documents every event kind the engine can emit (the JSON output's schema), and nothing else. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUN_EVENT_KINDS } from '../../../src/engine/events.js';

describe('docs/events.md', () => {
  it('has one section per event kind of the RunEvent union', () => {
    const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^### `([a-z.]+)`$/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual([...RUN_EVENT_KINDS].sort());
  });
});
