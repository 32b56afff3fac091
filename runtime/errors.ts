import type { z } from 'zod';

/** Turns a zod error into one line a person can act on: which field, what was expected. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length ? issue.path.map(String).join('.') : '(the whole value)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

/** A deployment's file or setting is wrong: the message says which and what was expected. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
