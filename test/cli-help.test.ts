import { describe, expect, it } from 'vitest';
import { compiled, freePort, runCli } from './support/processes';

// Every command answers --help with its options before anything loads or connects; a bad setting
// or argument is one line on stderr and exit code 2, never a stack trace.
const commands: [string[], string[]][] = [
  [[], ['policy', 'simulate', 'api-key', 'reply', 'start', 'show', 'list', 'outcome', 'risk', 'withdraw', 'note', 'answer', 'rationale']],
  [['policy'], ['list', 'show', 'timeline']],
  [['policy', 'list'], []],
  [['policy', 'show'], ['<id>']],
  [['policy', 'timeline'], ['--from <instant>', '--risk <risk>', '--category <category>', '--json']],
  [['simulate'], ['--policy <id>', '--concern-at <instant>', '--resolve-at-stage <n>', '--json']],
  [['api-key'], ['--agency <id>', '--board <id>', '--name <label>']],
  [['reply'], ['--to <address>', '--from <email>', '--text <text>']],
  [['start'], ['--policy <id>', '--concern-at <instant>', '--category <category>', '--agency <agencyId:name:email>', '--reference <ref>', '--summary <text>', '--json']],
  [['show'], ['<id>', '--json']],
  [['list'], ['--board <id>', '--stage <n>', '--status <status>', '--agency <id>', '--overdue']],
  [['outcome'], ['<id> <decision>', '--by <email>', '--stage <n>', '--actions <text>', '--reason <text>', '--safety-confirmed']],
  [['risk'], ['<id> <risk>', '--by <email>', '--reason <text>']],
  [['withdraw'], ['--by <email>', '--reason <text>']],
  [['note'], ['--by <email>', '--text <text>']],
  [['answer'], ['<id>', '--by <email>', '--field <id>', '--choice <text>', '--comment <text>', '--json']],
  [['rationale'], ['<id>', '--by <email>', '--decision <text>', '--rationale <text>', '--json']],
];

describe('dispute --help', () => {
  it.each(commands)('dispute %j --help lists its options', async (command, expected) => {
    const { code, stdout, stderr } = await runCli([...command, '--help']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: dispute/);
    for (const text of expected) expect(stdout).toContain(text);
  });

  it('`npx dispute` as the README runs it (bin/dispute.js: the TypeScript sources through tsx) answers too', async () => {
    const { execFile } = await import('node:child_process');
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('npx', ['dispute', 'policy', 'show', 'rotherham-rsab'], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Rotherham');
    const help = await new Promise<string>((resolve) => execFile('npx', ['dispute', '--help'], { encoding: 'utf8', timeout: 60_000 }, (_error, stdout) => resolve(stdout)));
    expect(help).toMatch(/^Usage: dispute/);
  });

  it('start --help answers without trying Temporal, even where nothing listens', async () => {
    const nowhere = `127.0.0.1:${await freePort()}`;
    const started = performance.now();
    const { code, stdout } = await runCli(['start', '--help'], { TEMPORAL_ADDRESS: nowhere });
    expect(code).toBe(0);
    expect(stdout).toContain('--concern-at');
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('a missing argument is refused before connecting: one line, exit 2', async () => {
    const { code, stderr } = await runCli(['show'], { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    expect(code).toBe(2);
    expect(stderr).toBe("dispute: missing required argument 'id'\n");
    const outcome = await runCli(['outcome', 'nsab-x', 'resolved', '--stage', 'two', '--by', 'a@example.org'], { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toBe("dispute: --stage: expected a stage number such as 2, not 'two'\n");
  });
});

describe('bad settings and arguments: one line naming it, exit 2, no stack trace', () => {
  it.each([
    [['policy', 'list'], { POLICY_DIR: '/nowhere/policies' }, 'dispute: Invalid configuration in the environment: POLICY_DIR: no folder at /nowhere/policies\n'],
    [['show', 'nsab-x'], { SMTP_PORT: 'twenty-five' }, /^dispute: Invalid configuration in the environment: SMTP_PORT: .*\n$/],
    [['list'], { DIRECTORY_FILE: '/nowhere/directory.yaml' }, 'dispute: Invalid configuration in the environment: DIRECTORY_FILE: no file at /nowhere/directory.yaml\n'],
    [['list'], { LOG_LEVEL: 'loud' }, /^dispute: Invalid configuration in the environment: LOG_LEVEL: .*\n$/],
    [['policy', 'list', '--bogus'], {}, "dispute: unknown option '--bogus'\n"],
    [['frobnicate'], {}, "dispute: unknown command 'frobnicate'\n"],
  ])('dispute %j with %j', async (args, env, expected) => {
    const { code, stdout, stderr } = await runCli(args, env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    if (typeof expected === 'string') expect(stderr).toBe(expected);
    else expect(stderr).toMatch(expected);
  });

  it.each([
    ['worker/main.ts', { POLICY_DIR: '/nowhere/policies' }, 'worker: Invalid configuration in the environment: POLICY_DIR: no folder at /nowhere/policies\n'],
    ['client/api/main.ts', { API_PORT: '70000' }, /^api: Invalid configuration in the environment: API_PORT: .*\n$/],
    ['client/replies/main.ts', {}, 'inbound-mail: REPLY_SECRET is needed: the same secret the worker signs reply addresses with\n'],
    ['client/start.ts', { TEMPORAL_UI_PORT: 'ui' }, /^npm start: Invalid configuration in the environment: TEMPORAL_UI_PORT: .*\n$/],
  ])('%s with %j', async (entry, env, expected) => {
    const { execFile } = await import('node:child_process');
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile('node', [compiled(entry)], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 }, (error, _stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stderr }),
      ),
    );
    expect(run.code).toBe(2);
    if (typeof expected === 'string') expect(run.stderr).toBe(expected);
    else expect(run.stderr).toMatch(expected);
  });
});
