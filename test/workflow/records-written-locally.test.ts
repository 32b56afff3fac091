import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities';
import { buildDisputeStart, startPreviewDispute } from '../../client/disputes';
import { createWorker } from '../../worker/create';
import { lazyRecordsStore, type LazyRecordsStore } from '../../records/lazy';
import { readStoredDispute } from '../../records/read';
import { storedEvents } from '../../records/write';
import { concernWith, context, twoAgencies, useDisputeKit, type RunningDispute } from '../support/disputes';
import { eventually } from '../support/eventually';
import { testMailSettings } from '../support/smtp-sink';
import { freePort } from '../support/processes';
import { testDataConverter, testKeyRing } from '../support/temporal';
import { boardOfficer, decide, enteredStages, plusHours, saveHistory } from './scenarios';

// The records store's writes as local activities: each write one marker in the dispute's history,
// inside the workflow task that asked for it, rather than an activity's three events and the
// workflow task its result wakes. A write whose local attempt fails goes to the (remote) activity,
// whose retries cost history nothing however long the store is down. Rotherham, each stage to its
// deadline, the chair decides an hour into stage 4, on the time-skipping server with the real store.
const T0 = '2026-03-27T10:30:00Z';
const STAGE_4 = '2026-04-09T10:30+01:00';

const onPglite = lazyRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
let down: LazyRecordsStore;
let store: LazyRecordsStore = onPglite;
beforeAll(async () => {
  await onPglite.get();
  // A store nobody listens for: every attempt is refused.
  down = lazyRecordsStore({ databaseUrl: `postgres://dispute@127.0.0.1:${await freePort()}/records` }, { keyRing: testKeyRing });
});
afterAll(async () => {
  await onPglite.close();
  await down?.close();
});

const kit = useDisputeKit({ records: () => store.get() });

const concern = concernWith({
  policy: 'rotherham-rsab',
  concernAt: T0,
  category: 'abuse' as const,
  risk: 'standard' as const,
  agencies: twoAgencies('rotherham'),
  personReference: 'RMBC-000779',
  summary: 'Disagreement about a care package.',
});

/** The activities the history scheduled, by type; the local activities it recorded (markers); its patch markers. */
async function historyOf(dispute: RunningDispute) {
  const events = (await dispute.handle.fetchHistory()).events ?? [];
  const scheduled = events.flatMap((event) => {
    const name = event.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
  const localMarkers = events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  const failedLocal = localMarkers.filter((event) => event.markerRecordedEventAttributes?.failure);
  const patchMarkers = events.flatMap((event) => {
    const data = event.markerRecordedEventAttributes?.markerName === 'core_patch' ? event.markerRecordedEventAttributes.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    return data ? [(JSON.parse(Buffer.from(data).toString()) as { id: string }).id] : [];
  });
  const changeVersionUpserts = events.filter((event) => event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion).length;
  return { scheduled, localMarkers, failedLocal, patchMarkers, changeVersionUpserts };
}

/** The board officer decides at stage 4; the store then holds every event of the record, once, and the dispute's view as the workflow has it. */
async function boardDecidesAndStoreAgrees(dispute: RunningDispute) {
  await decide(dispute, 4, 'decided', { by: boardOfficer(dispute), safetyMeasuresConfirmed: true });
  const record = await dispute.handle.result();
  const { db } = await store.get();
  expect(await storedEvents(db, dispute.disputeId)).toEqual({ count: record.events.length, lastSeq: record.events.length });
  expect((await readStoredDispute(db, dispute.disputeId))!.view).toEqual(await dispute.state());
}

describe('records-store writes as local activities', () => {
  it('a full escalation: every write a marker, no record activity, the store agrees with the workflow event for event', async () => {
    store = onPglite;
    const dispute = await kit.start(concern());
    await dispute.at(plusHours(STAGE_4, 1));
    expect((await enteredStages(dispute)).map(([stage]) => stage)).toEqual([1, 2, 3, 4]);
    await boardDecidesAndStoreAgrees(dispute);


    const history = await historyOf(dispute);
    expect(history.scheduled.filter((name) => name === 'saveRecord')).toEqual([]);
    expect(history.localMarkers.length).toBeGreaterThan(4); // a write per step at least: begin, three deadlines, the decision
    expect(history.failedLocal).toEqual([]);
    // One patch marker for a new dispute (every earlier patch applies without its own), so one
    // TemporalChangeVersion upsert with it.
    expect(history.patchMarkers).toEqual(['one-marker-for-earlier-patches']);
    expect(history.changeVersionUpserts).toBe(1);
    await saveHistory(dispute, 'rotherham-one-patch-marker');
  });

  it('a store that refuses the local attempt: the write goes to the activity, retried until the store is back, then the store is complete with no duplicate rows', async () => {
    store = down;
    const dispute = await kit.start(concern());
    await dispute.at(plusHours(T0, 1));
    const pending = (await dispute.handle.describe()).raw.pendingActivities ?? [];
    // One write retried by the activity; what came meanwhile waits behind it.
    expect(pending.filter((activity) => activity.activityType?.name === 'saveRecord')).toHaveLength(1);
    expect((await historyOf(dispute)).failedLocal).toHaveLength(1);

    store = onPglite;
    await dispute.at(plusHours(STAGE_4, 1));
    await boardDecidesAndStoreAgrees(dispute);
    const history = await historyOf(dispute);
    expect(history.scheduled.filter((name) => name === 'saveRecord')).toHaveLength(1); // only the write the store refused locally
    expect(history.failedLocal).toHaveLength(1);
    await saveHistory(dispute, 'records-local-write-refused-one-patch-marker');
  });

  it('a worker without the records activity fails the workflow task rather than record a write it could not attempt; a worker with it carries the dispute on, and the history replays', async () => {
    store = onPglite;
    const taskQueue = `lacking-${randomUUID()}`;
    const { saveRecord: _lacking, ...withoutRecords } = createActivities({ mail: testMailSettings(kit.sink), records: () => onPglite.get() });
    const worker = (activities: object) =>
      createWorker({ connection: kit.env.nativeConnection, namespace: kit.env.namespace ?? 'default', taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') }, activities, dataConverter: testDataConverter, maxCachedWorkflows: 0 });
    const disputeId = `test-${randomUUID().slice(0, 8)}`;
    const offset = Date.parse(T0) - (await kit.env.currentTimeMs());
    const handle = await startPreviewDispute(kit.env.client, taskQueue, buildDisputeStart(concern(), context, { disputeId, now: Date.parse(T0) }), offset);
    const eventsOf = async () => (await handle.fetchHistory()).events ?? [];

    await (await worker(withoutRecords)).runUntil(async () => {
      const events = await eventually(eventsOf, (all) => all.some((event) => event.workflowTaskFailedEventAttributes));
      expect(events.some((event) => event.workflowTaskFailedEventAttributes)).toBe(true);
    });
    // Nothing was recorded for the write the worker could not attempt: no marker, no activity.
    expect((await eventsOf()).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toEqual([]);
    expect((await eventsOf()).filter((event) => event.activityTaskScheduledEventAttributes)).toEqual([]);

    await (await worker(createActivities({ mail: testMailSettings(kit.sink), records: () => onPglite.get() }))).runUntil(async () => {
      const { db } = await store.get();
      const stored = await eventually(() => storedEvents(db, disputeId), (written) => written.count > 0);
      expect(stored.count).toBeGreaterThan(0);
    });
    await handle.terminate('test finished');
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: testDataConverter }, await handle.fetchHistory());
  });
});
