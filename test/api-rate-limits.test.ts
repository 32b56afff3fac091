import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { defaultRateLimits, type RateLimits } from '../client/api/rate-limits';
import { buildApi, type ApiOptions } from '../client/api/server';
import { openRecordsStore, type RecordsStore } from '../records/open';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { realClockContext, twoAgencies } from './support/disputes';
import { startSmtpSink, testMailSettings, type SmtpSink } from './support/smtp-sink';
import { testKeyRing } from './support/temporal';

// Nothing in the service limited a caller: an integrator looping on POST /disputes, or a script
// hammering sign-in or a decision link, loaded the worker and Temporal without bound. Each caller
// now gets so many writes and reads a window; over real HTTP against the real dev server and
// worker, with tiny limits so each test is quick.

const agencies = twoAgencies('rotherham');
const [ASC, NHS] = agencies.map((agency) => `demo-${agency.agencyId}`) as [string, string];
const [RAISER, OTHER] = agencies.map((agency) => agency.practitioner.email) as [string, string];
const apps: FastifyInstance[] = [];
let dev: DevWorker;
let sink: SmtpSink;
let store: RecordsStore;

beforeAll(async () => {
  [dev, sink, store] = await Promise.all([startDevWorker(), startSmtpSink(), openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing })]);
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await Promise.all([store?.close(), sink?.close()]);
  await dev?.close();
});

