import { describe, expect, it } from 'vitest';
import { context, drive, tierOf } from './kit';

// Leeds stage 3 ended unresolved after office hours: the request for each organisation's decision
// and rationale is held for 09:00. An organisation that records its own over night must not be asked
// for it again when the held request goes.

const ENDED = '2026-03-30T19:00:00+01:00'; // Mon, after office hours
const HELD_UNTIL = '2026-03-31T09:00:00+01:00';
const agency = (id: string) => context.directory.agencies.find((candidate) => candidate.id === id)!;
const askedOf = (id: string) => [...tierOf(id, 3), agency(id).designatedSafeguardingLead.email];

function endedUnresolvedAfterHours() {
  const dispute = drive('leeds', { category: 'other' });
  dispute.hours(1);
  dispute.send('recordOutcome', { stage: 1, decision: 'unresolved', by: 'robin.other@leeds-asc.example.org', reason: 'No agreement.' });
  dispute.send('recordOutcome', { stage: 2, decision: 'unresolved', by: tierOf('leeds-asc', 2)[0], reason: 'No agreement.' });
  dispute.until(ENDED);
  dispute.send('recordOutcome', { stage: 3, decision: 'unresolved', by: tierOf('leeds-asc', 3)[0], reason: 'No agreement.' });
  const [asked] = dispute.emails('rationale');
  expect(asked!.notBefore).toBe(Date.parse(HELD_UNTIL));
  expect([...asked!.to].sort()).toEqual([...askedOf('leeds-vcs'), ...askedOf('leeds-asc')].sort());
  return { dispute, held: { stage: 3, kind: 'rationale' as const, to: asked!.to } };
}

describe('a held request for the organisations’ decisions and rationales', () => {
  it('one organisation answers over night: at 09:00 it goes only to the contacts of the one still missing; the others are on record as not emailed, and why', () => {
    const { dispute, held } = endedUnresolvedAfterHours();
    dispute.hours(1);
    dispute.send('recordRationale', { by: tierOf('leeds-asc', 3)[0], decision: 'The closure stands.', rationale: 'The s42 threshold is not met.' });
    dispute.until(HELD_UNTIL);
    const to = dispute.procedure.heldEmailRecipients(dispute.now, held);
    expect([...to].sort()).toEqual(askedOf('leeds-vcs').sort());
    const cancelled = dispute.procedure.state.events.filter((event) => event.type === 'email-cancelled');
    expect(cancelled).toEqual([
      expect.objectContaining({ kind: 'rationale', stage: 3, at: new Date(HELD_UNTIL).toISOString(), reason: `${agency('leeds-asc').name} has recorded its decision and rationale` }),
    ]);
    expect([...(cancelled[0] as { to: string[] }).to].sort()).toEqual(askedOf('leeds-asc').sort());
  });

  it('a dispute that ran before the rule (its patch not applied) sends it to everyone first asked, recording nothing', () => {
    const { dispute, held } = endedUnresolvedAfterHours();
    dispute.send('recordRationale', { by: tierOf('leeds-asc', 3)[0], decision: 'The closure stands.', rationale: 'Threshold not met.' });
    dispute.until(HELD_UNTIL);
    const asked: string[] = [];
    const to = dispute.procedure.heldEmailRecipients(dispute.now, held, { onlyMissing: () => (asked.push('only-missing'), false) });
    expect(to).toEqual(held.to);
    expect(asked).toEqual(['only-missing']);
    expect(dispute.procedure.state.events.some((event) => event.type === 'email-cancelled')).toBe(false);
  });

  it('nobody has answered: it goes to everyone first asked, and the rule is not asked (no patch marker)', () => {
    const { dispute, held } = endedUnresolvedAfterHours();
    dispute.until(HELD_UNTIL);
    const to = dispute.procedure.heldEmailRecipients(dispute.now, held, { onlyMissing: () => expect.unreachable('asked when nothing changes') });
    expect(to).toEqual(held.to);
  });

  it('both answer over night: the dispute closes and the held request is not sent, recorded as cancelled for the close', () => {
    const { dispute, held } = endedUnresolvedAfterHours();
    dispute.send('recordRationale', { by: tierOf('leeds-asc', 3)[0], decision: 'The closure stands.', rationale: 'Threshold not met.' });
    dispute.send('recordRationale', { by: tierOf('leeds-vcs', 3)[0], decision: 'Reopen it.', rationale: 'New disclosures.' });
    expect(dispute.procedure.state.status).toBe('unresolved');
    // What the workflow's cancelHeldTimers does at the close.
    expect(dispute.procedure.heldEmailStillAsks(held)).toBe(false);
    expect(dispute.procedure.heldEmailRecipients(dispute.now, held)).toEqual([]);
    expect(dispute.procedure.state.events.at(-1)).toMatchObject({ type: 'email-cancelled', kind: 'rationale', to: held.to, reason: 'the dispute is closed (unresolved)' });
  });
});
