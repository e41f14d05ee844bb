import { z } from 'zod';

/** A regular expression given as a string; invalid patterns are refused with a clear message. */
export const regexString = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');
