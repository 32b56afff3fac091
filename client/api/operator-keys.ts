import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeIssues } from '../../runtime/errors';

// Operator keys: who may read decrypted payloads through the codec endpoint (the Temporal Web UI,
// `temporal … --codec-endpoint`). Only SHA-256 hashes are kept, as for the API keys.

export interface Operator {
  name: string;
}

const OperatorFile = z
  .object({
    operators: z
      .array(z.object({ name: z.string().min(1).max(120), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 of the key, 64 lower-case hex digits') }).strict())
      .min(1),
  })
  .strict();

const sha256 = (key: string) => createHash('sha256').update(key, 'utf8').digest();

export class OperatorKeys {
  private constructor(private readonly entries: { operator: Operator; hash: Buffer }[]) {}

  /** From YAML or JSON text: `operators: [{name, sha256}]`. */
  static parse(text: string, origin: string): OperatorKeys {
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (error) {
      throw new ConfigError(`${origin}: not YAML or JSON (${error instanceof Error ? error.message : error})`);
    }
    const parsed = OperatorFile.safeParse(data);
    if (!parsed.success) throw new ConfigError(`${origin}: ${describeIssues(parsed.error)}`);
    return new OperatorKeys(parsed.data.operators.map((entry) => ({ operator: { name: entry.name }, hash: Buffer.from(entry.sha256, 'hex') })));
  }

  /** `OPERATOR_KEYS` (the file's content) wins over `OPERATOR_KEYS_FILE`; with neither, null. */
  static fromEnvironment(env: { OPERATOR_KEYS?: string | undefined; OPERATOR_KEYS_FILE?: string | undefined }): OperatorKeys | null {
    if (env.OPERATOR_KEYS) return OperatorKeys.parse(env.OPERATOR_KEYS, 'OPERATOR_KEYS');
    if (!env.OPERATOR_KEYS_FILE) return null;
    let text: string;
    try {
      text = readFileSync(env.OPERATOR_KEYS_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(`OPERATOR_KEYS_FILE: cannot read ${env.OPERATOR_KEYS_FILE} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    return OperatorKeys.parse(text, 'OPERATOR_KEYS_FILE');
  }

  /** Nobody: the codec endpoint then refuses every call. */
  static none(): OperatorKeys {
    return new OperatorKeys([]);
  }

  /** `npm start` and the tests only: the key is public. */
  static demo(): { keys: OperatorKeys; plain: string } {
    const plain = 'demo-operator';
    return { keys: new OperatorKeys([{ operator: { name: 'demo operator' }, hash: sha256(plain) }]), plain };
  }

  static hash(key: string): string {
    return sha256(key).toString('hex');
  }

  /** Compares hashes in constant time. */
  identify(key: string): Operator | null {
    const hash = sha256(key);
    let found: Operator | null = null;
    for (const entry of this.entries) if (timingSafeEqual(entry.hash, hash)) found = entry.operator;
    return found;
  }
}
