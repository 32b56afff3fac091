import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../policies/calendar';
import { officeHoursStart } from '../../workflows/dispute/office-hours';
import { Rejection } from '../../workflows/dispute/procedure';
import { boards, drive, officerOf, partyAt, tierOf, type Board } from './kit';

// Forms and written records at the moments each document names, and office hours, per board.

function unresolvedThrough(dispute: ReturnType<typeof drive>, board: Board, stages: number[]) {
  const other = boards[board].agencies[1];
  for (const stage of stages) {
    dispute.hours(1);
    dispute.send('recordOutcome', { stage, decision: 'unresolved', by: partyAt(other, stage, `robin.other@${other}.example.org`), reason: 'No agreement.' });
  }
}

describe('Rotherham: the Record of Escalation', () => {
  it('goes to every party’s people on entering stages 2, 3 and 4, never at stage 1', () => {
    const dispute = drive('rotherham');
    unresolvedThrough(dispute, 'rotherham', [1, 2, 3]);
    const copies = dispute.emails('record');
    expect(copies.map((copy) => copy.stage)).toEqual([2, 3, 4]);
    const stage2 = ['pat.raiser@rotherham-asc.example.org', 'robin.other@rotherham-nhs.example.org', ...tierOf('rotherham-asc', 2), ...tierOf('rotherham-nhs', 2)];
    expect([...copies[0]!.to].sort()).toEqual(stage2.sort());
    expect(copies[2]!.to).toEqual(expect.arrayContaining([...tierOf('rotherham-asc', 4), ...tierOf('rotherham-nhs', 4)]));
    expect(copies[0]!.facts.record!.fields.map((field) => field.label)).toContain('Summary of reason for dispute – include views of all agencies');
  });
});

describe('North Somerset: the Monitoring Form', () => {
  it('is not sent on entering stage 3; after resolution at stage 3 it goes completed to the board representatives, the QA lead and the board manager', () => {
    const dispute = drive('northSomerset');
    unresolvedThrough(dispute, 'northSomerset', [1, 2]);
    expect(dispute.sent.some((email) => email.facts.record?.name === 'Monitoring Form')).toBe(false);
    dispute.hours(1);
    dispute.send('recordOutcome', { stage: 3, decision: 'resolved', by: tierOf('nsomerset-police', 3)[0], agreedActions: 'A joint visit.', rationale: 'Both agree the risk is high.' });
    // It waits for the raising practitioner's answer on effectiveness (test/procedure/form-question.test.ts).
    expect(dispute.sent.some((email) => email.facts.record?.name === 'Monitoring Form')).toBe(false);
    dispute.send('answerForm', { by: 'pat.raiser@nsomerset-asc.example.org', field: 'effectiveness', choice: 'Effective' });
    const forms = dispute.sent.filter((email) => email.facts.record?.name === 'Monitoring Form');
    expect(forms.flatMap((form) => form.to).sort()).toEqual(
      ['board-rep@nsomerset-asc.example.org', 'board-rep@nsomerset-police.example.org', officerOf('north-somerset-nssab', 'qa-lead'), officerOf('north-somerset-nssab', 'board-manager')].sort(),
    );
    const fields = Object.fromEntries(forms[0]!.facts.record!.fields.map((field) => [field.label, field.value]));
    expect(fields['Stage at which Resolution achieved']).toBe('3');
    expect(fields['Time taken to reach resolution (no. of Days)']).toMatch(/^\d+(\.\d+)? working days/);
    expect(fields['Agreed outcomes or actions if satisfactorily resolved – includes escalation to next stage if unresolved']).toBe('A joint visit.');
    expect(fields['Additional Notes']).toContain('Rationale: Both agree the risk is high.');
  });

  it('stage 1 tells the line managers; stage 4 goes to each agency’s board representative', () => {
    const dispute = drive('northSomerset');
    const [lineManagers] = dispute.emails('officer-notice');
    expect([...lineManagers!.to].sort()).toEqual([...tierOf('nsomerset-asc', 2), ...tierOf('nsomerset-police', 2)].sort());
    unresolvedThrough(dispute, 'northSomerset', [1, 2, 3]);
    const stage4 = dispute.emails('stage-entered').find((email) => email.stage === 4)!;
    expect(stage4.to).toEqual(['board-rep@nsomerset-asc.example.org', 'board-rep@nsomerset-police.example.org']);
  });
});

