import { z } from 'zod';

/**
 * Why `pattern` is not a valid JavaScript regular expression (the engine's SyntaxError text, e.g.
 * "Invalid regular expression: /(/: Unterminated group"), or undefined when it is valid.
 */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A regular expression given as a string; invalid patterns are refused with a clear message. */
export const regexString = z.string().refine((s) => regexProblem(s) === undefined, 'not a valid regular expression');
