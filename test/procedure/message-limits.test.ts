import { describe, expect, it } from 'vitest';
import { messageLimits, Rejection, RejectionType } from '../../workflows/dispute/procedure';
import { boards, drive, partyAt } from './kit';

// Finding 9 of the s18 review: contact changes and representations had no cap, so one party
// repeating either used up Temporal's 2,000 updates a run (and its 51,200 history events), and no
// outcome could be recorded by anyone after. Each is capped, far above honest use, and the cap is
// refused as LimitReached, naming it.

const [raising, other] = boards.rotherham.agencies;
const RAISER = `pat.raiser@${raising}.example.org`;
const change = (stage: number, n: number, by = RAISER, agencyId: string = raising) => ({
  agencyId,
  stage,
  contacts: [{ name: `Deputy ${n}`, email: `deputy.${n}@${agencyId}.example.org` }],
  by,
  reason: `Cover number ${n}.`,
});

function refusal(action: () => unknown): Rejection {
  try {
    action();
  } catch (error) {
    if (error instanceof Rejection) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('contact changes are capped', () => {
  it(`per agency and stage (${messageLimits.contactChangesPerAgencyStage}): the next is refused naming the limit; another stage or agency still may`, () => {
    const dispute = drive('rotherham');
    for (let n = 0; n < messageLimits.contactChangesPerAgencyStage; n++) dispute.send('changeContact', change(3, n));
    const events = dispute.procedure.state.events.length;
    const refused = refusal(() => dispute.send('changeContact', change(3, 99)));
    expect(refused.type).toBe(RejectionType.limitReached);
    expect(refused.message).toBe(`contacts: this agency's stage 3 contacts have been changed ${messageLimits.contactChangesPerAgencyStage} times in this dispute, the most allowed (${messageLimits.contactChangesPerAgencyStage})`);
    expect(dispute.procedure.state.events).toHaveLength(events); // nothing recorded
    dispute.send('changeContact', change(2, 100));
    dispute.send('changeContact', change(3, 101, `robin.other@${other}.example.org`, other));
    // The outcome is still taken.
    dispute.send('recordOutcome', { stage: 1, decision: 'unresolved', by: partyAt(other, 1, `robin.other@${other}.example.org`), reason: 'No agreement.' });
    expect(dispute.procedure.state.stage).toBe(2);
  });

  it(`in all (${messageLimits.contactChanges}), whichever agency and stage; one agency alone cannot reach it`, () => {
    const police = 'rotherham-police';
    const dispute = drive('rotherham', {
      agencies: [
        { agencyId: raising, practitioner: { name: 'Pat Raiser', email: RAISER } },
        { agencyId: other, practitioner: { name: 'Robin Other', email: `robin.other@${other}.example.org` } },
        { agencyId: police, practitioner: { name: 'Kim Police', email: `kim.police@${police}.example.org` } },
      ],
    });
    const perTier = messageLimits.contactChangesPerAgencyStage;
    const stages = dispute.procedure.policy.stages.map((stage) => stage.stage);
    // One agency fills every tier of its own and is still under the total.
    expect(perTier * stages.length).toBeLessThan(messageLimits.contactChanges);
    let n = 0;
    // A board officer may change any agency's contacts (a practitioner replaced at stage 1 is no longer involved).
    const officer = Object.values(dispute.start.officers)[0]!.email;
    for (const agencyId of [raising, other, police]) {
      for (const stage of stages) {
        for (let i = 0; i < perTier && n < messageLimits.contactChanges; i++) dispute.send('changeContact', change(stage, n++, officer, agencyId));
      }
    }
    expect(n).toBe(messageLimits.contactChanges);
    const refused = refusal(() => dispute.send('changeContact', change(stages.at(-1)!, 999, officer, police)));
    expect(refused.type).toBe(RejectionType.limitReached);
    expect(refused.message).toBe(`contacts: this dispute's contacts have been changed ${messageLimits.contactChanges} times, the most allowed (${messageLimits.contactChanges})`);
  });

  it('the total is far above honest use and keeps the updates a dispute can take well inside Temporal’s 2,000', () => {
    expect(messageLimits.contactChangesPerAgencyStage).toBeGreaterThanOrEqual(10);
    expect(messageLimits.contactChanges + 20 * messageLimits.representationsPerAgency + 200 /* noteLimits.count */).toBeLessThan(1_000);
  });

  it('a dispute that took more before the limits (the rule answers no) keeps taking them', () => {
    const dispute = drive('rotherham');
    let asked = 0;
    Object.defineProperty(dispute.procedure, 'rules', { value: { ...dispute.procedure.rules, messageLimits: () => (asked++, false) } });
    for (let n = 0; n <= messageLimits.contactChangesPerAgencyStage; n++) dispute.send('changeContact', change(3, n));
    // Asked only once the limit would refuse: the patch marker is recorded only then.
    expect(asked).toBe(1);
  });
});

describe('representations are capped per agency', () => {
  it(`${messageLimits.representationsPerAgency} per agency; the next is refused naming the limit, the other agency still may`, () => {
    const dispute = drive('rotherham', { category: 'abuse' });
    for (const stage of [1, 2, 3]) {
      dispute.hours(1);
      dispute.send('recordOutcome', { stage, decision: 'unresolved', by: partyAt(other, stage, `robin.other@${other}.example.org`), reason: 'No agreement.' });
    }
    const contactOf = (agencyId: string) => dispute.procedure.snapshot().awaiting.find((party) => party.agencyId === agencyId)!.contacts[0]!.email;
    for (let n = 0; n < messageLimits.representationsPerAgency; n++) dispute.send('submitRepresentation', { by: contactOf(raising), text: `Representation ${n}.` });
    const refused = refusal(() => dispute.send('submitRepresentation', { by: contactOf(raising), text: 'One more.' }));
    expect(refused.type).toBe(RejectionType.limitReached);
    expect(refused.message).toMatch(new RegExp(`^text: .+ has made ${messageLimits.representationsPerAgency} written representations to the board, the most one agency may make \\(${messageLimits.representationsPerAgency}\\)$`));
    dispute.send('submitRepresentation', { by: contactOf(other), text: 'Ours.' });
    expect(dispute.procedure.state.representations).toHaveLength(messageLimits.representationsPerAgency + 1);
  });
});
