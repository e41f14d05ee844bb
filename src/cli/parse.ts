/** Option parsers for commander that reject bad values with a message naming the option and the allowed range. */
import { InvalidArgumentError } from 'commander';
import parseDuration from 'parse-duration';

/**
 * Parses an integer within [min, max], written in decimal digits only: `Number()` would also take "0x10", "1e3",
 * " 5" or "" (0), none of which an operator means as a count or a time in ms.
 */
export function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${value}".`);
    return n;
  };
}

/** Parses one of a fixed set of words. */
export function oneOf<T extends string>(...allowed: T[]): (value: string) => T {
  return (value) => {
    if (!(allowed as string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}, got "${value}".`);
    return value as T;
  };
}

/**
 * Parses a duration with a unit (`90s`, `5m`, `1h30m`, `1500ms`; parse-duration's syntax) to ms. A bare number is
 * refused: "10" could mean seconds or ms, and a data-loss window must not be misread.
 */
export function durationMs(value: string): number {
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) throw new InvalidArgumentError(`"${value}" has no unit: write e.g. 90s, 5m or 1500ms.`);
  const ms = parseDuration(value);
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0)
    throw new InvalidArgumentError(`expected a duration such as 90s, 5m or 1h30m, got "${value}".`);
  return Math.round(ms);
}
