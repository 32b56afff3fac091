import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compiled, runCli } from './support/processes';

// Start-up with a missing or malformed payload key is refused, with a message naming the variable,
// before anything connects: the worker, the API, the inbound mail service and the CLI.

function run(entry: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('node', [compiled(entry)], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr });
    });
  });
}

const { PAYLOAD_KEYS: _keys, PAYLOAD_KEYS_FILE: _file, ...clean } = process.env;
const base = { ...clean, TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_DB_FILE: join(mkdtempSync(join(tmpdir(), 'no-keys-')), 'temporal.sqlite'), API_DEMO_KEYS: 'true', REPLY_SECRET: 'a-reply-secret-for-tests' };

describe('start-up without a good payload key', () => {
  it.each(['worker/main.ts', 'client/api/main.ts', 'client/replies/main.ts'])('%s refuses to start, naming PAYLOAD_KEYS', async (entry) => {
    const missing = await run(entry, base);
    expect(missing.code).toBe(2); // a bad setting: one line, exit 2, as every entry point
    expect(missing.output).toContain('PAYLOAD_KEYS: no payload keys');
    const malformed = await run(entry, { ...base, PAYLOAD_KEYS: 'k1 c2hvcnQ=' });
    expect(malformed.code).toBe(2);
    expect(malformed.output).toContain("PAYLOAD_KEYS: line 1: key 'k1' is 5 bytes; AES-256 needs 32");
    expect(malformed.output).not.toContain('c2hvcnQ=');
  });

  it('the CLI refuses too, in one line', async () => {
    const result = await runCli(['show', 'nsab-k3m9qz'], { PAYLOAD_KEYS: undefined, PAYLOAD_KEYS_FILE: undefined, TEMPORAL_DB_FILE: base.TEMPORAL_DB_FILE });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^dispute: PAYLOAD_KEYS: no payload keys/);
  });
});
