import { spawnSync } from 'node:child_process';
import { compiled } from './support/processes';
import { describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { loadDirectory } from '../policies/directory';

const directory = loadDirectory();

describe('API keys', () => {
  it('`dispute api-key` makes a key whose keys-file line identifies the agency; only the hash is kept', () => {
    const run = spawnSync('node', [compiled('client/cli/main.ts'), 'api-key', '--agency', 'leeds-police'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const key = /key \(give it to the caller; it is not kept\): (\S+)/.exec(run.stdout)![1]!;
    const line = run.stdout.split('\n').find((text) => text.includes('sha256'))!;
    expect(line).not.toContain(key);
    const keys = ApiKeys.parse(`keys:\n${line}\n`, 'keys.yaml', directory);
    expect(keys.identify(key)).toEqual({ kind: 'agency', agencyId: 'leeds-police', name: 'leeds-police' });
    expect(keys.identify(`${key}x`)).toBeNull();
  });

  it('a keys file that is wrong says which entry and field', () => {
    expect(() => ApiKeys.parse('keys:\n  - { name: a, agency: leeds-police, sha256: abc }\n', 'keys.yaml', directory)).toThrow(/^keys\.yaml: keys\.0.*sha256: expected the SHA-256 of the key/);
    expect(() => ApiKeys.parse(`keys:\n  - { name: a, agency: nowhere, sha256: "${'0'.repeat(64)}" }\n`, 'keys.yaml', directory)).toThrow(
      "keys.yaml: keys.0.agency: 'nowhere' is not in the agency directory",
    );
    const bad = spawnSync('node', [compiled('client/cli/main.ts'), 'api-key', '--agency', 'nowhere'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("dispute: --agency: 'nowhere' is not in the agency directory");
  });
});
