import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { buildDisputeStart, startDispute } from '../client/disputes';
import type { Disputes } from '../client/operations';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { contactsAt, context as demoContext, officer, sharingDomain } from './support/disputes';

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
// The trust's practitioner: at the domain the police share, so one of the trust's people the directory lists.
const OTHER = contactsAt('rotherham', 'nhs', 1)[0]!;
const OFFICER = 'constable.case@rotherham-police.example.org';
const MANAGER = 'board-manager.rotherham@board.example.org';

// A directory where the police share a mail domain with the NHS trust: a domain alone cannot say
// whose person an address is, so the API must read the dispute's own list of each agency's people.
const context = { ...demoContext, directory: sharingDomain('rotherham-police', 'rotherham-nhs.example.org') };
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

type Parties = { agencyId: string; practitioner: { name: string; email: string } }[];

/** A start's body: raising agency first. */
const startOf = (agencies: Parties, policy = 'rotherham-rsab', category: 'neglect' | 'other' = 'neglect') => ({
  policy,
  concernAt: new Date().toISOString(),
  category,
  agencies,
  personReference: 'RMBC-AUTH-1',
  summary: 'Who may act on this dispute.',
});

async function started(agencies: Parties): Promise<string> {
  const response = await call(warm, 'POST', '/disputes', ASC, startOf(agencies));
  expect(response.status).toBe(201);
  return (response.body as { disputeId: string }).disputeId;
}

const twoParties = [
  { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: RAISER } },
  { agencyId: 'rotherham-nhs', practitioner: { name: 'Grace Northcott', email: OTHER } },
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

