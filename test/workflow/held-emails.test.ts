import { describe, expect, it } from 'vitest';
import { answerForm } from '../../workflows/dispute/messages';
import { concernWith, twoAgencies, useDisputeKit } from '../support/disputes';
import { decide, mailMatching, plusHours, saveHistory, subjectHas, utc } from './scenarios';

// An email held for office hours must not keep a closed dispute's workflow running until the
// morning: when the dispute closes, the timers of held emails that asked about it are cancelled.
const kit = useDisputeKit();

// Cheshire West's stage-1 reminder is due 24 hours after the concern: a concern at 22:00 on Tuesday
// has its reminder due at 22:00 on Wednesday, held for 09:00 on Thursday.
const T0 = '2026-03-24T22:00:00Z'; // Tue, GMT
const concern = concernWith({
  policy: 'cheshire-west-and-chester-lsab',
  concernAt: T0,
  category: 'neglect',
  risk: 'standard',
  agencies: twoAgencies('cwac', 'nhs', 'asc'),
  personReference: 'CWAC-22',
  summary: 'A disagreement about a discharge.',
});

describe('emails held for office hours when the dispute closes', () => {
  it('a dispute resolved at 22:30 with a held reminder completes that evening, not at 09:00; the reminder is never sent', async () => {
    const dispute = await kit.start(concern());
    await dispute.at('2026-03-25T22:10:00Z'); // the reminder is due and held
    const [queued] = (await dispute.events('email-queued')).filter((event) => event.type === 'email-queued' && event.kind === 'reminder');
    expect(queued).toMatchObject({ heldUntil: utc('2026-03-26T09:00:00Z') });
    await dispute.at('2026-03-25T22:30:00Z');
    await decide(dispute, 1, 'resolved');
    const record = await dispute.handle.result();
    expect(record.outcome).toBe('resolved');
    // The workflow's close on the dispute's own clock: the evening it was resolved.
    const closeTime = (await dispute.handle.describe()).closeTime!.getTime();
    const onDisputeClock = closeTime + (Date.parse(await dispute.now()) - (await kit.env.currentTimeMs()));
    expect(onDisputeClock).toBeLessThan(Date.parse('2026-03-25T23:00:00Z'));
    expect(record.events).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'email-cancelled', kind: 'reminder', stage: 1, reason: 'the dispute is closed (resolved)' })]),
    );
    const cancelled = record.events.find((event) => event.type === 'email-cancelled')!;
    expect(cancelled.at.slice(0, 16)).toBe('2026-03-25T22:30');
    expect(dispute.mail().some((mail) => mail.subject.includes('stage 1: reminder'))).toBe(false);
    // The notice that it is resolved (it asks nothing) still goes at once.
    expect((await mailMatching(dispute, subjectHas('resolved at stage 1'), 2)).length).toBe(2);
    await saveHistory(dispute, 'cheshire-west-held-timer-cancelled-on-close');
  });

  it('North Somerset resolved at 22:00: the effectiveness question is held for 09:00 and not cancelled by the close; answered over night, its timer goes and the dispute completes at once', async () => {
    const NS0 = '2026-03-27T10:30:00Z'; // Fri
    const dispute = await kit.start(
      concernWith({ policy: 'north-somerset-nssab', concernAt: NS0, category: 'neglect', risk: 'standard', agencies: twoAgencies('nsomerset', 'asc', 'police'), personReference: 'NSC-3', summary: 'A disagreement.' })(),
    );
    for (const stage of [1, 2]) {
      await dispute.at(plusHours(NS0, stage));
      await decide(dispute, stage, 'unresolved');
    }
    await dispute.at('2026-03-30T21:00:00Z'); // Mon 22:00 BST, at stage 3
    await decide(dispute, 3, 'resolved');
    const asked = (await dispute.events('email-queued')).find((event) => event.type === 'email-queued' && event.kind === 'question');
    expect(asked).toMatchObject({ heldUntil: utc('2026-03-31T09:00:00+01:00') });
    expect(await dispute.events('email-cancelled')).toEqual([]);
    await dispute.at('2026-03-30T22:00:00Z');
    await dispute.handle.executeUpdate(answerForm, { args: [{ by: 'pat.raiser@nsomerset-asc.example.org', field: 'effectiveness', choice: 'Effective' }] });
    const record = await dispute.handle.result();
    const closeTime = (await dispute.handle.describe()).closeTime!.getTime();
    const onDisputeClock = closeTime + (Date.parse(await dispute.now()) - (await kit.env.currentTimeMs()));
    expect(onDisputeClock).toBeLessThan(Date.parse('2026-03-30T23:00:00Z'));
    expect(record.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'email-cancelled', kind: 'question', reason: 'the question has been answered' })]));
    expect(dispute.mail().some((mail) => mail.subject.includes('a question for the board’s form'))).toBe(false);
    expect((await mailMatching(dispute, (mail) => mail.text.includes('The completed Monitoring Form'), 4)).length).toBe(4);
  });
});
