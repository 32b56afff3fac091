import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWhenReady } from '../runtime/register-search-attributes';
import { temporalCliPath } from '../runtime/temporal-binaries';
import { eventually } from './support/eventually';
import { freePort } from './support/processes';
import { testPayloadKeys } from './support/temporal';

// `npm run build` as the image runs it, then the compiled entry points under plain node: no tsx.
const plainNode = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile('node', args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );

beforeAll(() => {
  const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8', timeout: 300_000 });
  expect(build.status, build.stderr).toBe(0);
}, 320_000);

describe('npm run build', () => {
  it('compiles to dist/ and bundles the workflow code once, where the compiled worker finds it', () => {
    for (const file of ['dist/worker/main.js', 'dist/client/api/main.js', 'dist/client/replies/main.js', 'dist/client/cli/main.js', 'dist/runtime/register-search-attributes.js', 'dist/workflow-bundle.js', 'dist/policies/boards/rotherham-rsab.yaml', 'dist/policies/directory/demo.yaml']) {
      expect(existsSync(file), file).toBe(true);
    }
  });

  it.each([
    ['dist/worker/main.js', 'Usage: worker'],
    ['dist/client/api/main.js', 'Usage: api'],
    ['dist/client/replies/main.js', 'Usage: inbound-mail'],
    ['dist/client/cli/main.js', 'Usage: dispute'],
  ])('node %s --help', async (entry, usage) => {
    const { code, stdout, stderr } = await plainNode([entry, '--help']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(usage);
  });

  it('the compiled CLI reads the policies it carries', async () => {
    const { code, stdout } = await plainNode(['dist/client/cli/main.js', 'policy', 'timeline', 'leeds-sab', '--from', '2026-03-27T10:30:00Z', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).stages[0].concludeBy).toBe('2026-04-07T09:30:00.000Z');
  });
});

describe('the compiled worker and API against a real dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalCliPath() }, ip: '127.0.0.1' } });
    await registerWhenReady(env.connection.options.address, 'default');
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('run a dispute from the prebuilt bundle, logging JSON lines that never carry an address', async () => {
    const known = 'pat.raiser@rotherham-asc.example.org';
    const apiPort = await freePort();
    const common = {
      TEMPORAL_ADDRESS: env.connection.options.address,
      TEMPORAL_TASK_QUEUE: `build-${randomUUID()}`,
      LOG_LEVEL: 'debug',
      REPLY_SECRET: 'a-reply-secret-for-the-build-test',
      PAYLOAD_KEYS: testPayloadKeys,
      // Nothing listens here: every email fails and is retried, and the failures are logged.
      SMTP_PORT: String(await freePort()),
    };
    const start = (entry: string, extra: NodeJS.ProcessEnv) => {
      const child = spawn('node', [entry], { env: { ...process.env, ...common, ...extra } });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.stderr.on('data', (chunk) => (out += chunk));
      return { child, output: () => out, exited: new Promise((resolve) => child.once('exit', resolve)) };
    };
    // Two processes, each with its own embedded records store (PGlite serves one process; a
    // deployment shares a PostgreSQL through DATABASE_URL).
    const records = mkdtempSync(join(tmpdir(), 'dispute-build-records-'));
    const worker = start('dist/worker/main.js', { RECORDS_DIR: join(records, 'worker') });
    const api = start('dist/client/api/main.js', { API_PORT: String(apiPort), API_DEMO_KEYS: 'true', RECORDS_DIR: join(records, 'api') });
    try {
      await eventually(async () => worker.output() + api.output(), (text) => text.includes('worker polling') && text.includes('API listening'), 60_000);
      // A refused connection after "API listening" once failed this under load with nothing to go on: say what the API printed.
      const response = await fetch(`http://127.0.0.1:${apiPort}/disputes`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo-rotherham-asc', 'content-type': 'application/json' },
        body: JSON.stringify({
          policy: 'rotherham-rsab',
          concernAt: new Date().toISOString(),
          category: 'neglect',
          risk: 'standard',
          agencies: [
            { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: known } },
            { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: 'robin.other@rotherham-nhs.example.org' } },
          ],
          personReference: 'RMBC-BUILD-1',
          summary: 'Disagreement about discharge planning.',
        }),
      }).catch((error: unknown) => {
        throw new Error(`POST /disputes failed (API exit code ${api.child.exitCode}): ${String(error)}\n${api.output()}`, { cause: error });
      });
      expect(response.status).toBe(201);
      // The worker ran the workflow from dist/workflow-bundle.js and tried the stage-1 emails.
      await eventually(async () => worker.output(), (text) => /"activityType":"sendEmails"|sendEmails/.test(text), 60_000);
    } finally {
      worker.child.kill('SIGTERM');
      api.child.kill('SIGTERM');
      await Promise.all([worker.exited, api.exited]);
    }
    for (const [name, output] of [['worker', worker.output()], ['api', api.output()]] as const) {
      const lines = output.split('\n').filter((line) => line.trim() !== '');
      expect(lines.length, name).toBeGreaterThan(1);
      for (const line of lines) expect(() => JSON.parse(line), `${name}: ${line}`).not.toThrow();
      expect(output, name).not.toContain(known);
      expect(output, name).not.toContain('Pat Raiser');
    }
    expect(worker.output()).toContain('"prebuiltBundle":true');
    expect(api.output()).toMatch(/"msg":"POST \/disputes 201/);
  }, 180_000);
});
