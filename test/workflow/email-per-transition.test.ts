import { describe, expect, it } from 'vitest';
import { disputeState } from '../../workflows/dispute/messages';
import { concernWith, twoAgencies, useDisputeKit } from '../support/disputes';
import { boardOfficer, decide, plusHours, saveHistory } from './scenarios';

// Fewer history events for the same dispute: the emails one step of the procedure sends go out as
// one activity (each batch still on record as it settles), and the timer for the next deadline is
// kept while its instant stands. Rotherham, each stage to its deadline, the chair decides an hour
// into stage 4.
const T0 = '2026-03-27T10:30:00Z';
const STAGE_4 = '2026-04-09T10:30+01:00';

const kit = useDisputeKit();

const concern = concernWith({
  policy: 'rotherham-rsab',
  concernAt: T0,
  category: 'abuse' as const,
  risk: 'standard' as const,
  agencies: twoAgencies('rotherham'),
  personReference: 'RMBC-000777',
  summary: 'Disagreement about the support plan after a fall.',
});

describe('one email activity per transition', () => {
  it('a full escalation: one email activity per step that sends, every batch on record as sent, every message once with its own Message-ID, one timer per deadline', async () => {
    const dispute = await kit.start(concern());
    await dispute.at(plusHours(STAGE_4, 1));
    await decide(dispute, 4, 'decided', { by: boardOfficer(dispute), safetyMeasuresConfirmed: true });
    await dispute.handle.result();
    const { events } = await dispute.handle.query(disputeState);

    // The event log is as the procedure always kept it: each batch queued, then sent, batch by batch.
    const queued = events.flatMap((event) => (event.type === 'email-queued' ? [event] : []));
    const sent = events.flatMap((event) => (event.type === 'email-sent' ? [event] : []));
    const key = (event: { stage: number; kind: string; to: string[] }) => `${event.stage} ${event.kind} ${[...event.to].sort().join(',')}`;
    expect(queued.length).toBeGreaterThan(10);
    expect(sent.map(key).sort()).toEqual(queued.map(key).sort());
    expect(events.filter((event) => event.type === 'email-failed' || event.type === 'email-rejected')).toEqual([]);

    // Every message once, each with its own Message-ID.
    const mail = dispute.mail();
    expect(mail).toHaveLength(queued.reduce((sum, event) => sum + event.to.length, 0));
    expect(new Set(mail.map((message) => message.messageId)).size).toBe(mail.length);
    for (const message of mail) expect(message.messageId).toMatch(new RegExp(`^<${dispute.disputeId}\\.s[1-4]\\.[a-z-]+\\.\\d+\\.[0-9a-z]+@test\\.example\\.org>$`));

    // One activity per step that made emails due now (steps are told apart by their instant); a
    // batch held for office hours goes on its own.
    const history = await dispute.handle.fetchHistory();
    const scheduled = (history.events ?? []).flatMap((event) => {
      const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [name] : [];
    });
    const dueNow = queued.filter((event) => !event.heldUntil);
    const steps = new Set(dueNow.map((event) => event.at)).size;
    expect(scheduled.filter((name) => name === 'sendEmailsTogether')).toHaveLength(steps);
    expect(steps).toBeLessThan(dueNow.length);
    expect(scheduled.filter((name) => name === 'sendEmails')).toHaveLength(queued.length - dueNow.length);
    // The deadline timers fire; none is cancelled and set again because an email was sent. The
    // one cancelled is the wait the chair's decision ended.
    const timers = (history.events ?? []).filter((event) => event.timerCanceledEventAttributes);
    expect(timers).toHaveLength(1);
    await saveHistory(dispute, 'rotherham-emails-per-transition-decided');
  });
});
