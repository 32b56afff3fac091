import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWithoutTemporal } from './support/api-without-temporal';

// Issue 13, finding 12's kind (found in the hostile review of the merged main): the router's own
// refusals answered in Fastify's shape, `"error": "Bad Request"` with its code, and echoed the
// whole path back, where the README documents `invalid_request`. Refused before Temporal is asked.
let base: string;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ base, close } = await startApiWithoutTemporal());
});

afterAll(async () => {
  await close?.();
});

describe('paths the router cannot take', () => {
  it.each([
    ['a malformed %-escape', '/disputes/%zz', 400],
    ['a truncated UTF-8 escape', '/disputes/%E0%A4%A/notes', 400],
    ['a 5,000-character dispute id', `/disputes/${'a'.repeat(5000)}/notes`, 414],
  ])('%s: invalid_request naming the path, without echoing it', async (_, path, status) => {
    const response = await fetch(`${base}${path}`, { method: path.endsWith('notes') ? 'POST' : 'GET', headers: { authorization: 'Bearer demo-rotherham-asc' } });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(status);
    expect(body).toEqual({ error: 'invalid_request', message: expect.stringMatching(/^path: /), field: 'path' });
    expect(JSON.stringify(body)).not.toContain('aaaa');
  });
});

describe('the Authorization header', () => {
  // RFC 9110 section 11.1: the scheme is case-insensitive. "bearer <key>" from a careless (or
  // merely standard) client was answered 401 "an API key is needed".
  it.each(['Bearer', 'bearer', 'BEARER'])('"%s <key>" is read as the key (this API has no Temporal behind it: 503, not 401)', async (scheme) => {
    const response = await fetch(`${base}/disputes`, { headers: { authorization: `${scheme} demo-rotherham-asc` } });
    expect(response.status).toBe(503);
  });

  it('a key that is not recognised is still 403, whatever the case of the scheme', async () => {
    expect((await fetch(`${base}/disputes`, { headers: { authorization: 'bearer not-a-key' } })).status).toBe(403);
  });
});
