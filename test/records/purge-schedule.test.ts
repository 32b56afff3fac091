import { testKeyRing } from '../support/temporal';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordsStore, type RecordsStore } from '../../records/open';
import { readStoredDispute } from '../../records/read';
import { saveRecord } from '../../records/write';
import { purgeScheduleId } from '../../worker/purge-schedule';
import { eventually } from '../support/eventually';
import { ApiKeys } from '../../client/api/keys';
import { buildApi } from '../../client/api/server';
import { context } from '../support/disputes';
import { compiled, freePort, launch, runCli, type Launched } from '../support/processes';
import { sharedDevServerEnv, testPayloadKeys } from '../support/temporal';
import { startPostgres, type TestPostgres } from './postgres';
import { sampleWrite } from './sample';

// The worker keeps the daily purge as a Temporal Schedule on the dev server. Two workers starting
// at once make one schedule (one creates, the other updates); triggering it runs the purge
// workflow, whose activity erases what is past retention and returns counts only.

let postgres: TestPostgres;
let databaseUrl: string;
let env: TestWorkflowEnvironment;
let store: RecordsStore;
const workers: Launched[] = [];
const taskQueue = `purge-${randomUUID()}`;

/** A Rotherham dispute that closed at `closed` (it closes 180 minutes after its concern). */
const closedAt = (id: string, closed: string) => sampleWrite({ id, base: new Date(Date.parse(closed) - 180 * 60_000).toISOString() });

beforeAll(async () => {
  postgres = await startPostgres();
  databaseUrl = await postgres.database();
  store = await openRecordsStore({ databaseUrl }, { keyRing: testKeyRing });
  await saveRecord(store.db, closedAt('rsab-sched-old', '2019-01-10T13:30:00.000Z')); // six years ended in January 2025
  await saveRecord(store.db, closedAt('rsab-sched-recent', '2025-01-10T13:30:00.000Z'));
  await saveRecord(store.db, sampleWrite({ id: 'rsab-sched-open', events: 4, base: '2018-01-10T10:00:00.000Z' }));
  env = await sharedDevServerEnv();
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.interrupt()));
  await store?.close();
  await env?.teardown();
  await postgres?.destroy();
});

async function startWorker(): Promise<Launched> {
  const worker = launch('node', [compiled('worker/main.ts')], {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: databaseUrl,
    PAYLOAD_KEYS: testPayloadKeys,
    REPLY_SECRET: 'a-reply-secret-for-the-purge-test',
    SMTP_PORT: String(await freePort()),
    LOG_LEVEL: 'info',
  });
  workers.push(worker);
  return worker;
}

const personal = ['RMBC-000123', 'Disagreement about discharge planning', 'pat.raiser@', 'robin.other@', 'A joint review on Friday', 'Called the ward'];

