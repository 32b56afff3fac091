import { describe, expect, it } from 'vitest';
import { RejectionType } from '../../workflows/dispute/procedure';
import { context, drive, partyAt, refusal, tierOf } from './kit';

// Leeds stage 3: "Each organisation is responsible for recording their decisions, their rationale…"
// An unresolved stage 3 with no stage 4 (not an s42 concern) closes only once each organisation has
// recorded its own; those missing are asked and chased every working day, for at most 5 working
// days; then it closes saying who gave none, and their board representatives are told.

const STAGE3 = '2026-04-14T10:30:00+01:00';
const STAGE3_ENDS = '2026-04-21T10:30:00+01:00';
const WAIT_ENDS = '2026-04-28T10:30:00+01:00'; // 5 working days on
const agency = (id: string) => context.directory.agencies.find((candidate) => candidate.id === id)!;
const dsl = (id: string) => agency(id).designatedSafeguardingLead.email;

describe('Leeds stage 3: each organisation’s decision and rationale before the dispute closes', () => {
  it('time runs out at stage 3: the dispute stays open, each organisation is asked; when both have recorded theirs it closes with them', () => {
    const dispute = drive('leeds', { category: 'other' });
    dispute.until('2026-04-21T12:00:00+01:00');
    const state = dispute.procedure.state;
    expect(state.status).toBe('open');
    expect(state.events.find((event) => event.type === 'closing-held')).toMatchObject({ at: new Date(STAGE3_ENDS).toISOString(), awaiting: ['leeds-vcs', 'leeds-asc'], until: new Date(WAIT_ENDS).toISOString() });
    const [asked] = dispute.emails('rationale');
    expect([...asked!.to].sort()).toEqual([...tierOf('leeds-vcs', 3), dsl('leeds-vcs'), ...tierOf('leeds-asc', 3), dsl('leeds-asc')].sort());
    expect(asked!.facts.asksForRationale).toBe(true);
    expect(dispute.procedure.snapshot().deadlines.concludeBy).toBeNull();

    // Only an organisation's stage-3 contacts or its safeguarding lead record its own, once.
    expect(refusal(() => dispute.send('recordRationale', { by: 'pat.raiser@leeds-vcs.example.org', decision: 'x', rationale: 'y' })).type).toBe(RejectionType.notAParty);
    expect(refusal(() => dispute.send('recordOutcome', { stage: 3, decision: 'unresolved', by: tierOf('leeds-asc', 3)[0], reason: 'again' })).message).toMatch(/still awaited: leeds-vcs, leeds-asc/);
    dispute.send('recordRationale', { by: tierOf('leeds-vcs', 3)[0], decision: 'The referral should be reopened.', rationale: 'New disclosures since closure.' });
    expect(refusal(() => dispute.send('recordRationale', { by: dsl('leeds-vcs'), decision: 'x', rationale: 'y' })).message).toMatch(/already recorded/);
    expect(dispute.procedure.state.status).toBe('open');
    dispute.hours(2);
    dispute.send('recordRationale', { by: dsl('leeds-asc'), decision: 'The closure stands.', rationale: 'The s42 threshold is not met.' });
    expect(dispute.procedure.state.status).toBe('unresolved');
    const [closing] = dispute.emails('closed-unresolved');
    expect(closing!.facts.writtenRecord).toEqual([
      { label: `${agency('leeds-vcs').name}: decision and rationale`, value: 'The referral should be reopened. — New disclosures since closure.' },
      { label: `${agency('leeds-asc').name}: decision and rationale`, value: 'The closure stands. — The s42 threshold is not met.' },
    ]);
    const record = dispute.procedure.result();
    expect(record.organisations).toEqual([
      expect.objectContaining({ agencyId: 'leeds-vcs', decision: 'The referral should be reopened.', by: tierOf('leeds-vcs', 3)[0] }),
      expect.objectContaining({ agencyId: 'leeds-asc', decision: 'The closure stands.', by: dsl('leeds-asc') }),
    ]);
  });

  it('one never answers: chased every working day, then closed after 5 working days recording none was given, its board representative told', () => {
    const dispute = drive('leeds', { category: 'other' });
    dispute.until(STAGE3_ENDS);
    dispute.send('recordRationale', { by: tierOf('leeds-asc', 3)[0], decision: 'The closure stands.', rationale: 'Threshold not met.' });
    dispute.until('2026-04-30T12:00:00+01:00');
    const chases = dispute.emails('rationale');
    // Asked when stage 3 ended, then each working day at the same time; only the one still missing.
    expect(chases.map((email) => new Date(email.at).toISOString())).toEqual(
      ['2026-04-21', '2026-04-22', '2026-04-23', '2026-04-24', '2026-04-27'].map((day) => new Date(`${day}T10:30:00+01:00`).toISOString()),
    );
    expect([...chases[1]!.to].sort()).toEqual([...tierOf('leeds-vcs', 3), dsl('leeds-vcs')].sort());
    const state = dispute.procedure.state;
    expect(state.status).toBe('unresolved');
    expect(state.closedAt).toBe(Date.parse(WAIT_ENDS));
    const [closing] = dispute.emails('closed-unresolved');
    expect(closing!.to).toContain(agency('leeds-vcs').boardRepresentative.email);
    expect(closing!.to).not.toContain(agency('leeds-asc').boardRepresentative.email);
    expect(closing!.facts.writtenRecord).toContainEqual({
      label: `${agency('leeds-vcs').name}: decision and rationale`,
      value: 'no decision or rationale given (asked on 2026-04-21, 2026-04-22, 2026-04-23, 2026-04-24, 2026-04-27)',
    });
    expect(dispute.procedure.result().organisations![0]).toEqual({ agencyId: 'leeds-vcs', askedOn: expect.arrayContaining([new Date(STAGE3_ENDS).toISOString()]) });
  });

  it('"unresolved" at stage 3 carries only the recorder’s own organisation’s entry: another’s is refused, naming it, and changes nothing', () => {
    const entry = (agencyId: string) => ({ agencyId, decision: `${agencyId} keeps its view`, rationale: 'Because.' });
    const asc = tierOf('leeds-asc', 3)[0];
    const dispute = drive('leeds', { category: 'other' });
    dispute.until(STAGE3);
    // The review's exact message: the council's stage-3 contact writing both organisations' records.
    for (const [organisations, index] of [
      [[entry('leeds-vcs'), entry('leeds-asc')], 0],
      [[entry('leeds-asc'), entry('leeds-vcs')], 1],
      [[entry('leeds-police')], 0],
    ] as const) {
      const refused = refusal(() => dispute.send('recordOutcome', { stage: 3, decision: 'unresolved', by: asc, reason: 'x', organisations }));
      expect(refused.type).toBe(RejectionType.notAParty);
      expect(refused.message).toMatch(new RegExp(`^organisations\\.${index}\\.agencyId: .* may record only leeds-asc's decision and rationale`));
    }
    expect(dispute.procedure.state).toMatchObject({ status: 'open', stage: 3, decisions: [] });
    expect(dispute.procedure.state.organisations).toBeUndefined();

    // Its own entry counts; the other organisation records its own, and that closes the dispute.
    expect(dispute.send('recordOutcome', { stage: 3, decision: 'unresolved', by: asc, reason: 'x', organisations: [entry('leeds-asc')] }).status).toBe('open');
    expect(dispute.emails('rationale')[0]!.to.sort()).toEqual([...tierOf('leeds-vcs', 3), dsl('leeds-vcs')].sort());
    dispute.send('recordRationale', { by: tierOf('leeds-vcs', 3)[0], decision: 'Reopen it.', rationale: 'New facts.' });
    expect(dispute.procedure.state.status).toBe('unresolved');
    expect(dispute.procedure.result().organisations).toEqual([
      expect.objectContaining({ agencyId: 'leeds-vcs', by: tierOf('leeds-vcs', 3)[0] }),
      expect.objectContaining({ agencyId: 'leeds-asc', by: asc }),
    ]);
  });

  it('"unresolved" at stage 3 closes at once when the other organisation has already recorded its own', () => {
    const dispute = drive('leeds', { category: 'other' });
    dispute.until(STAGE3);
    dispute.send('recordRationale', { by: dsl('leeds-vcs'), decision: 'Reopen it.', rationale: 'New facts.' });
    const own = { agencyId: 'leeds-asc', decision: 'The closure stands.', rationale: 'Threshold not met.' };
    expect(dispute.send('recordOutcome', { stage: 3, decision: 'unresolved', by: tierOf('leeds-asc', 3)[0], reason: 'x', organisations: [own] }).status).toBe('unresolved');
    expect(dispute.emails('rationale')).toEqual([]);
  });

  it('with an s42 category stage 4 follows: nothing is held, and recording a rationale at stage 3 is refused', () => {
    const dispute = drive('leeds', { category: 'abuse' });
    dispute.until(STAGE3);
    expect(refusal(() => dispute.send('recordRationale', { by: tierOf('leeds-vcs', 3)[0], decision: 'x', rationale: 'y' })).type).toBe(RejectionType.notAllowed);
    dispute.send('recordOutcome', { stage: 3, decision: 'unresolved', by: partyAt('leeds-asc', 3, ''), reason: 'No agreement.' });
    expect(dispute.procedure.state.stage).toBe(4);
    expect(dispute.emails('rationale')).toEqual([]);
  });
});
