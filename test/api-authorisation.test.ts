import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import type { Disputes } from '../client/operations';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { context as demoContext } from './support/disputes';

// Issue 14: actions are authorised from the dispute's parties (remembered at its start or a read, else
// its search attributes), not from a query of the dispute before every update. What must not change:
// a caller who may not see the dispute gets exactly the 404 of a dispute that does not exist, on every
// action, whether or not this process has seen the dispute; a board's key acts on its board's only;
// the workflow's validator still refuses a person who is not of the dispute. Against the dev server.

let dev: DevWorker;
/** The API that starts the disputes (it remembers their parties) and one that has seen none of them. */
let warm: { app: FastifyInstance; base: string };
let cold: { app: FastifyInstance; base: string };

const ASC = 'demo-rotherham-asc';
const NHS = 'demo-rotherham-nhs';
const POLICE = 'demo-rotherham-police';
const RAISER = 'pat.raiser@rotherham-asc.example.org';
const OTHER = 'robin.other@rotherham-nhs.example.org';
const OFFICER = 'constable.case@rotherham-police.example.org';
const MANAGER = 'board-manager.rotherham@board.example.org';

// A directory where the police share a mail domain with the NHS trust: a domain alone cannot say
// whose person an address is, so the API must read the dispute's own list of each agency's people.
const context = { ...demoContext, directory: structuredClone(demoContext.directory) };
const police = context.directory.agencies.find((agency) => agency.id === 'rotherham-police')!;
police.emailDomains = [...police.emailDomains!, 'rotherham-nhs.example.org'];
const keys = ApiKeys.demo(context.directory).keys;

async function api(disputes: Disputes) {
  const app = buildApi({ disputes, keys });
  return { app, base: await app.listen({ port: 0, host: '127.0.0.1' }) };
}

beforeAll(async () => {
  dev = await startDevWorker();
  warm = await api({ client: dev.env.client, taskQueue: dev.taskQueue, context });
  const fresh = new Client({ connection: dev.env.client.connection, namespace: dev.env.client.options.namespace, dataConverter: dev.env.client.options.dataConverter });
  cold = await api({ client: fresh, taskQueue: dev.taskQueue, context });
}, 120_000);

afterAll(async () => {
  await warm?.app.close();
  await cold?.app.close();
  await dev?.close();
});

async function call(through: { base: string }, method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${through.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

async function started(agencies: { agencyId: string; practitioner: { name: string; email: string } }[]): Promise<string> {
  const response = await call(warm, 'POST', '/disputes', ASC, {
    policy: 'rotherham-rsab',
    concernAt: new Date().toISOString(),
    category: 'neglect',
    agencies,
    personReference: 'RMBC-AUTH-1',
    summary: 'Who may act on this dispute.',
  });
  expect(response.status).toBe(201);
  return (response.body as { disputeId: string }).disputeId;
}

const twoParties = [
  { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: RAISER } },
  { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: OTHER } },
];

/** Every action, with a body that is valid for the named person. */
const actions = (by: string, agencyId: string) =>
  [
    ['outcome', { stage: 1, decision: 'unresolved', by, reason: 'No agreement.' }],
    ['representations', { by, text: 'Our view.' }],
    ['risk', { risk: 'high', by, reason: 'Worse.' }],
    ['withdraw', { by, reason: 'Done.' }],
    ['contacts', { agencyId, stage: 2, contacts: [{ name: 'Dee Puty', email: by.replace(/^[^@]+/, 'dee.puty') }], by, reason: 'Leave.' }],
    ['notes', { by, text: 'Hello?' }],
  ] as const;

