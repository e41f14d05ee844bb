/**
 * The interactive CLI end to end, in a pseudo-terminal (tmux), through `runbooks/planned-failover.yaml` on the
 * sandbox with live traffic:
 * - Ctrl-C at the first confirmation pauses the run (exit 6) and prints the resume command; nothing was written;
 * - the resumed run asks again; a rogue producer keeps the freeze gate failing, the operator is shown observed vs
 *   expected and overrides it with a typed reason;
 * - the offset plan table is on screen before the reset confirmation, which (like redirect) needs the target alias
 *   typed; the run succeeds (exit 0);
 * - the audit log (one hash chain across pause and resume) holds the pause, the operator's decision and reason, and
 *   every confirmation as the operator's.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditText } from '../../src/engine/audit.js';
import { createKafkaPort } from '../../src/kafka/kafkajs-adapter.js';
import type { KafkaPort } from '../../src/kafka/port.js';
import { sandboxUp } from '../../src/rehearsal/sandbox/sandbox.js';
import { eventually, resetSharedSandbox, sandbox, startSandboxTraffic, uniqueName, waitForFreeLease } from './helpers.js';
import { Tmux } from './tmux.js';

const id = uniqueName('tty').replace('tty-', '');
const topics = [`orders-${id}`, `payments-${id}`];
const rogueTopic = `audit-${id}`;
const groups = [`billing-${id}`, `shipping-${id}`];
let tmp: string;
let traffic: ResultPromise;
let primary: KafkaPort;
let dr: KafkaPort;
const term = new Tmux();

beforeAll(async () => {
  await resetSharedSandbox();
  await waitForFreeLease();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'kf-tty-'));
  primary = createKafkaPort('primary', { bootstrapServers: sandbox().clusters.primary.bootstrapServers });
  dr = createKafkaPort('dr', { bootstrapServers: sandbox().clusters.dr.bootstrapServers });
  await primary.createTopic(rogueTopic, 1);
  await primary.produce(rogueTopic, [{ value: 'first' }]);
  traffic = (await startSandboxTraffic({ rate: 100, topics: [`${topics[0]}:3`, `${topics[1]}:2`], groups: [groups[0]!, `${groups[1]}:10`] })).child;
  // MM2 must replicate the rogue topic too, or the lag gate cannot measure it.
  await eventually('the rogue topic to be replicated', async () => ((await dr.listTopics()).includes(`primary.${rogueTopic}`) ? true : undefined), 90_000);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', PS1: '$ ' };
  delete env.CI; // CI=true would make the run non-interactive
  await term.start(path.resolve('.'), env);
});

afterAll(async () => {
  await term.kill();
  traffic?.kill('SIGINT');
  await traffic;
  await Promise.all([primary?.close(), dr?.close()]);
  await sandboxUp({ stateDir: sandbox().options.stateDir }); // MM2 back for the next test file
});

describe('interactive planned failover in a terminal', () => {
  it('pauses on Ctrl-C, resumes, takes an override with a typed reason, confirms with the typed alias, and audits it all', async () => {
    const runsDir = path.join(tmp, 'runs');
    const args = [
      '--clusters',
      sandbox().clustersFile,
      '--runs-dir',
      runsDir,
      '--set',
      `stateDir=${sandbox().options.stateDir}`,
      '--set',
      `groups=${groups.join('|')}`,
      '--set',
      `topics=${[...topics, rogueTopic].join('|')}`,
    ]
      .map((a) => `'${a}'`)
      .join(' '); // quoted: the group and topic selections contain "|"
    await term.line(`node bin/kafka-failover.js run runbooks/planned-failover.yaml ${args}; echo "EXIT=$?"`);

    // 1. Ctrl-C at the first confirmation: paused, resumable, nothing written.
    let at = (await term.waitFor(/Run step "freeze" \(freeze-writes\)\?/)).end;
    await term.keys('C-c');
    const paused = await term.waitFor(/to continue: (kafka-failover resume (\S+) --runs-dir \S+)[\s\S]*EXIT=(\d+)/, at);
    expect(paused.match[3]).toBe('6');
    const runId = paused.match[2]!;
    at = paused.end;

    // 2. Resume with a rogue producer still writing to a frozen topic.
    let rogue = true;
    const rogueWriter = (async () => {
      for (let i = 0; rogue; i++) {
        await primary.produce(rogueTopic, [{ value: `rogue-${i}` }]);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await term.line(`node bin/${paused.match[1]!.replace('kafka-failover', 'kafka-failover.js')}; echo "EXIT=$?"`);
    at = (await term.waitFor(/Run step "freeze" \(freeze-writes\)\?/, at)).end;
    await term.type('y');
    await term.keys('Enter');
    // The freeze gate fails for its 30 s wait, then the menu shows observed vs expected.
    const menu = await term.waitFor(
      /writes-frozen\s*│ FAILED\s*│ \{"appendedRecords":(\d+)[^\n]*│ 0 records appended in 3000 ms[\s\S]*Step "freeze" is blocked by writes-frozen\. What now\?/,
      at,
      90_000,
    );
    expect(Number(menu.match[1])).toBeGreaterThan(0);
    rogue = false;
    await rogueWriter;
    await term.keys('Down', 'Down', 'Enter'); // retry, wait, → override
    at = (await term.waitFor(/Why override freeze\.writes-frozen\?/, menu.end)).end;
    const reason = 'rogue writer was the smoke-test job, stopped by the on-call at 03:12';
    await term.line(reason);

    // 3. The offset plan is on screen before the reset confirmation; both writes to dr need "dr" typed.
    const reset = await term.waitFor(
      /plan of reset:\n([\s\S]*?)records to re-read in total: (\d+)[\s\S]*Type "dr" to let step "reset" write to dr/,
      at,
      180_000,
    );
    for (const g of groups) expect(reset.match[1]).toContain(g);
    await term.line('dr');
    at = (await term.waitFor(/Type "dr" to let step "redirect" write to dr/, reset.end)).end;
    await term.line('dr');
    const end = await term.waitFor(/run (\w+) in [\d.]+ s \(exit (\d+)\)[\s\S]*EXIT=(\d+)/, at, 180_000);
    expect(end.match[1]).toBe('succeeded');
    expect(end.match[3]).toBe('0');
    const screen = await term.screen();
    expect(screen).toContain(`gate writes-frozen OVERRIDDEN by operator: "${reason}"`);
    expect(screen).toMatch(/Summary:[\s\S]*offsets written: 2 group\(s\), \d+ partition\(s\); records re-read: \d+; records skipped: 0/);

    // 4. The audit log: one verified chain across the pause, with the operator's decisions.
    const text = readFileSync(path.join(runsDir, runId, 'audit.jsonl'), 'utf8');
    expect(verifyAuditText(text)).toMatchObject({ ok: true });
    const audit = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const kinds = audit.map((e) => e.kind);
    expect(kinds.indexOf('run.paused')).toBeLessThan(kinds.indexOf('run.resumed'));
    expect(audit.slice(0, kinds.indexOf('run.paused')).filter((e) => String(e.kind).startsWith('write.'))).toEqual([]);
    expect(audit.find((e) => e.kind === 'run.paused')).toMatchObject({
      step: 'freeze',
      reason: expect.stringContaining('ended without an answer (ExitPromptError'),
    });
    expect(audit.find((e) => e.kind === 'gate.decision')).toMatchObject({ step: 'freeze', gates: ['writes-frozen'], decision: 'override', by: 'operator' });
    expect(audit.find((e) => e.kind === 'gate.overridden')).toMatchObject({ step: 'freeze', gate: 'writes-frozen', reason, by: 'operator' });
    expect(audit.filter((e) => e.kind === 'confirm').map((e) => [e.step, e.granted, e.by])).toEqual([
      ['freeze', true, 'operator'],
      ['reset', true, 'operator'],
      ['redirect', true, 'operator'],
    ]);
    expect(audit.at(-1)).toMatchObject({ kind: 'run.finished', outcome: 'succeeded', exitCode: 0 });
  });
});
