import { describe, expect, it } from 'vitest';
import { raiseRisk, recordOutcomeSignal, recordRationale } from '../../workflows/dispute/messages';
import { eventually } from '../support/eventually';
import { RejectionType } from '../../workflows/dispute/messages';
import { contactsAt, context, officer, twoAgencies, concernWith, useDisputeKit } from '../support/disputes';
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

  it('without a s42 category, stage 3 running out of time holds the close for each organisation’s decision and rationale, chasing daily; one never given is recorded as such after 5 working days, its board representative told; no chair is emailed', async () => {
    const dispute = await kit.start(concern({ category: 'other' }));
    await dispute.at('2026-04-21T12:00:00+01:00');
    expect(await enteredStages(dispute)).toEqual(ENTRIES.slice(0, 3).map(([stage, at]) => [stage, utc(at)]));
    // Stage 3's time ran out: still open, each organisation asked for its own record.
    const state = await dispute.state();
    expect(state.status).toBe('open');
    expect(await dispute.events('closing-held')).toEqual([expect.objectContaining({ at: utc('2026-04-21T10:30+01:00'), awaiting: ['leeds-vcs', 'leeds-asc'], until: utc('2026-04-28T10:30+01:00') })]);
    const asked = await mailMatching(dispute, subjectHas('stage 3: your organisation’s decision and rationale'), 4);
    const people = (id: string) => [...contactsAt(BOARD, id, 3), context.directory.agencies.find((agency) => agency.id === `${BOARD}-${id}`)!.designatedSafeguardingLead.email];
    expect(asked.flatMap((mail) => mail.envelopeTo).sort()).toEqual([...people('vcs'), ...people('asc')].sort());
    // The council records its own; the voluntary sector partnership never does.
    await dispute.handle.executeUpdate(recordRationale, { args: [{ by: contactsAt(BOARD, 'asc', 3)[0]!, decision: 'The closure stands.', rationale: 'The threshold for s42 is not met.' }] });
    await expectRejected(
      dispute.handle.executeUpdate(recordRationale, { args: [{ by: 'pat.raiser@leeds-vcs.example.org', decision: 'x', rationale: 'y' }] }),
      RejectionType.notAParty,
      /its stage 3 contacts or its designated safeguarding lead do/,
    );
    const record = await dispute.handle.result();
    expect(record.outcome).toBe('unresolved');
    expect(record.endedAtStage).toBe(3);
    expect(record.closedAt).toBe(utc('2026-04-28T10:30+01:00'));
    expect(record.organisations).toEqual([
      { agencyId: 'leeds-vcs', askedOn: ['2026-04-21', '2026-04-22', '2026-04-23', '2026-04-24', '2026-04-27'].map((day) => utc(`${day}T10:30+01:00`)) },
      expect.objectContaining({ agencyId: 'leeds-asc', decision: 'The closure stands.', rationale: 'The threshold for s42 is not met.' }),
    ]);
    const chair = officer('leeds-sab', 'chair');
    expect(dispute.mail().some((mail) => mail.envelopeTo.includes(chair))).toBe(false);
    const closing = await mailMatching(dispute, subjectHas('closed unresolved at stage 3'), 2);
    expect(closing.flatMap((mail) => mail.envelopeTo)).toContain(context.directory.agencies.find((agency) => agency.id === 'leeds-vcs')!.boardRepresentative.email);
    expect(closing[0]!.text).toContain('no further stage for a other concern');
    expect(closing[0]!.text).toContain(`${dispute.start.parties[0]!.agency.name}: decision and rationale: no decision or rationale given (asked on 2026-04-21, 2026-04-22, 2026-04-23, 2026-04-24, 2026-04-27)`);
    expect(closing[0]!.text).toContain(`${dispute.start.parties[1]!.agency.name}: decision and rationale: The closure stands. — The threshold for s42 is not met.`);
    await saveHistory(dispute, 'leeds-other-closing-awaits-organisations');
  });

  it('without a s42 category, "unresolved" at stage 3 closes it once each organisation’s decision and rationale is recorded: given with the decision, or by the organisation itself', async () => {
    const dispute = await kit.start(concern({ category: 'other' }));
    await dispute.at(plusHours(T0, 1));
    await decide(dispute, 1, 'unresolved');
    await decide(dispute, 2, 'unresolved');
    const vcs = { agencyId: 'leeds-vcs', decision: 'The referral should be reopened.', rationale: 'New disclosures since closure.' };
    // Given by the voluntary sector's own stage-3 contact: an organisation's entry is its own to give.
    const accepted = await decide(dispute, 3, 'unresolved', { by: contactsAt(BOARD, 'vcs', 3)[0]!, organisations: [vcs] });
    expect(accepted.status).toBe('open');
    await expectRejected(decide(dispute, 3, 'unresolved'), RejectionType.notAllowed, /still awaited: leeds-asc/);
    const asc = { decision: 'The closure stands.', rationale: 'The threshold for s42 is not met.' };
    const closed = await dispute.handle.executeUpdate(recordRationale, { args: [{ by: contactsAt(BOARD, 'asc', 3)[0]!, ...asc }] });
    expect(closed.status).toBe('unresolved');
    const record = await dispute.handle.result();
    expect(record.outcome).toBe('unresolved');
    expect(record.organisations).toEqual([expect.objectContaining(vcs), expect.objectContaining({ agencyId: 'leeds-asc', ...asc })]);
    const [closing] = await mailMatching(dispute, subjectHas('closed unresolved at stage 3'));
    expect(closing!.text).toContain(`${dispute.start.parties[0]!.agency.name}: decision and rationale: The referral should be reopened. — New disclosures since closure.`);
    expect(closing!.text).toContain(`${dispute.start.parties[1]!.agency.name}: decision and rationale: The closure stands. — The threshold for s42 is not met.`);
  });

  it('an "unresolved" signal at stage 3 carrying another organisation’s entry is recorded as rejected and changes nothing; one carrying its own is applied', async () => {
    const dispute = await kit.start(concern({ category: 'other' }));
    await dispute.at(plusHours(T0, 1));
    await decide(dispute, 1, 'unresolved');
    await decide(dispute, 2, 'unresolved');
    const asc = contactsAt(BOARD, 'asc', 3)[0]!;
    const entry = (agencyId: string) => ({ agencyId, decision: `${agencyId} keeps its view.`, rationale: 'Because.' });
    await dispute.handle.signal(recordOutcomeSignal, { stage: 3, decision: 'unresolved', by: asc, reason: 'No agreement.', organisations: [entry('leeds-vcs'), entry('leeds-asc')] });
    const refused = await eventually(() => dispute.state(), (state) => state.events.some((event) => event.type === 'rejected'));
    expect(refused.events.filter((event) => event.type === 'rejected')).toEqual([
      expect.objectContaining({ operation: 'recordOutcome', reason: expect.stringMatching(/^organisations\.0\.agencyId: .* may record only leeds-asc's decision and rationale/) }),
    ]);
    expect(refused).toMatchObject({ status: 'open', stage: 3 });
    expect(refused.events.filter((event) => event.type === 'outcome' && event.stage === 3)).toEqual([]);
    await dispute.handle.signal(recordOutcomeSignal, { stage: 3, decision: 'unresolved', by: asc, reason: 'No agreement.', organisations: [entry('leeds-asc')] });
    const held = await eventually(() => dispute.state(), (state) => state.events.some((event) => event.type === 'closing-held'));
    expect(held.events.find((event) => event.type === 'closing-held')).toMatchObject({ awaiting: ['leeds-vcs'] });
    await dispute.handle.executeUpdate(recordRationale, { args: [{ by: contactsAt(BOARD, 'vcs', 3)[0]!, decision: 'Reopen it.', rationale: 'New facts.' }] });
    const record = await dispute.handle.result();
    expect(record.organisations).toEqual([expect.objectContaining({ agencyId: 'leeds-vcs' }), expect.objectContaining({ agencyId: 'leeds-asc', by: asc })]);
    await saveHistory(dispute, 'leeds-other-entry-signal-refused');
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
