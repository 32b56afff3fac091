import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../client/api/keys';
import { buildApi } from '../../client/api/server';
import { recordsExport, recordsSync } from '../../client/cli/records';
import type { Disputes } from '../../client/operations';
import { lazyRecordsStore, type LazyRecordsStore } from '../../records/lazy';
import { namespaceRetentionDays, setNamespaceRetention } from '../../records/retention';
import { storedEvents } from '../../records/write';
import { startDevWorker, type DevWorker } from '../support/dev-worker';
import { realClockContext } from '../support/disputes';
import { eventually } from '../support/eventually';
import { runCli } from '../support/processes';
import { startPostgres, type TestPostgres } from './postgres';
import { testKeyRing } from '../support/temporal';

// Temporal forgets a closed dispute after its retention; the store does not. On a real dev server
// with a worker writing to a real PostgreSQL: a dispute is closed, its workflow deleted, and the API,
// the CLI (another process) and the export still give its whole record, exactly as before.

let postgres: TestPostgres;
let store: LazyRecordsStore;
let databaseUrl: string;
let dev: DevWorker;
let app: FastifyInstance;
let base: string;
let disputes: Disputes;

const ASC = 'demo-rotherham-asc';
const NHS = 'demo-rotherham-nhs';
const POLICE = 'demo-rotherham-police';
const BOARD = 'demo-board-rotherham-rsab';
const RAISER = 'pat.raiser@rotherham-asc.example.org';
const OTHER = 'robin.other@rotherham-nhs.example.org';

beforeAll(async () => {
  postgres = await startPostgres();
  databaseUrl = await postgres.database();
  store = lazyRecordsStore({ databaseUrl }, { keyRing: testKeyRing });
  dev = await startDevWorker({ records: store.get, ownServer: true });
  disputes = { client: dev.env.client, taskQueue: dev.taskQueue, context: realClockContext, records: store.get };
  app = buildApi({ disputes, keys: ApiKeys.demo(realClockContext.directory).keys });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await dev?.close();
  await store?.close();
  await postgres?.destroy();
});

async function call(method: string, path: string, key = ASC, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const cli = (...args: string[]) => runCli(args, { TEMPORAL_ADDRESS: dev.env.address, TEMPORAL_TASK_QUEUE: dev.taskQueue, DATABASE_URL: databaseUrl });

async function exported(format: 'csv' | 'json'): Promise<string> {
  let text = '';
  await recordsExport(disputes.records!, { board: 'rotherham-rsab', format }, (chunk) => void (text += chunk));
  return text;
}

async function startRotherham(reference: string): Promise<string> {
  const started = await call('POST', '/disputes', ASC, {
    policy: 'rotherham-rsab',
    concernAt: new Date().toISOString(),
    category: 'neglect',
    agencies: [
      { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: RAISER } },
      { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: OTHER } },
    ],
    personReference: reference,
    summary: 'Disagreement about discharge planning.',
  });
  expect(started.status).toBe(201);
  return started.body.disputeId as string;
}

