import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { chromium } from 'playwright-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { OperatorKeys } from '../client/api/operator-keys';
import { buildApi } from '../client/api/server';
import type { Disputes } from '../client/operations';
import { AccessLog } from '../records/access-log';
import { lazyRecordsStore, type LazyRecordsStore } from '../records/lazy';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { context } from './support/disputes';
import { eventually } from './support/eventually';
import { runCli } from './support/processes';
import { testMailSettings } from './support/smtp-sink';
import { testKeyRing } from './support/temporal';
import { startPostgres, type TestPostgres } from './records/postgres';

// The access log, channel by channel, against a real dev server and worker, a real PostgreSQL
// records store, the real API, board pages, codec endpoint and CLI over real HTTP and processes.

const ASC = 'demo-rotherham-asc';
const GP = 'demo-rotherham-gp';
const BOARD_KEY = 'demo-board-rotherham-rsab';
const OFFICER = 'board-manager.rotherham@board.example.org';
const PRACTITIONER = 'jordan.oakley@rotherham-asc.example.org';
const OTHER_BOARD_OFFICER = 'board-manager.norfolk@board.example.org';
const OPERATOR_KEY = 'op-key-for-access-log-tests';
const SUMMARY = 'Disagreement about discharge planning for the access-log test.';
const REFERENCE = 'RMBC-ACCESS-1';

let postgres: TestPostgres;
let databaseUrl: string;
let store: LazyRecordsStore;
let dev: DevWorker;
let api: FastifyInstance;
let base: string;
let broken: { api: FastifyInstance; base: string; url: string; close: () => Promise<void> };
let disputeId: string;

function apiFor(disputes: Disputes, publicUrl: string, records: Awaited<ReturnType<LazyRecordsStore['get']>>) {
  return buildApi({
    disputes,
    keys: ApiKeys.demo(context.directory).keys,
    web: { records: records.db, secret: 'a test secret for the access log', mail: testMailSettings(dev.sink), publicUrl },
    codec: {
      keyRing: testKeyRing,
      operators: OperatorKeys.parse(`operators:\n  - { name: "Casey On-call", sha256: ${OperatorKeys.hash(OPERATOR_KEY)} }\n`, 'OPERATOR_KEYS'),
      origins: [],
    },
  });
}

beforeAll(async () => {
  postgres = await startPostgres();
  databaseUrl = await postgres.database();
  store = lazyRecordsStore({ databaseUrl }, { keyRing: testKeyRing });
  dev = await startDevWorker({ records: store.get });
  const disputes: Disputes = { client: dev.env.client, taskQueue: dev.taskQueue, context, records: store.get, accessLog: new AccessLog(store.get, testKeyRing) };
  api = apiFor(disputes, 'http://127.0.0.1', await store.get());
  base = await api.listen({ host: '127.0.0.1', port: 0 });

  // The same service whose access log cannot be written: its table is gone from its database.
  const brokenUrl = await postgres.database();
  const brokenStore = lazyRecordsStore({ databaseUrl: brokenUrl }, { keyRing: testKeyRing });
  await sql`drop table access_log`.execute((await brokenStore.get()).db);
  const brokenApi = apiFor({ ...disputes, accessLog: new AccessLog(brokenStore.get, testKeyRing) }, 'http://127.0.0.1', await store.get());
  broken = { api: brokenApi, base: await brokenApi.listen({ host: '127.0.0.1', port: 0 }), url: brokenUrl, close: () => brokenStore.close() };

  const started = await call(base, 'POST', '/disputes', ASC, {
    policy: 'rotherham-rsab',
    concernAt: new Date().toISOString(),
    category: 'neglect',
    agencies: [
      { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: 'pat.raiser@rotherham-asc.example.org' } },
      { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: 'robin.other@rotherham-nhs.example.org' } },
    ],
    personReference: REFERENCE,
    summary: SUMMARY,
  });
  expect(started.status).toBe(201);
  disputeId = (started.body as { disputeId: string }).disputeId;
  // The board pages read the store: wait for the worker to have written the dispute there.
  await eventually(async () => (await store.get()).db.selectFrom('disputes').select('dispute_id').where('dispute_id', '=', disputeId).executeTakeFirst(), Boolean);
}, 120_000);

