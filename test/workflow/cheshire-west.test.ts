import { describe, expect, it } from 'vitest';
import { raiseRisk } from '../../workflows/dispute/messages';
import { contactsAt, officer, twoAgencies, concernWith, useDisputeKit } from '../support/disputes';
import { enteredStages, mailMatching, nobodyDecides, plusHours, recipientsOf, resolvedAtEachStage, saveHistory, subjectHas, unresolvedEarly, utc } from './scenarios';

// Cheshire West and Chester: calendar days, day 1 being the day of the concern. Each stage has a
// latest start and a conclude-by; the dispute moves on at the next stage's latest start.
const BOARD = 'cwac';
const T0 = '2026-03-27T10:30:00Z'; // Fri 27 Mar = day 1; clocks go forward Sun 29 Mar

const ENTRIES: [number, string][] = [
  [1, T0],
  [2, '2026-03-30T00:00+01:00'], // no later than day 3: the end of Sun 29 Mar
  [3, '2026-04-05T00:00+01:00'], // no later than day 9: the end of Sat 4 Apr
  [4, '2026-04-12T00:00+01:00'], // no later than day 16: the end of Sat 11 Apr
];
const OVERDUE = [
  '2026-04-10T00:00+01:00', // stage 3's conclude-by (day 14) passes before stage 4's latest start (day 16)
  '2026-04-17T00:00+01:00', // stage 4: by day 21 (and within 5 days of the chair's notification)
  '2026-04-20T00:00+01:00', // then each working day: Fri 17 Apr 00:00 + 1 working day = Mon 20 Apr 00:00
];

const kit = useDisputeKit();

const concern = concernWith({
  policy: 'cheshire-west-and-chester-lsab',
  concernAt: T0,
  category: 'neglect' as const,
  risk: 'standard' as const,
  agencies: twoAgencies(BOARD, 'nhs', 'asc'),
  personReference: 'CWAC-10077',
  summary: 'Ward staff and the social work team disagree about a discharge plan.',
});

describe('Cheshire West and Chester', () => {
  it('nobody decides: each stage at the next one’s latest start; two deadlines per stage; the referral at stage 4', async () => {
    const dispute = await nobodyDecides(kit, concern(), { entries: ENTRIES, overdue: OVERDUE });
    const overdue = await dispute.events('overdue');
    expect(overdue.map((event) => event.stage)).toEqual([3, 4, 4]);
    // Stage 1: a reminder when 24 hours pass without a recorded discussion.
    expect((await dispute.events('reminder'))[0]).toMatchObject({ stage: 1, at: utc('2026-03-28T10:30:00Z') });
    const [stage3] = await mailMatching(dispute, subjectHas('stage 3: your decision is needed'));
    expect(stage3!.text).toContain('Stage 3 must be concluded by Fri 10 Apr 2026 00:00 BST.');
    expect(stage3!.text).toContain('If no decision is recorded, the dispute moves on at Sun 12 Apr 2026 00:00 BST.');
    // Stage 3 engages the agencies' LSAB members; stage 4 refers the details to the board manager and chair.
    expect(await recipientsOf(dispute, 'stage 3: notice to the board', 2)).toEqual(['board-rep@cwac-asc.example.org', 'board-rep@cwac-nhs.example.org']);
    const referral = await mailMatching(dispute, (mail) => mail.subject.includes('stage 4: notice to the board') && mail.envelopeTo.includes(officer('cheshire-west-and-chester-lsab', 'board-manager')));
    expect(referral[0]!.text).toContain('Details of the dispute');
    expect(await recipientsOf(dispute, 'stage 4: overdue', 4)).toEqual(
      expect.arrayContaining([officer('cheshire-west-and-chester-lsab', 'chair'), ...contactsAt(BOARD, 'nhs', 4)]),
    );
    await saveHistory(dispute, 'cheshire-west-nobody-decides-board-stage');
  });

  it('resolved at each stage', async () => {
    const { records } = await resolvedAtEachStage(kit, concern(), ENTRIES);
    expect(records.map((record) => record.endedAtStage)).toEqual([1, 2, 3, 4]);
  });

  it('unresolved pressed early: the chair’s 5 days come before day 21', async () => {
    const dispute = await unresolvedEarly(kit, concern(), [1, 2, 3, 4]);
    // Stage 4 entered Fri 27 Mar 13:30 GMT: 5 calendar days is Wed 1 Apr 13:30 BST, before day 21.
    expect((await dispute.state()).deadlines.concludeBy!.slice(0, 16)).toBe(utc('2026-04-01T13:30+01:00').slice(0, 16));
  });

  it('the lead of an existing safeguarding plan is told at stage 2', async () => {
    const lead = { name: 'Sasha Planlead', email: 'sasha.planlead@cwac-asc.example.org' };
    const dispute = await kit.start(concern({ safeguardingPlanLead: lead }));
    await dispute.at(plusHours(ENTRIES[1]![1], 1));
    expect(await recipientsOf(dispute, 'stage 2: notice to the board', 1)).toEqual([lead.email]);
  });

  it('immediate harm tells the raising agency’s designated safeguarding lead at once, and moves nothing', async () => {
    const atStart = await kit.start(concern({ risk: 'imminent' }));
    const later = await kit.start(concern());
    await later.at(plusHours(T0, 2));
    await later.handle.executeUpdate(raiseRisk, { args: [{ risk: 'imminent', by: 'pat.raiser@cwac-nhs.example.org', reason: 'Adult discharged without support.' }] });
    for (const dispute of [atStart, later]) {
      expect(await recipientsOf(dispute, 'immediate harm', 1)).toEqual(['safeguarding-lead@cwac-nhs.example.org']);
      expect((await enteredStages(dispute)).map(([stage]) => stage)).toEqual([1]);
    }
    expect((await later.events('risk-raised'))[0]).toMatchObject({ effect: 'deadlines unchanged; told safeguarding-lead@cwac-nhs.example.org' });
  });
});
