import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../client/api/keys';
import type { RateLimits } from '../../client/api/rate-limits';
import { buildApi } from '../../client/api/server';
import { SESSION_LIMITS } from '../../client/web/sessions';
import { openRecordsStore, type RecordsStore } from '../../records/open';
import { saveRecord } from '../../records/write';
import { context } from '../support/disputes';
import { handRecord } from './records';
import { eventually } from '../support/eventually';
import { floodLimits } from '../support/limits';
import { startSmtpSink, testMailSettings, type SmtpSink } from '../support/smtp-sink';
import { testKeyRing } from '../support/temporal';

// Sign-in, sessions and strict forms over real HTTP requests (Fastify's inject) with a real SMTP
// server, on a clock the test moves. These pages need no Temporal server.

let sink: SmtpSink;
let store: RecordsStore;
let now = Date.parse('2026-11-20T16:00:00Z'); // a Friday afternoon
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await store?.close();
  await sink?.close();
});

function web(publicUrl: string, limits?: RateLimits) {
  const app = buildApi({
    ...(limits ? { limits } : {}),
    // Temporal is never reached by these requests.
    disputes: { client: undefined as never, taskQueue: 'none', context },
    keys: ApiKeys.demo(context.directory).keys,
    web: { records: store.db, secret: 'a test secret for sign-in', mail: testMailSettings(sink), publicUrl, now: () => now },
  });
  apps.push(app);
  // A browser: its own cookie jar on this one server. `browser()` gives another.
  const browser = () => {
    const jar = new Map<string, string>();
    const request = async (method: 'GET' | 'POST', url: string, form?: Record<string, string | string[]>, headers: Record<string, string> = {}) => {
      const payload = form ? new URLSearchParams(Object.entries(form).flatMap(([key, value]) => (Array.isArray(value) ? value.map((item): [string, string] => [key, item]) : [[key, value] as [string, string]]))).toString() : undefined;
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      const response = await app.inject({ method, url, headers: { cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers }, ...(payload !== undefined ? { payload } : {}) });
      for (const set of [response.headers['set-cookie'] ?? []].flat()) {
        const [name, value] = set.split(';')[0]!.split('=') as [string, string];
        if (value) jar.set(name, value);
        else jar.delete(name);
      }
      return response;
    };
    const csrf = async (url = '/web/sign-in') => /name="csrf" value="([^"]+)"/.exec((await request('GET', url)).body)![1]!;
    /** Asks for a sign-in link for this address; the emailed link's path. */
    const askLink = async (email: string) => {
      const before = sink.messages.filter((message) => message.envelopeTo.includes(email)).length;
      await request('POST', '/web/sign-in', { csrf: await csrf(), email });
      const mail = await eventually(async () => sink.messages.filter((message) => message.envelopeTo.includes(email)), (found) => found.length > before);
      return new URL(/(http\S+)/.exec(mail[mail.length - 1]!.text)![1]!).pathname;
    };
    const signIn = async (email: string) => {
      const path = await askLink(email);
      return request('POST', path, { csrf: await csrf(path) });
    };
    return { request, csrf, askLink, signIn, jar };
  };
  return { ...browser(), browser };
}

