/**
 * Loading a runbook: YAML + schema (every problem at once, file:line:column, a hint), then what the schema cannot
 * see — unknown or duplicate step kinds and ids, parameter values (`--set`) of the wrong type or out of range,
 * template references to unknown parameters or to steps that have not run yet, and each step's inputs against its
 * kind's schema after parameters are filled in (fields fed by a step output are checked when the run gets there).
 */
import { createHash } from 'node:crypto';
import { ValidationError, type ValidationProblem } from '../errors.js';
import { loadYamlFile, formatPath, type LocatedDocument } from '../util/yaml-load.js';
import type { StepRegistry } from './registry.js';
import { runbookSchema, type Runbook, type RunbookParameter } from './runbook-schema.js';
import { checkShellHooks } from './shell-hooks.js';
import { references, resolve, type TemplateScope } from './templates.js';

/** A validated runbook with its parameter values. */
export interface LoadedRunbook {
  file: string;
  sha256: string;
  runbook: Runbook;
  /** Parameter values: defaults overridden by `--set`. */
  params: Record<string, unknown>;
  flow: { source: string; target: string };
  /** Findings that do not stop a run, e.g. every shell hook (src/engine/shell-hooks.ts); `validate` prints them. */
  warnings: ValidationProblem[];
}

function coerce(p: RunbookParameter, raw: unknown): { value?: unknown; error?: string } {
  if (raw === undefined) return { error: 'has no default and was not set' };
  let v: unknown = raw;
  if (typeof raw === 'string' && p.type !== 'string') {
    if (p.type === 'boolean') v = raw === 'true' ? true : raw === 'false' ? false : raw;
    else v = raw.trim() === '' ? raw : Number(raw);
  }
  const ok =
    (p.type === 'string' && typeof v === 'string') ||
    (p.type === 'boolean' && typeof v === 'boolean') ||
    (p.type === 'number' && typeof v === 'number' && Number.isFinite(v)) ||
    (p.type === 'integer' && Number.isInteger(v));
  if (!ok) return { error: `expected ${p.type}, got ${JSON.stringify(raw)}` };
  if (typeof v === 'number' && p.minimum !== undefined && v < p.minimum) return { error: `${v} is below the minimum ${p.minimum}` };
  if (typeof v === 'number' && p.maximum !== undefined && v > p.maximum) return { error: `${v} is above the maximum ${p.maximum}` };
  if (typeof v === 'string' && p.pattern !== undefined && !new RegExp(`^(?:${p.pattern})$`).test(v)) return { error: `${JSON.stringify(v)} does not match the parameter's pattern ${p.pattern} (whole value)` };
  return { value: v };
}

/**
 * Loads and validates a runbook.
 * @param sets `--set key=value` pairs.
 * @throws InvalidInputError (unreadable file) or ValidationError (every problem found).
 */