// The hostile review of s18: no party may act in another party's name. Each case is the review's
// exact request, refused with the field named, and the dispute unchanged after it.
describe('no party acts in another party’s name', () => {
  const NHS_STAGE2 = contactsAt('rotherham', 'nhs', 2)[0]!;
  const threeParties = () => [...twoParties, { agencyId: 'rotherham-police', practitioner: { name: 'Casey Constable', email: OFFICER } }];
  const contactChange = (agencyId: string, email: string, by: string) => ({ agencyId, stage: 2, contacts: [{ name: 'Someone', email }], by, reason: 'Covering.' });
  async function contactEvents(disputeId: string) {
    const view = await call(warm, 'GET', `/disputes/${disputeId}`, 'demo-board-rotherham-rsab');
    return { changed: (view.body!.events as { type: string }[]).filter((event) => event.type === 'contact-changed'), agencies: view.body!.agencies as { id: string; people: string[] }[] };
  }

  it('the police (sharing the trust’s mail domain) cannot make the trust’s practitioner or its stage-2 contact its own contact, then act as them', async () => {
    const disputeId = await started(threeParties());
    for (const through of [warm, cold]) {
      for (const address of [OTHER, NHS_STAGE2]) {
        const refused = await call(through, 'POST', `/disputes/${disputeId}/contacts`, POLICE, contactChange('rotherham-police', address, OFFICER));
        expect(refused, address).toMatchObject({ status: 403, body: { error: 'forbidden', field: 'contacts.0.email' } });
      }
    }
    // The workflow refuses it too, naming the trust, for a caller that goes straight to Temporal.
    await expect(dev.env.client.workflow.getHandle(disputeId).executeUpdate('changeContact', { args: [contactChange('rotherham-police', OTHER, OFFICER)] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^contacts\.0\.email: grace\.northcott@rotherham-nhs\.example\.org is one of Rotherham Hospitals.*'s people in this dispute/) },
    });
    const after = await contactEvents(disputeId);
    expect(after.changed).toEqual([]);
    expect(after.agencies.find((agency) => agency.id === 'rotherham-police')!.people).not.toContain(OTHER);
    expect(await call(cold, 'POST', `/disputes/${disputeId}/outcome`, POLICE, { stage: 1, decision: 'unresolved', by: OTHER, reason: 'As the trust.' })).toMatchObject({ status: 403, body: { field: 'by' } });
    // An address at the shared domain that is nobody's in this dispute is the police's to name.
    expect(await call(cold, 'POST', `/disputes/${disputeId}/contacts`, POLICE, contactChange('rotherham-police', 'dee.puty@rotherham-nhs.example.org', OFFICER))).toMatchObject({ status: 200 });
  });

  it('a start cannot name another party’s person as the raising agency’s practitioner', async () => {
    const start = (practitioner: string) => call(warm, 'POST', '/disputes', POLICE, startOf([{ agencyId: 'rotherham-police', practitioner: { name: 'Someone', email: practitioner } }, twoParties[1]!]));
    for (const address of [OTHER, NHS_STAGE2, 'safeguarding-lead@rotherham-nhs.example.org']) {
      const refused = await start(address);
      expect(refused, address).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'agencies.0.practitioner.email', message: expect.stringMatching(/is one of Rotherham Hospitals.*'s people/) } });
    }
    expect(await start('casey.constable@rotherham-nhs.example.org')).toMatchObject({ status: 201 });
  });

  it('in a dispute whose start named the trust’s practitioner for the police too (as one could before), the police cannot act as that person', async () => {
    const built = buildDisputeStart(startOf(threeParties()), context);
    const start = structuredClone(built);
    start.parties[2]!.practitioner = { name: 'Grace Northcott', email: OTHER };
    await startDispute(dev.env.client, dev.taskQueue, start);
    for (const through of [warm, cold]) {
      const asOther = await call(through, 'POST', `/disputes/${start.disputeId}/outcome`, POLICE, { stage: 1, decision: 'unresolved', by: OTHER, reason: 'As the trust.' });
      expect(asOther).toMatchObject({ status: 403, body: { error: 'forbidden', field: 'by' } });
    }
    const view = await call(warm, 'GET', `/disputes/${start.disputeId}`, NHS);
    expect(view.body).toMatchObject({ status: 'open', stage: 1 });
    expect((view.body!.events as { type: string }[]).filter((event) => event.type === 'outcome')).toEqual([]);
  });

  it('an agency starts a dispute only as its raising agency (the first of `agencies`); a board’s key starts any under its own policy', async () => {
    // The trust raising the concern in the council's name.
    expect(await call(warm, 'POST', '/disputes', NHS, startOf(twoParties))).toMatchObject({ status: 403, body: { error: 'forbidden', field: 'agencies.0.agencyId' } });
    expect(await call(warm, 'POST', '/disputes', 'demo-board-rotherham-rsab', startOf(twoParties))).toMatchObject({ status: 201 });
  });

  it('a board’s key changes any party’s contacts, but only to that agency’s own addresses, never an officer’s nor another party’s person', async () => {
    const disputeId = await started(twoParties);
    const chair = officer('rotherham-rsab', 'chair');
    for (const through of [warm, cold]) {
      for (const address of ['dee.puty@rotherham-nhs.example.org', chair, OTHER]) {
        const refused = await call(through, 'POST', `/disputes/${disputeId}/contacts`, 'demo-board-rotherham-rsab', contactChange('rotherham-asc', address, MANAGER));
        expect(refused, address).toMatchObject({ status: 403, body: { error: 'forbidden', field: 'contacts.0.email' } });
      }
    }
    await expect(dev.env.client.workflow.getHandle(disputeId).executeUpdate('changeContact', { args: [contactChange('rotherham-asc', chair, MANAGER)] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^contacts\.0\.email: a board officer's address/) },
    });
    expect((await contactEvents(disputeId)).changed).toEqual([]);
    expect(await call(cold, 'POST', `/disputes/${disputeId}/contacts`, 'demo-board-rotherham-rsab', contactChange('rotherham-asc', 'dee.puty@rotherham-asc.example.org', MANAGER))).toMatchObject({ status: 200 });
  });

  it('Leeds stage 3: the council’s "unresolved" cannot carry the voluntary sector’s decision and rationale', async () => {
    const vcsPractitioner = 'pat.raiser@leeds-vcs.example.org';
    const leedsParties = [
      { agencyId: 'leeds-vcs', practitioner: { name: 'Pat Raiser', email: vcsPractitioner } },
      { agencyId: 'leeds-asc', practitioner: { name: 'Robin Other', email: 'robin.other@leeds-asc.example.org' } },
    ];
    const response = await call(warm, 'POST', '/disputes', 'demo-leeds-vcs', startOf(leedsParties, 'leeds-sab', 'other'));
    expect(response.status).toBe(201);
    const disputeId = (response.body as { disputeId: string }).disputeId;
    const outcome = (stage: number, by: string, extra: Record<string, unknown> = {}) => ({ stage, decision: 'unresolved', by, reason: 'No agreement.', ...extra });
    expect(await call(warm, 'POST', `/disputes/${disputeId}/outcome`, 'demo-leeds-vcs', outcome(1, vcsPractitioner))).toMatchObject({ status: 200, body: { stage: 2 } });
    expect(await call(warm, 'POST', `/disputes/${disputeId}/outcome`, 'demo-leeds-vcs', outcome(2, contactsAt('leeds', 'vcs', 2)[0]!))).toMatchObject({ status: 200, body: { stage: 3 } });
    const asc = contactsAt('leeds', 'asc', 3)[0]!;
    const entry = (agencyId: string) => ({ agencyId, decision: `${agencyId} keeps its view.`, rationale: 'Because.' });
    // The review's exact request: the council's stage-3 contact writing both organisations' records.
    const refused = await call(cold, 'POST', `/disputes/${disputeId}/outcome`, 'demo-leeds-asc', outcome(3, asc, { organisations: [entry('leeds-asc'), entry('leeds-vcs')] }));
    expect(refused).toMatchObject({ status: 403, body: { error: 'forbidden', field: 'organisations.1.agencyId' } });
    const view = await call(warm, 'GET', `/disputes/${disputeId}`, 'demo-leeds-vcs');
    expect(view.body).toMatchObject({ status: 'open', stage: 3 });
    expect((view.body!.events as { type: string; stage: number }[]).filter((event) => event.type === 'outcome' && event.stage === 3)).toEqual([]);
    // Its own entry is taken; the dispute then waits for the voluntary sector's.
    expect(await call(cold, 'POST', `/disputes/${disputeId}/outcome`, 'demo-leeds-asc', outcome(3, asc, { organisations: [entry('leeds-asc')] }))).toMatchObject({ status: 200, body: { status: 'open', stage: 3 } });
  });
});
