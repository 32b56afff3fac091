import { defaultPayloadConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formCopiesOf, readFormCopies } from '../../records/form-copies';
import { lazyRecordsStore, type LazyRecordsStore } from '../../records/lazy';
import { closingRecord, readStoredDispute } from '../../records/read';
import { storedEvents } from '../../records/write';
import { addNote } from '../../workflows/dispute/messages';
import { concernWith, contactsAt, twoAgencies, useDisputeKit, type RunningDispute } from '../support/disputes';
import { decide, enteredStages, mailMatching, plusHours, saveHistory, subjectHas, utc } from '../workflow/scenarios';
import { testDataConverter, testKeyRing } from '../support/temporal';
import { freePort } from '../support/processes';
import { startPostgres, type TestPostgres } from './postgres';

// The workflow writes its record to the store as it moves, on the time-skipping server with the real
// activities: the store agrees with the workflow field for field, for every policy; and a store that
// is down holds nothing up, and catches up once it is back. Policies' records go to PGlite, the
// outage is a real PostgreSQL server stopped and started again.

let postgres: TestPostgres;
let onPostgres: LazyRecordsStore;
const onPglite = lazyRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
let store = onPglite;
beforeAll(async () => {
  postgres = await startPostgres();
  onPostgres = lazyRecordsStore({ databaseUrl: await postgres.database() }, { keyRing: testKeyRing });
  await onPostgres.get(); // migrated before anything is written
  await onPglite.get();
});
afterAll(async () => {
  await onPglite.close();
  await onPostgres?.close();
  await postgres?.destroy();
});

const kit = useDisputeKit({ records: () => store.get() });
const T0 = '2026-04-13T10:30:00+01:00'; // Mon

const boards = [
  ['rotherham-rsab', 'rotherham', 'asc', 'nhs'],
  ['cheshire-west-and-chester-lsab', 'cwac', 'nhs', 'asc'],
  ['leeds-sab', 'leeds', 'asc', 'nhs'],
  ['norfolk-nsab', 'norfolk', 'gp', 'asc'],
  ['north-somerset-nssab', 'nsomerset', 'asc', 'police'],
] as const;

async function stored(dispute: RunningDispute) {
  return readStoredDispute((await store.get()).db, dispute.disputeId);
}