export async function loadRunbook(file: string, registry: StepRegistry, sets: Record<string, string> = {}): Promise<LoadedRunbook> {
  let params: Record<string, unknown> = {};
  let warnings: ValidationProblem[] = [];
  const { value, text } = await loadYamlFile(file, runbookSchema, (rb, located) => {
    const problems: ValidationProblem[] = [];
    const at = (path: (string | number)[], message: string, hint?: string) =>
      problems.push({ file, ...located.locate(path), field: formatPath(path), message, ...(hint ? { hint } : {}) });

    for (const name of Object.keys(sets)) {
      if (!(name in rb.parameters)) at(['parameters'], `--set ${name}: no such parameter`, `Parameters of this runbook: ${Object.keys(rb.parameters).join(', ') || 'none'}.`);
    }
    params = {};
    for (const [name, p] of Object.entries(rb.parameters)) {
      const { value: v, error } = coerce(p, sets[name] ?? p.default);
      if (error) at(['parameters', name], `${sets[name] !== undefined ? `--set ${name}: ` : ''}${error}`, `Give ${name} a ${p.type} value (--set ${name}=…).`);
      else params[name] = v;
    }

    const seen = new Map<string, number>();
    rb.steps.forEach((step, i) => {
      if (seen.has(step.id)) at(['steps', i, 'id'], `duplicate step id "${step.id}" (also step ${seen.get(step.id)! + 1})`, 'Give every step its own id.');
      seen.set(step.id, i);
      checkStep(step.kind, step.with, ['steps', i], i);
      if (step.compensate) checkStep(step.compensate.kind, step.compensate.with, ['steps', i, 'compensate'], i);
      if (step.onFailure === 'compensate' && !step.compensate) at(['steps', i, 'onFailure'], 'onFailure: compensate needs a "compensate" step', 'Add compensate: { kind: …, with: … } or choose abort / continue.');
    });

    function checkStep(kindName: string, input: Record<string, unknown>, path: (string | number)[], index: number) {
      const kind = registry.get(kindName);
      if (!kind) {
        at([...path, 'kind'], `unknown step kind "${kindName}"`, `Known kinds: ${registry.list().join(', ')}.`);
        return;
      }
      const outputFields = new Set<string>();
      const before = problems.length;
      for (const { path: p, ref } of references(input)) {
        const [root, name, third] = ref.split('.');
        if (root === 'params') {
          if (!name || !(name in rb.parameters)) at([...path, 'with', ...p], `unknown template variable \${${ref}}`, `Declare "${name}" under parameters, or use one of: ${Object.keys(rb.parameters).join(', ') || 'none'}.`);
        } else if (root === 'steps') {
          const j = rb.steps.findIndex((s) => s.id === name);
          if (j < 0 || j >= index || third !== 'outputs') at([...path, 'with', ...p], `\${${ref}} does not name the outputs of an earlier step`, 'Use ${steps.<earlier step id>.outputs.<name>}.');
          outputFields.add(String(p[0]));
        } else if (!(root === 'flow' && (name === 'source' || name === 'target')) && ref !== 'tool.argv') {
          at([...path, 'with', ...p], `unknown template variable \${${ref}}`, 'Use ${params.<name>}, ${steps.<id>.outputs.<name>}, ${flow.source}, ${flow.target} or ${tool.argv}.');
        }
      }
      if (problems.length > before) return; // unresolvable references: the inputs cannot be checked yet
      const [source = '', target = ''] = rb.flow.split('->');
      const scope: TemplateScope = { params, steps: {}, flow: { source, target } };
      let filled: Record<string, unknown>;
      try {
        filled = resolve(input, scope, (ref) => ref.startsWith('steps.')) as Record<string, unknown>;
      } catch (error) {
        // A declared parameter without a value (its own problem is reported above): the inputs cannot be checked.
        at([...path, 'with'], (error as Error).message, 'Give the parameter a default or --set it.');
        return;
      }
      const result = kind.input.safeParse(Object.fromEntries(Object.entries(filled).filter(([k]) => !outputFields.has(k))));
      if (!result.success) {
        for (const issue of result.error.issues) {
          if (outputFields.has(String(issue.path[0]))) continue; // fed by a step output: checked at run time
          at([...path, 'with', ...(issue.path as (string | number)[])], issue.message, `See the inputs of "${kindName}" in the README.`);
        }
      }
    }
    warnings = checkShellHooks(rb, file, located, problems);
    return problems;
  });
  const [source, target] = value.flow.split('->') as [string, string];
  return { file, sha256: createHash('sha256').update(text).digest('hex'), runbook: value, params, flow: { source, target }, warnings };
}

/** Re-validates one step's inputs after templating at run time. @throws ValidationError naming the step. */
export function validateStepInput<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, input: unknown, file: string, stepId: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError(r.error.issues.map((i) => ({ file, field: `steps.${stepId}.with.${formatPath(i.path)}`, message: `${i.message} (after templating)` })));
}

export type { LocatedDocument };
