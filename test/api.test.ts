import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { context } from './support/disputes';
import { eventually } from './support/eventually';

// The agency API over real HTTP, against the real dev server, with a worker and a real SMTP sink.

let dev: DevWorker;
let app: FastifyInstance;
let base: string;

const ASC = 'demo-rotherham-asc';
const NHS = 'demo-rotherham-nhs';
const POLICE = 'demo-rotherham-police';
const BOARD = 'demo-board-rotherham-rsab';
const RAISER = 'pat.raiser@rotherham-asc.example.org';
const OTHER = 'robin.other@rotherham-nhs.example.org';

beforeAll(async () => {
  dev = await startDevWorker();
  app = buildApi({ disputes: { client: dev.env.client, taskQueue: dev.taskQueue, context }, keys: ApiKeys.demo(context.directory).keys });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await dev?.close();
});

async function call(method: string, path: string, options: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.key !== null) headers.authorization = `Bearer ${options.key ?? ASC}`;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

function newDispute(overrides: Record<string, unknown> = {}) {
  return {
    policy: 'rotherham-rsab',
    concernAt: new Date().toISOString(),
    category: 'neglect',
    agencies: [
      { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: RAISER } },
      { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: OTHER } },
    ],
    personReference: 'RMBC-API-1',
    summary: 'Disagreement about discharge planning.',
    ...overrides,
  };
}

async function started(overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await call('POST', '/disputes', { body: newDispute(overrides) });
  expect(response.status).toBe(201);
  return response.body.disputeId;
}