describe('the workflow writes its record to the store', () => {
  it.each(boards)('%s: the stored record and view agree with the workflow field for field', async (policy, board, raising, other) => {
    const concern = concernWith({ policy, concernAt: T0, category: 'neglect', agencies: twoAgencies(board, raising, other), personReference: 'REF-STORE-1', summary: 'Disagreement about a care plan.' });
    const dispute = await kit.start(concern());
    await dispute.at(plusHours(T0, 1));
    await dispute.handle.executeUpdate(addNote, { args: [{ by: dispute.start.parties[0]!.practitioner.email, text: 'Spoke to the ward, "as agreed".' }] });
    await decide(dispute, 1, 'unresolved');
    // Nobody decides at stage 2: its deadline moves the dispute on.
    for (let state = await dispute.state(); state.stage < 3; state = await dispute.state()) {
      await dispute.at(new Date(Date.parse(state.deadlines.escalateAt ?? state.deadlines.concludeBy!) + 60_000).toISOString());
    }
    const view = await dispute.state();
    await dispute.at(new Date(Date.parse(view.enteredStageAt) + 3_600_000).toISOString());
    await decide(dispute, 3, 'resolved', { safetyMeasuresConfirmed: true });
    const record = await dispute.handle.result();
    const finalView = await dispute.state();

    const saved = await stored(dispute);
    expect(saved!.view).toEqual(finalView);
    expect(closingRecord(saved!)).toEqual(record);
    expect(saved!.notes.map((note) => note.text)).toEqual(['Spoke to the ward, "as agreed".']);
    expect(saved!.summary).toBe('Disagreement about a care plan.');
    expect(await storedEvents((await store.get()).db, dispute.disputeId)).toEqual({ count: record.events.length, lastSeq: record.events.length });

    // Each form an email carried, as sent: the live record's events show it, and the store keeps a copy per send.
    const sent = record.events.filter((event) => event.type === 'email-queued' && event.form);
    const copies = await readFormCopies((await store.get()).db, dispute.disputeId);
    expect(copies).toEqual(formCopiesOf(record.events, record.form));
    expect(copies.map((copy) => [copy.seq, copy.recipients])).toEqual(sent.map((event) => [event.seq, event.type === 'email-queued' ? event.to : []]));
    if (policy === 'rotherham-rsab') {
      // Rotherham's form goes to every party on entering stages 1-3: three copies at least, each as filled then.
      const ofForm = copies.filter((copy) => copy.reference === record.form!.reference);
      expect(ofForm.length).toBeGreaterThanOrEqual(3);
      expect(ofForm[0]!.fields).not.toEqual(ofForm.at(-1)!.fields);
      expect(ofForm.every((copy) => copy.recipients.length > 0 && copy.fields.length === record.form!.fields.length)).toBe(true);
    }
  });

  it('with the store stopped, the dispute escalates on time and the emails go out; once it is back the record is complete, with no duplicate rows', async () => {
    store = onPostgres;
    const concern = concernWith({ policy: 'leeds-sab', concernAt: T0, category: 'neglect', risk: 'imminent', agencies: twoAgencies('leeds'), personReference: 'LCC-000777', summary: 'District nurse visits.' });
    await postgres.stop();
    let dispute: RunningDispute;
    try {
      dispute = await kit.start(concern());
      const stage2 = '2026-04-14T10:30:00+01:00'; // one working day at imminent risk
      await dispute.at(plusHours(stage2, 1));
      expect(await enteredStages(dispute)).toEqual([
        [1, utc(T0)],
        [2, utc(stage2)],
      ]);
      const stage2Mail = await mailMatching(dispute, subjectHas('stage 2: your decision is needed'), 2);
      expect(stage2Mail.flatMap((mail) => mail.envelopeTo).sort()).toEqual([...contactsAt('leeds', 'asc', 2), ...contactsAt('leeds', 'nhs', 2)].sort());
      const pending = (await dispute.handle.describe()).raw.pendingActivities ?? [];
      const failing = pending.filter((activity) => activity.activityType?.name === 'saveRecord');
      expect(failing.length).toBe(1); // one write retried; what came meanwhile waits behind it
      // Failures are encrypted in history; decoded with the payload keys, they name the kind of error only.
      const [decoded] = await testDataConverter.payloadCodecs![0]!.decode([failing[0]!.lastFailure!.encodedAttributes!]);
      const message = defaultPayloadConverter.fromPayload<{ message: string }>(decoded!).message;
      expect(message).toMatch(/^records store unavailable \(ECONNREFUSED\)$/);
    } finally {
      await postgres.start();
    }
    // Retries back off to at most 10 minutes: half an hour later the store has caught up.
    await dispute.at(plusHours('2026-04-14T10:30:00+01:00', 2));
    const { db } = await store.get();
    const events = await dispute.events();
    const caught = await (async () => {
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
        const counted = await storedEvents(db, dispute.disputeId);
        if (counted.count >= events.length) return counted;
      }
      return storedEvents(db, dispute.disputeId);
    })();
    expect(caught).toEqual({ count: events.length, lastSeq: events.length });
    const saved = await stored(dispute);
    expect(saved!.view).toEqual(await dispute.state());
    await decide(dispute, 2, 'resolved');
    const record = await dispute.handle.result();
    expect(closingRecord((await stored(dispute))!)).toEqual(record);
    await saveHistory(dispute, 'records-store-outage');
  });

  it('a write given up after a week of a store that is down is made good by the next; the write at the close never gives up', async () => {
    // The store's address points at a port nobody listens on: every attempt is refused.
    const down = lazyRecordsStore({ databaseUrl: `postgres://dispute@127.0.0.1:${await freePort()}/records` }, { keyRing: testKeyRing });
    store = down;
    const concern = concernWith({ policy: 'rotherham-rsab', concernAt: T0, category: 'neglect', agencies: twoAgencies('rotherham'), personReference: 'RMBC-000778', summary: 'Discharge planning.' });
    const dispute = await kit.start(concern());
    const days = async (from: string, count: number) => {
      for (let day = 1; day <= count; day += 1) await dispute.at(plusHours(from, 24 * day));
    };
    // The writes Temporal gave up on: failed or timed out for good, as the history records them.
    const gaveUp = async () => {
      const events = (await dispute.handle.fetchHistory()).events!;
      const scheduled = new Map(events.map((event) => [String(event.eventId), event.activityTaskScheduledEventAttributes?.activityType?.name]));
      const ended = events.flatMap((event) => {
        const attributes = event.activityTaskTimedOutEventAttributes ?? event.activityTaskFailedEventAttributes;
        const type = proto.temporal.api.enums.v1.EventType[event.eventType!];
        return attributes ? [`${scheduled.get(String(attributes.scheduledEventId))} ${type} ${proto.temporal.api.enums.v1.RetryState[attributes.retryState!]}`] : [];
      });
      return ended;
    };
    await days(T0, 8);
    const first = await gaveUp();
    expect(first).toEqual(['saveRecord EVENT_TYPE_ACTIVITY_TASK_FAILED RETRY_STATE_TIMEOUT']); // the first write, after its seven days
    const escalated = await enteredStages(dispute);
    expect(escalated.length).toBeGreaterThan(1); // the dispute moved on time meanwhile
    expect((await dispute.events('email-sent')).length).toBeGreaterThan(0);

    // The store is back: the write queued behind the one given up carries every event since the last acknowledged.
    store = onPglite;
    const back = plusHours(T0, 24 * 8 + 1);
    await dispute.at(back);
    const { db } = await store.get();
    const events = await dispute.events();
    expect(await storedEvents(db, dispute.disputeId)).toEqual({ count: events.length, lastSeq: events.length });
    expect((await stored(dispute))!.view).toEqual(await dispute.state());

    // Down again as the dispute closes: the closing write waits, a week and more, and lands once the store is back.
    store = down;
    const { stage } = await dispute.state();
    expect(stage).toBeLessThan(4);
    await decide(dispute, stage, 'resolved', { safetyMeasuresConfirmed: true });
    await days(back, 9);
    const description = await dispute.handle.describe();
    expect(description.status.name).toBe('RUNNING');
    const pending = (description.raw.pendingActivities ?? []).filter((activity) => activity.activityType?.name === 'saveRecord');
    expect(pending).toHaveLength(1);
    // Nine days after the close, past the seven a write in the dispute's life is given, it is still being tried.
    expect(pending[0]!.attempt).toBeGreaterThan(100);
    expect(await gaveUp()).toEqual(first);
    store = onPglite;
    const record = await dispute.handle.result();
    expect(closingRecord((await stored(dispute))!)).toEqual(record);
    expect(await storedEvents(db, dispute.disputeId)).toEqual({ count: record.events.length, lastSeq: record.events.length });
    expect(await readFormCopies(db, dispute.disputeId)).toEqual(formCopiesOf(record.events, record.form));
    await down.close();
    await saveHistory(dispute, 'records-store-gave-up-then-recovered');
  }, 600_000);
});
