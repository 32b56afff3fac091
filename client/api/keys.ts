import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Directory } from '../../policies/directory';
import { ConfigError, describeIssues } from '../../runtime/errors';

// API keys: who is calling. Only SHA-256 hashes are kept; a key is shown once, when it is made.

export type Caller = { kind: 'agency'; agencyId: string; name: string } | { kind: 'board'; boardId: string; name: string };

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected the SHA-256 of the key, 64 lower-case hex digits');
const KeyEntry = z
  .object({ name: z.string().min(1), agency: z.string().min(1).optional(), board: z.string().min(1).optional(), sha256: Sha256 })
  .strict()
  .refine((entry) => (entry.agency === undefined) !== (entry.board === undefined), { message: 'expected one of agency or board', path: ['agency'] });
export const KeyFile = z.object({ keys: z.array(KeyEntry).min(1) });

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export class ApiKeys {
  private constructor(private readonly entries: { caller: Caller; hash: Buffer }[]) {}

  /** From YAML or JSON text (`keys: [{name, agency | board, sha256}]`), checked against the directory. */
  static parse(text: string, origin: string, directory: Directory): ApiKeys {
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch (error) {
      throw new ConfigError(`${origin}: not YAML or JSON (${error instanceof Error ? error.message : error})`);
    }
    const parsed = KeyFile.safeParse(data);
    if (!parsed.success) throw new ConfigError(`${origin}: ${describeIssues(parsed.error)}`);
    return new ApiKeys(
      parsed.data.keys.map((entry, index) => {
        if (entry.agency !== undefined && !directory.agencies.some((agency) => agency.id === entry.agency)) {
          throw new ConfigError(`${origin}: keys.${index}.agency: '${entry.agency}' is not in the agency directory`);
        }
        if (entry.board !== undefined && !directory.boards[entry.board]) {
          throw new ConfigError(`${origin}: keys.${index}.board: '${entry.board}' is not in the agency directory`);
        }
        const caller: Caller =
          entry.agency !== undefined ? { kind: 'agency', agencyId: entry.agency, name: entry.name } : { kind: 'board', boardId: entry.board!, name: entry.name };
        return { caller, hash: Buffer.from(entry.sha256, 'hex') };
      }),
    );
  }

  /** `API_KEYS` (the file's content) wins over `API_KEYS_FILE`; with neither, null. */
  static fromEnvironment(env: { API_KEYS?: string | undefined; API_KEYS_FILE?: string | undefined }, directory: Directory): ApiKeys | null {
    if (env.API_KEYS) return ApiKeys.parse(env.API_KEYS, 'API_KEYS', directory);
    if (env.API_KEYS_FILE) {
      let text: string;
      try {
        text = readFileSync(env.API_KEYS_FILE, 'utf8');
      } catch (error) {
        throw new ConfigError(`API_KEYS_FILE: cannot read ${env.API_KEYS_FILE} (${error instanceof Error ? error.message : error})`);
      }
      return ApiKeys.parse(text, env.API_KEYS_FILE, directory);
    }
    return null;
  }

  /**
   * Demo keys for `npm start` and the tests: `demo-<agency id>` for each agency and
   * `demo-board-<board id>` for each board. Never for a deployment: anyone can read them here.
   */
  static demo(directory: Directory): { keys: ApiKeys; plain: { key: string; caller: Caller }[] } {
    const plain: { key: string; caller: Caller }[] = [
      ...directory.agencies.map((agency) => ({ key: `demo-${agency.id}`, caller: { kind: 'agency' as const, agencyId: agency.id, name: agency.name } })),
      ...Object.keys(directory.boards).map((boardId) => ({ key: `demo-board-${boardId}`, caller: { kind: 'board' as const, boardId, name: `${boardId} board` } })),
    ];
    return { keys: new ApiKeys(plain.map(({ key, caller }) => ({ caller, hash: Buffer.from(hashKey(key), 'hex') }))), plain };
  }

  /** The caller whose key this is, or null. Compares hashes in constant time. */
  identify(key: string): Caller | null {
    const hash = Buffer.from(hashKey(key), 'hex');
    let found: Caller | null = null;
    for (const entry of this.entries) if (timingSafeEqual(entry.hash, hash)) found = entry.caller;
    return found;
  }
}
