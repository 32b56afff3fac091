import { describe, expect, it } from 'vitest';
import { disputeRecord } from '../../client/web/dispute-record';
import { drive, officerOf, tierOf } from '../procedure/kit';

// What the dispute page shows of the record, from the procedure's own events (no Temporal): the
// states test/web/pages.test.ts cannot reach on a real clock (a route chosen before the panel is
// named, the close's wait running out, the question left unanswered).

const page = (dispute: ReturnType<typeof drive>) => disputeRecord(dispute.procedure.snapshot(), null, dispute.start.policy);

describe('the dispute page’s record', () => {
  it('North Somerset stage 4: the route before the panel, the panel, a representation, the board’s outcome; the question awaited, then not answered', () => {
    const dispute = drive('northSomerset', { risk: 'imminent', startStage: 4 });
    expect(page(dispute)).toMatchObject({ panel: null, representations: [], boardOutcome: null, question: null });
    dispute.send('convene', { by: 'board-rep@nsomerset-asc.example.org', route: 'mediation' });
    expect(page(dispute).panel).toEqual({ route: 'mediation', members: [] });

    const qaLead = officerOf('north-somerset-nssab', 'qa-lead');
    dispute.send('convene', { by: qaLead, members: [{ name: 'Panel One', email: 'panel.one@nsomerset-police.example.org' }] });
    const police = dispute.procedure.snapshot().awaiting.find((party) => party.agencyId === 'nsomerset-police')!.contacts[0]!.email;
    dispute.send('submitRepresentation', { by: police, text: 'The police’s representation.' });
    dispute.send('recordOutcome', { stage: 4, decision: 'decided', by: qaLead, agreedActions: 'A joint review.', rationale: 'Both heard.', nextSteps: 'Review', nextStepsBy: '2026-04-10' });
    const decided = page(dispute);
    expect(decided.panel).toEqual({ route: 'mediation', members: ['panel.one@nsomerset-police.example.org'] });
    expect(decided.representations).toEqual([{ agencyId: 'nsomerset-police', agency: 'North Somerset Constabulary', by: police, at: expect.any(String), text: 'The police’s representation.' }]);
    expect(decided.boardOutcome).toEqual({
      name: 'decision',
      effect: 'final and binding on all organisations involved',
      stage: 4,
      by: qaLead,
      at: expect.any(String),
      agreedActions: 'A joint review.',
      lines: [
        { label: 'Rationale', value: 'Both heard.' },
        { label: 'Next steps', value: 'Review (by 2026-04-10)' },
      ],
    });
    expect(decided.question).toMatchObject({ field: 'effectiveness', to: 'pat.raiser@nsomerset-asc.example.org', state: 'awaited', answer: null, settledAt: null });

    dispute.until(decided.question!.until);
    expect(page(dispute).question).toMatchObject({ state: 'unanswered', answer: null, settledAt: decided.question!.until });
  });

  it('Leeds stage 3: while the close waits, who is still awaited and until when; once it closes without them, none given and when each was asked', () => {
    const dispute = drive('leeds', { category: 'other' });
    dispute.until('2026-04-21T12:00:00+01:00');
    dispute.send('recordRationale', { by: tierOf('leeds-asc', 3)[0], decision: 'The closure stands.', rationale: 'Threshold not met.' });
    const waiting = page(dispute);
    expect(waiting.closingWait).toEqual({ until: new Date('2026-04-28T10:30:00+01:00').toISOString(), awaited: ['Leeds Community Support Trust'] });
    expect(waiting.organisations).toEqual([
      { agencyId: 'leeds-vcs', agency: 'Leeds Community Support Trust', given: false, askedOn: [new Date('2026-04-21T10:30:00+01:00').toISOString()] },
      { agencyId: 'leeds-asc', agency: 'Leeds Council Adult Social Care', given: true, decision: 'The closure stands.', rationale: 'Threshold not met.', by: tierOf('leeds-asc', 3)[0], at: expect.any(String) },
    ]);

    dispute.until('2026-04-30T12:00:00+01:00');
    const closed = page(dispute);
    expect(dispute.procedure.state.status).toBe('unresolved');
    expect(closed.closingWait).toBeNull();
    expect(closed.organisations[0]).toMatchObject({ agencyId: 'leeds-vcs', given: false, askedOn: expect.arrayContaining([new Date('2026-04-27T10:30:00+01:00').toISOString()]) });
    expect(closed.organisations[0]!.askedOn).toHaveLength(5);
  });
});
