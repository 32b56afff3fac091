import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closingFromEvents } from '../../records/closing';
import { exportedRecord } from '../../records/export';
import { lazyRecordsStore } from '../../records/lazy';
import { eraseDisputes } from '../../records/purge';
import { closingRecord, erasedText, readStoredDispute } from '../../records/read';
import { convene, recordRationale, submitRepresentation } from '../../workflows/dispute/messages';
import type { DisputeRecord } from '../../workflows/dispute/model';
import { concernWith, contactsAt, officer, twoAgencies, useDisputeKit, type RunningDispute } from '../support/disputes';
import { testKeyRing } from '../support/temporal';
import { decide, plusHours } from '../workflow/scenarios';
import { boards, drive, officerOf, partyAt } from '../procedure/kit';

// The lasting record: Temporal deletes a closed dispute after its retention, so what the records
// store reads back must be the record the workflow returned, every decision and who made it (the
// board's outcome, the panel, the representations, each organisation's decision and rationale),
// on the time-skipping server with the real activities and a real (PGlite) store. Then, once the
// board's retention has passed, the purge leaves none of those personal values behind.

const store = lazyRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
beforeAll(async () => {
  await store.get();
});
afterAll(async () => {
  await store.close();
});

const kit = useDisputeKit({ records: () => store.get() });
const T0 = '2026-03-27T10:30:00Z'; // Fri, GMT

async function stored(dispute: RunningDispute) {
  return (await readStoredDispute((await store.get()).db, dispute.disputeId))!;
}

/** Erases the dispute as the purge does at the end of the board's retention, and reads it back. */
async function erased(dispute: RunningDispute) {
  const { db } = await store.get();
  expect(await eraseDisputes(db, [dispute.disputeId], new Date())).toEqual([dispute.disputeId]);
  return stored(dispute);
}

function expectNone(values: string[], within: unknown) {
  const text = JSON.stringify(within);
  for (const value of values) expect(text, value).not.toContain(value);
}

