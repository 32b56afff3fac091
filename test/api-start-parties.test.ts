import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startApiWithoutTemporal } from './support/api-without-temporal';
import { runCli } from './support/processes';
import { timeSkippingEnv } from './support/temporal';

// Issue 13, finding 3, at start (found in the hostile review of the merged main): the ASC key
// started disputes naming the NHS practitioner at an ASC address, ASC's own practitioner at the
// board chair's address, and a practitioner at a look-alike domain; each answered 201, and the
// stage-1 emails (with reply addresses and decision links that act as that party) went there.
// Refused before anything reaches Temporal: nothing listens at the API's Temporal address.
let base: string;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ base, close } = await startApiWithoutTemporal());
});

afterAll(async () => {
  await close?.();
});

const start = (raiser: string, other: string) =>
  fetch(`${base}/disputes`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-rotherham-asc', 'content-type': 'application/json' },
    body: JSON.stringify({
      policy: 'rotherham-rsab',
      concernAt: new Date().toISOString(),
      category: 'neglect',
      agencies: [
        { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: raiser } },
        { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: other } },
      ],
      personReference: 'RMBC-PARTIES-1',
      summary: 'Disagreement about discharge planning.',
    }),
  });

describe('POST /disputes: each practitioner is one of their own agency’s people', () => {
  it.each([
    ['the other agency’s practitioner at the raiser’s domain', 'pat@rotherham-asc.example.org', 'robin@rotherham-asc.example.org', 'agencies.1.practitioner.email', /not an address of Rotherham Hospitals/],
    ['the raiser’s practitioner at the other agency’s domain', 'pat@rotherham-nhs.example.org', 'robin@rotherham-nhs.example.org', 'agencies.0.practitioner.email', /not an address of Rotherham Council Adult Social Care/],
    ['the board chair as a practitioner', 'chair.rotherham@board.example.org', 'robin@rotherham-nhs.example.org', 'agencies.0.practitioner.email', /board officer/],
    ['the board chair, in capitals', 'pat@rotherham-asc.example.org', 'Chair.Rotherham@BOARD.example.org', 'agencies.1.practitioner.email', /board officer/],
    ['a look-alike domain', 'pat@rotherham-asc.example.org.evil.example', 'robin@rotherham-nhs.example.org', 'agencies.0.practitioner.email', /not an address/],
    ['a subdomain', 'pat@mail.rotherham-asc.example.org', 'robin@rotherham-nhs.example.org', 'agencies.0.practitioner.email', /not an address/],
  ])('%s: 400 naming the field', async (_, raiser, other, field, message) => {
    const response = await start(raiser, other);
    const body = (await response.json()) as { error?: string; field?: string; message?: string };
    expect(response.status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_request', field });
    expect(body.message).toMatch(message);
  });

  it('an address at the agency’s own domain, in any case, passes this check (and reaches Temporal, which is not there: 503)', async () => {
    const response = await start('Pat.Raiser@ROTHERHAM-ASC.example.org', 'robin.other@rotherham-nhs.example.org');
    expect(response.status).toBe(503);
  });

  it('the safeguarding plan’s lead (told of the dispute at CWAC stage 2) is at one of the board’s agencies, not outside them', async () => {
    const startWithLead = (email: string) =>
      fetch(`${base}/disputes`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo-cwac-asc', 'content-type': 'application/json' },
        body: JSON.stringify({
          policy: 'cheshire-west-and-chester-lsab',
          concernAt: new Date().toISOString(),
          category: 'neglect',
          agencies: [
            { agencyId: 'cwac-asc', practitioner: { name: 'Pat Raiser', email: 'pat@cwac-asc.example.org' } },
            { agencyId: 'cwac-nhs', practitioner: { name: 'Robin Other', email: 'robin@cwac-nhs.example.org' } },
          ],
          personReference: 'CWAC-PARTIES-1',
          summary: 'Disagreement about a safeguarding plan.',
          safeguardingPlanLead: { name: 'Lee Lead', email },
        }),
      });
    const outside = await startWithLead('lee.lead@gmail.example');
    expect(outside.status).toBe(400);
    expect(await outside.json()).toMatchObject({ field: 'safeguardingPlanLead.email', message: expect.stringMatching(/not an address of any of the board's agencies/) });
    // Another agency of the board (not a party) is fine: the plan may be led anywhere in the partnership.
    expect((await startWithLead('lee.lead@cwac-police.example.org')).status).toBe(503);
  });

  it('the CLI refuses the same start, naming the field', async () => {
    // The CLI checks a start once connected (openDispute), so it needs a server to reach.
    const env = await timeSkippingEnv();
    onTestFinished(() => env.teardown());
    const result = await runCli(
      [
        'start', '--policy', 'rotherham-rsab', '--concern-at', new Date().toISOString(), '--category', 'neglect',
        '--agency', 'rotherham-asc:Pat Raiser:pat@rotherham-asc.example.org', '--agency', 'rotherham-nhs:Robin Other:robin@rotherham-asc.example.org',
        '--reference', 'RMBC-PARTIES-2', '--summary', 'Disagreement.',
      ],
      { TEMPORAL_ADDRESS: env.address },
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^dispute: invalid: agencies\.1\.practitioner\.email: robin@rotherham-asc\.example\.org is not an address of Rotherham Hospitals/);
  });
});