describe('the agency API', () => {
  it('serves its OpenAPI document, and refuses calls without a key (401) or with an unknown key (403)', async () => {
    const doc = await call('GET', '/openapi.json', { key: null });
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/disputes', '/disputes/{disputeId}', '/disputes/{disputeId}/outcome', '/disputes/{disputeId}/risk', '/disputes/{disputeId}/withdraw', '/disputes/{disputeId}/contacts', '/disputes/{disputeId}/notes']),
    );
    expect(doc.body.paths['/disputes'].post.requestBody.content['application/json'].schema.properties.category.enum).toContain('self-neglect');

    const none = await call('GET', '/disputes', { key: null });
    expect(none).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });
    const wrong = await call('POST', '/disputes', { key: 'not-a-key', body: newDispute() });
    expect(wrong).toMatchObject({ status: 403, body: { error: 'forbidden', message: 'this API key is not recognised' } });
  });

  it('starts a dispute and shows it to its parties and its board, and to nobody else', async () => {
    const disputeId = await started();
    expect(disputeId).toMatch(/^rsab-[a-z0-9]{6}$/);
    const asc = await eventually(() => call('GET', `/disputes/${disputeId}`), (r) => r.status === 200);
    expect(asc.body).toMatchObject({ disputeId, status: 'open', stage: 1, board: 'rotherham-rsab' });
    expect(asc.body.awaiting.map((party: { agencyId: string }) => party.agencyId)).toEqual(['rotherham-asc', 'rotherham-nhs']);
    expect((await call('GET', `/disputes/${disputeId}`, { key: NHS })).status).toBe(200);
    expect((await call('GET', `/disputes/${disputeId}`, { key: BOARD })).status).toBe(200);
    // Another agency and another board's key: as if it did not exist.
    expect(await call('GET', `/disputes/${disputeId}`, { key: POLICE })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await call('GET', `/disputes/${disputeId}`, { key: 'demo-board-leeds-sab' })).status).toBe(404);
    expect(await call('GET', '/disputes/rsab-nothere')).toMatchObject({ status: 404, body: { message: "no dispute 'rsab-nothere'" } });
  });

  it('bad input is a 400 naming the field; a dispute the caller is not party to is refused', async () => {
    expect(await call('POST', '/disputes', { body: newDispute({ category: 'gossip' }) })).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'category' } });
    expect(await call('POST', '/disputes', { body: newDispute({ policy: 'nowhere' }) })).toMatchObject({ status: 400, body: { field: 'policy', message: "unknown policy 'nowhere'" } });
    const noAgency = await call('POST', '/disputes', { body: newDispute({ agencies: [{ agencyId: 'rotherham-asc', practitioner: { name: 'P', email: RAISER } }] }) });
    expect(noAgency).toMatchObject({ status: 400, body: { field: 'agencies' } });
    expect(await call('POST', '/disputes', { raw: '{"policy": ' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect((await call('POST', '/disputes', { raw: 'policy=x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect(await call('GET', '/disputes/NOT_AN_ID')).toMatchObject({ status: 400, body: { field: 'disputeId' } });
    expect(await call('GET', '/disputes?stage=zero')).toMatchObject({ status: 400, body: { field: 'stage' } });
    expect(await call('POST', '/disputes', { key: POLICE, body: newDispute() })).toMatchObject({ status: 403, body: { field: 'agencies' } });
  });

  it('a retried start with the same Idempotency-Key finds the first dispute instead of starting another', async () => {
    const headers = { 'idempotency-key': `case-4471-${Date.now()}` };
    const first = await call('POST', '/disputes', { body: newDispute(), headers });
    const again = await call('POST', '/disputes', { body: newDispute(), headers });
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: { disputeId: first.body.disputeId, created: false } });
    // Another agency's same key is its own request.
    const other = await call('POST', '/disputes', { key: NHS, body: newDispute(), headers });
    expect(other.status).toBe(201);
    expect(other.body.disputeId).not.toBe(first.body.disputeId);
  });

  it('records outcomes with workflow updates: accepted at once, a stale stage is 409, a retry is applied once', async () => {
    const disputeId = await started();
    const unresolved = { stage: 1, decision: 'unresolved', by: OTHER, reason: 'We cannot agree on the care plan.' };
    const headers = { 'idempotency-key': 'nhs-decision-1' };
    const first = await call('POST', `/disputes/${disputeId}/outcome`, { key: NHS, body: unresolved, headers });
    expect(first).toMatchObject({ status: 200, body: { status: 'open', stage: 2 } });
    const retried = await call('POST', `/disputes/${disputeId}/outcome`, { key: NHS, body: unresolved, headers });
    expect(retried).toMatchObject({ status: 200, body: { stage: 2 } });
    const view = await call('GET', `/disputes/${disputeId}`, { key: NHS });
    expect(view.body.events.filter((event: { type: string }) => event.type === 'outcome')).toHaveLength(1);

    const stale = await call('POST', `/disputes/${disputeId}/outcome`, { key: NHS, body: unresolved });
    expect(stale).toMatchObject({ status: 409, body: { error: 'conflict', message: 'stage 1 is not current: the dispute is at stage 2' } });
    const decided = await call('POST', `/disputes/${disputeId}/outcome`, { key: NHS, body: { stage: 2, decision: 'decided', by: 'bethan.carver@rotherham-nhs.example.org', agreedActions: 'x' } });
    expect(decided).toMatchObject({ status: 422, body: { error: 'not_allowed' } });
    const missing = await call('POST', `/disputes/${disputeId}/outcome`, { key: NHS, body: { stage: 2, decision: 'resolved', by: OTHER } });
    expect(missing).toMatchObject({ status: 400, body: { field: 'agreedActions' } });
    // An agency speaks only for its own people.
    const impersonated = await call('POST', `/disputes/${disputeId}/outcome`, { key: ASC, body: { ...unresolved, stage: 2 } });
    expect(impersonated).toMatchObject({ status: 403, body: { field: 'by' } });
    // A party of the dispute who is not of the current tier.
    const wrongTier = await call('POST', `/disputes/${disputeId}/outcome`, { key: NHS, body: { ...unresolved, stage: 2 } });
    expect(wrongTier).toMatchObject({ status: 403, body: { message: `${OTHER} is not a party of stage 2` } });
    // None of the refused calls changed the dispute.
    const unchanged = (await call('GET', `/disputes/${disputeId}`, { key: NHS })).body;
    // The email activity's reports (email-sent) arrive on their own time: count what the dispute did.
    const own = (events: { type: string }[]) => events.filter((event) => !['email-sent', 'email-rejected', 'email-failed'].includes(event.type)).length;
    expect({ stage: unchanged.stage, status: unchanged.status, events: own(unchanged.events) }).toEqual({ stage: 2, status: 'open', events: own(view.body.events) });

    const resolved = await call('POST', `/disputes/${disputeId}/outcome`, {
      key: NHS,
      body: { stage: 2, decision: 'resolved', by: 'bethan.carver@rotherham-nhs.example.org', agreedActions: 'A joint review on Friday.' },
    });
    expect(resolved).toMatchObject({ status: 200, body: { status: 'resolved' } });
    const afterClose = await eventually(
      () => call('POST', `/disputes/${disputeId}/notes`, { body: { by: RAISER, text: 'Too late.' } }),
      (r) => r.status === 409,
    );
    expect(afterClose.body.error).toBe('conflict');
    const record = await call('GET', `/disputes/${disputeId}`);
    expect(record.body.status).toBe('resolved');
  });

  it('raises risk, changes a contact, adds a note, withdraws', async () => {
    const disputeId = await started();
    expect(await call('POST', `/disputes/${disputeId}/risk`, { key: NHS, body: { risk: 'imminent', by: OTHER, reason: 'Bruising seen today.' } })).toMatchObject({
      status: 200,
      body: { stage: 3 },
    });
    expect(await call('POST', `/disputes/${disputeId}/risk`, { key: NHS, body: { risk: 'high', by: OTHER, reason: 'x' } })).toMatchObject({ status: 422 });
    const deputy = { name: 'Dee Puty', email: 'dee.puty@rotherham-asc.example.org' };
    const change = { agencyId: 'rotherham-asc', stage: 3, contacts: [deputy], by: RAISER, reason: 'On leave until Monday.' };
    expect((await call('POST', `/disputes/${disputeId}/contacts`, { body: change })).status).toBe(200);
    expect(await call('POST', `/disputes/${disputeId}/contacts`, { key: NHS, body: { ...change, by: OTHER } })).toMatchObject({ status: 403, body: { field: 'agencyId' } });
    expect((await call('POST', `/disputes/${disputeId}/notes`, { key: NHS, body: { by: OTHER, text: 'Ward round at 10.' } })).status).toBe(200);
    expect(await call('POST', `/disputes/${disputeId}/withdraw`, { key: NHS, body: { by: OTHER, reason: 'x' } })).toMatchObject({ status: 403 });
    expect(await call('POST', `/disputes/${disputeId}/withdraw`, { body: { by: RAISER, reason: 'Resolved outside the procedure.' } })).toMatchObject({
      status: 200,
      body: { status: 'withdrawn' },
    });
    const view = await call('GET', `/disputes/${disputeId}`);
    expect(view.body.events.map((event: { type: string }) => event.type)).toEqual(expect.arrayContaining(['risk-raised', 'contact-changed', 'note', 'withdrawn', 'closed']));
  });

  it('lists disputes through visibility: by board, stage, status, agency and overdue, scoped to the caller', async () => {
    const fresh = await started();
    // Registered a month after the concern: every deadline has passed, so it is at stage 4 and overdue.
    const late = await started({ concernAt: new Date(Date.now() - 30 * 86_400_000).toISOString() });
    const listed = (query: string, key = ASC) => call('GET', `/disputes${query}`, { key }).then((r) => r.body.disputes.map((d: { disputeId: string }) => d.disputeId) as string[]);
    await eventually(() => listed('?overdue=true'), (ids) => ids.includes(late));
    expect(await listed('?overdue=true')).not.toContain(fresh);
    expect(await eventually(() => listed('?stage=4&status=open'), (ids) => ids.includes(late))).not.toContain(fresh);
    expect(await eventually(() => listed('?stage=1'), (ids) => ids.includes(fresh))).not.toContain(late);
    expect(await listed('?board=rotherham-rsab', BOARD)).toEqual(expect.arrayContaining([fresh, late]));
    expect(await listed('', POLICE)).toEqual([]);
    expect(await listed('?agency=rotherham-police')).toEqual([]);
    const [summary] = (await call('GET', '/disputes?stage=4&overdue=true')).body.disputes.filter((d: { disputeId: string }) => d.disputeId === late);
    expect(summary).toMatchObject({ board: 'rotherham-rsab', policy: 'rotherham-rsab@1', stage: 4, status: 'open', agencies: ['rotherham-asc', 'rotherham-nhs'] });
  });
});
