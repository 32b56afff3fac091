import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { RAISER, rotherhamStart } from './support/api-start';
import { realClockContext } from './support/disputes';

// Issue 13, finding 5, on the actions (found in the hostile review of the merged main): an action's
// Idempotency-Key reused with a different body answered 200 and silently dropped the second body
// (note B was never recorded), and a retried withdrawal, whose first answer was lost, got 409
// "the dispute is closed" instead of the answer the first call had. Against the real dev server.
let dev: DevWorker;
let app: FastifyInstance;
let base: string;


beforeAll(async () => {
  dev = await startDevWorker();
  app = buildApi({ disputes: { client: dev.env.client, taskQueue: dev.taskQueue, context: realClockContext }, keys: ApiKeys.demo(realClockContext.directory).keys });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await dev?.close();
});

async function post(path: string, body: unknown, key?: string) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-rotherham-asc', 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function newDispute(): Promise<string> {
  const started = await post('/disputes', rotherhamStart('RMBC-IDEM-1', 'Idempotent actions.'));
  expect(started.status).toBe(201);
  return started.body.disputeId as string;
}

const notes = async (disputeId: string) => {
  const response = await fetch(`${base}/disputes/${disputeId}`, { headers: { authorization: 'Bearer demo-rotherham-asc' } });
  const view = (await response.json()) as { events: { type: string; text?: string }[] };
  return view.events.filter((event) => event.type === 'note').map((event) => event.text);
};

describe('an action’s Idempotency-Key', () => {
  it('the same key with the same body is applied once and answered alike; with a different body, 422 naming the key', async () => {
    const disputeId = await newDispute();
    const first = await post(`/disputes/${disputeId}/notes`, { by: RAISER, text: 'note A' }, 'note-1');
    expect(first.status).toBe(200);
    const again = await post(`/disputes/${disputeId}/notes`, { by: RAISER.toUpperCase(), text: ' note A ' }, 'note-1');
    expect(again).toEqual(first);
    const changed = await post(`/disputes/${disputeId}/notes`, { by: RAISER, text: 'note B, different' }, 'note-1');
    expect(changed.status).toBe(422);
    expect(changed.body).toMatchObject({ error: 'idempotency_key_reused', field: 'Idempotency-Key', message: expect.stringContaining("'note-1'") });
    expect(await notes(disputeId)).toEqual(['note A']);
    // The key is the caller's own for each kind of action: a note's key does not stand for a risk.
    expect((await post(`/disputes/${disputeId}/risk`, { risk: 'high', by: RAISER, reason: 'Worse.' }, 'note-1')).status).toBe(200);
  }, 60_000);

  it('a retried withdrawal (the first answer lost) gets the first answer, not 409; another key gets 409', async () => {
    const disputeId = await newDispute();
    const withdrawal = { by: RAISER, reason: 'Resolved outside the procedure.' };
    const first = await post(`/disputes/${disputeId}/withdraw`, withdrawal, 'withdraw-1');
    expect(first).toMatchObject({ status: 200, body: { status: 'withdrawn' } });
    expect(await post(`/disputes/${disputeId}/withdraw`, withdrawal, 'withdraw-1')).toEqual(first);
    expect((await post(`/disputes/${disputeId}/withdraw`, { ...withdrawal, reason: 'Something else.' }, 'withdraw-1')).status).toBe(422);
    expect((await post(`/disputes/${disputeId}/withdraw`, withdrawal, 'withdraw-2')).status).toBe(409);
    expect((await post(`/disputes/${disputeId}/withdraw`, withdrawal)).status).toBe(409);
  }, 60_000);
});
