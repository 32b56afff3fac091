import { describe, expect, it } from 'vitest';
import { changeContact, changeContactSignal, RejectionType } from '../../workflows/dispute/messages';
import { messageLimits } from '../../workflows/dispute/procedure';
import { concernWith, twoAgencies, useDisputeKit } from '../support/disputes';
import { eventually } from '../support/eventually';
import { decide, expectRejected, plusHours, saveHistory } from './scenarios';

// Finding 9 of the s18 review, through the workflow: contact changes beyond the limit are refused by
// the update's validator (nothing recorded) and, sent as a signal, recorded as rejected under the
// 'message-limits' patch marker; the dispute still takes its outcome. The history is kept for the
// replay test.
const T0 = '2026-03-27T10:30:00Z';
const RAISER = 'pat.raiser@rotherham-asc.example.org';

const kit = useDisputeKit();
const concern = concernWith({
  policy: 'rotherham-rsab',
  concernAt: T0,
  category: 'neglect' as const,
  risk: 'standard' as const,
  agencies: twoAgencies('rotherham'),
  personReference: 'RMBC-000778',
  summary: 'Contact changes without end.',
});
const change = (n: number) => ({ agencyId: 'rotherham-asc', stage: 3, contacts: [{ name: `Deputy ${n}`, email: `deputy.${n}@rotherham-asc.example.org` }], by: RAISER, reason: `Cover ${n}.` });

describe('a dispute’s contact changes are capped', () => {
  it('beyond the limit an update is refused naming it and a signal is recorded as rejected; the outcome is still taken', async () => {
    const dispute = await kit.start(concern());
    await dispute.at(plusHours(T0, 1));
    for (let n = 0; n < messageLimits.contactChangesPerAgencyStage; n++) await dispute.handle.executeUpdate(changeContact, { args: [change(n)] });
    await expectRejected(
      dispute.handle.executeUpdate(changeContact, { args: [change(99)] }),
      RejectionType.limitReached,
      new RegExp(`^contacts: this agency's stage 3 contacts have been changed ${messageLimits.contactChangesPerAgencyStage} times in this dispute, the most allowed`),
    );
    await dispute.handle.signal(changeContactSignal, change(100));
    const rejected = await eventually(
      async () => (await dispute.state()).events.filter((event) => event.type === 'rejected'),
      (found) => found.length === 1,
    );
    expect(rejected[0]).toMatchObject({ operation: 'changeContact', reason: expect.stringMatching(/the most allowed/) });
    const state = await dispute.state();
    expect(state.events.filter((event) => event.type === 'contact-changed')).toHaveLength(messageLimits.contactChangesPerAgencyStage);
    expect((await decide(dispute, 1, 'resolved')).status).toBe('resolved');
    await dispute.handle.result();
    const history = await dispute.handle.fetchHistory();
    const markers = (history.events ?? []).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch').map((event) => Buffer.from(event.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0]!.data!).toString());
    expect(markers.some((marker) => marker.includes('message-limits'))).toBe(true);
    await saveHistory(dispute, 'contact-changes-beyond-limit');
  }, 120_000);
});
