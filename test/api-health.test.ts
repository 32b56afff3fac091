import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailTransport } from '../activities/email/activities';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { boundedRetries } from '../client/operations';
import { realClockContext } from './support/disputes';
import { startSmtpSink, testMailSettings, type SmtpSink } from './support/smtp-sink';
import { devServerEnv } from './support/temporal';
import { RAISER, rotherhamStart } from './support/api-start';

// Issue 13, finding 12: /health says what is down, and while Temporal is down every call answers
// 503 within a couple of seconds. The API is pointed at a real dev server that is then stopped.

let env: TestWorkflowEnvironment | undefined;
let connection: Connection;
let sink: SmtpSink | undefined;
let app: FastifyInstance;
let base: string;

const ASC = 'demo-rotherham-asc';

beforeAll(async () => {
  env = await devServerEnv();
  sink = await startSmtpSink();
  // The API's own connection, as `client/api/main.ts` makes it: it outlives the server it talks to.
  connection = await Connection.connect({ address: env.address, interceptors: boundedRetries() });
  const client = new Client({ connection, namespace: env.namespace ?? 'default' });
  const mail = testMailSettings(sink);
  app = buildApi({
    disputes: { client, taskQueue: 'no-worker', context: realClockContext },
    keys: ApiKeys.demo(realClockContext.directory).keys,
    health: { smtp: () => mailTransport({ ...mail, port: sink?.port ?? mail.port }).verify() },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await connection?.close();
  await env?.teardown();
  await sink?.close();
});

async function timed(method: string, path: string, body?: unknown) {
  const began = Date.now();
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ASC}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: await response.json(), ms: Date.now() - began };
}

describe('health and a Temporal that is down', () => {
  it('answers 200 when all is up, 503 naming SMTP when it is down, then 503 naming Temporal within seconds for every call', async () => {
    expect(await timed('GET', '/health')).toMatchObject({ status: 200, body: { ok: true, checks: { temporal: 'up', smtp: 'up' } } });

    await sink!.close();
    sink = undefined;
    expect(await timed('GET', '/health')).toMatchObject({ status: 503, body: { ok: false, down: ['smtp'], checks: { temporal: 'up', smtp: 'down' } } });

    await env!.teardown();
    env = undefined;
    const health = await timed('GET', '/health');
    expect(health).toMatchObject({ status: 503, body: { ok: false, down: ['temporal', 'smtp'] } });
    expect(health.ms).toBeLessThan(3_000);

    const start = rotherhamStart('RMBC-HEALTH-1', 'While Temporal is down.');
    const calls = [
      timed('POST', '/disputes', start),
      timed('GET', '/disputes'),
      timed('GET', '/disputes/rsab-k3m9qz'),
      timed('POST', '/disputes/rsab-k3m9qz/notes', { by: RAISER, text: 'Anyone there?' }),
      timed('POST', '/disputes/rsab-k3m9qz/outcome', { stage: 1, decision: 'unresolved', by: RAISER, reason: 'No agreement.' }),
    ];
    for (const answer of await Promise.all(calls)) {
      expect(answer).toMatchObject({ status: 503, body: { error: 'unavailable' } });
      expect(answer.ms).toBeLessThan(3_000);
    }
  });
});