afterAll(async () => {
  await broken?.api.close();
  await broken?.close();
  await api?.close();
  await dev?.close();
  await store?.close();
  await postgres?.destroy();
});

async function call(at: string, method: string, path: string, key: string | null, body?: unknown) {
  const response = await fetch(`${at}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? (JSON.parse(text) as unknown) : null };
}

/** The log's rows for the dispute as stored, oldest first. */
async function rows(id: string | null = disputeId) {
  const { db } = await store.get();
  const select = db.selectFrom('access_log').selectAll().orderBy('at').orderBy('id');
  return id === null ? select.where('dispute_id', 'is', null).execute() : select.where('dispute_id', '=', id).execute();
}

const log = () => new AccessLog(store.get, testKeyRing).read(disputeId);

/** A person on the board pages over real HTTP: a cookie jar, the CSRF token, sign-in by the emailed link. */
function person(at: string) {
  let cookie = '';
  const request = async (method: 'GET' | 'POST', path: string, form?: Record<string, string>) => {
    const response = await fetch(`${at}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!.endsWith('=') ? '' : set.split(';')[0]!;
    return { status: response.status, body: await response.text() };
  };
  const csrf = async (path: string) => /name="csrf" value="([^"]+)"/.exec((await request('GET', path)).body)![1]!;
  return {
    request,
    cookie: () => cookie,
    async signIn(email: string) {
      const mine = () => dev.sink.messages.filter((message) => message.envelopeTo.includes(email) && /sign-in link/.test(message.subject));
      const before = mine().length;
      await request('POST', '/web/sign-in', { csrf: await csrf('/web/sign-in'), email });
      const mail = await eventually(async () => mine(), (found) => found.length > before);
      const path = new URL(/(http\S+\/web\/sign-in\/\S+)/.exec(mail[mail.length - 1]!.text)![1]!).pathname;
      const done = await request('POST', path, { csrf: await csrf(path) });
      expect(done.status).toBe(303);
    },
  };
}

