/**
 * Loading a runbook: YAML + schema (every problem at once, file:line:column, a hint), then what the schema cannot
 * see — unknown or duplicate step kinds and ids, parameter values (`--set`) of the wrong type or out of range,
 * template references to unknown parameters or to steps that have not run yet, each step's inputs against its
 * kind's schema after parameters are filled in (fields fed by a step output are checked when the run gets there),
 * and, given a clusters file's flows, that the runbook's flow is one of them.
 * The checks after the schema run even when the schema found problems (on whatever parts of the file are usable), so
 * one `validate` lists a structural error, an unknown step kind and bad step inputs together.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError, type ValidationProblem } from '../errors.js';
import { loadYamlFile, formatPath, validateLocated, type LocatedDocument } from '../util/yaml-load.js';
import type { StepRegistry } from './registry.js';
import { parameterSchema, runbookSchema, type Runbook, type RunbookParameter } from './runbook-schema.js';
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

/** A number written in decimal digits, with an optional sign and fraction. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * The parts of a runbook the checks after the schema need, read leniently from the raw YAML value so they also run
 * when the schema refused the file: a part of the wrong shape is left out (the schema reports it).
 */
const inlineView = z.object({ kind: z.string().min(1).optional().catch(undefined), with: z.record(z.string(), z.unknown()).default({}).catch({}) });
const runbookView = z
  .object({
    flow: z.string().optional().catch(undefined),
    requireFlow: z.boolean().optional().catch(undefined),
    parameters: z.record(z.string(), z.unknown()).default({}).catch({}),
    steps: z
      .array(
        inlineView
          .extend({ id: z.string().optional().catch(undefined), onFailure: z.unknown().optional(), compensate: inlineView.optional().catch(undefined) })
          .catch({ with: {} }),
      )
      .catch([]),
  })
  .catch({ parameters: {}, steps: [] });

/** Options of {@link loadRunbook}. */
export interface LoadRunbookOptions {
  /** A clusters file's flows and its path: the runbook's `flow` must be one of them (else a problem at `flow`). */
  clusters?: {
    file: string;
    flows: readonly { source: string; target: string }[];
    /** The file's cluster aliases: with `requireFlow: false`, the flow's two clusters must be among them. */
    aliases?: readonly string[];
  };
  /**
   * The `--flow <source>-><target>` the command was given, if any: it must be the runbook's own `flow` (a runbook
   * is written for one flow; a run cannot be pointed at another), else a problem at `flow`.
   */
  flowOption?: string;
}

function coerce(p: RunbookParameter, raw: unknown): { value?: unknown; error?: string } {
  if (raw === undefined) return { error: 'has no default and was not set' };
  let v: unknown = raw;
  if (typeof raw === 'string' && p.type !== 'string') {
    if (p.type === 'boolean') v = raw === 'true' ? true : raw === 'false' ? false : raw;
    // Decimal only: Number() would also read "0x10", "1e3", "0b1", " 5" and "Infinity".
    else v = DECIMAL.test(raw) ? Number(raw) : raw;
  }
  const ok =
    (p.type === 'string' && typeof v === 'string') ||
    (p.type === 'boolean' && typeof v === 'boolean') ||
    (p.type === 'number' && typeof v === 'number' && Number.isFinite(v)) ||
    (p.type === 'integer' && Number.isInteger(v));
  if (!ok) return { error: `expected ${p.type}, got ${JSON.stringify(raw)}` };
  if (typeof v === 'number' && p.minimum !== undefined && v < p.minimum) return { error: `${v} is below the minimum ${p.minimum}` };
  if (typeof v === 'number' && p.maximum !== undefined && v > p.maximum) return { error: `${v} is above the maximum ${p.maximum}` };
  if (typeof v === 'string' && p.pattern !== undefined && !new RegExp(`^(?:${p.pattern})$`).test(v))
    return { error: `${JSON.stringify(v)} does not match the parameter's pattern ${p.pattern} (whole value)` };
  return { value: v };
}

/**
 * Loads and validates a runbook.
 * @param sets `--set key=value` pairs (own properties only: "constructor" or "__proto__" are names like any other).
 * @throws InvalidInputError (unreadable file) or ValidationError (every problem found: YAML, schema, and the checks
 *   after it).
 */
