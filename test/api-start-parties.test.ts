import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { startApiWithoutTemporal } from './support/api-without-temporal';
import { contactsAt, sharingDomain } from './support/disputes';
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

type Parties = { agencyId: string; practitioner: { name: string; email: string } }[];

/** A start's body: raising agency first. */
const startBody = (agencies: Parties) => ({
  policy: 'rotherham-rsab',
  concernAt: new Date().toISOString(),
  category: 'neglect',
  agencies,
  personReference: 'RMBC-PARTIES-1',
  summary: 'Disagreement about discharge planning.',
});

const post = (at: string, key: string, body: unknown) =>
  fetch(`${at}/disputes`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

const start = (raiser: string, other: string) =>
  post(base, 'demo-rotherham-asc', startBody([
    { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: raiser } },
    { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: other } },
  ]));

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

// Re-review R4: where the police also mail from the trust's domain (as agencies sharing nhs.net do),
// the police raised a dispute naming as the trust's practitioner a colleague of their own at that
// domain, not in the directory: 201, and that colleague got the trust's stage-1 decision links and
// could record outcomes in the trust's name. The domain cannot say whose person such an address is.
describe('POST /disputes where agencies share a mail domain: another agency’s practitioner there is one of its listed people', () => {
  const SHARED = 'rotherham-nhs.example.org';
  const directory = sharingDomain('rotherham-police', SHARED);
  let shared: Awaited<ReturnType<typeof startApiWithoutTemporal>>;
  beforeAll(async () => {
    shared = await startApiWithoutTemporal(directory);
  });
  afterAll(async () => {
    await shared?.close();
  });

  const party = (agencyId: string, email: string) => ({ agencyId, practitioner: { name: 'Someone', email } });
  const police = party('rotherham-police', 'kieran.marsden@rotherham-police.example.org');
  const asc = party('rotherham-asc', 'pat.raiser@rotherham-asc.example.org');

  it.each([
    ['the police name a colleague of their own at the shared domain as the trust’s practitioner (the review’s request)', 'demo-rotherham-police', [police, party('rotherham-nhs', `casey.constable@${SHARED}`)], 'agencies.1.practitioner.email'],
    ['the trust names a colleague of its own at its domain as the police’s practitioner', 'demo-rotherham-nhs', [party('rotherham-nhs', `robin.other@${SHARED}`), party('rotherham-police', `dee.puty@${SHARED}`)], 'agencies.1.practitioner.email'],
    ['the council, whose domain is its own, names an unlisted address at the shared domain for the trust', 'demo-rotherham-asc', [asc, party('rotherham-nhs', `Robin.Other@${SHARED.toUpperCase()}`)], 'agencies.1.practitioner.email'],
    ['a board’s key, for a third party', 'demo-board-rotherham-rsab', [asc, police, party('rotherham-nhs', `robin.other@${SHARED}`)], 'agencies.2.practitioner.email'],
  ])('%s: 400 naming the field and why', async (_, key, agencies, field) => {
    const response = await post(shared.base, key, startBody(agencies));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'invalid_request',
      field,
      message: expect.stringMatching(new RegExp(`^${field.replaceAll('.', '\\.')}: rotherham-nhs\\.example\\.org is a mail domain .+ shares with another agency, so only its people listed in the directory .* may be named as its practitioner`)),
    });
  });

  it('the agency’s listed people at the shared domain, an unlisted address at a domain of one agency alone, and the raiser’s own unlisted colleague pass (and reach Temporal, which is not there: 503)', async () => {
    const nhs = directory.agencies.find((agency) => agency.id === 'rotherham-nhs')!;
    for (const listed of [contactsAt('rotherham', 'nhs', 1)[0]!, nhs.designatedSafeguardingLead.email, nhs.boardRepresentative.email]) {
      expect((await post(shared.base, 'demo-rotherham-police', startBody([police, party('rotherham-nhs', listed)]))).status, listed).toBe(503);
    }
    expect((await post(shared.base, 'demo-rotherham-police', startBody([police, party('rotherham-asc', 'robin.other@rotherham-asc.example.org')]))).status).toBe(503);
    const ownColleague = [party('rotherham-police', `casey.constable@${SHARED}`), party('rotherham-nhs', contactsAt('rotherham', 'nhs', 1)[0]!)];
    expect((await post(shared.base, 'demo-rotherham-police', startBody(ownColleague))).status).toBe(503);
  });

  it('the CLI refuses the same start, naming the field', async () => {
    const env = await timeSkippingEnv();
    onTestFinished(() => env.teardown());
    const file = join(mkdtempSync(join(tmpdir(), 'shared-domain-')), 'directory.yaml');
    writeFileSync(file, stringify(directory));
    const result = await runCli(
      [
        'start', '--policy', 'rotherham-rsab', '--concern-at', new Date().toISOString(), '--category', 'neglect',
        '--agency', 'rotherham-police:Kieran Marsden:kieran.marsden@rotherham-police.example.org', '--agency', `rotherham-nhs:Casey Constable:casey.constable@${SHARED}`,
        '--reference', 'RMBC-PARTIES-3', '--summary', 'Disagreement.',
      ],
      { TEMPORAL_ADDRESS: env.address, DIRECTORY_FILE: file },
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^dispute: invalid: agencies\.1\.practitioner\.email: rotherham-nhs\.example\.org is a mail domain Rotherham Hospitals.* shares with another agency/);
  });
});