describe('the daily retention purge, a Temporal Schedule the worker starts', () => {
  it('two workers starting at once make one schedule: daily at 02:30 London, overlaps skipped, a day of catch-up', async () => {
    const [first, second] = await Promise.all([startWorker(), startWorker()]);
    await Promise.all([first!.waitFor('worker polling', 120_000), second!.waitFor('worker polling', 120_000)]);
    const said = [first!.output(), second!.output()].map((output) => /retention purge schedule (created|updated)/.exec(output)?.[1]);
    expect(said.sort()).toEqual(['created', 'updated']);

    const described = await env.client.schedule.getHandle(purgeScheduleId).describe();
    expect(described.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }], comment: 'daily, 02:30 London' })]);
    expect(described.spec.timezone).toBe('Europe/London');
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'recordsRetentionPurge', workflowId: purgeScheduleId, taskQueue, args: [] });
    expect(described.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 86_400_000, pauseOnFailure: false });
    expect(described.state.paused).toBe(false);
    const listed = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const schedule of env.client.schedule.list()) ids.push(schedule.scheduleId);
        return ids;
      },
      (ids) => ids.length > 0,
      30_000,
    );
    expect(listed).toEqual([purgeScheduleId]);

    // A third start (a restart) updates it again, and an operator's pause stays.
    await env.client.schedule.getHandle(purgeScheduleId).pause('paused by an operator');
    const third = await startWorker();
    await third.waitFor('retention purge schedule updated', 120_000);
    expect((await env.client.schedule.getHandle(purgeScheduleId).describe()).state).toMatchObject({ paused: true, note: 'paused by an operator' });
    await env.client.schedule.getHandle(purgeScheduleId).unpause('resumed');
  }, 300_000);

  it('triggering it runs the purge: only the record past retention is erased; the result and the logs carry counts only', async () => {
    const handle = env.client.schedule.getHandle(purgeScheduleId);
    await handle.trigger();
    const action = await eventually(() => handle.describe().then((d) => d.info.recentActions[0]), (recent) => recent !== undefined, 30_000);
    const run = env.client.workflow.getHandle(action!.action.workflow.workflowId, action!.action.workflow.firstExecutionRunId);
    expect(await run.result()).toEqual({ erased: 1, byBoard: { 'rotherham-rsab': 1 }, boardsWithoutPolicy: [] });

    expect(await readStoredDispute(store.db, 'rsab-sched-old')).toMatchObject({ erasedAt: expect.any(String), summary: '[erased]', view: { personReference: '[erased]' } });
    expect(await readStoredDispute(store.db, 'rsab-sched-recent')).toMatchObject({ erasedAt: null, summary: 'Disagreement about discharge planning.' });
    expect(await readStoredDispute(store.db, 'rsab-sched-open')).toMatchObject({ erasedAt: null, view: { personReference: 'RMBC-000123', status: 'open' } });

    // The workflow's whole history, decoded: counts and board ids, nothing personal.
    const history = JSON.stringify(await run.fetchHistory());
    // The worker's log line may reach its stdout a moment after the workflow's result.
    const line = '"erased":1,"byBoard":{"rotherham-rsab":1},"boardsWithoutPolicy":[],"msg":"records retention purge"';
    const logs = await eventually(async () => workers.map((worker) => worker.output()).join('\n'), (text) => text.includes(line), 15_000);
    expect(logs).toContain(line);
    for (const word of personal) {
      expect(history).not.toContain(word);
      expect(logs).not.toContain(word);
    }
    // The API and `dispute show` (Temporal never knew it: both read the store) show the facts, personal fields erased.
    const api = buildApi({ disputes: { client: env.client, taskQueue, context, records: async () => store }, keys: ApiKeys.demo(context.directory).keys });
    try {
      const response = await api.inject({ method: 'GET', url: '/disputes/rsab-sched-old', headers: { authorization: 'Bearer demo-board-rotherham-rsab' } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ disputeId: 'rsab-sched-old', board: 'rotherham-rsab', status: 'resolved', stage: 2, personReference: '[erased]', awaiting: [] });
      for (const word of personal) expect(response.body).not.toContain(word);
    } finally {
      await api.close();
    }
    const shown = await runCli(['show', 'rsab-sched-old'], { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace, TEMPORAL_TASK_QUEUE: taskQueue, DATABASE_URL: databaseUrl });
    expect({ code: shown.code, stderr: shown.stderr }).toEqual({ code: 0, stderr: '' });
    expect(shown.stdout).toContain('rsab-sched-old — rotherham-rsab (policy rotherham-rsab v1); person [erased]');
    expect(shown.stdout).toContain('outcome  decision=resolved');
    for (const word of personal) expect(shown.stdout).not.toContain(word);

    // Triggered again: nothing more is due.
    await handle.trigger();
    const next = await eventually(() => handle.describe().then((d) => d.info.recentActions), (recent) => recent.length >= 2, 30_000);
    const again = env.client.workflow.getHandle(next.at(-1)!.action.workflow.workflowId, next.at(-1)!.action.workflow.firstExecutionRunId);
    expect(await again.result()).toEqual({ erased: 0, byBoard: {}, boardsWithoutPolicy: [] });
  }, 180_000);
});