const payloadJson = (payload: { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

/** The payloads the Web UI would send for the dispute's history: the start input (names the dispute) and a note's update input (names none). */
async function historyPayloads() {
  const history = await dev.env.client.workflowService.getWorkflowExecutionHistory({ namespace: dev.env.namespace ?? 'default', execution: { workflowId: disputeId } });
  const events = history.history?.events ?? [];
  const input = events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads!.map(payloadJson);
  const note = events.find((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'addNote');
  return { input, note: note ? note.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!.payloads!.map(payloadJson) : null };
}

describe('the access log', () => {
  it('the API: a read by an agency key is one entry, its reader sealed; a refused read is not recorded and shows no log', async () => {
    const before = (await rows()).length;
    const shown = await call(base, 'GET', `/disputes/${disputeId}`, ASC);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(REFERENCE);
    const after = await rows();
    expect(after).toHaveLength(before + 1);
    const entry = after[after.length - 1]!;
    expect(entry).toMatchObject({ dispute_id: disputeId, channel: 'api', action: 'show', who_kind: 'agency-key', detail: null });
    // Staff are personal data too: the reader is sealed in the store, opened only for the log's readers.
    expect(entry.who).toMatch(/^test-2:[A-Za-z0-9_-]+$/);
    expect(entry.who).not.toContain('rotherham-asc');
    expect((await log()).entries[0]).toMatchObject({ channel: 'api', action: 'show', whoKind: 'agency-key', who: expect.stringMatching(/ \(rotherham-asc\)$/) });

    // An agency not party to it, and another board's key: 404, nothing recorded, nothing of the log shown.
    const refused = await call(base, 'GET', `/disputes/${disputeId}`, GP);
    expect(refused.status).toBe(404);
    expect((await call(base, 'GET', `/disputes/${disputeId}`, 'demo-board-leeds-sab')).status).toBe(404);
    expect(await rows()).toHaveLength(before + 1);
    expect(refused.text).not.toMatch(/api|agency-key|access/i);
    // No caller of the API reads the log: agencies never see other readers.
    expect((await call(base, 'GET', `/disputes/${disputeId}/access-log`, ASC)).status).toBe(404);
    expect((await call(base, 'GET', `/disputes/${disputeId}/access-log`, BOARD_KEY)).status).toBe(404);
    expect(shown.text).not.toContain('agency-key');
  });

  it('the API: a list shows report fields only and is one entry for the call, with no dispute', async () => {
    const before = (await rows(null)).filter((row) => row.channel === 'api').length;
    const listed = await call(base, 'GET', '/disputes?board=rotherham-rsab', BOARD_KEY);
    expect(listed.status).toBe(200);
    expect(listed.text).toContain(disputeId);
    expect(listed.text).not.toContain(REFERENCE);
    const lists = (await rows(null)).filter((row) => row.channel === 'api');
    expect(lists).toHaveLength(before + 1);
    expect(lists[lists.length - 1]).toMatchObject({ action: 'list', who_kind: 'board-key', detail: expect.stringMatching(/^\d+ dispute\(s\), report fields only$/) });
  });

  it('the board pages: each read is recorded; the board’s officer sees the log, an agency’s people and another board’s officer do not', async () => {
    const officer = person(base);
    await officer.signIn(OFFICER);
    const page = await officer.request('GET', `/web/disputes/${disputeId}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(SUMMARY);
    expect(page.body).toContain(`/web/disputes/${disputeId}/access-log`);
    const seen = await officer.request('GET', `/web/disputes/${disputeId}/access-log`);
    expect(seen.status).toBe(200);
    // Its own read, and the agency key's through the API, named and opened.
    expect(seen.body).toContain(`Alex Ashworth &lt;${OFFICER}&gt;`);
    expect(seen.body).toContain('board officer');
    expect(seen.body).toContain('(rotherham-asc)');
    expect(seen.body).toContain('an agency’s API key');
    expect(seen.body).not.toContain(SUMMARY);
    expect((await log()).entries[0]).toMatchObject({ channel: 'web', action: 'show', whoKind: 'officer', who: `Alex Ashworth <${OFFICER}>` });

    // The board's log shows report fields only: one entry for the page, without a dispute.
    const listsBefore = (await rows(null)).filter((row) => row.channel === 'web').length;
    expect((await officer.request('GET', '/web/overview')).status).toBe(200);
    const lists = (await rows(null)).filter((row) => row.channel === 'web');
    expect(lists).toHaveLength(listsBefore + 1);
    expect(lists[lists.length - 1]).toMatchObject({ action: 'list', who_kind: 'officer', detail: expect.stringMatching(/^\d+ dispute\(s\) of rotherham-rsab, report fields only$/) });

    const practitioner = person(base);
    await practitioner.signIn(PRACTITIONER);
    const theirs = await practitioner.request('GET', `/web/disputes/${disputeId}`);
    expect(theirs.status).toBe(200);
    expect(theirs.body).toContain(SUMMARY);
    expect(theirs.body).not.toContain(`/web/disputes/${disputeId}/access-log`);
    expect((await log()).entries[0]).toMatchObject({ channel: 'web', action: 'show', whoKind: 'agency-person', who: expect.stringContaining(PRACTITIONER) });
    const refused = await practitioner.request('GET', `/web/disputes/${disputeId}/access-log`);
    expect(refused.status).toBe(404);
    expect(refused.body).not.toContain(OFFICER);

    const before = (await rows()).length;
    const stranger = person(base);
    await stranger.signIn(OTHER_BOARD_OFFICER);
    expect((await stranger.request('GET', `/web/disputes/${disputeId}`)).status).toBe(404);
    const strangers = await stranger.request('GET', `/web/disputes/${disputeId}/access-log`);
    expect(strangers.status).toBe(404);
    expect(strangers.body).not.toContain(OFFICER);
    expect(await rows()).toHaveLength(before);
  });

  it('the officer’s access-log page in a real browser: WCAG 2.2 AA by axe-core', async () => {
    const officer = person(base);
    await officer.signIn(OFFICER);
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      // bypassCSP: axe-core is injected as an inline script, which the pages' policy refuses.
      const browserContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
      const [name, value] = officer.cookie().split('=') as [string, string];
      await browserContext.addCookies([{ name, value, url: base }]);
      const page = await browserContext.newPage();
      await page.goto(`${base}/web/disputes/${disputeId}`);
      await page.getByRole('link', { name: 'Who has read this dispute (access log)' }).click();
      await page.waitForURL(`${base}/web/disputes/${disputeId}/access-log`);
      await expect(page.getByRole('heading', { name: `Who has read dispute ${disputeId}` }).isVisible()).resolves.toBe(true);
      await expect(page.locator('#access-log tbody tr').first().textContent()).resolves.toContain('Alex Ashworth');
      await page.addScriptTag({ content: readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8') });
      const result = (await page.evaluate(
        `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })`,
      )) as { violations: { id: string; nodes: { target: unknown }[] }[] };
      expect(result.violations.map((violation) => `${violation.id}: ${JSON.stringify(violation.nodes.map((node) => node.target))}`)).toEqual([]);
      mkdirSync('test-output', { recursive: true });
      await page.screenshot({ path: 'test-output/access-log.png', fullPage: true });
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('the codec: a decode by an operator key is recorded against the dispute its payloads name; without a key nothing is decoded or recorded', async () => {
    expect((await call(base, 'POST', `/disputes/${disputeId}/notes`, ASC, { by: 'pat.raiser@rotherham-asc.example.org', text: 'Called the ward.' })).status).toBe(200);
    const { input, note } = await historyPayloads();
    expect(note).not.toBeNull();
    const before = (await rows()).length;
    const unnamedBefore = (await rows(null)).filter((row) => row.channel === 'codec').length;

    const anonymous = await call(base, 'POST', '/codec/decode', null, { payloads: input });
    expect(anonymous.status).toBe(401);
    expect((anonymous.body as { payloads: unknown }).payloads).toEqual(input);
    expect(anonymous.text).not.toContain(Buffer.from(SUMMARY).toString('base64').slice(0, 24));
    expect(await rows()).toHaveLength(before);

    const decoded = await call(base, 'POST', `/codec/operator/${OPERATOR_KEY}/decode`, null, { payloads: input });
    expect(decoded.status).toBe(200);
    expect(Buffer.from((decoded.body as { payloads: { data: string }[] }).payloads[0]!.data, 'base64').toString()).toContain(SUMMARY);
    const after = await rows();
    expect(after).toHaveLength(before + 1);
    expect(after[after.length - 1]).toMatchObject({ dispute_id: disputeId, channel: 'codec', action: 'decode', who_kind: 'operator', detail: '1 of 1 payload(s) opened' });
    expect((await log()).entries[0]).toMatchObject({ channel: 'codec', who: 'Casey On-call' });

    // A note's update input names no dispute: recorded without one, with the operator and the count.
    const unnamed = await call(base, 'POST', '/codec/decode', OPERATOR_KEY, { payloads: note });
    expect(unnamed.status).toBe(200);
    expect(await rows()).toHaveLength(before + 1);
    const codecUnnamed = (await rows(null)).filter((row) => row.channel === 'codec');
    expect(codecUnnamed).toHaveLength(unnamedBefore + 1);
    expect(codecUnnamed[codecUnnamed.length - 1]).toMatchObject({ action: 'decode', who_kind: 'operator', detail: '1 of 1 payload(s) opened name no dispute' });
  });

  const cliEnv = () => ({ TEMPORAL_ADDRESS: dev.env.address, TEMPORAL_NAMESPACE: dev.env.namespace, TEMPORAL_TASK_QUEUE: dev.taskQueue, DATABASE_URL: databaseUrl, DISPUTE_OPERATOR: 'Sam Operator' });

  it('the CLI: show, list and a JSON export are recorded with the operator’s name', async () => {
    const env = cliEnv();
    const shown = await runCli(['show', disputeId], env);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toContain(REFERENCE);
    expect((await log()).entries[0]).toMatchObject({ channel: 'cli', action: 'show', whoKind: 'cli-user', who: 'Sam Operator' });

    const exported = await runCli(['records', 'export', '--board', 'rotherham-rsab', '--format', 'json'], { ...env, DISPUTE_OPERATOR: 'Ali Analyst' });
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(SUMMARY);
    expect((await log()).entries[0]).toMatchObject({ channel: 'export', action: 'export', whoKind: 'cli-user', who: 'Ali Analyst', detail: 'rotherham-rsab: json, whole record' });

    const cliLists = async () => (await rows(null)).filter((row) => row.channel === 'cli');
    const listsBefore = (await cliLists()).length;
    expect((await runCli(['list', '--board', 'rotherham-rsab', '--json'], env)).code).toBe(0);
    expect((await cliLists()).slice(listsBefore)).toMatchObject([{ action: 'list', who_kind: 'cli-user', detail: expect.stringMatching(/report fields only$/) }]);
  }, 120_000);

  it('the CLI: without DISPUTE_OPERATOR the OS user at this host; `records access-log` prints the log', async () => {
    const env = cliEnv();
    // Without DISPUTE_OPERATOR, the OS user at this host.
    const { DISPUTE_OPERATOR: _named, ...unnamed } = env;
    expect((await runCli(['show', disputeId, '--json'], unnamed)).code).toBe(0);
    expect((await log()).entries[0]!.who).toMatch(/^[^@\s]+@\S+$/);

    const printed = await runCli(['records', 'access-log', '--dispute', disputeId], env);
    expect(printed.stderr).toBe('');
    const lines = printed.stdout.trim().split('\n');
    expect(lines).toHaveLength((await rows()).length);
    expect(lines[2]).toMatch(/ (GMT|BST) +cli +show +Sam Operator \(cli-user\)$/);
    expect(printed.stdout).toMatch(/ api +show +.*\(rotherham-asc\) \(agency-key\)/);
    expect(printed.stdout).toMatch(/ web +show +Alex Ashworth <board-manager\.rotherham@board\.example\.org> \(officer\)/);
    expect(printed.stdout).toMatch(/ codec +decode +Casey On-call \(operator\) +1 of 1 payload\(s\) opened/);
    const json = JSON.parse((await runCli(['records', 'access-log', '--dispute', disputeId, '--json'], env)).stdout) as { total: number; entries: unknown[] };
    expect(json.total).toBe(lines.length);
    expect(json.entries).toHaveLength(lines.length);

    const bad = await runCli(['records', 'access-log'], env);
    expect(bad).toMatchObject({ code: 2, stderr: 'dispute: --dispute: is needed\n' });
  }, 120_000);

  it('a read whose entry cannot be written is refused (503) and shows nothing', async () => {
    const shown = await call(broken.base, 'GET', `/disputes/${disputeId}`, ASC);
    expect(shown.status).toBe(503);
    expect(shown.body).toMatchObject({ error: 'unavailable', message: expect.stringContaining('access log') });
    expect(shown.text).not.toContain(REFERENCE);

    const { input } = await historyPayloads();
    const decoded = await call(broken.base, 'POST', '/codec/decode', OPERATOR_KEY, { payloads: input });
    expect(decoded.status).toBe(503);
    expect((decoded.body as { payloads: unknown }).payloads).toEqual(input);

    const officer = person(broken.base);
    await officer.signIn(OFFICER);
    const page = await officer.request('GET', `/web/disputes/${disputeId}`);
    expect(page.status).toBe(503);
    expect(page.body).not.toContain(SUMMARY);

    const cli = await runCli(['show', disputeId], { TEMPORAL_ADDRESS: dev.env.address, TEMPORAL_NAMESPACE: dev.env.namespace, TEMPORAL_TASK_QUEUE: dev.taskQueue, DATABASE_URL: broken.url, DISPUTE_OPERATOR: 'Sam Operator' });
    expect(cli.code).toBe(2);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toMatch(/^dispute: unavailable: the access log cannot be written just now, so nothing is shown; try again shortly: .*access_log/);
    // A CLI user who cannot be named is refused before anything is read.
    const unnamed = await runCli(['show', disputeId], { TEMPORAL_ADDRESS: dev.env.address, TEMPORAL_NAMESPACE: dev.env.namespace, DATABASE_URL: databaseUrl, DISPUTE_OPERATOR: '  ' });
    expect(unnamed).toMatchObject({ code: 2, stdout: '', stderr: "dispute: DISPUTE_OPERATOR: is empty; expected the operator's name\n" });
  }, 60_000);

  it('the reader is bound to its entry: a sealed reader moved onto another entry does not open', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const [first, second] = (await client.query<{ id: string; who: string }>('select id, who from access_log where dispute_id = $1 order by at limit 2', [disputeId])).rows;
      await client.query('update access_log set who = $1 where id = $2', [first!.who, second!.id]);
      const moved = (await log()).entries.find((entry) => entry.who.startsWith('(sealed'));
      expect(moved?.who).toBe('(sealed; it does not open with this key ring)');
    } finally {
      await client.end();
    }
  });
});