/** A fresh API with its own counts, listening on a real port. */
async function serve(limits: Partial<RateLimits>, extra: Partial<ApiOptions> = {}) {
  const app = buildApi({
    disputes: { client: dev.env.client, taskQueue: dev.taskQueue, context: realClockContext },
    keys: ApiKeys.demo(realClockContext.directory).keys,
    limits: { ...defaultRateLimits, ...limits },
    ...extra,
  });
  apps.push(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return async (method: string, path: string, options: { key?: string; json?: unknown; form?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    if (options.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(`${base}${path}`, { method, headers, body: options.form ?? (options.json === undefined ? undefined : JSON.stringify(options.json)), redirect: 'manual' });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), type: response.headers.get('content-type') ?? '', cookie: response.headers.get('set-cookie'), text: await response.text() };
  };
}

const concern = () => ({ policy: 'rotherham-rsab', concernAt: new Date().toISOString(), category: 'neglect', agencies, personReference: 'RMBC-LIMITS-1', summary: 'A dispute for the rate limits.' });

/** A whole number of seconds within the window: what Retry-After must be. */
const withinWindow = (value: string | null, windowSeconds = 60) => Number.isInteger(Number(value)) && Number(value) >= 1 && Number(value) <= windowSeconds;

describe('rate limits over HTTP', () => {
  it('an agency’s write past its limit is 429 with Retry-After and changes nothing; another agency, its reads and /health are unaffected', async () => {
    const call = await serve({ writes: 2, reads: 3 });
    const first = await call('POST', '/disputes', { key: ASC, json: concern() });
    expect(first.status).toBe(201);
    const disputeId = JSON.parse(first.text).disputeId as string;
    expect((await call('POST', `/disputes/${disputeId}/notes`, { key: ASC, json: { by: RAISER, text: 'The second write.' } })).status).toBe(200);

    const refused = await call('POST', `/disputes/${disputeId}/notes`, { key: ASC, json: { by: RAISER, text: 'The third write.' } });
    expect(refused.status).toBe(429);
    expect(withinWindow(refused.retryAfter)).toBe(true);
    expect(JSON.parse(refused.text)).toEqual({ error: 'rate_limited', message: expect.stringMatching(/^too many writes from this caller: at most 2 a minute; try again in \d+ s$/) });
    expect((await call('POST', '/disputes', { key: ASC, json: concern() })).status).toBe(429);

    // The other agency has its own allowance.
    expect((await call('POST', `/disputes/${disputeId}/notes`, { key: NHS, json: { by: OTHER, text: 'Our note.' } })).status).toBe(200);
    // Reads are counted apart from writes; the refused note was never recorded.
    const shown = await call('GET', `/disputes/${disputeId}`, { key: ASC });
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('The second write.');
    expect(shown.text).not.toContain('The third write.');
    // Far past the read limit, /health still answers.
    for (let attempt = 0; attempt < 8; attempt += 1) expect((await call('GET', '/health')).status).toBe(200);
  });

  it('reads have their own limit, higher than writes', async () => {
    const call = await serve({ writes: 1, reads: 3 });
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await call('GET', '/disputes', { key: ASC })).status).toBe(200);
    const refused = await call('GET', '/disputes', { key: ASC });
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text).message).toMatch(/^too many requests from this caller: at most 3 a minute/);
    expect((await call('GET', '/disputes', { key: NHS })).status).toBe(200);
  });

  it('a key we did not issue, or an X-Forwarded-For, gives no identity of its own: the caller is its address', async () => {
    const call = await serve({ writes: 2 });
    const forged = (n: number) => call('POST', '/disputes', { key: `forged-${n}`, json: concern(), headers: { 'x-forwarded-for': `203.0.113.${n}` } });
    expect((await forged(1)).status).toBe(403);
    expect((await forged(2)).status).toBe(403);
    expect((await forged(3)).status).toBe(429);
    expect((await call('POST', '/disputes', { json: concern() })).status).toBe(429);
    // A key we issued is counted by its agency, not by the address it shares.
    expect((await call('POST', '/disputes', { key: ASC, json: {} })).status).toBe(400);
  });

  it('behind a trusted proxy, each client address it names has its own allowance', async () => {
    const call = await serve({ writes: 1 }, { trustedProxies: ['127.0.0.1'] });
    const from = (address: string) => call('POST', '/disputes', { json: concern(), headers: { 'x-forwarded-for': address } });
    expect((await from('203.0.113.1')).status).toBe(401);
    expect((await from('203.0.113.1')).status).toBe(429);
    expect((await from('203.0.113.2')).status).toBe(401);
  });

  it('callers past the cap are forgotten, least recently seen first, so memory stays bounded; the window ends on time', async () => {
    const call = await serve({ reads: 1, callers: 2, windowMs: 2_000 });
    expect((await call('GET', '/openapi.json', { key: ASC })).status).toBe(200);
    const refused = await call('GET', '/openapi.json', { key: ASC });
    expect(refused.status).toBe(429);
    expect(withinWindow(refused.retryAfter, 2)).toBe(true);
    expect((await call('GET', '/openapi.json', { key: NHS })).status).toBe(200);
    expect((await call('GET', '/openapi.json', { key: 'demo-rotherham-police' })).status).toBe(200);
    // Two callers are remembered: the agency seen least recently has been let go.
    expect((await call('GET', '/openapi.json', { key: ASC })).status).toBe(200);
    expect((await call('GET', '/openapi.json', { key: ASC })).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await call('GET', '/openapi.json', { key: ASC })).status).toBe(200);
  });

  it('a decision link opened too often gets a page saying when to try again', async () => {
    const call = await serve({ reads: 2 }, { decisions: { secret: 'a secret for the limits test' } });
    for (let attempt = 0; attempt < 2; attempt += 1) expect((await call('GET', '/decisions/not-a-token/resolved')).status).toBe(404);
    const refused = await call('GET', '/decisions/not-a-token/resolved');
    expect(refused.status).toBe(429);
    expect(withinWindow(refused.retryAfter)).toBe(true);
    expect(refused.type).toMatch(/^text\/html/);
    expect(refused.text).toMatch(/<h1>Too many requests<\/h1><p>Too many requests came from your connection in the last minute\. Wait \d+ seconds, then open the link again\. Nothing was recorded\.<\/p>/);
  });

  it('the board pages’ sign-in, sent too often, gets a GOV.UK page saying when to try again', async () => {
    const call = await serve(
      { writes: 1, reads: 10 },
      { web: { records: store.db, secret: 'a secret for the limits test', mail: testMailSettings(sink), publicUrl: 'http://127.0.0.1:3000' } },
    );
    const form = await call('GET', '/web/sign-in');
    const cookie = form.cookie!.split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const signIn = () => call('POST', '/web/sign-in', { form: new URLSearchParams({ csrf, email: 'stranger@example.org' }).toString(), headers: { cookie } });
    expect((await signIn()).text).toContain('Check your email');
    const refused = await signIn();
    expect(refused.status).toBe(429);
    expect(withinWindow(refused.retryAfter)).toBe(true);
    expect(refused.text).toContain('<h1 class="govuk-heading-l">Too many requests</h1>');
    expect(refused.text).toMatch(/Wait \d+ seconds, then try again\. Nothing was changed\./);
    // The refused request made no session of its own.
    expect(refused.cookie).toBeNull();
  });
});