export async function loadRunbook(
  file: string,
  registry: StepRegistry,
  sets: Record<string, string> = {},
  options: LoadRunbookOptions = {},
): Promise<LoadedRunbook> {
  const { value: raw, located, text } = await loadYamlFile(file, z.unknown());
  const problems: ValidationProblem[] = [];
  let runbook: Runbook | undefined;
  try {
    runbook = validateLocated(located, runbookSchema);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push(...error.problems);
  }
  const view = runbookView.parse(raw);
  const { params, problems: more } = checkRunbook(view, located, registry, sets, options);
  problems.push(...more);
  // Shell hooks (src/engine/shell-hooks.ts): template references in them are problems; every one is a warning.
  const warnings = checkShellHooks(
    { steps: view.steps.map((s) => ({ ...s, id: s.id ?? '?', kind: s.kind ?? '' })) } as unknown as Runbook,
    file,
    located,
    problems,
  );
  if (problems.length || !runbook) throw new ValidationError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)));
  runbook.flow = flowWithParams(runbook.flow, params);
  const [source, target] = runbook.flow.split('->') as [string, string];
  return { file, sha256: createHash('sha256').update(text).digest('hex'), runbook, params, flow: { source, target }, warnings };
}

/**
 * The runbook's `flow` with `${params.<name>}` replaced by string parameter values: one runbook serves a move and its
 * return (`flow: "${params.from}->${params.to}"`, runbooks/active-active-move.yaml). Unknown names are left as written
 * (reported by {@link checkRunbook}).
 */
export function flowWithParams(flow: string, params: Record<string, unknown>): string {
  return flow.replace(/\$\{params\.([A-Za-z][A-Za-z0-9_]*)\}/g, (whole, n: string) => (typeof params[n] === 'string' ? (params[n] as string) : whole));
}