describe('the stored closing record is the workflow’s, field for field', () => {
  it('Rotherham: decided by a panel member at stage 4, after two conveners’ lists and both agencies’ representations', async () => {
    const rotherham = concernWith({ policy: 'rotherham-rsab', concernAt: T0, category: 'neglect', risk: 'standard', agencies: twoAgencies('rotherham'), personReference: 'RMBC-CR-1', summary: 'A disagreement about discharge.' });
    const dispute = await kit.start(rotherham());
    for (const stage of [1, 2, 3]) {
      await dispute.at(plusHours(T0, stage));
      await decide(dispute, stage, 'unresolved');
    }
    const manager = officer('rotherham-rsab', 'board-manager');
    const first = [{ name: 'Alex Early', email: 'alex.early@rotherham-police.example.org' }];
    const panel = [
      { name: 'Sam Panel', email: 'sam.panel@rotherham-police.example.org' },
      { name: 'Jo Member', email: 'jo.member@rotherham-housing.example.org' },
      // The same person twice, as a convener might type them: the workflow keeps the first.
      { name: 'Sam Panel', email: 'Sam.Panel@rotherham-police.example.org' },
    ];
    await dispute.handle.executeUpdate(convene, { args: [{ by: manager, members: first, note: 'Provisional panel.' }] });
    await dispute.handle.executeUpdate(convene, { args: [{ by: manager, members: panel }] });
    const representations = {
      asc: 'The council’s representation: the package was agreed in March.',
      nhs: 'The trust’s representation: the ward could not discharge safely.',
    };
    await dispute.handle.executeUpdate(submitRepresentation, { args: [{ by: contactsAt('rotherham', 'nhs', 4)[0]!, text: representations.nhs }] });
    await dispute.handle.executeUpdate(submitRepresentation, { args: [{ by: contactsAt('rotherham', 'asc', 4)[0]!, text: representations.asc }] });
    const rationale = 'The care package must be in place before discharge.';
    await decide(dispute, 4, 'decided', { by: 'sam.panel@rotherham-police.example.org', rationale, nextSteps: 'Joint review', nextStepsBy: '2026-04-10' });
    const record = await dispute.handle.result();

    // What the workflow's record holds, so the comparison below is not of two empty fields.
    expect(record).toMatchObject({
      boardOutcome: { name: 'decision', effect: 'binding' },
      panel: { route: null, members: ['sam.panel@rotherham-police.example.org', 'jo.member@rotherham-housing.example.org'] },
      representations: [
        { agencyId: 'rotherham-nhs', by: contactsAt('rotherham', 'nhs', 4)[0], text: representations.nhs },
        { agencyId: 'rotherham-asc', by: contactsAt('rotherham', 'asc', 4)[0], text: representations.asc },
      ],
    });
    expect(record.decisions.at(-1)).toMatchObject({ by: 'sam.panel@rotherham-police.example.org', record: { rationale, nextSteps: 'Joint review', nextStepsBy: '2026-04-10' } });

    const saved = await stored(dispute);
    expect(closingRecord(saved)).toEqual(record);
    // The export carries the same (it is the stored dispute, whole).
    expect(exportedRecord(saved)).toMatchObject({ boardOutcome: record.boardOutcome, panel: record.panel, representations: record.representations, decisions: record.decisions });

    // The end of retention: the board's outcome and the route stay (the policy's words, not personal); who and what go.
    const gone = await erased(dispute);
    expect(closingRecord(gone)).toMatchObject({
      boardOutcome: { name: 'decision', effect: 'binding' },
      panel: { route: null, members: [] },
      representations: [
        { agencyId: 'rotherham-nhs', by: erasedText, at: record.representations![0]!.at, text: erasedText },
        { agencyId: 'rotherham-asc', by: erasedText, at: record.representations![1]!.at, text: erasedText },
      ],
    });
    expect(gone.decisions.at(-1)).toEqual({ stage: 4, decision: 'decided', by: erasedText, at: record.decisions.at(-1)!.at, text: erasedText });
    expectNone([...first, ...panel].flatMap((member) => [member.name, member.email.toLowerCase(), member.email]), gone);
    expectNone([representations.asc, representations.nhs, rationale, 'Joint review', 'Provisional panel.'], gone);
  });

  const leeds = concernWith({
    policy: 'leeds-sab',
    concernAt: T0,
    category: 'other',
    risk: 'standard',
    agencies: twoAgencies('leeds', 'vcs', 'asc'),
    personReference: 'LCC-CR-1',
    summary: 'A voluntary sector worker challenges the closure of a referral.',
  });

  it('Leeds: stage 3 runs out of time; one organisation records its decision and rationale, the other never does and is recorded as asked', async () => {
    const dispute = await kit.start(leeds());
    await dispute.at('2026-04-21T12:00:00+01:00');
    const asc = { decision: 'The closure stands.', rationale: 'The threshold for s42 is not met.' };
    await dispute.handle.executeUpdate(recordRationale, { args: [{ by: contactsAt('leeds', 'asc', 3)[0]!, ...asc }] });
    const record = await dispute.handle.result();
    expect(record.organisations).toEqual([
      { agencyId: 'leeds-vcs', askedOn: ['2026-04-21', '2026-04-22', '2026-04-23', '2026-04-24', '2026-04-27'].map((day) => new Date(`${day}T10:30+01:00`).toISOString()) },
      { agencyId: 'leeds-asc', ...asc, by: contactsAt('leeds', 'asc', 3)[0], at: expect.any(String) },
    ]);

    const saved = await stored(dispute);
    expect(closingRecord(saved)).toEqual(record);
    expect(exportedRecord(saved)).toMatchObject({ organisations: record.organisations });

    const gone = await erased(dispute);
    expect(closingRecord(gone)!.organisations).toEqual([
      { agencyId: 'leeds-vcs', askedOn: record.organisations![0]!.askedOn },
      { agencyId: 'leeds-asc', decision: erasedText, rationale: erasedText, by: erasedText, at: record.organisations![1]!.at },
    ]);
    expectNone([asc.decision, asc.rationale, contactsAt('leeds', 'asc', 3)[0]!], gone);
  });

  it('Leeds: "unresolved" at stage 3 given with the recorder’s own organisation’s decision and rationale closes at once when the other has recorded its own (the first given for an organisation stands)', async () => {
    const dispute = await kit.start(leeds());
    await dispute.at(plusHours(T0, 1));
    await decide(dispute, 1, 'unresolved');
    await decide(dispute, 2, 'unresolved');
    const vcs = { agencyId: 'leeds-vcs', decision: 'The referral should be reopened.', rationale: 'New disclosures since closure.' };
    const asc = { decision: 'The closure stands.', rationale: 'The threshold for s42 is not met.' };
    const again = { agencyId: 'leeds-vcs', decision: 'A second thought.', rationale: 'Typed twice.' };
    const [by, ascBy] = [contactsAt('leeds', 'vcs', 3)[0]!, contactsAt('leeds', 'asc', 3)[0]!];
    await dispute.handle.executeUpdate(recordRationale, { args: [{ by: ascBy, ...asc }] });
    const closed = await decide(dispute, 3, 'unresolved', { by, organisations: [vcs, again] });
    expect(closed.status).toBe('unresolved');
    const record: DisputeRecord = await dispute.handle.result();
    expect(record.organisations).toEqual([
      { ...vcs, by, at: record.decisions.at(-1)!.at },
      { agencyId: 'leeds-asc', ...asc, by: ascBy, at: expect.any(String) },
    ]);

    const saved = await stored(dispute);
    expect(closingRecord(saved)).toEqual(record);

    // Which organisations gave their record is a fact, and stays; the words and who go.
    const gone = await erased(dispute);
    expect(closingRecord(gone)!.organisations).toEqual(record.organisations!.map(({ agencyId, at }) => ({ agencyId, decision: erasedText, rationale: erasedText, by: erasedText, at })));
    expectNone([vcs.decision, vcs.rationale, asc.decision, asc.rationale, again.decision, again.rationale, by, ascBy], gone);
  });
});

