/**
 * The CLI's prompter over a fake prompt module (the @inquirer/prompts call shape): what the operator is shown and
 * asked, that every question carries the run's signal, that an override needs a real reason, and that typing the
 * wrong alias is a refusal.
 */
import { describe, expect, it } from 'vitest';
import type { GateResult } from '../../../src/engine/events.js';
import { createPrompter, MIN_REASON_LENGTH, type PromptModule } from '../../../src/cli/prompts.js';

const gate: GateResult = { id: 'max-lag', description: 'replication lag', observed: { totalLagRecords: 120 }, expected: '≤ 0 records', ok: false };

/** A fake module answering from a queue, keeping every call's config and signal. */
function fake(answers: unknown[]) {
  const calls: { type: string; config: Record<string, unknown>; signal?: AbortSignal }[] = [];
  const next = (type: string) => async (config: Record<string, unknown>, ctx?: { signal?: AbortSignal }) => {
    calls.push({ type, config, ...(ctx?.signal ? { signal: ctx.signal } : {}) });
    if (!answers.length) throw new Error(`unexpected ${type} prompt`);
    return answers.shift();
  };
  const mod = { confirm: next('confirm'), input: next('input'), select: next('select'), number: next('number') } as unknown as PromptModule;
  return { mod, calls };
}

function screen() {
  const order: string[] = [];
  return { order, beforePrompt: () => order.push('before'), afterPrompt: () => order.push('after') };
}

describe('createPrompter', () => {
  const signal = new AbortController().signal;

  it('names the failing gates and offers retry, wait, override and abort, after flushing the screen', async () => {
    const { mod, calls } = fake(['retry']);
    const s = screen();
    const d = await createPrompter(mod, s).gateDecision!('lag', [gate], signal);
    expect(d).toEqual({ action: 'retry' });
    expect(calls[0]!.config.message).toBe('Step "lag" is blocked by max-lag. What now?');
    expect((calls[0]!.config.choices as { value: string }[]).map((c) => c.value)).toEqual(['retry', 'wait', 'override', 'abort']);
    expect(calls[0]!.signal).toBe(signal);
    expect(s.order).toEqual(['before', 'after']);
  });

  it('"wait" asks for a limit in seconds and returns it in ms', async () => {
    const { mod, calls } = fake(['wait', 90]);
    expect(await createPrompter(mod, screen()).gateDecision!('lag', [gate], signal)).toEqual({ action: 'wait', timeoutMs: 90_000 });
    expect(calls[1]).toMatchObject({ type: 'number', config: { min: 1, max: 3600 } });
  });

  it('"override" demands a reason of at least 10 characters and returns it trimmed', async () => {
    const { mod, calls } = fake(['override', '  approved by the incident lead  ']);
    expect(await createPrompter(mod, screen()).gateDecision!('lag', [gate], signal)).toEqual({ action: 'override', reason: 'approved by the incident lead' });
    const validate = calls[1]!.config.validate as (v: string) => boolean | string;
    expect(validate('ok')).toMatch(/at least 10 characters/);
    expect(validate('  short    ')).toMatch(/at least/);
    expect(validate('x'.repeat(MIN_REASON_LENGTH))).toBe(true);
    expect(calls[1]!.config.message).toContain('lag.max-lag');
  });

  it('type-to-confirm accepts only the exact alias; confirmations default to no', async () => {
    const { mod, calls } = fake(['dr ', 'prod-dr', true]);
    const p = createPrompter(mod, screen());
    expect(await p.typeToConfirm('dr', 'Type "dr"', signal)).toBe(true);
    expect(await p.typeToConfirm('dr', 'Type "dr"', signal)).toBe(false);
    expect(await p.confirm('Run step?', signal)).toBe(true);
    expect(calls[2]!.config).toMatchObject({ default: false });
  });

  it('a prompt that rejects (Ctrl-C in the prompt, timeout) rejects the call: the engine pauses', async () => {
    const mod = {
      select: async () => Promise.reject(Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' })),
    } as unknown as PromptModule;
    const s = screen();
    await expect(createPrompter(mod, s).gateDecision!('lag', [gate], signal)).rejects.toThrow(/force closed/);
    expect(s.order).toEqual(['before', 'after']);
  });
});