/** The checks the schema cannot make, on the usable parts of the file. */
function checkRunbook(
  rb: z.infer<typeof runbookView>,
  located: LocatedDocument,
  registry: StepRegistry,
  sets: Record<string, string>,
  options: LoadRunbookOptions,
): { params: Record<string, unknown>; problems: ValidationProblem[] } {
  const file = located.file;
  const problems: ValidationProblem[] = [];
  const at = (path: (string | number)[], message: string, hint?: string) =>
    problems.push({ file, ...located.locate(path), field: formatPath(path), message, ...(hint ? { hint } : {}) });
  const declared = (name: string | undefined) => name !== undefined && Object.hasOwn(rb.parameters, name);
  const setValue = (name: string) => (Object.hasOwn(sets, name) ? sets[name] : undefined);

  for (const name of Object.keys(sets)) {
    if (!declared(name))
      at(['parameters'], `--set ${name}: no such parameter`, `Parameters of this runbook: ${Object.keys(rb.parameters).join(', ') || 'none'}.`);
  }
  const params: Record<string, unknown> = {};
  /** Declared parameters without a usable value (their problem is reported here): steps using them are not checked further. */
  const unusable = new Set<string>();
  for (const [name, rawParam] of Object.entries(rb.parameters)) {
    const parsed = parameterSchema.safeParse(rawParam);
    if (!parsed.success) {
      unusable.add(name); // the schema reports the declaration
      continue;
    }
    const p = parsed.data;
    const set = setValue(name);
    const { value: v, error } = coerce(p, set ?? p.default);
    if (error) {
      unusable.add(name);
      at(
        ['parameters', name],
        `${set !== undefined ? `--set ${name}: ` : ''}${error}`,
        `Give ${name} ${p.type === 'integer' ? 'an' : 'a'} ${p.type} value${p.type === 'integer' || p.type === 'number' ? ' in decimal digits' : ''} (--set ${name}=…).`,
      );
    } else params[name] = v;
  }

  if (rb.flow !== undefined) {
    for (const [, n] of rb.flow.matchAll(/\$\{params\.([A-Za-z][A-Za-z0-9_]*)\}/g)) {
      if (!declared(n)) at(['flow'], `unknown parameter \${params.${n}} in flow`, `Declare "${n}" (type: string) under parameters.`);
    }
    rb.flow = flowWithParams(rb.flow, params);
    if (/\$\{/.test(rb.flow))
      at(
        ['flow'],
        `flow ${rb.flow}: only \${params.<name>} of string parameters can be used here`,
        'Write the flow as <source>-><target>, or with string parameters.',
      );
  }
  if (options.clusters && rb.flow !== undefined && /^[^>\s]+->[^>\s]+$/.test(rb.flow)) {
    const { file: clustersFile, flows, aliases } = options.clusters;
    const [s, t] = rb.flow.split('->') as [string, string];
    if (!flows.some((f) => `${f.source}->${f.target}` === rb.flow)) {
      const list = flows.map((f) => `${f.source}->${f.target}`).join(', ') || 'none';
      if (rb.requireFlow !== false)
        at(
          ['flow'],
          `flow ${rb.flow} is not a flow of ${clustersFile} (flows: ${list})`,
          `Name one of its flows here, or add ${rb.flow} under "flows:" in ${clustersFile}.`,
        );
      else if (s === t || (aliases && (!aliases.includes(s) || !aliases.includes(t))))
        at(
          ['flow'],
          `flow ${rb.flow}: with requireFlow: false, the flow names two distinct clusters of ${clustersFile} (clusters: ${aliases?.join(', ') ?? '?'})`,
          `Name the cluster the workload leaves and the one it moves to, as <source>-><target>.`,
        );
      else {
        // A move with no flow between its clusters: every step must work without one.
        const refuse = (kindName: string | undefined, path: (string | number)[]) => {
          const k = kindName === undefined ? undefined : registry.get(kindName);
          if (k && !k.flowless)
            at(
              [...path, 'kind'],
              `step kind ${kindName} acts on the flow ${rb.flow}'s MM2 or its internal topics, and ${clustersFile} has no flow ${rb.flow} (requireFlow: false)`,
              `Remove the step, or use it in a runbook whose flow is one of ${list}. Steps that work without a flow: ${registry
                .list()
                .filter((n) => registry.get(n)?.flowless)
                .join(', ')}.`,
            );
        };
        rb.steps.forEach((step, i) => {
          refuse(step.kind, ['steps', i]);
          refuse(step.compensate?.kind, ['steps', i, 'compensate']);
        });
      }
    }
  }

  if (options.flowOption !== undefined && rb.flow !== undefined && options.flowOption !== rb.flow) {
    at(
      ['flow'],
      `--flow ${options.flowOption} is not this runbook's flow (${rb.flow})`,
      `Leave --flow out (the runbook names its flow), or use a runbook written for ${options.flowOption}.`,
    );
  }

  const seen = new Map<string, number>();
  rb.steps.forEach((step, i) => {
    if (step.id !== undefined) {
      if (seen.has(step.id)) at(['steps', i, 'id'], `duplicate step id "${step.id}" (also step ${seen.get(step.id)! + 1})`, 'Give every step its own id.');
      seen.set(step.id, i);
    }
    if (step.kind !== undefined) checkStep(step.kind, step.with, ['steps', i], i);
    if (step.compensate?.kind !== undefined) checkStep(step.compensate.kind, step.compensate.with, ['steps', i, 'compensate'], i);
    if (step.onFailure === 'compensate' && !step.compensate)
      at(['steps', i, 'onFailure'], 'onFailure: compensate needs a "compensate" step', 'Add compensate: { kind: …, with: … } or choose abort / continue.');
  });

  function checkStep(kindName: string, input: Record<string, unknown>, path: (string | number)[], index: number) {
    const kind = registry.get(kindName);
    if (!kind) {
      at([...path, 'kind'], `unknown step kind "${kindName}"`, `Known kinds: ${registry.list().join(', ')}.`);
      return;
    }
    const outputFields = new Set<string>();
    const before = problems.length;
    let usesUnusable = false;
    for (const { path: p, ref } of references(input)) {
      const [root, name, third] = ref.split('.');
      if (root === 'params') {
        if (!declared(name))
          at(
            [...path, 'with', ...p],
            `unknown template variable \${${ref}}`,
            `Declare "${name}" under parameters, or use one of: ${Object.keys(rb.parameters).join(', ') || 'none'}.`,
          );
        else if (unusable.has(name!)) usesUnusable = true;
      } else if (root === 'steps') {
        const j = rb.steps.findIndex((s) => s.id === name);
        if (j < 0 || j >= index || third !== 'outputs')
          at([...path, 'with', ...p], `\${${ref}} does not name the outputs of an earlier step`, 'Use ${steps.<earlier step id>.outputs.<name>}.');
        outputFields.add(String(p[0]));
      } else if (!(root === 'flow' && (name === 'source' || name === 'target')) && ref !== 'tool.argv') {
        at(
          [...path, 'with', ...p],
          `unknown template variable \${${ref}}`,
          'Use ${params.<name>}, ${steps.<id>.outputs.<name>}, ${flow.source}, ${flow.target} or ${tool.argv}.',
        );
      }
    }
    if (problems.length > before || usesUnusable) return; // unresolvable references: the inputs cannot be checked yet
    const [source = '', target = ''] = (rb.flow ?? '').split('->');
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
  return { params, problems };
}

/** Re-validates one step's inputs after templating at run time. @throws ValidationError naming the step. */
export function validateStepInput<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } },
  input: unknown,
  file: string,
  stepId: string,
): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError(
    r.error.issues.map((i) => ({ file, field: `steps.${stepId}.with.${formatPath(i.path)}`, message: `${i.message} (after templating)` })),
  );
}

export type { LocatedDocument };