describe('authorising actions without reading the dispute first', () => {
  it('a non-party agency and another board get the 404 of a dispute that does not exist, on every action, seen or not', async () => {
    const disputeId = await started(twoParties);
    const strangers = [
      ['demo-rotherham-gp', 'someone@rotherham-gp.example.org', 'rotherham-gp'],
      ['demo-board-leeds-sab', 'board-manager.leeds@board.example.org', 'rotherham-asc'],
    ] as const;
    for (const through of [warm, cold]) {
      for (const [key, by, agencyId] of strangers) {
        for (const [path, body] of actions(by, agencyId)) {
          const unknown = await call(through, 'POST', `/disputes/rsab-nothere/${path}`, key, body);
          expect(unknown, `${key} ${path} unknown`).toMatchObject({ status: 404, body: { error: 'not_found', message: "no dispute 'rsab-nothere'" } });
          const refused = await call(through, 'POST', `/disputes/${disputeId}/${path}`, key, body);
          expect(refused, `${key} ${path}`).toEqual({ status: 404, body: JSON.parse(JSON.stringify(unknown.body).replaceAll('rsab-nothere', disputeId)) });
        }
      }
    }
    // None of it reached the dispute.
    const view = await call(warm, 'GET', `/disputes/${disputeId}`, NHS);
    expect(view.body).toMatchObject({ status: 'open', stage: 1, risk: 'standard' });
    expect((view.body!.events as { type: string }[]).filter((event) => ['note', 'risk-raised', 'contact-changed', 'outcome', 'withdrawn'].includes(event.type))).toEqual([]);
  });

  it('a board’s key acts on its board’s disputes, seen or not; the parties act on theirs', async () => {
    const disputeId = await started(twoParties);
    expect(await call(cold, 'POST', `/disputes/${disputeId}/notes`, 'demo-board-rotherham-rsab', { by: MANAGER, text: 'Noted by the board.' })).toMatchObject({ status: 200 });
    expect(await call(warm, 'POST', `/disputes/${disputeId}/notes`, 'demo-board-rotherham-rsab', { by: MANAGER, text: 'Again.' })).toMatchObject({ status: 200 });
    // A board's key speaks for its officers only.
    expect(await call(cold, 'POST', `/disputes/${disputeId}/notes`, 'demo-board-rotherham-rsab', { by: RAISER, text: 'x' })).toMatchObject({ status: 403, body: { field: 'by' } });
    expect(await call(cold, 'POST', `/disputes/${disputeId}/notes`, NHS, { by: OTHER, text: 'From the trust.' })).toMatchObject({ status: 200 });
    const view = await call(cold, 'GET', `/disputes/${disputeId}`, 'demo-board-rotherham-rsab');
    expect((view.body!.events as { type: string; by?: string }[]).filter((event) => event.type === 'note').map((event) => event.by)).toEqual([MANAGER, MANAGER, OTHER]);
  });

  it('the workflow’s validator has the last word: an address of the agency’s own that is not of this dispute is refused, naming `by`', async () => {
    const disputeId = await started(twoParties);
    const stranger = 'not.in.this.dispute@rotherham-nhs.example.org';
    for (const through of [warm, cold]) {
      for (const [path, body] of actions(stranger, 'rotherham-nhs')) {
        const refused = await call(through, 'POST', `/disputes/${disputeId}/${path}`, NHS, body);
        // Representations wait for the last stage, and only the raising agency withdraws: refused before `by` is looked at.
        const expected = { representations: { status: 422 }, withdraw: { status: 403, body: { error: 'forbidden' } } }[path as string] ?? { status: 403, body: { error: 'forbidden', field: 'by' } };
        expect(refused, path).toMatchObject(expected);
      }
    }
    const view = await call(warm, 'GET', `/disputes/${disputeId}`, NHS);
    expect((view.body!.events as { type: string }[]).filter((event) => ['note', 'risk-raised', 'contact-changed', 'outcome', 'withdrawn'].includes(event.type))).toEqual([]);
  });

  it('where two parties share a mail domain, an agency cannot act as the other’s person (read from the dispute, not guessed from the domain)', async () => {
    const disputeId = await started([...twoParties, { agencyId: 'rotherham-police', practitioner: { name: 'Casey Constable', email: OFFICER } }]);
    for (const through of [warm, cold]) {
      // OTHER is the NHS practitioner, a party of stage 1, at a domain the police share.
      const asOther = await call(through, 'POST', `/disputes/${disputeId}/outcome`, POLICE, { stage: 1, decision: 'unresolved', by: OTHER, reason: 'As the trust.' });
      expect(asOther).toMatchObject({ status: 403, body: { error: 'forbidden', field: 'by', message: expect.stringContaining('is not one of') } });
      expect(await call(through, 'POST', `/disputes/${disputeId}/notes`, POLICE, { by: OTHER, text: 'As the trust.' })).toMatchObject({ status: 403, body: { field: 'by' } });
    }
    expect(await call(cold, 'POST', `/disputes/${disputeId}/notes`, POLICE, { by: OFFICER, text: 'From the police.' })).toMatchObject({ status: 200 });
    const view = await call(warm, 'GET', `/disputes/${disputeId}`, NHS);
    expect(view.body).toMatchObject({ status: 'open', stage: 1 });
    expect((view.body!.events as { type: string; by?: string }[]).filter((event) => event.type === 'note').map((event) => event.by)).toEqual([OFFICER]);
  });
});
