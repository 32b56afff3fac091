import { describe, expect, it } from 'vitest';
import { recordRationale } from '../../workflows/dispute/messages';
import { concernWith, contactsAt, context, twoAgencies, useDisputeKit } from '../support/disputes';
import { decide, mailMatching, plusHours, saveHistory, subjectHas, utc } from './scenarios';

// Leeds stage 3 ended unresolved at 19:00: the request for each organisation's decision and
// rationale waits for 09:00. Whoever records theirs over night is not asked for it in the morning.
const kit = useDisputeKit();

const BOARD = 'leeds';
const T0 = '2026-03-27T10:30:00Z'; // Fri
const ENDED = '2026-03-30T19:00:00+01:00'; // Mon, after office hours
const HELD_UNTIL = '2026-03-31T09:00:00+01:00';
const SUBJECT = 'stage 3: your organisation’s decision and rationale';
const agency = (id: string) => context.directory.agencies.find((candidate) => candidate.id === `${BOARD}-${id}`)!;
const askedOf = (id: string) => [...contactsAt(BOARD, id, 3), agency(id).designatedSafeguardingLead.email];

const concern = concernWith({
  policy: 'leeds-sab',
  concernAt: T0,
  category: 'other',
  risk: 'standard',
  agencies: twoAgencies(BOARD, 'vcs', 'asc'),
  personReference: 'LCC-7310',
  summary: 'A disagreement about the closure of a referral.',
});

async function endedUnresolvedAfterHours() {
  const dispute = await kit.start(concern());
  await dispute.at(plusHours(T0, 1));
  await decide(dispute, 1, 'unresolved');
  await decide(dispute, 2, 'unresolved');
  await dispute.at(ENDED);
  expect((await decide(dispute, 3, 'unresolved')).status).toBe('open');
  const queued = (await dispute.events('email-queued')).filter((event) => event.type === 'email-queued' && event.kind === 'rationale');
  expect(queued).toEqual([expect.objectContaining({ heldUntil: utc(HELD_UNTIL) })]);
  return dispute;
}

const rationaleOf = (id: string) => ({ by: contactsAt(BOARD, id, 3)[0]!, decision: `${id} keeps its view.`, rationale: 'As recorded at stage 3.' });

describe('Leeds: a request for the organisations’ records held for office hours', () => {
  it('the council records its own at 20:00: at 09:00 only the voluntary sector’s contacts are asked; the council’s are on record as not emailed, and why', async () => {
    const dispute = await endedUnresolvedAfterHours();
    await dispute.at(plusHours(ENDED, 1));
    await dispute.handle.executeUpdate(recordRationale, { args: [rationaleOf('asc')] });
    await dispute.at(plusHours(HELD_UNTIL, 0.5));
    const asked = await mailMatching(dispute, subjectHas(SUBJECT), askedOf('vcs').length);
    expect(asked.flatMap((mail) => mail.envelopeTo).sort()).toEqual(askedOf('vcs').sort());
    // Each council contact got the stage emails, but no request for what the council has given.
    for (const person of askedOf('asc')) expect(dispute.mail().filter((mail) => mail.envelopeTo.includes(person) && mail.subject.includes(SUBJECT))).toEqual([]);
    const cancelled = await dispute.events('email-cancelled');
    expect(cancelled).toEqual([expect.objectContaining({ kind: 'rationale', stage: 3, at: expect.stringMatching(/^2026-03-31T08:00/), reason: `${agency('asc').name} has recorded its decision and rationale` })]);
    expect([...(cancelled[0] as { to: string[] }).to].sort()).toEqual(askedOf('asc').sort());
    const sent = (await dispute.events('email-sent')).filter((event) => event.type === 'email-sent' && event.kind === 'rationale');
    expect(sent.flatMap((event) => (event as { to: string[] }).to).sort()).toEqual(askedOf('vcs').sort());
    expect((await dispute.state()).status).toBe('open');
    // The rule has its own patch marker (it came after the one marker for earlier patches).
    const history = await dispute.handle.fetchHistory();
    const markers = (history.events ?? []).flatMap((event) => {
      const data = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? [Buffer.from(data).toString()] : [];
    });
    expect(markers.some((marker) => marker.includes('held-rationale-only-to-missing'))).toBe(true);
    await saveHistory(dispute, 'leeds-held-rationale-only-to-missing');
  });

  it('both record theirs over night: the dispute closes at once, the held request is cancelled with the close and never sent', async () => {
    const dispute = await endedUnresolvedAfterHours();
    await dispute.at(plusHours(ENDED, 1));
    await dispute.handle.executeUpdate(recordRationale, { args: [rationaleOf('asc')] });
    const closed = await dispute.handle.executeUpdate(recordRationale, { args: [rationaleOf('vcs')] });
    expect(closed.status).toBe('unresolved');
    const record = await dispute.handle.result();
    expect(record.events.filter((event) => event.type === 'email-cancelled')).toEqual([
      expect.objectContaining({ kind: 'rationale', stage: 3, reason: 'the dispute is closed (unresolved)', at: expect.stringMatching(/^2026-03-30T19:00/) }),
    ]);
    expect((await mailMatching(dispute, subjectHas('closed unresolved at stage 3'))).length).toBeGreaterThan(0);
    expect(dispute.mail().filter(subjectHas(SUBJECT))).toEqual([]);
  });
});