describe('written accounts, learning, debriefs, withdrawal', () => {
  it.each([
    ['norfolk', 'norfolk-nsab', ['board-manager', 'chair']],
    ['leeds', 'leeds-sab', ['chair']],
  ] as [Board, string, string[]][])('%s: the stage-4 referral carries the written account of the dispute and every attempt to resolve it', (board, policy, officers) => {
    const dispute = drive(board, { category: 'abuse' });
    unresolvedThrough(dispute, board, [1, 2]);
    dispute.hours(1);
    dispute.send('recordOutcome', { stage: 3, decision: 'unresolved', by: tierOf(boards[board].agencies[1], 3)[0], reason: 'Still no agreement.', rationale: 'Thresholds differ.' });
    const referral = dispute.emails('officer-notice').filter((email) => email.stage === 4);
    expect(referral.flatMap((email) => email.to).sort()).toEqual(officers.map((id) => officerOf(policy, id)).sort());
    const account = Object.fromEntries(referral[0]!.facts.record!.fields.map((field) => [field.label, field.value]));
    expect(account['Attempts to resolve it']).toMatch(/stage 1, 2026-03-27: unresolved by .*\nstage 2, .*\nstage 3, .*Still no agreement\. \(Rationale: Thresholds differ\.\)/);
  });

  it.each([
    ['norfolk', true],
    ['northSomerset', true],
    ['rotherham', false],
  ] as [Board, boolean][])('%s: resolved at stage 1, the board representatives get the learning and everyone a debrief prompt: %s', (board, expected) => {
    const dispute = drive(board);
    dispute.hours(1);
    dispute.send('recordOutcome', { stage: 1, decision: 'resolved', by: `robin.other@${boards[board].agencies[1]}.example.org`, agreedActions: 'Agreed.' });
    expect(dispute.emails('debrief').length > 0).toBe(expected);
    const learning = dispute.emails('officer-notice').filter((email) => /learning|Board\./.test(email.facts.purpose ?? ''));
    expect(learning.length > 0).toBe(expected);
    if (expected) expect(learning[0]!.to.every((address) => address.startsWith('board-rep@'))).toBe(true);
  });

  it('officers told of the dispute are told when it is withdrawn', () => {
    const dispute = drive('rotherham');
    unresolvedThrough(dispute, 'rotherham', [1, 2]);
    dispute.send('withdraw', { by: 'pat.raiser@rotherham-asc.example.org', reason: 'Resolved outside the procedure.' });
    expect(dispute.emails('withdrawn')[0]!.to).toContain(officerOf('rotherham-rsab', 'board-manager'));
  });

  it('Leeds: an unresolved stage 3 that closes the dispute needs each organisation’s decision and rationale (test/procedure/leeds-closing.test.ts)', () => {
    const dispute = drive('leeds', { category: 'other' });
    unresolvedThrough(dispute, 'leeds', [1, 2]);
    dispute.hours(1);
    const organisations = boards.leeds.agencies.map((agencyId) => ({ agencyId, decision: `${agencyId} keeps its view`, rationale: 'Because.' }));
    // Each organisation gives its own: the voluntary sector by itself, the council with its "unresolved".
    const { agencyId: _, ...vcs } = organisations[0]!;
    dispute.send('recordRationale', { by: tierOf('leeds-vcs', 3)[0], ...vcs });
    expect(dispute.send('recordOutcome', { stage: 3, decision: 'unresolved', by: tierOf('leeds-asc', 3)[0], reason: 'x', organisations: organisations.slice(1) }).status).toBe('unresolved');
    expect(dispute.emails('closed-unresolved')[0]!.facts.writtenRecord).toEqual(
      organisations.map((entry) => ({ label: expect.stringContaining(': decision and rationale'), value: `${entry.decision} — Because.` })),
    );
  });
});

