/**
 * Loading a YAML file against a zod schema and reporting **every** problem at once, each with file:line:column,
 * the field's path and a hint — the way every input file of the tool (clusters files, runbooks) is validated.
 * YAML parsing is the `yaml` package's (its source ranges give the positions); validation is zod's.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import type { ZodType } from 'zod';
import { InvalidInputError, ValidationError, type ValidationProblem } from '../errors.js';

/** A parsed document plus a way to locate any path in it. */
export interface LocatedDocument {
  file: string;
  doc: Document;
  /** 1-based line/column of the node at `path`, or of its nearest existing ancestor. */
  locate(path: readonly PropertyKey[]): { line: number; column: number };
}

/** Formats a zod/JS path as `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

/**
 * Parses YAML text, keeping positions. YAML syntax errors become problems (all of them).
 * @returns the document, or the problems when the YAML itself is malformed.
 */
export function parseLocated(file: string, text: string): { located: LocatedDocument; problems: ValidationProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line || 1, column: p.col || 1 };
  };
  const located: LocatedDocument = {
    file,
    doc,
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
        if (isNode(node) && node.range) return pos(node.range[0]);
      }
      return { line: 1, column: 1 };
    },
  };
  const problems: ValidationProblem[] = doc.errors.map((e) => ({
    file,
    ...pos(e.pos[0]),
    field: '(yaml)',
    message: e.message.split('\n')[0] ?? e.message,
    hint: 'Fix the YAML syntax at this position (indentation, quotes, a missing ":" or a duplicate key).',
  }));
  return { located, problems };
}

/** A hint for a zod issue, by its code. */
function hintFor(issue: { code: string; expected?: unknown; keys?: readonly string[]; values?: readonly unknown[] }): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected ? `Give a value of type ${String(issue.expected)}.` : undefined;
    case 'unrecognized_keys':
      if (issue.keys?.some((k) => /pass|secret|token|key$/i.test(k))) {
        return 'Secrets are never written in these files: name an environment variable (passwordEnv) or a file (passwordFile) instead.';
      }
      return `Remove ${issue.keys?.map((k) => `"${k}"`).join(', ')} or check the spelling.`;
    case 'invalid_value':
      return issue.values ? `Use one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.` : undefined;
    case 'too_small':
      return 'Give a larger value (or at least one item).';
    case 'too_big':
      return 'Give a smaller value.';
    default:
      return undefined;
  }
}

/**
 * Validates a located document against a schema; problems carry positions and hints.
 * `extra` adds cross-field checks run only when the schema passed.
 * @throws ValidationError listing every problem.
 */
export function validateLocated<T>(located: LocatedDocument, schema: ZodType<T>, extra?: (value: T, located: LocatedDocument) => ValidationProblem[]): T {
  let data: unknown;
  try {
    data = located.doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias (*name) with no anchor, or an alias bomb: the YAML parses but has no value.
    throw new ValidationError([
      {
        file: located.file,
        line: 1,
        column: 1,
        field: '(yaml)',
        message: (error as Error).message,
        hint: 'Define every anchor (&name) before its alias (*name), or quote values that start with "*" or "&".',
      },
    ]);
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
      const hint = hintFor(issue as never);
      return { file: located.file, ...located.locate(path), field: formatPath(issue.path), message: issue.message, ...(hint ? { hint } : {}) };
    });
    throw new ValidationError(problems);
  }
  const problems = extra?.(result.data, located) ?? [];
  if (problems.length) throw new ValidationError(problems);
  return result.data;
}

/**
 * Reads, parses and validates a YAML file.
 * @throws InvalidInputError when the file cannot be read; ValidationError for every YAML or schema problem.
 */
export async function loadYamlFile<T>(
  file: string,
  schema: ZodType<T>,
  extra?: (value: T, located: LocatedDocument) => ValidationProblem[],
): Promise<{ value: T; located: LocatedDocument; text: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidInputError(
      `Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? error)}.`,
      {
        hint: 'Check the path (relative paths are taken from the current directory) and the file permissions.',
      },
    );
  }
  const { located, problems } = parseLocated(file, text);
  if (problems.length) throw new ValidationError(problems);
  return { value: validateLocated(located, schema, extra), located, text };
}
