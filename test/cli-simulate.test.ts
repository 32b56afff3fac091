import { describe, expect, it } from 'vitest';
import { builtInPolicyDir } from '../policies/load';
import { runCli } from './support/processes';
import { utc } from './workflow/scenarios';

// `dispute simulate` as a board manager runs it: a real process with its own time-skipping server
// and SMTP server, printing what the real workflow did, on the shipped policies (office hours and all).
const dispute = (...args: string[]) => runCli(args, { POLICY_DIR: builtInPolicyDir });

interface PreviewEvent {
  type: string;
  at: string;
  stage: number;
  to?: string[];
  kind?: string;
  outcome?: string;
}

const BOARD_MANAGER = 'board-manager.rotherham@board.example.org';
const CHAIR = 'chair.rotherham@board.example.org';

describe('dispute simulate', () => {
  it('--json, nobody decides: every stage at its deadline, who is emailed, up to the first overdue notice at the last stage', async () => {
    const { code, stdout, stderr } = await dispute('simulate', '--policy', 'rotherham-rsab', '--concern-at', '2026-03-27T10:30:00Z', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const preview = JSON.parse(stdout) as { policy: string; events: PreviewEvent[] };
    expect(preview.policy).toBe('rotherham-rsab');
    const { events } = preview;
    expect(events.map((event) => event.at)).toEqual([...events.map((event) => event.at)].sort());
    expect(events.filter((event) => event.type === 'stage-entered').map((event) => [event.stage, event.at])).toEqual([
      [1, utc('2026-03-27T10:30:00Z')],
      [2, utc('2026-03-31T10:30+01:00')],
      [3, utc('2026-04-07T10:30+01:00')],
      [4, utc('2026-04-09T10:30+01:00')],
    ]);
    expect(events.filter((event) => event.type === 'reminder').map((event) => event.stage)).toEqual([1, 2, 3, 4]);
    const overdue = events.filter((event) => event.type === 'overdue');
    expect(overdue).toEqual([expect.objectContaining({ stage: 4, at: utc('2026-04-14T10:30+01:00') })]);
    expect(events.some((event) => event.type === 'closed')).toBe(false);

    const emails = events.filter((event) => event.type === 'email-queued');
    const stage3Notice = emails.find((event) => event.stage === 3 && event.kind === 'officer-notice');
    expect(stage3Notice).toMatchObject({ at: utc('2026-04-07T10:30+01:00'), to: [BOARD_MANAGER] });
    expect(emails.filter((event) => event.stage === 4 && event.kind === 'officer-notice').flatMap((event) => event.to)).toEqual([BOARD_MANAGER, CHAIR]);
    const stage2 = emails.find((event) => event.stage === 2 && event.kind === 'stage-entered')!;
    expect(stage2.at).toBe(utc('2026-03-31T10:30+01:00'));
    expect(stage2.to).toEqual([expect.stringMatching(/@rotherham-asc\.example\.org$/), expect.stringMatching(/@rotherham-nhs\.example\.org$/)]);
    // It stops at the first overdue notice, with the emails that notice sends, queued then sent: the
    // board's officers are asked for the panel's decision, the parties told it is overdue.
    expect(emails.at(-2)).toMatchObject({ type: 'email-queued', kind: 'overdue', stage: 4, to: expect.arrayContaining([CHAIR, BOARD_MANAGER]) });
    expect(emails.at(-1)).toMatchObject({ type: 'email-queued', kind: 'overdue', stage: 4, to: [expect.stringMatching(/@rotherham-asc\.example\.org$/), expect.stringMatching(/@rotherham-nhs\.example\.org$/)] });
    const overdueSent = events.filter((event) => event.type === 'email-sent' && event.kind === 'overdue');
    expect(overdueSent.flatMap((event) => event.to).sort()).toEqual([...emails.at(-2)!.to!, ...emails.at(-1)!.to!].sort());
    expect(events.filter((event) => event.type === 'email').length).toBe(0);
  }, 90_000);

  it('--resolve-at-stage 4: the board’s officer records the last stage’s outcome, never a disputing agency', async () => {
    const { code, stdout } = await dispute('simulate', '--policy', 'rotherham-rsab', '--concern-at', '2026-03-27T10:30:00Z', '--resolve-at-stage', '4', '--json');
    expect(code).toBe(0);
    const { events } = JSON.parse(stdout) as { events: (PreviewEvent & { by?: string; decision?: string })[] };
    expect(events.find((event) => event.type === 'outcome')).toMatchObject({ stage: 4, decision: 'decided', by: CHAIR });
    expect(events.find((event) => event.type === 'closed')).toMatchObject({ stage: 4, outcome: 'decided' });
  }, 90_000);

  it('--resolve-at-stage: resolved by a party of that stage an hour after it is entered; the closed event says so', async () => {
    const { code, stdout } = await dispute(
      'simulate',
      '--policy',
      'cheshire-west-and-chester-lsab',
      '--concern-at',
      '2026-03-27T10:30:00Z',
      '--resolve-at-stage',
      '2',
      '--json',
    );
    expect(code).toBe(0);
    const { events } = JSON.parse(stdout) as { events: PreviewEvent[] };
    const entered2 = events.find((event) => event.type === 'stage-entered' && event.stage === 2)!;
    expect(entered2.at).toBe(utc('2026-03-30T00:00+01:00')); // end of day 3
    const closed = events.find((event) => event.type === 'closed')!;
    expect(closed).toMatchObject({ stage: 2, outcome: 'resolved' });
    expect(closed.at.slice(0, 16)).toBe(utc('2026-03-30T01:00+01:00').slice(0, 16));
    expect(events.some((event) => event.type === 'stage-entered' && event.stage === 3)).toBe(false);
    expect(events.filter((event) => event.type === 'email-queued').at(-1)).toMatchObject({ kind: 'resolved' });
  }, 90_000);

  it('without --json: a readable account in London time, and how many emails the preview’s SMTP server received', async () => {
    const { code, stdout } = await dispute('simulate', '--policy', 'norfolk-nsab', '--concern-at', '2026-03-27T10:30', '--risk', 'imminent', '--resolve-at-stage', '1');
    expect(code).toBe(0);
    expect(stdout).toContain('Fri 27 Mar 2026 10:30 GMT');
    expect(stdout).toMatch(/resolved recorded by /);
    expect(stdout).toMatch(/(\d+) of \1 emails were delivered to the preview's own SMTP server; the dispute is resolved\./);
  }, 90_000);

  it('bad input: one line on stderr naming what is wrong, exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--policy', 'nowhere', '--concern-at', '2026-03-27T10:30:00Z'], /^dispute: unknown policy 'nowhere'; known: /],
      [['--policy', 'rotherham-rsab', '--concern-at', 'last Tuesday'], /^dispute: --concern-at: 'last Tuesday' is not an ISO-8601 instant/],
      [['--policy', 'rotherham-rsab', '--concern-at', '2026-03-27T10:30:00Z', '--resolve-at-stage', '7'], /^dispute: --resolve-at-stage: RSAB's policy has stages 1, 2, 3, 4/],
      [['--policy', 'rotherham-rsab', '--concern-at', '2026-03-27T10:30:00Z', '--risk', 'severe'], /^dispute: --risk: /],
      [['--concern-at', '2026-03-27T10:30:00Z'], /^dispute: --policy: a policy id is needed/],
      // Issue 13, finding 1: a preview of 1900 must not loop the preview's workflow.
      [['--policy', 'rotherham-rsab', '--concern-at', '1900-01-01T00:00:00Z'], /^dispute: --concern-at: 1900-01-01T00:00:00.000Z is outside the calendar's range, 2000-01-01 to 2100-01-01$/m],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await dispute('simulate', ...args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toMatch(message);
    }
  });
});
