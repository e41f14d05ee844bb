/**
 * Template references in step inputs: `${params.<name>}`, `${steps.<id>.outputs.<name>}`, `${flow.source}`,
 * `${flow.target}`, `${tool.argv}`. A string that is exactly one reference takes the referenced value with its type
 * (a number stays a number, a plan stays an object); a reference inside a longer string is interpolated as text.
 *
 * `${tool.argv}` is how a hook runs this very tool: as an element of an array (a hook's argv) it expands to two
 * elements, the running Node binary and this package's `bin/kafka-failover.js` (absolute paths) — the installation
 * that runs the runbook, never one `npx` would fetch from the registry mid-failover.
 */
import { fileURLToPath } from 'node:url';

const REF = /\$\{([^}]+)\}/g;
const WHOLE = /^\$\{([^}]+)\}$/;

/** Every reference in a value (deep), as `params.x`, `steps.a.outputs.b`, `flow.source`. */
export function references(
  value: unknown,
  out: { path: (string | number)[]; ref: string }[] = [],
  path: (string | number)[] = [],
): { path: (string | number)[]; ref: string }[] {
  if (typeof value === 'string') for (const m of value.matchAll(REF)) out.push({ path, ref: m[1]!.trim() });
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) references(v, out, [...path, i]);
  } else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) references(v, out, [...path, k]);
  return out;
}

/**
 * The command that runs this installation of the tool: `[process.execPath, <absolute path of bin/kafka-failover.js>]`
 * (this file is `src/engine/templates.ts` or `dist/engine/templates.js`; `bin/` is two folders up from either).
 */
export const TOOL_ARGV: readonly [string, string] = [process.execPath, fileURLToPath(new URL('../../bin/kafka-failover.js', import.meta.url))];

/** Scope of values references resolve against. */
export interface TemplateScope {
  params: Record<string, unknown>;
  steps: Record<string, { outputs: Record<string, unknown> }>;
  flow: { source: string; target: string };
  /** Default `{ argv: TOOL_ARGV }`. */
  tool?: { argv: readonly string[] };
}

const TOOL_REF = 'tool.argv';

/** Looks a reference up. @throws Error naming the reference when it does not resolve. */
export function lookup(ref: string, scope: TemplateScope): unknown {
  const parts = ref.split('.');
  let cur: unknown = { tool: { argv: [...TOOL_ARGV] }, ...scope };
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || !(p in (cur as object))) throw new Error(`\${${ref}} does not resolve`);
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/**
 * Resolves references (deep). `skip(ref)` leaves matching references as they are (e.g. step outputs at load time).
 * An array element that is exactly `${tool.argv}` is replaced by the elements of its value.
 */
export function resolve(value: unknown, scope: TemplateScope, skip: (ref: string) => boolean = () => false): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return skip(whole[1]!.trim()) ? value : lookup(whole[1]!.trim(), scope);
    return value.replace(REF, (m, ref: string) => (skip(ref.trim()) ? m : String(lookup(ref.trim(), scope))));
  }
  if (Array.isArray(value)) {
    return value.flatMap((v) => {
      const ref = typeof v === 'string' ? WHOLE.exec(v)?.[1]?.trim() : undefined;
      if (ref === TOOL_REF && !skip(ref)) return [...(lookup(ref, scope) as string[])];
      return [resolve(v, scope, skip)];
    });
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, scope, skip)]));
  return value;
}
