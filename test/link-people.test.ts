import { describe, expect, it } from 'vitest';
import { peopleOf } from '../client/replies/decide';
import type { DisputeView } from '../workflows/dispute/model';
import { context } from './support/disputes';

// Whom a decision link's token may have been issued to: everyone the dispute's emails ask for a
// decision. A link is refused as "altered" for anyone else, so nobody asked may be missing.

const policy = context.policies.find('leeds-sab')!;
const view = {
  disputeId: 'leeds-sab-people1',
  policy: { id: policy.id, version: policy.version },
  board: policy.board.id,
  agencies: [{ id: 'leeds-asc', name: 'Leeds ASC', raising: true, people: ['pat.practitioner@leeds-asc.example.org'] }],
  events: [
    { type: 'convened', at: '2026-03-27T10:30:00.000Z', stage: 4, by: 'x', members: ['Panel.One@leeds-police.example.org'] },
    { type: 'convened', at: '2026-03-28T10:30:00.000Z', stage: 4, by: 'x', members: ['panel.two@leeds-police.example.org'] },
  ],
} as unknown as DisputeView;

describe('the people a dispute’s links may belong to', () => {
  it('are its agencies’ people, its board’s officers and every panel member it recorded', () => {
    const people = peopleOf({ context }, view);
    expect(people).toEqual(expect.arrayContaining(['pat.practitioner@leeds-asc.example.org', 'panel.one@leeds-police.example.org', 'panel.two@leeds-police.example.org']));
    for (const officer of Object.values(context.directory.boards[policy.board.id]!.officers)) expect(people).toContain(officer.email.toLowerCase());
  });

  it('include an officer the directory does not give, at the address the policy publishes', () => {
    const { chair: _chair, ...others } = context.directory.boards[policy.board.id]!.officers;
    const directory = { ...context.directory, boards: { ...context.directory.boards, [policy.board.id]: { ...context.directory.boards[policy.board.id]!, officers: others } } };
    expect(peopleOf({ context: { ...context, directory } }, view)).toContain('lsab.chair@leeds.gov.uk');
  });
});
