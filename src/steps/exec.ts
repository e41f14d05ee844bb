/**
 * `exec` (one hook) and `redirect` (hooks that repoint clients): commands run through the exec port — an argument
 * array, no shell unless `shell: true`, a timeout, output captured in the audit log. A non-zero exit fails the
 * step unless `allowFailure`.
 */
import { z } from 'zod';
import type { StepContext } from '../engine/step.js';
import { defineStep } from '../engine/step.js';

const argv = z.array(z.string().min(1)).min(1);

async function runHook(ctx: StepContext, action: string, command: string[], o: { timeoutMs: number; shell: boolean; allowFailure: boolean }) {
  const r = await ctx.write({ action, details: { argv: command, shell: o.shell } }, () =>
    ctx.exec.run(command, { timeoutMs: o.timeoutMs, shell: o.shell, signal: ctx.signal }),
  );
  if (r && r.exitCode !== 0 && !o.allowFailure)
    throw new Error(`hook ${JSON.stringify(command)} exited with ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.trim().slice(-500)}`);
  return r;
}

export const execStep = defineStep({
  kind: 'exec',
  description: 'run one hook command (argument array, no shell unless asked, timeout, output audited)',
  writes: true,
  flowless: true,
  input: z.strictObject({
    command: argv,
    timeoutMs: z.number().int().positive().default(60_000),
    shell: z.boolean().default(false),
    allowFailure: z.boolean().default(false),
  }),
  async check() {
    return {};
  },
  async apply(ctx, input) {
    const r = await runHook(ctx, 'run hook', input.command, input);
    return r ? { exitCode: r.exitCode, stdout: r.stdout } : {};
  },
});

export const redirectStep = defineStep({
  kind: 'redirect',
  description: 'run the hooks that repoint producers and consumers to the target (kubectl, DNS, config pushes)',
  writes: true,
  flowless: true,
  input: z.strictObject({ commands: z.array(argv).min(1), timeoutMs: z.number().int().positive().default(120_000), shell: z.boolean().default(false) }),
  async check() {
    return {};
  },
  async apply(ctx, input) {
    for (const c of input.commands) await runHook(ctx, 'run hook: redirect clients', c, { ...input, allowFailure: false });
  },
});

export const manualApproval = defineStep({
  kind: 'manual-approval',
  description: 'stop until a person approves (interactive), or --yes approves it (recorded)',
  writes: true,
  flowless: true,
  alwaysConfirm: true,
  input: z.strictObject({ message: z.string().min(1) }),
  async check(ctx, input) {
    ctx.note(input.message);
    return {};
  },
});
