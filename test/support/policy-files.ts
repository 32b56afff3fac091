import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { builtInPolicyDir, parsePolicy, PolicyError } from '../../policies/load';

/** A shipped policy file as parsed YAML, for a test to change before parsing it. */
export const rawPolicy = (id: string) => parse(readFileSync(join(builtInPolicyDir, `${id}.yaml`), 'utf8'));

/** The message a policy is refused with; fails the test if it is accepted or refused otherwise. */
export function rejection(data: unknown): string {
  try {
    parsePolicy(data, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as Error).message;
  }
  throw new Error('the policy was accepted');
}
