import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { boundedRetries } from '../client/operations';
import { messageLimits } from '../workflows/dispute/procedure';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { RAISER, rotherhamStart } from './support/api-start';
import { realClockContext } from './support/disputes';
import { testDataConverter } from './support/temporal';

// Finding 9 of the s18 review: once Temporal refuses a dispute more updates (2,000 a run by
// default, `history.maxTotalUpdates`; 10 in flight, `history.maxInFlightUpdates`) the API answered
// 500. Provoked here against the real dev server with both limits lowered by its dynamic config; the
// dispute's own cap on contact changes (messageLimits) is met first, over the same HTTP.
/** Above the contact changes one agency may make at one stage, so the dispute's own cap is reached first. */
const TOTAL = messageLimits.contactChangesPerAgencyStage + 2;
let dev: DevWorker;
let app: FastifyInstance;
let base: string;


/** The API on this Temporal client and task queue, listening; its address. */
async function listening(client: Client, taskQueue: string): Promise<{ api: FastifyInstance; at: string }> {
  const api = buildApi({ disputes: { client, taskQueue, context: realClockContext }, keys: ApiKeys.demo(realClockContext.directory).keys });
  return { api, at: await api.listen({ port: 0, host: '127.0.0.1' }) };
}

beforeAll(async () => {
  dev = await startDevWorker({ dynamicConfig: { 'history.maxTotalUpdates': TOTAL, 'history.maxInFlightUpdates': 1 } });
  ({ api: app, at: base } = await listening(dev.env.client, dev.taskQueue));
}, 120_000);
afterAll(async () => {
  await app?.close();
  await dev?.close();
});

async function post(path: string, body: unknown, signal?: AbortSignal, at = base) {
  const response = await fetch(`${at}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-rotherham-asc', 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

async function newDispute(at = base): Promise<string> {
  const started = await post('/disputes', rotherhamStart('RMBC-LIMIT-1', 'Temporal’s update limits.'), undefined, at);
  expect(started.status).toBe(201);
  return started.body.disputeId as string;
}

describe('Temporal refusing a dispute more updates', () => {
  it('the dispute’s own cap first: 422 naming it, using none of Temporal’s total; then the run’s total reached: 409 naming it, never a 500', async () => {
    const disputeId = await newDispute();
    const change = (n: number) => ({ agencyId: 'rotherham-asc', stage: 3, contacts: [{ name: `Deputy ${n}`, email: `deputy.${n}@rotherham-asc.example.org` }], by: RAISER, reason: `Cover ${n}.` });
    const cap = messageLimits.contactChangesPerAgencyStage;
    for (let n = 0; n < cap; n++) expect((await post(`/disputes/${disputeId}/contacts`, change(n))).status).toBe(200);
    const capped = await post(`/disputes/${disputeId}/contacts`, change(cap));
    expect(capped).toMatchObject({ status: 422, body: { error: 'not_allowed', field: 'contacts', message: expect.stringContaining(`the most allowed (${cap})`) } });
    // Refused updates (by the workflow's validator, as the cap and a stale stage are) use none of the total.
    for (let n = 0; n < TOTAL; n++) expect((await post(`/disputes/${disputeId}/outcome`, { stage: 2, decision: 'unresolved', by: RAISER, reason: 'Not current.' })).status).toBe(409);
    for (let n = cap; n < TOTAL; n++) expect((await post(`/disputes/${disputeId}/notes`, { by: RAISER, text: `note ${n}` })).status).toBe(200);
    const refused = await post(`/disputes/${disputeId}/notes`, { by: RAISER, text: 'one too many' });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'conflict', message: expect.stringMatching(new RegExp(`most updates Temporal takes for one dispute \\(${TOTAL}\\)`)) });
  }, 60_000);

  it('too many in flight at once: 503 with Retry-After, never a 500', async () => {
    // No worker polls this queue: the first update waits, in flight, while the second is sent.
    // The product's connection: its gRPC retries bounded (Temporal answers this one RESOURCE_EXHAUSTED, which the client retries).
    const connection = await Connection.connect({ address: dev.env.connection.options.address, interceptors: boundedRetries() });
    const client = new Client({ connection, namespace: dev.env.namespace ?? 'default', dataConverter: testDataConverter });
    const { api: idle, at: idleBase } = await listening(client, `${dev.taskQueue}-unpolled`);
    const abort = new AbortController();
    try {
      const disputeId = await newDispute(idleBase);
      const waiting = post(`/disputes/${disputeId}/notes`, { by: RAISER, text: 'waits for a worker' }, abort.signal, idleBase).catch(() => null);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const refused = await post(`/disputes/${disputeId}/notes`, { by: RAISER, text: 'a second at once' }, undefined, idleBase);
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('1');
      expect(refused.body).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/try again/) });
      abort.abort();
      await waiting;
    } finally {
      abort.abort();
      await idle.close();
      await connection.close();
    }
  }, 60_000);
});