describe('sign-in and sessions', () => {
  it('the session cookie is HttpOnly and SameSite=Lax, and Secure only when PUBLIC_URL is https', async () => {
    const plain = await web('http://127.0.0.1:3000').request('GET', '/web/overview');
    expect(String(plain.headers['set-cookie'])).toMatch(/^dispute_session=[A-Za-z0-9_-]{43}; Path=\/web; HttpOnly; SameSite=Lax$/);
    const secure = await web('https://disputes.example.org').request('GET', '/web/overview');
    expect(String(secure.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('the sign-in form makes no session; its token goes with a cookie of its own, HttpOnly, SameSite=Strict, for an hour', async () => {
    const plain = await web('http://127.0.0.1:3000').request('GET', '/web/sign-in');
    expect(String(plain.headers['set-cookie'])).toMatch(/^dispute_sign_in=[A-Za-z0-9_-]{43}; Path=\/web\/sign-in; Max-Age=3600; HttpOnly; SameSite=Strict$/);
    const secure = await web('https://disputes.example.org').request('GET', '/web/sign-in');
    expect(String(secure.headers['set-cookie'])).toMatch(/^dispute_sign_in=.*; SameSite=Strict; Secure$/);
  });

  it('the sign-in form refuses a token that is missing, forged, another browser’s or over an hour old, and takes one from a second tab', async () => {
    now = Date.parse('2026-11-20T10:00:00Z');
    const { browser } = web('http://127.0.0.1:3000');
    const mine = browser();
    const other = browser();
    const address = 'jordan.oakley@rotherham-asc.example.org';
    const refused = async (response: { statusCode: number; body: string }) => {
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('This form has expired');
    };
    const token = await mine.csrf();
    const [expiry, mac] = token.split('.') as [string, string];
    await refused(await mine.request('POST', '/web/sign-in', { email: address }));
    await refused(await mine.request('POST', '/web/sign-in', { csrf: '', email: address }));
    await refused(await mine.request('POST', '/web/sign-in', { csrf: `${expiry}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BA' : 'AA'}`, email: address }));
    // The expiry is under the MAC: moved on, the token is refused.
    await refused(await mine.request('POST', '/web/sign-in', { csrf: `${(parseInt(expiry, 36) + 3_600_000).toString(36)}.${mac}`, email: address }));
    await refused(await mine.request('POST', '/web/sign-in', { csrf: await other.csrf(), email: address }));
    await refused(await other.request('POST', '/web/sign-in', { csrf: token, email: address }, { cookie: '' }));
    // A second tab's form does not spoil the first's.
    const second = await mine.csrf();
    expect((await mine.request('POST', '/web/sign-in', { csrf: token, email: address })).body).toContain('Check your email');
    expect((await mine.request('POST', '/web/sign-in', { csrf: second, email: address })).body).toContain('Check your email');
    now += 60 * 60_000 + 1;
    await refused(await mine.request('POST', '/web/sign-in', { csrf: token, email: address }));
  });

  it('a sign-in form opened before a flood of anonymous visits still sends, and its link signs in', async () => {
    now = Date.now();
    // Review R6: ~9 addresses at the read limit turn the anonymous pool over in under a minute.
    const { request, csrf, jar } = web('http://127.0.0.1:3000', floodLimits);
    const app = apps[apps.length - 1]!;
    await request('GET', '/web/overview'); // a visitor's session, as anyone who came to a page first has
    const token = await csrf();
    for (let i = 0; i <= SESSION_LIMITS.anonymous; i++) {
      expect((await app.inject({ method: 'GET', url: '/web/overview' })).statusCode).toBe(303);
    }
    const address = 'board-manager.rotherham@board.example.org';
    const before = sink.messages.filter((message) => message.envelopeTo.includes(address)).length;
    const sent = await request('POST', '/web/sign-in', { csrf: token, email: address });
    expect(sent.statusCode).toBe(200);
    expect(sent.body).toContain('Check your email');
    expect(jar.get('dispute_session')).toBeDefined();
    const mail = await eventually(async () => sink.messages.filter((message) => message.envelopeTo.includes(address)), (found) => found.length > before);
    const path = new URL(/(http\S+)/.exec(mail[mail.length - 1]!.text)![1]!).pathname;
    const opened = await request('GET', path);
    expect(opened.statusCode).toBe(200);
    const continueToken = /name="csrf" value="([^"]+)"/.exec(opened.body)![1]!;
    expect((await request('POST', path, { csrf: continueToken })).headers.location).toBe('/web/overview');
    expect((await request('GET', '/web/overview')).statusCode).toBe(200);
  }, 120_000);

  it('an address not in the directory gets the same page and no email; the email names no one but carries the link', async () => {
    const { request, csrf } = web('http://127.0.0.1:3000');
    const before = sink.messages.length;
    const stranger = await request('POST', '/web/sign-in', { csrf: await csrf(), email: 'stranger@example.org' });
    const known = await request('POST', '/web/sign-in', { csrf: await csrf(), email: 'Board-Manager.Rotherham@board.example.org' });
    const strip = (body: string) => body.replace(/name="csrf" value="[^"]+"/g, '').replace(/nonce="[^"]+"/g, '');
    expect(stranger.statusCode).toBe(200);
    expect(strip(stranger.body)).toBe(strip(known.body));
    const mail = await eventually(async () => sink.messages.slice(before), (found) => found.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.messages.slice(before).map((message) => message.envelopeTo)).toEqual([['board-manager.rotherham@board.example.org']]);
    expect(mail[0]!.subject).toBe('Your sign-in link for the safeguarding disputes service');
    expect(mail[0]!.text).toMatch(/http:\/\/127\.0\.0\.1:3000\/web\/sign-in\/[A-Za-z0-9_-]{50,}/);
  });

  it('at most five links per address in fifteen minutes, the page the same', async () => {
    now = Date.parse('2026-11-20T10:00:00Z');
    const { request, csrf } = web('http://127.0.0.1:3000');
    const address = 'priya.varley@rotherham-asc.example.org';
    const sent = () => sink.messages.filter((message) => message.envelopeTo.includes(address)).length;
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const page = await request('POST', '/web/sign-in', { csrf: await csrf(), email: address });
      expect(page.body).toContain('Check your email');
    }
    await eventually(async () => sent(), (count) => count >= 5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sent()).toBe(5);
    now += 15 * 60_000 + 1;
    await request('POST', '/web/sign-in', { csrf: await csrf(), email: address });
    expect(await eventually(async () => sent(), (count) => count === 6)).toBe(6);
  });

  it('a session ends 12 hours after sign-in however busy, and the person is told why; a form sent then changes nothing', async () => {
    now = Date.parse('2026-11-20T08:00:00Z');
    const { request, signIn } = web('http://127.0.0.1:3000');
    expect((await signIn('board-manager.rotherham@board.example.org')).headers.location).toBe('/web/overview');
    for (let hour = 0; hour < 12; hour += 1) {
      now = Date.parse('2026-11-20T08:00:00Z') + hour * 3_600_000 + 59 * 60_000;
      expect((await request('GET', '/web/overview')).statusCode).toBe(200);
    }
    const form = await request('GET', '/web/overview');
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)![1]!;
    now = Date.parse('2026-11-20T20:00:01Z');
    const ended = await request('GET', '/web/overview');
    expect(ended.statusCode).toBe(303);
    expect(ended.headers.location).toBe('/web/sign-in?ended=lifetime');
    const told = await request('GET', ended.headers.location as string);
    expect(told.statusCode).toBe(200);
    expect(told.body).toContain('You have been signed out because you signed in 12 hours ago.');
    expect(told.body).not.toContain('Signed in as');
    expect((await request('GET', '/web/sign-in?ended=nonsense')).statusCode).toBe(400);
    expect((await request('GET', '/web/overview')).headers.location).toBe('/web/sign-in'); // told once; now simply signed out
    // The same with a form: sent a second after the lifetime, it is not acted on.
    await signIn('board-manager.rotherham@board.example.org');
    const fresh = /name="csrf" value="([^"]+)"/.exec((await request('GET', '/web/overview')).body)![1]!;
    expect(fresh).not.toBe(csrf);
    // A live session's note to a dispute that does not exist is a 404 (the handler ran); after the lifetime it never runs.
    expect((await request('POST', '/web/disputes/rsab-nosuch/notes', { csrf: fresh, text: 'A note.' })).statusCode).toBe(404);
    now += 12 * 3_600_000 + 1;
    const posted = await request('POST', '/web/disputes/rsab-nosuch/notes', { csrf: fresh, text: 'A note.' });
    expect(posted.statusCode).toBe(303);
    expect(posted.headers.location).toBe('/web/sign-in?ended=lifetime');

    await signIn('board-manager.rotherham@board.example.org');
    const page = await request('GET', '/web/overview');
    const outCsrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const out = await request('POST', '/web/sign-out', { csrf: outCsrf });
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    expect((await request('GET', '/web/overview')).headers.location).toBe('/web/sign-in');
  });

  it('a link signs in only the browser that asked for it: sent to someone else, it signs nobody in and is not used up', async () => {
    now = Date.now();
    const { browser } = web('http://127.0.0.1:3000');
    // X asks a link for their own address and sends it to Y, who presses Continue (review 2, L1: login CSRF).
    const x = browser();
    const path = await x.askLink('jordan.oakley@rotherham-asc.example.org');
    const refusedHere = (response: { statusCode: number; body: string; headers: Record<string, unknown> }) => {
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('Open this link in the browser where you asked for it');
      expect(response.body).toContain('href="/web/sign-in"'); // and a way to ask for a new one
      expect(response.body).not.toContain('Continue');
      expect(response.headers['set-cookie']).toBeUndefined();
    };

    // Y signed in as themselves (a board officer, who may see the reports; Jordan may not).
    const y = browser();
    await y.signIn('board-manager.rotherham@board.example.org');
    refusedHere(await y.request('GET', path));
    refusedHere(await y.request('POST', path, { csrf: await y.csrf('/web/overview') }));
    expect((await y.request('GET', '/web/reports')).statusCode).toBe(200); // still Y

    // Y not signed in, with a session of their own from an earlier visit (its token is on no page: the sign-in form's is another).
    const z = browser();
    await z.request('GET', '/web/overview');
    refusedHere(await z.request('GET', path));
    const zPost = await z.request('POST', path, { csrf: await z.csrf('/web/sign-in') });
    expect(zPost.statusCode).toBe(403);
    expect(zPost.body).not.toContain('Continue');
    expect((await z.request('GET', '/web/overview')).headers.location).toBe('/web/sign-in'); // signed in as nobody

    // In X's own browser the link still works, once.
    const own = await x.request('POST', path, { csrf: await x.csrf(path) });
    expect(own.statusCode).toBe(303);
    expect(own.headers.location).toBe('/web/overview');
    expect((await x.request('GET', '/web/overview')).statusCode).toBe(200);
    expect((await x.request('GET', path)).statusCode).toBe(410);
  });

  it('anonymous visits, however many, do not push a signed-in session out', async () => {
    now = Date.now();
    // The rate limits would stop one address long before (test/api-rate-limits.test.ts); a flood from many addresses would not.
    const { request, signIn } = web('http://127.0.0.1:3000', floodLimits);
    await signIn('board-manager.rotherham@board.example.org');
    const app = apps[apps.length - 1]!;
    // More cookieless requests than the server holds sessions of any kind, each given a session for its sign-in form.
    for (let i = 0; i <= SESSION_LIMITS.signedIn; i++) {
      const anonymous = await app.inject({ method: 'GET', url: '/web/overview' });
      expect(anonymous.statusCode).toBe(303);
    }
    expect((await request('GET', '/web/overview')).statusCode).toBe(200);
  }, 120_000);

  it('anonymous visits, however many, do not push out the session a sign-in link was asked for in', async () => {
    now = Date.now();
    const { request, askLink } = web('http://127.0.0.1:3000', floodLimits);
    const path = await askLink('board-manager.rotherham@board.example.org');
    const app = apps[apps.length - 1]!;
    // More cookieless visits than the anonymous pool holds: each has a session of its own.
    for (let i = 0; i <= SESSION_LIMITS.anonymous; i++) {
      expect((await app.inject({ method: 'GET', url: '/web/overview' })).statusCode).toBe(303);
    }
    const opened = await request('GET', path);
    expect(opened.statusCode).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(opened.body)![1]!;
    expect((await request('POST', path, { csrf })).headers.location).toBe('/web/overview');
  }, 120_000);
});

