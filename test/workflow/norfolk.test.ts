import { describe, expect, it } from 'vitest';
import { raiseRisk } from '../../workflows/dispute/messages';
import { contactsAt, officer, twoAgencies, concernWith, useDisputeKit } from '../support/disputes';
import { enteredStages, mailMatching, nobodyDecides, plusHours, recipientsOf, resolvedAtEachStage, saveHistory, unresolvedEarly, utc } from './scenarios';

// Norfolk: each stage within 5 working days of entering it (1 at imminent risk).
const BOARD = 'norfolk';
const T0 = '2026-03-27T10:30:00Z'; // Fri, GMT; clocks go forward Sun 29 Mar; Easter 3–6 Apr

const ENTRIES: [number, string][] = [
  [1, T0],
  [2, '2026-04-07T10:30+01:00'], // Mon 30, Tue 31, Wed 1, Thu 2, (Easter) Tue 7
  [3, '2026-04-14T10:30+01:00'], // Wed 8 … Tue 14
  [4, '2026-04-21T10:30+01:00'], // Wed 15 … Tue 21
];
const OVERDUE = ['2026-04-28T10:30+01:00', '2026-04-29T10:30+01:00'];

const kit = useDisputeKit();

const concern = concernWith({
  policy: 'norfolk-nsab',
  concernAt: T0,
  category: 'abuse' as const,
  risk: 'standard' as const,
  agencies: twoAgencies(BOARD, 'gp', 'asc'),
  personReference: 'NCC-99310',
  summary: 'The GP practice challenges the decision not to open a section 42 enquiry.',
});

describe('Norfolk', () => {
  it('nobody decides: 5 working days per stage; advance notice at stage 3, urgent referral with the record at stage 4', async () => {
    const dispute = await nobodyDecides(kit, concern(), { entries: ENTRIES, overdue: OVERDUE });
    // The last stage is the board's: the parties' contacts are asked for their written representation.
    for (const [stage, subject] of [[2, 'your decision is needed'], [3, 'your decision is needed'], [4, 'your written representation']] as const) {
      const expected = [...contactsAt(BOARD, 'gp', stage), ...contactsAt(BOARD, 'asc', stage)].sort();
      expect(await recipientsOf(dispute, `stage ${stage}: ${subject}`, 2)).toEqual(expected);
    }
    const boardManager = officer('norfolk-nsab', 'board-manager');
    const notices = await mailMatching(dispute, (mail) => mail.subject.includes('notice to the board') && mail.envelopeTo.includes(boardManager), 2);
    expect(notices[0]!.text).toContain('Advance notification to the board');
    expect(notices[1]!.text).toContain('written account of the dispute');
    expect(await recipientsOf(dispute, 'stage 4: notice to the board', 2)).toEqual([officer('norfolk-nsab', 'chair'), boardManager].sort());
    await saveHistory(dispute, 'norfolk-nobody-decides-board-stage');
  });

  it('resolved at each stage', async () => {
    const { records } = await resolvedAtEachStage(kit, concern(), ENTRIES);
    expect(records.map((record) => [record.outcome, record.endedAtStage])).toEqual([
      ['resolved', 1],
      ['resolved', 2],
      ['resolved', 3],
      ['decided', 4],
    ]);
  });

  it('unresolved pressed early: each next stage gets its own 5 working days from entry', async () => {
    const dispute = await unresolvedEarly(kit, concern(), [1, 2, 3, 4]);
    const state = await dispute.state();
    // Stage 4 entered Fri 27 Mar 13:30 GMT: 5 working days is Tue 7 Apr 13:30 BST.
    expect(state.deadlines.concludeBy!.slice(0, 16)).toBe(utc('2026-04-07T13:30+01:00').slice(0, 16));
  });

  it('imminent risk shortens each remaining stage to 1 working day from the moment it is raised', async () => {
    const dispute = await kit.start(concern());
    await dispute.at(plusHours(T0, 1));
    await dispute.handle.executeUpdate(raiseRisk, { args: [{ risk: 'imminent', by: 'pat.raiser@norfolk-gp.example.org', reason: 'Adult has stopped eating.' }] });
    await dispute.at('2026-04-07T12:00:00+01:00');
    const entries = (await enteredStages(dispute)).map(([stage, at]) => [stage, at.slice(0, 16)]);
    expect(entries).toEqual([
      [1, utc(T0).slice(0, 16)],
      [2, utc('2026-03-30T11:30+01:00').slice(0, 16)], // raised Fri 11:30 GMT + 1 working day
      [3, utc('2026-03-31T11:30+01:00').slice(0, 16)],
      [4, utc('2026-04-01T11:30+01:00').slice(0, 16)],
    ]);
    expect((await dispute.events('overdue')).map((event) => event.at.slice(0, 16))).toEqual([
      utc('2026-04-02T11:30+01:00').slice(0, 16),
      utc('2026-04-07T11:30+01:00').slice(0, 16), // the next working day after Easter
    ]);
  });
});
