import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { checkPolicy } from './check';
import { Policy } from './schema';

export const builtInPolicyDir = fileURLToPath(new URL('./boards/', import.meta.url));

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Parses and checks one policy; `origin` names where it came from in error messages. */
export function parsePolicy(data: unknown, origin: string): Policy {
  const label = typeof data === 'object' && data && 'id' in data ? `${origin} (policy '${String(data.id)}')` : origin;
  const parsed = Policy.safeParse(data);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new PolicyError(`${label} is not a valid policy:\n  ${details.join('\n  ')}`);
  }
  const problems = checkPolicy(parsed.data);
  if (problems.length) {
    throw new PolicyError(`${label} is inconsistent:\n  ${problems.map((p) => `${p.path}: ${p.message}`).join('\n  ')}`);
  }
  return parsed.data;
}

export function loadPolicyFile(path: string): Policy {
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PolicyError(`${basename(path)} is not readable YAML: ${error instanceof Error ? error.message : error}`);
  }
  return parsePolicy(data, basename(path));
}

/** Every version of every policy in a folder, keyed `id@version`. */
export class PolicyRegistry {
  private readonly byKey = new Map<string, Policy>();

  constructor(policies: Policy[]) {
    for (const policy of policies) {
      const key = `${policy.id}@${policy.version}`;
      if (this.byKey.has(key)) throw new PolicyError(`two files define policy ${key}`);
      this.byKey.set(key, policy);
    }
  }

  static fromDirectory(dir: string = builtInPolicyDir): PolicyRegistry {
    const files = readdirSync(dir).filter((file) => /\.ya?ml$/.test(file)).sort();
    return new PolicyRegistry(files.map((file) => loadPolicyFile(join(dir, file))));
  }

  /** The newest version of each policy, by id. */
  list(): Policy[] {
    const newest = new Map<string, Policy>();
    for (const policy of this.byKey.values()) {
      const seen = newest.get(policy.id);
      if (!seen || seen.version < policy.version) newest.set(policy.id, policy);
    }
    return [...newest.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** A policy by id, the newest version unless one is named; undefined if there is none. */
  find(id: string, version?: number): Policy | undefined {
    if (version !== undefined) return this.byKey.get(`${id}@${version}`);
    return this.list().find((policy) => policy.id === id);
  }

  get(id: string, version?: number): Policy {
    const policy = this.find(id, version);
    if (!policy) {
      const known = this.list().map((p) => p.id).join(', ');
      throw new PolicyError(`unknown policy '${id}${version === undefined ? '' : `@${version}`}' (known: ${known})`);
    }
    return policy;
  }
}
