/**
 * Shell hooks (`shell: true` on `exec` / `redirect`): their command is text for `/bin/sh`, so a template value in it
 * (`--set` parameters, step outputs, …) would be shell code. Rather than quote values — quoting is only right for
 * one shell context (a value quoted for a bare word is wrong inside "…", in a heredoc, or after `eval`) — a template
 * reference in a shell hook's command is refused at load time, and every shell hook gets a warning from `validate`.
 * A hook that needs a value gets it as an argument of a script run without a shell (`command: [./script.sh,
 * "${params.x}"]`), where it is one argv element whatever it contains. Design note: docs/design/hooks-and-secrets.md.
 */
import type { ValidationProblem } from '../errors.js';
import type { LocatedDocument } from '../util/yaml-load.js';
import { formatPath } from '../util/yaml-load.js';
import type { Runbook } from './runbook-schema.js';
import { references } from './templates.js';

/** Step kinds whose `shell: true` hands their command(s) to `/bin/sh`. */
const SHELL_KINDS = new Set(['exec', 'redirect']);

/**
 * Checks every shell hook of a runbook (steps and their `compensate` steps).
 * @param problems receives an error per template reference inside a shell hook's `command` / `commands`.
 * @returns one warning per shell hook.
 */
export function checkShellHooks(rb: Runbook, file: string, located: Pick<LocatedDocument, 'locate'>, problems: ValidationProblem[]): ValidationProblem[] {
  const warnings: ValidationProblem[] = [];
  const hooks = rb.steps.flatMap((s, i) => [
    { id: s.id, kind: s.kind, with: s.with, path: ['steps', i] as (string | number)[] },
    ...(s.compensate
      ? [{ id: `${s.id} (compensate)`, kind: s.compensate.kind, with: s.compensate.with, path: ['steps', i, 'compensate'] as (string | number)[] }]
      : []),
  ]);
  for (const h of hooks) {
    // A templated `shell` counts as a shell hook: its value is not known until parameters are set.
    if (!SHELL_KINDS.has(h.kind) || h.with.shell === undefined || h.with.shell === false) continue;
    const at = (p: (string | number)[]) => ({ file, ...located.locate(p), field: formatPath(p) });
    warnings.push({
      ...at([...h.path, 'with', 'shell']),
      message: `step "${h.id}" runs its command through /bin/sh: every character of it is shell code`,
      hint: 'Prefer an argument array without a shell (drop shell: true); put pipes and redirections in a script that the hook runs.',
    });
    for (const field of ['command', 'commands']) {
      for (const { path, ref } of references(h.with[field], [], [...h.path, 'with', field])) {
        problems.push({
          ...at(path),
          message: `\${${ref}} inside a shell hook: its value would run as shell code (a --set value containing ; or $(…) runs a command)`,
          hint: 'Drop shell: true and pass the value as its own argv element (e.g. [./hook.sh, "${…}"]), where no shell reads it.',
        });
      }
    }
  }
  return warnings;
}
