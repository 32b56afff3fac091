import { mkdirSync, writeFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { realClockContext } from './support/disputes';
import { eventually } from './support/eventually';
import { floodLimits } from './support/limits';
import { rotherhamStart } from './support/api-start';
import { noteShare } from '../workflows/dispute/model';

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
  // Issue 13's hostile bodies come hundreds at a time from one key.
  app = buildApi({ disputes: { client: dev.env.client, taskQueue: dev.taskQueue, context: realClockContext }, keys: ApiKeys.demo(realClockContext.directory).keys, limits: floodLimits });
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

/** A workflow update's refusal: its ApplicationFailure carries the reason. */
const refusal = (message: RegExp) => ({ cause: { message: expect.stringMatching(message) } });

function newDispute(overrides: Record<string, unknown> = {}) {
  return { ...rotherhamStart('RMBC-API-1', 'Disagreement about discharge planning.'), ...overrides };
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
    const body = newDispute();
    const first = await call('POST', '/disputes', { body, headers });
    const again = await call('POST', '/disputes', { body, headers });
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: { disputeId: first.body.disputeId, created: false } });
    // Another agency's same key is its own request (it raises its own concern: it may raise only as itself).
    const other = await call('POST', '/disputes', { key: NHS, body: { ...body, agencies: [...body.agencies].reverse() }, headers });
    expect(other.status).toBe(201);
    expect(other.body.disputeId).not.toBe(first.body.disputeId);
  });

  it('issue 13, finding 5: a key reused after the dispute closed finds the closed one; a key reused with a different body is 422', async () => {
    const headers = { 'idempotency-key': `case-closed-${Date.now()}` };
    const body = newDispute();
    const first = await call('POST', '/disputes', { body, headers });
    expect(first.status).toBe(201);
    const disputeId = first.body.disputeId as string;
    const handle = dev.env.client.workflow.getHandle(disputeId);
    const { runId } = await handle.describe();
    expect(await call('POST', `/disputes/${disputeId}/withdraw`, { body: { by: RAISER, reason: 'Raised in error.' } })).toMatchObject({ status: 200 });
    await eventually(() => handle.describe(), (description) => description.status.name === 'COMPLETED');

    const again = await call('POST', '/disputes', { body, headers });
    expect(again).toMatchObject({ status: 200, body: { disputeId, created: false } });
    // No second run under the same ID: the closed dispute is the one there is.
    const after = await handle.describe();
    expect({ runId: after.runId, status: after.status.name }).toEqual({ runId, status: 'COMPLETED' });
    expect((await call('GET', `/disputes/${disputeId}`)).body.status).toBe('withdrawn');

    for (const changed of [{ ...body, risk: 'high' }, { ...body, summary: 'A different disagreement.' }]) {
      expect(await call('POST', '/disputes', { body: changed, headers })).toMatchObject({
        status: 422,
        body: { error: 'idempotency_key_reused', field: 'Idempotency-Key', message: expect.stringContaining(headers['idempotency-key']) },
      });
    }
  });

  it('issue 13, finding 2: unknown fields are refused with a 400 naming them and never reach the history; notes are capped', async () => {
    const disputeId = await started();
    const padding = 'x'.repeat(255 * 1024 - 200);
    // The exact request of the review, 200 times: a note with a 255 KB extra field.
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => call('POST', `/disputes/${disputeId}/notes`, { body: { by: RAISER, text: 'Spoke to the ward.', padding } })),
    );
    expect(new Set(answers.map((answer) => `${answer.status} ${answer.body.error} ${answer.body.field}`))).toEqual(new Set(['400 invalid_request padding']));
    // Every action route, and a field nested inside a contact.
    const deputy = { name: 'Dee Puty', email: 'dee.puty@rotherham-asc.example.org' };
    const extra = [
      ['outcome', { stage: 1, decision: 'unresolved', by: RAISER, reason: 'No agreement.', extra: 1 }, 'extra'],
      ['risk', { risk: 'high', by: RAISER, reason: 'Worse.', extra: 1 }, 'extra'],
      ['withdraw', { by: RAISER, reason: 'Done.', extra: 1 }, 'extra'],
      ['contacts', { agencyId: 'rotherham-asc', stage: 2, contacts: [{ ...deputy, phone: '0' }], by: RAISER, reason: 'Leave.' }, 'contacts.0.phone'],
    ] as const;
    for (const [path, body, field] of extra) {
      expect(await call('POST', `/disputes/${disputeId}/${path}`, { body }), path).toMatchObject({ status: 400, body: { error: 'invalid_request', field } });
    }
    // A text beyond its cap.
    expect(await call('POST', `/disputes/${disputeId}/notes`, { body: { by: RAISER, text: 'y'.repeat(4001) } })).toMatchObject({ status: 400, body: { field: 'text' } });

    // Callers that go straight to Temporal (the CLI) are held to the same schema by the workflow.
    await expect(dev.env.client.workflow.getHandle(disputeId).executeUpdate('addNote', { args: [{ by: RAISER, text: 'Direct.', padding: 'z' }] })).rejects.toMatchObject(
      refusal(/Unrecognized key: "padding"/),
    );
    const view = await call('GET', `/disputes/${disputeId}`);
    expect(view.body).toMatchObject({ status: 'open', stage: 1 });
    expect(view.body.events.filter((event: { type: string }) => event.type === 'note')).toHaveLength(0);
    const history = JSON.stringify(await dev.env.client.workflow.getHandle(disputeId).fetchHistory());
    expect(history.length).toBeLessThan(200_000);

    // Re-review R3: 50 notes of 4,000 characters from one agency once filled the dispute's notes for
    // everyone; now they fill that agency's own share only, and the other agency's note is taken.
    const full = 'n'.repeat(4000);
    const taken = Math.floor(noteShare.totalChars / full.length);
    const sent: number[] = [];
    for (let batch = 0; batch < 50; batch += 10) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => call('POST', `/disputes/${disputeId}/notes`, { body: { by: RAISER, text: full } })));
      sent.push(...answers.map((answer) => answer.status));
    }
    expect(sent.filter((status) => status === 200)).toHaveLength(taken);
    expect(await call('POST', `/disputes/${disputeId}/notes`, { body: { by: RAISER, text: full } })).toMatchObject({
      status: 422,
      body: { error: 'not_allowed', field: 'text', message: expect.stringContaining(`one agency may add at most ${noteShare.count} notes of ${noteShare.totalChars} characters`) },
    });
    expect(await call('POST', `/disputes/${disputeId}/notes`, { key: NHS, body: { by: OTHER, text: 'Our view: the funding is health’s.' } })).toMatchObject({ status: 200 });
  });

  it('issue 13, finding 2: a body nested 5,000 levels deep is a 400, on every route that takes a body', async () => {
    const disputeId = await started();
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    for (const path of ['/disputes', `/disputes/${disputeId}/notes`, `/disputes/${disputeId}/outcome`, `/disputes/${disputeId}/contacts`]) {
      const answer = await call('POST', path, { raw: `{"by": "${RAISER}", "text": "x", "extra": ${deep}}` });
      expect(answer, path).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'body', message: expect.stringContaining('nested deeper') } });
    }
    expect((await call('GET', `/disputes/${disputeId}`)).body.events.filter((event: { type: string }) => event.type === 'note')).toHaveLength(0);
  });

  it('issue 13, findings 2 and 8: a terminated dispute shows as terminated with the reason, never open; actions on any closed dispute are 409', async () => {
    const disputeId = await started();
    const handle = dev.env.client.workflow.getHandle(disputeId);
    await handle.terminate('Workflow history size exceeds limit.');
    const view = await call('GET', `/disputes/${disputeId}`);
    expect(view.body).toMatchObject({ status: 'terminated', statusReason: 'terminated: Workflow history size exceeds limit.', awaiting: [] });
    expect(view.body.deadlines).toMatchObject({ escalateAt: null, remindAt: null });
    const listed = await eventually(
      () => call('GET', '/disputes?limit=500').then((r) => r.body.disputes.find((d: { disputeId: string }) => d.disputeId === disputeId)),
      (found) => found?.status === 'terminated',
    );
    expect(listed).toMatchObject({ status: 'terminated', deadline: null, statusReason: expect.stringContaining('history size') });
    expect((await call('GET', '/disputes?status=open&limit=500')).body.disputes.map((d: { disputeId: string }) => d.disputeId)).not.toContain(disputeId);
    expect((await call('GET', '/disputes?status=terminated&limit=500')).body.disputes.map((d: { disputeId: string }) => d.disputeId)).toContain(disputeId);

    const actions = [
      ['outcome', { stage: 1, decision: 'unresolved', by: RAISER, reason: 'No agreement.' }],
      ['risk', { risk: 'high', by: RAISER, reason: 'Worse.' }],
      ['withdraw', { by: RAISER, reason: 'Done.' }],
      ['contacts', { agencyId: 'rotherham-asc', stage: 2, contacts: [{ name: 'Dee Puty', email: 'dee.puty@rotherham-asc.example.org' }], by: RAISER, reason: 'Leave.' }],
      ['notes', { by: RAISER, text: 'Hello?' }],
    ] as const;
    for (const [path, body] of actions) {
      expect(await call('POST', `/disputes/${disputeId}/${path}`, { body }), path).toMatchObject({ status: 409, body: { error: 'conflict', message: expect.stringContaining('terminated') } });
    }
    // A dispute closed by the procedure (withdrawn): the same 409, never 404.
    const withdrawn = await started();
    expect((await call('POST', `/disputes/${withdrawn}/withdraw`, { body: { by: RAISER, reason: 'Raised in error.' } })).status).toBe(200);
    for (const [path, body] of actions) {
      expect(await call('POST', `/disputes/${withdrawn}/${path}`, { body }), path).toMatchObject({ status: 409, body: { error: 'conflict' } });
    }
  });

  it('issue 13, finding 3: an agency cannot make the board chair or another agency’s person its contact, nor act in their name', async () => {
    // Registered a month after the concern: at stage 4, where the chair decides.
    const disputeId = await started({ concernAt: new Date(Date.now() - 30 * 86_400_000).toISOString() });
    await eventually(() => call('GET', `/disputes/${disputeId}`), (r) => r.body.stage === 4);
    const chair = realClockContext.directory.boards['rotherham-rsab']!.officers.chair!;
    const toChair = { agencyId: 'rotherham-asc', stage: 4, contacts: [{ name: chair.name, email: chair.email }], by: RAISER, reason: 'Covering.' };
    // The exact attack: the ASC key names the chair as its stage-4 contact, then records "decided" as the chair.
    expect(await call('POST', `/disputes/${disputeId}/contacts`, { body: toChair })).toMatchObject({ status: 403, body: { error: 'forbidden', field: 'contacts.0.email' } });
    const decided = { stage: 4, decision: 'decided', by: chair.email, agreedActions: 'A joint review.' };
    expect(await call('POST', `/disputes/${disputeId}/outcome`, { body: decided })).toMatchObject({ status: 403, body: { field: 'by' } });
    // And in the NHS practitioner's name: as a contact, a note, an outcome.
    const toOther = { ...toChair, contacts: [{ name: 'Robin Other', email: OTHER }] };
    expect(await call('POST', `/disputes/${disputeId}/contacts`, { body: toOther })).toMatchObject({ status: 403, body: { field: 'contacts.0.email' } });
    expect(await call('POST', `/disputes/${disputeId}/notes`, { body: { by: OTHER, text: 'As the NHS.' } })).toMatchObject({ status: 403, body: { field: 'by' } });
    expect(await call('POST', `/disputes/${disputeId}/outcome`, { body: { ...decided, by: OTHER } })).toMatchObject({ status: 403, body: { field: 'by' } });
    // Another agency's contacts, even to its own people's addresses.
    expect(await call('POST', `/disputes/${disputeId}/contacts`, { body: { ...toOther, agencyId: 'rotherham-nhs' } })).toMatchObject({ status: 403, body: { field: 'agencyId' } });

    // CLI callers go straight to Temporal: the workflow refuses the same.
    const handle = dev.env.client.workflow.getHandle(disputeId);
    await expect(handle.executeUpdate('changeContact', { args: [toChair] })).rejects.toMatchObject(refusal(/contacts\.0\.email: a board officer's address/));
    await expect(handle.executeUpdate('changeContact', { args: [toOther] })).rejects.toMatchObject(refusal(/contacts\.0\.email: robin\.other@rotherham-nhs\.example\.org is not an address of/));
    await expect(handle.executeUpdate('changeContact', { args: [{ ...toOther, agencyId: 'rotherham-nhs', contacts: [{ name: 'Dee', email: 'dee@rotherham-nhs.example.org' }] }] })).rejects.toMatchObject(
      refusal(/by: .* may not change Rotherham/),
    );
    const view = await call('GET', `/disputes/${disputeId}`);
    expect(view.body).toMatchObject({ status: 'open', stage: 4 });
    expect(view.body.events.filter((event: { type: string }) => event.type === 'contact-changed' || event.type === 'outcome')).toEqual([]);
    expect(view.body.agencies.find((agency: { id: string }) => agency.id === 'rotherham-asc').people).not.toContain(chair.email);

    // An agency names its own deputy; the board's officers may change any agency's contacts.
    const deputy = { name: 'Dee Puty', email: 'dee.puty@rotherham-asc.example.org' };
    expect((await call('POST', `/disputes/${disputeId}/contacts`, { body: { ...toChair, contacts: [deputy] } })).status).toBe(200);
    const manager = realClockContext.directory.boards['rotherham-rsab']!.officers['board-manager']!.email;
    const byBoard = { agencyId: 'rotherham-nhs', stage: 4, contacts: [{ name: 'Nia Deputy', email: 'nia.deputy@rotherham-nhs.example.org' }], by: manager, reason: 'Covering.' };
    expect((await call('POST', `/disputes/${disputeId}/contacts`, { key: BOARD, body: byBoard })).status).toBe(200);
    // The chair decides through the board's key.
    expect(await call('POST', `/disputes/${disputeId}/outcome`, { key: BOARD, body: decided })).toMatchObject({ status: 200, body: { status: 'decided' } });
    await handle.result();
    // Its history, with the hardening's patch marker, for the replay test (`RECORD_HISTORIES=1` writes the fixture).
    const dir = process.env.RECORD_HISTORIES ? 'test/fixtures/histories' : '.cache/histories';
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/hardened-contacts-then-decided.history.bin`, proto.temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish());
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
