import type { z } from 'zod';

/** A mistake in what the person typed: one line on stderr and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command-line value parsed with its schema; a bad one is a UsageError naming the flag. */
export function option<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--${flag}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