describe('read from the events as the procedure builds it from its state', () => {
  it('North Somerset: the route last chosen and the members last named, whichever came first; organisations’ entries given with decisions that escalated are no organisation’s record', () => {
    const dispute = drive('northSomerset', { category: 'abuse' });
    const agencies = boards.northSomerset.agencies;
    for (const stage of [1, 2, 3]) {
      dispute.hours(1);
      dispute.send('recordOutcome', {
        stage,
        decision: 'unresolved',
        by: partyAt(agencies[1], stage, `robin.other@${agencies[1]}.example.org`),
        reason: 'No agreement.',
        organisations: agencies.map((agencyId) => ({ agencyId, decision: 'We stand by ours.', rationale: 'Our reasons.' })),
      });
    }
    const representative = 'board-rep@nsomerset-asc.example.org';
    const members = [
      { name: 'Panel One', email: 'panel.one@nsomerset-police.example.org' },
      { name: 'Panel Two', email: 'panel.two@nsomerset-gp.example.org' },
    ];
    dispute.send('convene', { by: representative, route: 'mediation' });
    dispute.send('convene', { by: officerOf('north-somerset-nssab', 'qa-lead'), members: [members[0]!, { ...members[0]!, email: members[0]!.email.toUpperCase() }] });
    dispute.send('convene', { by: officerOf('north-somerset-nssab', 'qa-lead'), members });
    const police = dispute.procedure.snapshot().awaiting.find((party) => party.agencyId === agencies[1])!.contacts[0]!.email;
    dispute.send('submitRepresentation', { by: police, text: 'The police’s representation.' });
    dispute.send('convene', { by: representative, route: 'panel', note: 'Mediation did not settle it.' });
    dispute.send('recordOutcome', { stage: 4, decision: 'decided', by: members[1]!.email, agreedActions: 'The panel decides.' });
    const record = dispute.procedure.result();
    expect(record.panel).toEqual({ route: 'panel', members: members.map((member) => member.email) });
    expect(record.representations).toMatchObject([{ agencyId: agencies[1], by: police }]);
    expect(record.organisations).toBeUndefined();
    const { panel, representations, organisations } = record;
    expect(closingFromEvents(dispute.procedure.state.events, agencies, erasedText)).toEqual({ panel, representations, organisations });
  });
});
