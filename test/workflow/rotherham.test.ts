import { describe, expect, it } from 'vitest';
import { raiseRisk } from '../../workflows/dispute/messages';
import { contactsAt, officer, twoAgencies, concernWith, useDisputeKit } from '../support/disputes';
import { decide, enteredStages, mailMatching, nobodyDecides, plusHours, recipientsOf, resolvedAtEachStage, saveHistory, subjectHas, toMinute, unresolvedEarly, utc } from './scenarios';

// Rotherham: cumulative from the concern — 48 working hours, 5, 7, 10 working days.
const BOARD = 'rotherham';
const T0 = '2026-03-27T10:30:00Z'; // Fri, GMT; clocks go forward Sun 29 Mar; Good Friday 3 Apr, Easter Monday 6 Apr

// Written out by hand from the calendar:
const ENTRIES: [number, string][] = [
  [1, T0],
  [2, '2026-03-31T10:30+01:00'], // 48 working hours: Fri 13.5 h, Mon 24 h, Tue 10.5 h
  [3, '2026-04-07T10:30+01:00'], // 5 working days: Mon 30, Tue 31, Wed 1, Thu 2, (Easter) Tue 7
  [4, '2026-04-09T10:30+01:00'], // 7 working days: Wed 8, Thu 9
];
const OVERDUE = ['2026-04-14T10:30+01:00', '2026-04-15T10:30+01:00']; // 10 working days (Fri 10, Mon 13, Tue 14), then each working day

const kit = useDisputeKit();

const concern = concernWith({
  policy: 'rotherham-rsab',
  concernAt: T0,
  category: 'neglect' as const,
  risk: 'standard' as const,
  agencies: twoAgencies(BOARD),
  personReference: 'RMBC-000123',
  summary: 'Disagreement over whether a care package review is needed before discharge.',
});

describe('Rotherham', () => {
  it('nobody decides: each stage at its deadline, the right people emailed each time, the board manager at stage 3', async () => {
    const dispute = await nobodyDecides(kit, concern(), { entries: ENTRIES, overdue: OVERDUE });

    // The last stage is the board's: the parties' contacts are asked for their written representation.
    for (const [stage, subject] of [[2, 'your decision is needed'], [3, 'your decision is needed'], [4, 'your written representation']] as const) {
      const expected = [...contactsAt(BOARD, 'asc', stage), ...contactsAt(BOARD, 'nhs', stage)].sort();
      expect(await recipientsOf(dispute, `stage ${stage}: ${subject}`, 2), `stage ${stage}`).toEqual(expected);
    }
    const [stage2] = await mailMatching(dispute, subjectHas('stage 2: your decision is needed'));
    expect(stage2!.subject).toBe(`[RSAB] Dispute ${dispute.disputeId} — stage 2: your decision is needed`);
    expect(stage2!.text).toContain('Stage 2 must be concluded by Tue 7 Apr 2026 10:30 BST.');
    expect(stage2!.text).toContain('The stage 1 deadline passed with no decision recorded.');

    const boardManager = officer('rotherham-rsab', 'board-manager');
    const notices = await mailMatching(dispute, (mail) => mail.subject.includes('notice to the board') && mail.envelopeTo.includes(boardManager), 2);
    expect(notices.map((mail) => mail.subject.match(/stage (\d)/)![1])).toEqual(['3', '4']);
    expect(notices[0]!.text).toContain('Record of Escalation, Challenge and Conflict Resolution');
    expect(notices[0]!.text).toContain('must be notified at stage 3');
    expect(await recipientsOf(dispute, 'stage 4: overdue', 8)).toEqual(
      expect.arrayContaining([officer('rotherham-rsab', 'chair'), boardManager]),
    );
    // Subjects carry the reference and stage, never the adult's reference or a name.
    for (const mail of dispute.mail()) expect(mail.subject).not.toMatch(/RMBC-000123|Pat|Robin/);
    await saveHistory(dispute, 'rotherham-nobody-decides-board-stage');
  });

  it('resolved at each stage: the record says where and when, everyone involved gets the agreed actions', async () => {
    const { disputes, records } = await resolvedAtEachStage(kit, concern(), ENTRIES);
    expect(records.map((record) => record.timeTaken.workingDays)).toEqual([
      0.04, // 1 hour of working time, as a fraction of a 24-hour working day
      2.04,
      5.04,
      7.04,
    ]);
    expect(records[2]!.form?.name).toBe('Record of Escalation, Challenge and Conflict Resolution');
    expect(records[2]!.form?.fields.find((field) => field.id === 'stage-resolved')?.value).toBe('3');
    // Stage 3: everyone so far gets the confirmation, and the board manager is told again.
    const resolvedAt3 = await recipientsOf(disputes[2]!, 'resolved at stage 3', 6);
    expect(resolvedAt3).toEqual(
      [...contactsAt(BOARD, 'asc', 2), ...contactsAt(BOARD, 'asc', 3), ...contactsAt(BOARD, 'nhs', 2), ...contactsAt(BOARD, 'nhs', 3), 'pat.raiser@rotherham-asc.example.org', 'robin.other@rotherham-nhs.example.org'].sort(),
    );
    const [confirmation] = await mailMatching(disputes[2]!, subjectHas('resolved at stage 3'));
    expect(confirmation!.text).toContain('Agreed actions: Agreed at stage 3: review the care plan by Friday.');
    const told = await mailMatching(disputes[2]!, (mail) => mail.subject.includes('notice to the board') && mail.text.includes('involved when resolution is reached'));
    expect(told).toHaveLength(1);
    await saveHistory(disputes[3]!, 'rotherham-decided-at-4-board-stage');
  });

  it('unresolved pressed early at each stage escalates at once; deadlines stay cumulative', async () => {
    const dispute = await unresolvedEarly(kit, concern(), [1, 2, 3, 4]);
    const state = await dispute.state();
    expect(state.deadlines.concludeBy).toBe(utc(OVERDUE[0]!));
  });

  it('imminent risk at the start: straight to stage 3, with the board manager told', async () => {
    const dispute = await kit.start(concern({ risk: 'imminent' }));
    await dispute.at(plusHours(T0, 1));
    expect(await enteredStages(dispute)).toEqual([[3, utc(T0)]]);
    expect((await dispute.state()).deadlines.concludeBy).toBe(utc(ENTRIES[3]![1]));
    expect(await recipientsOf(dispute, 'stage 3: notice to the board', 1)).toEqual([officer('rotherham-rsab', 'board-manager')]);
  });

  it('imminent risk raised later: moves to stage 3 at once', async () => {
    const dispute = await kit.start(concern());
    await dispute.at(plusHours(T0, 2));
    const accepted = await dispute.handle.executeUpdate(raiseRisk, {
      args: [{ risk: 'imminent', by: 'pat.raiser@rotherham-asc.example.org', reason: 'Adult found without food or heating.' }],
    });
    expect(accepted.stage).toBe(3);
    expect((await enteredStages(dispute)).map(([stage, at]) => [stage, toMinute(at)])).toEqual([
      [1, toMinute(T0)],
      [3, toMinute(plusHours(T0, 2))],
    ]);
    const raised = (await dispute.events('risk-raised'))[0];
    expect(raised).toMatchObject({ from: 'standard', risk: 'imminent', effect: 'moved to stage 3' });
    await decide(dispute, 3, 'resolved');
    expect((await dispute.handle.result()).outcome).toBe('resolved');
  });
});
