import { describe, expect, it } from 'vitest';
import { raiseRisk } from '../../workflows/dispute/messages';
import { RejectionType } from '../../workflows/dispute/messages';
import { officer, twoAgencies, concernWith, useDisputeKit } from '../support/disputes';
import { decide, enteredStages, expectRejected, mailMatching, nobodyDecides, plusHours, recipientsOf, resolvedAtEachStage, saveHistory, subjectHas, unresolvedEarly, utc } from './scenarios';

// Leeds: per stage by risk — 5 / 2 / 1 working days (our default); stage 4 only for s42 categories.
const BOARD = 'leeds';
const T0 = '2026-03-27T10:30:00Z'; // Fri, GMT; clocks go forward Sun 29 Mar; Easter 3–6 Apr

const ENTRIES: [number, string][] = [
  [1, T0],
  [2, '2026-04-07T10:30+01:00'],
  [3, '2026-04-14T10:30+01:00'],
  [4, '2026-04-21T10:30+01:00'],
];
const OVERDUE = ['2026-04-28T10:30+01:00', '2026-04-29T10:30+01:00'];

const kit = useDisputeKit();

const concern = concernWith({
  policy: 'leeds-sab',
  concernAt: T0,
  category: 'abuse' as const,
  risk: 'standard' as const,
  agencies: twoAgencies(BOARD, 'vcs', 'asc'),
  personReference: 'LCC-5521',
  summary: 'A voluntary sector worker challenges the closure of an abuse referral.',
});

describe('Leeds', () => {
  it('with a s42 category (abuse), nobody decides: four stages of 5 working days, the chair at stage 4', async () => {
    const dispute = await nobodyDecides(kit, concern(), { entries: ENTRIES, overdue: OVERDUE });
    expect(await recipientsOf(dispute, 'stage 4: notice to the board', 1)).toEqual([officer('leeds-sab', 'chair')]);
    await saveHistory(dispute, 'leeds-abuse-nobody-decides-board-stage');
  });

  it('without a s42 category, an unresolved stage 3 closes the dispute as unresolved and no chair is emailed', async () => {
    const dispute = await kit.start(concern({ category: 'other' }));
    await dispute.at('2026-04-22T10:00:00+01:00');
    expect(await enteredStages(dispute)).toEqual(ENTRIES.slice(0, 3).map(([stage, at]) => [stage, utc(at)]));
    const record = await dispute.handle.result();
    expect(record.outcome).toBe('unresolved');
    expect(record.endedAtStage).toBe(3);
    expect(record.closedAt).toBe(utc('2026-04-21T10:30+01:00'));
    const chair = officer('leeds-sab', 'chair');
    expect(dispute.mail().some((mail) => mail.envelopeTo.includes(chair))).toBe(false);
    const [closing] = await mailMatching(dispute, subjectHas('closed unresolved at stage 3'));
    expect(closing!.text).toContain('no further stage for a other concern');
    // Each organisation's decision and rationale: the record says none was given before time ran out.
    for (const party of dispute.start.parties) expect(closing!.text).toContain(`${party.agency.name}: decision and rationale: not recorded before the stage’s time ran out`);
  });

  it('without a s42 category, "unresolved" at stage 3 closes it at once, once each organisation’s decision and rationale is recorded', async () => {
    const dispute = await kit.start(concern({ category: 'other' }));
    await dispute.at(plusHours(T0, 1));
    await decide(dispute, 1, 'unresolved');
    await decide(dispute, 2, 'unresolved');
    const vcs = { agencyId: 'leeds-vcs', decision: 'The referral should be reopened.', rationale: 'New disclosures since closure.' };
    await expectRejected(decide(dispute, 3, 'unresolved'), RejectionType.notAllowed, /each organisation's decision and rationale must be recorded first; missing: leeds-vcs, leeds-asc/);
    await expectRejected(decide(dispute, 3, 'unresolved', { organisations: [vcs] }), RejectionType.notAllowed, /missing: leeds-asc$/);
    const asc = { agencyId: 'leeds-asc', decision: 'The closure stands.', rationale: 'The threshold for s42 is not met.' };
    const accepted = await decide(dispute, 3, 'unresolved', { organisations: [vcs, asc] });
    expect(accepted.status).toBe('unresolved');
    const record = await dispute.handle.result();
    expect(record.outcome).toBe('unresolved');
    expect(record.decisions.at(-1)?.record?.organisations).toEqual([vcs, asc]);
    const [closing] = await mailMatching(dispute, subjectHas('closed unresolved at stage 3'));
    expect(closing!.text).toContain('Leeds Voluntary Sector Partnership: decision and rationale: The referral should be reopened. — New disclosures since closure.'.replace('Leeds Voluntary Sector Partnership', dispute.start.parties[0]!.agency.name));
    expect(closing!.text).toContain(`${dispute.start.parties[1]!.agency.name}: decision and rationale: The closure stands. — The threshold for s42 is not met.`);
  });

  it('resolved at each stage (stage 3 confirming safety measures)', async () => {
    const { records } = await resolvedAtEachStage(kit, concern(), ENTRIES);
    expect(records.map((record) => record.endedAtStage)).toEqual([1, 2, 3, 4]);
  });

  it('a stage 3 resolution must confirm that sufficient safety measures are in place', async () => {
    const dispute = await kit.start(concern());
    await dispute.at(plusHours(T0, 1));
    await decide(dispute, 1, 'unresolved');
    await decide(dispute, 2, 'unresolved');
    await expectRejected(decide(dispute, 3, 'resolved'), RejectionType.notAllowed, /must confirm that sufficient safety measures are in place/);
    expect((await dispute.state()).status).toBe('open');
  });

  it('unresolved pressed early at each stage escalates at once', async () => {
    await unresolvedEarly(kit, concern(), [1, 2, 3, 4]);
  });

  it('high risk gives 2 working days per stage; raising it shortens the current stage from that moment', async () => {
    const high = await kit.start(concern({ risk: 'high' }));
    const raised = await kit.start(concern());
    await raised.at(plusHours(T0, 1));
    await raised.handle.executeUpdate(raiseRisk, { args: [{ risk: 'high', by: 'robin.other@leeds-asc.example.org', reason: 'New bruising seen.' }] });
    expect((await high.state()).deadlines.concludeBy).toBe(utc('2026-03-31T10:30+01:00'));
    // Raised Fri 11:30 GMT: 2 working days is Tue 31 Mar 11:30 BST.
    expect((await raised.state()).deadlines.concludeBy!.slice(0, 16)).toBe(utc('2026-03-31T11:30+01:00').slice(0, 16));
  });

  it('imminent risk gives 1 working day per stage', async () => {
    const dispute = await kit.start(concern({ risk: 'imminent' }));
    await dispute.at('2026-04-02T12:00:00+01:00');
    expect(await enteredStages(dispute)).toEqual([
      [1, utc(T0)],
      [2, utc('2026-03-30T10:30+01:00')],
      [3, utc('2026-03-31T10:30+01:00')],
      [4, utc('2026-04-01T10:30+01:00')],
    ]);
  });
});
