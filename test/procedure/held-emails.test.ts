import { describe, expect, it } from 'vitest';
import { drive } from './kit';

// Emails held for office hours (the pure procedure): what the workflow cancels when a dispute closes.
describe('held emails when the dispute closes', () => {
  it('Cheshire West: the reminder due at 22:00 is held for 09:00; once the dispute is resolved it is no longer due, and the log says why', () => {
    const dispute = drive('cheshire', { concernAt: '2026-03-24T22:00:00Z' });
    dispute.until('2026-03-25T22:10:00Z');
    const [reminder] = dispute.emails('reminder');
    expect(reminder).toBeDefined();
    const queued = dispute.procedure.state.events.find((event) => event.type === 'email-queued' && event.kind === 'reminder');
    expect(queued).toMatchObject({ heldUntil: '2026-03-26T09:00:00.000Z' });
    dispute.until('2026-03-25T22:30:00Z');
    dispute.send('recordOutcome', { stage: 1, decision: 'resolved', by: 'robin.other@cwac-asc.example.org', agreedActions: 'Agreed.' });
    // The closing notices ask nothing, so none of them is held.
    expect(dispute.emails('resolved').length).toBe(1);
    const due = dispute.procedure.heldEmailDue(dispute.now, { stage: 1, kind: 'reminder', to: reminder!.to });
    expect(due).toBe(false);
    expect(dispute.procedure.state.events.at(-1)).toMatchObject({ type: 'email-cancelled', kind: 'reminder', reason: 'the dispute is closed (resolved)', at: '2026-03-25T22:30:00.000Z' });
  });
});