describe('a closed dispute outlives its workflow', () => {
  it('npm start sets the retention on purpose: the namespace keeps closed workflows 7 days', async () => {
    await setNamespaceRetention(dev.env.address, 'default', 7);
    expect(await namespaceRetentionDays(dev.env.address, 'default')).toBe(7);
  });

  it('after its workflow is deleted, the API, the CLI and the export give its whole record, identical to before', async () => {
    const disputeId = await startRotherham('RMBC-RET-1');
    expect((await call('POST', `/disputes/${disputeId}/notes`, ASC, { by: RAISER, text: 'Spoke to the ward.' })).status).toBe(200);
    expect((await call('POST', `/disputes/${disputeId}/outcome`, NHS, { stage: 1, decision: 'unresolved', by: OTHER, reason: 'No agreement.' })).status).toBe(200);
    const resolved = await call('POST', `/disputes/${disputeId}/outcome`, NHS, { stage: 2, decision: 'resolved', by: 'bethan.carver@rotherham-nhs.example.org', agreedActions: 'A joint review on Friday.' });
    expect(resolved).toMatchObject({ status: 200, body: { status: 'resolved' } });
    await dev.env.client.workflow.getHandle(disputeId).result();

    const live = await call('GET', `/disputes/${disputeId}`);
    expect(live.body.status).toBe('resolved');
    const { db } = await store.get();
    expect(await eventually(() => storedEvents(db, disputeId), (stored) => stored.count === live.body.events.length)).toEqual({ count: live.body.events.length, lastSeq: live.body.events.length });
    const before = {
      api: live.body,
      board: (await call('GET', `/disputes/${disputeId}`, BOARD)).body,
      json: (await cli('show', disputeId, '--json')).stdout,
      text: (await cli('show', disputeId)).stdout,
      csv: await exported('csv'),
      export: await exported('json'),
    };
    expect(JSON.parse(before.json)).toEqual(before.api);

    await dev.env.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: disputeId } });
    const gone = await eventually(
      () => dev.env.client.workflow.getHandle(disputeId).describe().then((d) => `there: ${d.status.name}`, (error: Error) => (error.name === 'WorkflowNotFoundError' ? 'gone' : error.name)),
      (state) => state === 'gone',
      60_000, // the dev server deletes in the background; on a loaded machine that can take a while

    );
    expect(gone).toBe('gone');

    const after = await call('GET', `/disputes/${disputeId}`);
    expect(after).toEqual({ status: 200, body: before.api });
    expect((await call('GET', `/disputes/${disputeId}`, BOARD)).body).toEqual(before.board);
    expect(await cli('show', disputeId, '--json')).toEqual({ code: 0, stdout: before.json, stderr: '' });
    expect((await cli('show', disputeId)).stdout).toBe(before.text);
    expect(await exported('csv')).toBe(before.csv);
    expect(await exported('json')).toBe(before.export);
    const viaCli = await cli('records', 'export', '--board', 'rotherham-rsab', '--format', 'json');
    expect({ code: viaCli.code, stderr: viaCli.stderr }).toEqual({ code: 0, stderr: '' });
    expect(viaCli.stdout.trimEnd()).toBe(before.export.trimEnd());
    expect(await cli('records', 'export', '--board', 'rotherham-rsab', '--format', 'xlsx')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^dispute: --format: expected csv or json/) });
    expect(JSON.parse(before.export)).toEqual([expect.objectContaining({ disputeId, personReference: 'RMBC-RET-1', outcome: 'resolved', agreedActions: 'A joint review on Friday.' })]);

    // The same authorisation: others still cannot see it; nothing can be sent to it.
    expect((await call('GET', `/disputes/${disputeId}`, POLICE)).status).toBe(404);
    expect((await call('GET', `/disputes/${disputeId}`, 'demo-board-leeds-sab')).status).toBe(404);
    expect(await call('POST', `/disputes/${disputeId}/notes`, ASC, { by: RAISER, text: 'Too late.' })).toMatchObject({ status: 409, body: { error: 'conflict' } });
    // And it is listed, from the store.
    const listed = await call('GET', '/disputes?outcome=resolved&category=neglect', NHS);
    expect(listed.body.disputes.map((d: { disputeId: string }) => d.disputeId)).toContain(disputeId);
    expect((await call('GET', '/disputes', POLICE)).body.disputes).toEqual([]);
  }, 120_000);

  it('lists from the store with every filter and paging; a bad filter is a 400 naming the field', async () => {
    const first = await startRotherham('RMBC-LIST-1');
    const second = await startRotherham('RMBC-LIST-2');
    const { db } = await store.get();
    for (const id of [first, second]) await eventually(() => storedEvents(db, id), (stored) => stored.count > 0);
    const page1 = await call('GET', '/disputes?status=open&limit=1&page=1', BOARD);
    const page2 = await call('GET', '/disputes?status=open&limit=1&page=2', BOARD);
    expect(page1.body).toMatchObject({ page: 1, limit: 1, total: 2, disputes: [{ disputeId: second, board: 'rotherham-rsab', stage: 1, status: 'open', category: 'neglect', outcome: null }] });
    expect(page2.body.disputes.map((d: { disputeId: string }) => d.disputeId)).toEqual([first]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await call('GET', `/disputes?startedFrom=${today}&risk=standard&stage=1&agency=rotherham-nhs&overdue=false`, BOARD)).body.total).toBe(2);
    expect((await call('GET', '/disputes?closedFrom=2026-01-01&status=open', BOARD)).body.total).toBe(0);

    for (const [query, field] of [
      ['status=maybe', 'status'],
      ['outcome=maybe', 'outcome'],
      ['category=gossip', 'category'],
      ['risk=severe', 'risk'],
      ['stage=0', 'stage'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['page=0', 'page'],
      ['startedFrom=2026-02-30', 'startedFrom'],
      ['startedFrom=1999-12-31', 'startedFrom'],
      ['closedTo=yesterday', 'closedTo'],
      ['startedFrom=2026-05-01&startedTo=2026-04-01', 'startedTo'],
      ['closedFrom=2026-05-01T10:00:00Z&closedTo=2026-05-01T10:00:00Z', 'closedTo'],
      ['board=Rotherham%20RSAB', 'board'],
    ] as const) {
      expect(await call('GET', `/disputes?${query}`, BOARD), query).toMatchObject({ status: 400, body: { error: 'invalid_request', field } });
    }
  });

  it('records sync brings the store up to date from the open disputes (after a restore)', async () => {
    const disputeId = await startRotherham('RMBC-SYNC-1');
    const { db } = await store.get();
    // Settled: the first email reported sent, and the store has caught up with it.
    const settled = await eventually(() => call('GET', `/disputes/${disputeId}`, BOARD), (r) => r.body.events?.some((e: { type: string }) => e.type === 'email-sent'));
    await eventually(() => storedEvents(db, disputeId), (stored) => stored.count === settled.body.events.length);
    // A restore from an older backup: the store has lost this dispute.
    await db.deleteFrom('disputes').where('dispute_id', '=', disputeId).execute();
    expect((await call('GET', '/disputes?status=open', BOARD)).body.disputes.map((d: { disputeId: string }) => d.disputeId)).not.toContain(disputeId);
    const lines: string[] = [];
    const result = await recordsSync(disputes, {}, (line) => lines.push(line));
    expect(result.failed).toEqual([]);
    expect(result.synced).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toMatch(/^synced \d+ dispute\(s\), \d+ event\(s\) added$/);
    const live = await call('GET', `/disputes/${disputeId}`, BOARD);
    expect(await storedEvents(db, disputeId)).toEqual({ count: live.body.events.length, lastSeq: live.body.events.length });
    // Synced twice: nothing more.
    expect((await recordsSync(disputes, {}, () => undefined)).events).toBe(0);
  });

  it('records sync marks a dispute whose workflow was terminated as terminated, never open', async () => {
    const disputeId = await startRotherham('RMBC-TERMINATED-1');
    const { db } = await store.get();
    await eventually(() => storedEvents(db, disputeId), (stored) => stored.count > 0);
    await disputes.client.workflow.getHandle(disputeId).terminate('an operator stopped it');
    // The workflow wrote nothing as it ended: until a sync, the store still has it open.
    expect((await call('GET', '/disputes?status=open', BOARD)).body.disputes.map((d: { disputeId: string }) => d.disputeId)).toContain(disputeId);
    let lines: string[] = [];
    // Visibility learns of the termination a moment later.
    const result = await eventually(() => ((lines = []), recordsSync(disputes, {}, (line) => lines.push(line))), (synced) => synced.ended >= 1);
    expect(lines[0]).toMatch(/marked as ended outside the procedure/);
    const listed = (await call('GET', '/disputes?status=terminated', BOARD)).body.disputes as { disputeId: string; status: string; outcome: string }[];
    expect(listed.find((d) => d.disputeId === disputeId)).toMatchObject({ status: 'terminated', outcome: 'terminated' });
    expect((await call('GET', '/disputes?status=open', BOARD)).body.disputes.map((d: { disputeId: string }) => d.disputeId)).not.toContain(disputeId);
    expect((await recordsSync(disputes, {}, () => undefined)).ended).toBe(0);
  });
});
