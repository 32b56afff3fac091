import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWithoutTemporal } from './support/api-without-temporal';

// Issue 13, finding 1, the exact requests: `POST /disputes` with "concernAt": "1900-01-01T00:00:00Z",
// "0000-01-01…" or "9999-12-31…" answered 201 and jammed the worker. The concern is refused before
// anything reaches Temporal: the API here has a Temporal address where nothing listens.
let base: string;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ base, close } = await startApiWithoutTemporal());
});

afterAll(async () => {
  await close?.();
});

const DAY = 86_400_000;

describe('POST /disputes with an impossible concern instant', () => {
  it.each([
    ['1900-01-01T00:00:00Z', /more than 90 days ago/],
    ['0000-01-01T00:00:00Z', /more than 90 days ago/],
    ['9999-12-31T00:00:00Z', /in the future/],
    [new Date(Date.now() - 120 * DAY).toISOString(), /more than 90 days ago/],
    [new Date(Date.now() + DAY).toISOString(), /in the future/],
  ])('%s: 400 naming concernAt, at once', async (concernAt, message) => {
    const began = Date.now();
    const response = await fetch(`${base}/disputes`, {
      method: 'POST',
      headers: { authorization: 'Bearer demo-rotherham-asc', 'content-type': 'application/json' },
      body: JSON.stringify({
        policy: 'rotherham-rsab',
        concernAt,
        category: 'neglect',
        agencies: [
          { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: 'pat.raiser@rotherham-asc.example.org' } },
          { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: 'robin.other@rotherham-nhs.example.org' } },
        ],
        personReference: 'RMBC-API-1',
        summary: 'Disagreement about discharge planning.',
      }),
    });
    const body = (await response.json()) as { field?: string; message?: string };
    expect(response.status).toBe(400);
    expect(body.field).toBe('concernAt');
    expect(body.message).toMatch(message);
    expect(Date.now() - began).toBeLessThan(2_000);
  });
});
