import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { builtInPolicyDir } from '../policies/load';
import { compiled } from './support/processes';

// The CLI as a person runs it (compiled once for the run: support/compiled-product.ts), a real child
// process, on the shipped policies (not the real-clock tests' copies that global-setup.ts names in POLICY_DIR).
const cli = compiled('client/cli/main.ts');
function dispute(...args: string[]) {
  const run = spawnSync('node', [cli, ...args], { encoding: 'utf8', env: { ...process.env, POLICY_DIR: builtInPolicyDir } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('dispute policy', () => {
  it('list: every policy with its version', () => {
    const { code, stdout } = dispute('policy', 'list');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n').map((line) => line.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'cheshire-west-and-chester-lsab v1',
      'leeds-sab v1',
      'norfolk-nsab v1',
      'north-somerset-nssab v1',
      'rotherham-rsab v1',
    ]);
  });

  it('show: the stages and rules in words', () => {
    const { code, stdout } = dispute('policy', 'show', 'rotherham-rsab');
    expect(code).toBe(0);
    expect(stdout).toContain('Stage 1 — Professional to professional [practitioner]');
    expect(stdout).toContain('Concluded by: 48 working hours after the concern');
    expect(stdout).toContain('On entering, tell RSAB Board Manager');
    expect(stdout).toContain('Imminent risk: go straight to stage 3');
  });

  it('timeline --json: one object with every stage’s start and conclude-by', () => {
    const { code, stdout } = dispute('policy', 'timeline', 'cheshire-west-and-chester-lsab', '--from', '2026-03-27T10:30:00Z', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      policy: 'cheshire-west-and-chester-lsab',
      stages: [
        { stage: 1, startBy: '2026-03-27T10:30:00.000Z', concludeBy: null },
        { stage: 2, startBy: '2026-03-29T23:00:00.000Z', concludeBy: '2026-04-04T23:00:00.000Z' },
        { stage: 3, startBy: '2026-04-04T23:00:00.000Z', concludeBy: '2026-04-09T23:00:00.000Z' },
        { stage: 4, startBy: '2026-04-11T23:00:00.000Z', concludeBy: '2026-04-16T23:00:00.000Z' },
      ],
    });
  });

  it('timeline --risk imminent applies the policy’s imminent-risk rule', () => {
    const { stdout } = dispute('policy', 'timeline', 'rotherham-rsab', '--from', '2026-03-27T10:30:00Z', '--risk', 'imminent', '--json');
    expect(JSON.parse(stdout).stages.map((stage: { startBy: string | null }) => stage.startBy)).toEqual([
      null,
      null,
      '2026-03-27T10:30:00.000Z',
      '2026-04-09T09:30:00.000Z',
    ]);
  });

  it('timeline without --json: a table in London time', () => {
    const { code, stdout } = dispute('policy', 'timeline', 'rotherham-rsab', '--from', '2026-03-27T10:30:00Z');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^2\s+line-manager\s+Tue 31 Mar 2026 10:30 BST\s+Tue 7 Apr 2026 10:30 BST$/m);
  });

  it.each([
    [['policy', 'show', 'atlantis-sab'], /^dispute: unknown policy 'atlantis-sab'; known: /],
    [['policy', 'timeline', 'leeds-sab', '--from', 'yesterday'], /^dispute: --from: 'yesterday' is not an ISO-8601 instant/],
    [['policy', 'timeline', 'leeds-sab', '--from', '2026-02-30T10:00:00Z'], /^dispute: --from: /],
    [['policy', 'timeline', 'leeds-sab', '--from', '2026-03-01T10:00:00Z', '--risk', 'severe'], /^dispute: --risk: /],
    [['policy', 'timeline', 'leeds-sab'], /^dispute: --from: the concern instant is needed/],
  ])('bad input %j: one clear line on stderr, exit 2', (args, message) => {
    const { code, stdout, stderr } = dispute(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('holiday data from the operator', () => {
  it('a one-off holiday in HOLIDAYS_FILE moves the deadlines; a broken file is one clear line', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'holidays-'));
    const file = join(dir, 'holidays.yaml');
    writeFileSync(file, 'changes:\n  - { date: "2026-06-02", change: added, title: A proclaimed holiday }\n');
    const run = (env: Record<string, string>) =>
      spawnSync('node', [cli, 'policy', 'timeline', 'north-somerset-nssab', '--from', '2026-06-01T09:00:00+01:00', '--json'], {
        encoding: 'utf8',
        env: { ...process.env, POLICY_DIR: builtInPolicyDir, ...env },
      });
    const plain = JSON.parse(run({}).stdout);
    const withHoliday = JSON.parse(run({ HOLIDAYS_FILE: file }).stdout);
    expect(plain.stages[0].concludeBy).toBe('2026-06-02T08:00:00.000Z');
    expect(withHoliday.stages[0].concludeBy).toBe('2026-06-03T08:00:00.000Z');

    writeFileSync(file, 'changes:\n  - { date: "2026-13-40", change: added, title: Nonsense }\n');
    const broken = run({ HOLIDAYS_FILE: file });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/holidays file holidays\.yaml is not valid:/);
    expect(broken.stderr).toMatch(/changes\.0\.date: expected a real date as YYYY-MM-DD/);
  });
});