describe('Cheshire West', () => {
  it('the stage-1 reminder at 24 hours says what the document asks; the day-14 overdue notice goes via the board manager, not to the chair', () => {
    const dispute = drive('cheshire');
    dispute.until('2026-04-10T01:00:00+01:00');
    expect(dispute.emails('reminder')[0]!.facts.reason).toMatch(/^24 hours have passed since the concern arose/);
    const overdue = dispute.emails('overdue').filter((email) => email.stage === 3);
    expect(overdue.flatMap((email) => email.to)).toContain(officerOf('cheshire-west-and-chester-lsab', 'board-manager'));
    expect(overdue.flatMap((email) => email.to)).not.toContain(officerOf('cheshire-west-and-chester-lsab', 'chair'));
  });
});

describe('office hours', () => {
  const calendar = createCalendar({ division: 'england-and-wales' });
  it.each([
    ['Fri 27 Mar 2026 10:30 GMT, in hours', '2026-03-27T10:30:00Z', null],
    ['Fri 27 Mar 2026 22:30 GMT → Mon 09:00 BST (clocks change at the weekend)', '2026-03-27T22:30:00Z', '2026-03-30T08:00:00.000Z'],
    ['Tue 31 Mar 2026 07:00 BST → 09:00 the same day', '2026-03-31T06:00:00Z', '2026-03-31T08:00:00.000Z'],
    ['Thu 2 Apr 2026 17:00 BST → Tue 7 Apr 09:00 (Easter)', '2026-04-02T16:00:00Z', '2026-04-07T08:00:00.000Z'],
    ['Sat 24 Oct 2026 12:00 BST → Mon 26 Oct 09:00 GMT', '2026-10-24T11:00:00Z', '2026-10-26T09:00:00.000Z'],
  ])('%s', (_, now, expected) => {
    const at = officeHoursStart(calendar, undefined, Date.parse(now));
    expect(at === null ? null : new Date(at).toISOString()).toBe(expected);
  });

  it('a policy may set its own hours', () => {
    expect(new Date(officeHoursStart(calendar, { start: '08:00', end: '18:00' }, Date.parse('2026-03-31T05:00:00Z'))!).toISOString()).toBe('2026-03-31T07:00:00.000Z');
    expect(officeHoursStart(calendar, { start: '08:00', end: '18:00' }, Date.parse('2026-03-31T16:30:00Z'))).toBeNull();
  });

  it("a policy set to 'any-time' sends at once, even at 22:30 on a Saturday or on a bank holiday", () => {
    expect(officeHoursStart(calendar, 'any-time', Date.parse('2026-10-24T21:30:00Z'))).toBeNull();
    expect(officeHoursStart(calendar, 'any-time', Date.parse('2026-04-06T02:00:00Z'))).toBeNull();
  });

  it('an email that asks for something waits; one that only tells does not; the deadline never moves', () => {
    const dispute = drive('cheshire');
    dispute.until('2026-03-30T00:30:00+01:00');
    const stage2 = dispute.emails('stage-entered').find((email) => email.stage === 2)!;
    const event = dispute.procedure.state.events.find((e) => e.type === 'email-queued' && e.kind === 'stage-entered' && e.stage === 2);
    expect(event).toMatchObject({ heldUntil: '2026-03-30T08:00:00.000Z' });
    expect(stage2.facts.concludeBy).toBe('2026-04-04T23:00:00.000Z');
    const escalated = dispute.procedure.state.events.find((e) => e.type === 'email-queued' && e.kind === 'escalated');
    expect(escalated && 'heldUntil' in escalated).toBe(false);
  });
});