describe('forms and inputs', () => {
  it('a concern with a bad reference, an unknown field or no other agency is shown again with the problem, and nothing starts', async () => {
    now = Date.now();
    const { request, signIn } = web('http://127.0.0.1:3000');
    await signIn('jordan.oakley@rotherham-asc.example.org');
    const form = await request('GET', '/web/raise');
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(form.body)![1]!;
    const valid = { csrf: field('csrf'), formId: field('formId'), board: 'rotherham-rsab', raising: 'rotherham-asc', agencies: ['rotherham-nhs'], category: 'neglect', risk: 'standard', personReference: 'RMBC-1', summary: 'A summary.' };
    const named = await request('POST', '/web/raise', { ...valid, personReference: 'Mrs Smith, 12 High St' });
    expect(named.statusCode).toBe(400);
    expect(named.body).toContain('There is a problem');
    expect(named.body).toContain('href="#personReference"');
    expect(named.body).toContain('never a name');
    expect(named.body).toContain('A summary.'); // what was typed is kept
    const unknown = await request('POST', '/web/raise', { ...valid, admin: 'true' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toMatch(/admin/);
    const alone = await request('POST', '/web/raise', { ...valid, agencies: [] });
    expect(alone.statusCode).toBe(400);
    expect(alone.body).toContain('choose at least one other agency');
  });

  it('at the last stage the board officer is offered the decision; a party who is not an officer is refused it', async () => {
    now = Date.now();
    const at = (daysAgo: number) => new Date(now - daysAgo * 86_400_000).toISOString();
    await saveRecord(
      store.db,
      handRecord({ id: 'rsab-last04', agencies: ['rotherham-asc', 'rotherham-nhs'], stages: [[1, at(20), 'started'], [2, at(15), 'deadline'], [3, at(10), 'deadline'], [4, at(5), 'deadline', at(-5)]] }),
    );
    const officer = web('http://127.0.0.1:3000');
    await officer.signIn('board-manager.rotherham@board.example.org');
    expect((await officer.request('GET', '/web/disputes/rsab-last04')).body).toContain('Record the board’s decision');
    const party = web('http://127.0.0.1:3000');
    await party.signIn('jordan.oakley@rotherham-asc.example.org');
    const page = await party.request('GET', '/web/disputes/rsab-last04');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('Record the board’s decision');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const refused = await party.request('POST', '/web/disputes/rsab-last04/decision', { csrf, stage: '4', text: 'We decide.' });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Only the officers the board’s procedure names, or its panel, record the board’s decision.');
  });

  it("the board log: an officer sees the board's disputes, an agency person only their agency's; filters by status, agency, category and dates", async () => {
    now = Date.now();
    const day = (date: string) => `${date}T10:00:00Z`;
    for (const record of [
      handRecord({ id: 'rsab-logf01', agencies: ['rotherham-police', 'rotherham-gp'], category: 'abuse', stages: [[1, day('2026-02-02'), 'started', day('2026-02-04')]] }),
      handRecord({ id: 'rsab-logf02', agencies: ['rotherham-gp', 'rotherham-vcs'], stages: [[1, day('2026-03-02'), 'started', day('2026-03-04')]] }),
      handRecord({ id: 'rsab-logf03', agencies: ['rotherham-gp', 'rotherham-police'], stages: [[1, day('2026-03-09'), 'started']], closed: { at: day('2026-03-10'), outcome: 'resolved', workingDays: 1 } }),
      handRecord({ id: 'lsab-logf04', board: 'leeds-sab', agencies: ['leeds-gp', 'leeds-police'], stages: [[1, day('2026-03-02'), 'started', day('2026-03-04')]] }),
    ]) {
      await saveRecord(store.db, record);
    }
    const ids = (body: string) => [...body.matchAll(/href="\/web\/disputes\/([a-z0-9-]+)"/g)].map((match) => match[1]).filter((id) => id!.includes('logf')).sort();
    const officer = web('http://127.0.0.1:3000');
    await officer.signIn('board-manager.rotherham@board.example.org');
    expect(ids((await officer.request('GET', '/web/overview')).body)).toEqual(['rsab-logf01', 'rsab-logf02']);
    expect(ids((await officer.request('GET', '/web/overview?status=all')).body)).toEqual(['rsab-logf01', 'rsab-logf02', 'rsab-logf03']);
    expect(ids((await officer.request('GET', '/web/overview?status=all&agency=rotherham-police')).body)).toEqual(['rsab-logf01', 'rsab-logf03']);
    expect(ids((await officer.request('GET', '/web/overview?category=abuse')).body)).toEqual(['rsab-logf01']);
    expect(ids((await officer.request('GET', '/web/overview?status=all&from=2026-03-01&to=2026-03-08')).body)).toEqual(['rsab-logf02']);
    expect((await officer.request('GET', '/web/overview?board=leeds-sab')).statusCode).toBe(404); // not one of this officer's boards

    const police = web('http://127.0.0.1:3000');
    await police.signIn('kieran.marsden@rotherham-police.example.org');
    expect(ids((await police.request('GET', '/web/overview?status=all')).body)).toEqual(['rsab-logf01', 'rsab-logf03']);
    expect((await police.request('GET', '/web/disputes/rsab-logf02')).statusCode).toBe(404);
    expect((await police.request('GET', '/web/disputes/rsab-logf01')).statusCode).toBe(200);
    expect((await police.request('GET', '/web/reports')).statusCode).toBe(403);
  });

  it('nothing a browser sends gets a 5xx', async () => {
    now = Date.now();
    const { request, signIn, csrf } = web('http://127.0.0.1:3000');
    await signIn('board-manager.rotherham@board.example.org');
    const token = await csrf('/web/overview');
    const attempts: [string, string, Record<string, string> | undefined, Record<string, string>?][] = [
      ['GET', '/web/overview?page=-1&stage=99&status=nonsense&from=2026-13-45&board=../../etc', undefined],
      ['GET', '/web/overview?page=99999999999999999999', undefined],
      ['GET', '/web/disputes/NOT_AN_ID', undefined],
      ['GET', `/web/disputes/${'a'.repeat(5000)}`, undefined],
      ['GET', '/web/disputes/rsab-nosuch', undefined],
      ['GET', '/web/reports?period=2026-Q5', undefined],
      ['GET', '/web/reports?period=custom&from=2026-05-01&to=2026-01-01', undefined],
      ['GET', '/web/reports/csv/nosuch?period=2026', undefined],
      ['GET', '/web/static/..%2f..%2fpackage.json', undefined],
      ['GET', '/web/sign-in/%00%ff', undefined],
      ['POST', '/web/disputes/rsab-nosuch/notes', { csrf: token, text: 'x' }],
      ['POST', '/web/disputes/rsab-nosuch/notes', { csrf: token, text: 'x'.repeat(5000) }],
      ['POST', '/web/sign-in', { csrf: token, email: 'x'.repeat(70_000) }],
      ['POST', '/web/sign-in', { csrf: token }, { 'content-type': 'application/json' }],
      ['POST', '/web/sign-in/abc', { csrf: 'wrong' }],
    ];
    for (const [method, url, form, headers] of attempts) {
      const response = await request(method as 'GET' | 'POST', url, form, headers);
      expect(response.statusCode, `${method} ${url}`).toBeGreaterThanOrEqual(200);
      expect(response.statusCode, `${method} ${url}`).toBeLessThan(500);
    }
    expect((await request('GET', '/web/disputes/rsab-nosuch')).statusCode).toBe(404);
    expect((await request('POST', '/web/sign-in', { csrf: token, email: 'x'.repeat(70_000) })).statusCode).toBe(413);
  });

  it('impossible dates and out-of-range periods get the form problem page (400) naming the field, never a 500', async () => {
    now = Date.now();
    const { request, signIn } = web('http://127.0.0.1:3000');
    await signIn('board-manager.rotherham@board.example.org');
    const refused: [string, string][] = [
      ['/web/overview?from=2026-02-31', 'from'],
      ['/web/overview?to=2026-02-29', 'to'],
      ['/web/reports?period=custom&from=2026-02-30&to=2026-03-01', 'from'],
      ['/web/reports?period=custom&from=2026-03-01&to=2026-04-31', 'to'],
      ['/web/reports?period=9999', 'period'],
      ['/web/reports?period=1999-Q4', 'period'],
      ['/web/reports/csv/decisions?period=custom&from=2026-02-30&to=2026-03-01', 'from'],
    ];
    for (const [url, field] of refused) {
      const response = await request('GET', url);
      expect(response.statusCode, url).toBe(400);
      expect(response.body, url).toContain('There is a problem with what was sent');
      expect(response.body, url).toContain(`${field}: `);
    }
    // A real 29 February, and the last year the calendar holds, are taken.
    expect((await request('GET', '/web/overview?from=2028-02-29')).statusCode).toBe(200);
    expect((await request('GET', '/web/reports?period=2099-Q4')).statusCode).toBe(200);
  });
});
