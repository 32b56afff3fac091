import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { OperatorKeys } from '../client/api/operator-keys';
import { buildApi } from '../client/api/server';
import { lazyRecordsStore, type LazyRecordsStore } from '../records/lazy';
import { readStoredDispute } from '../records/read';
import { temporalCliPath } from '../runtime/temporal-binaries';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { realClockContext } from './support/disputes';
import { eventually } from './support/eventually';
import { freePort, runCli } from './support/processes';
import { testMailSettings } from './support/smtp-sink';
import { testKeyRing } from './support/temporal';

// Issue 12's proof: a dispute with a known name, address and summary leaves none of them in plain
// text in the dev server's SQLite file, in its history exported as JSON or in the records store's
// PGlite folder; those entitled (the API, the CLI, the board pages, an operator through the codec
// endpoint) still read them.

const NAME = 'Ottoline Quarrington';
const EMAIL = 'ottoline.quarrington@norfolk-gp.example.org';
const ADDRESS = '27 Wisteria Lane, Diss';
const SUMMARY = `Concern about the care of the person living at ${ADDRESS}.`;
const REFERENCE = 'NCC-ZX-4471';
const REASON = `No agreement about the visits to ${ADDRESS}.`;
const SECRETS = [NAME, EMAIL, ADDRESS, SUMMARY, REFERENCE, 'Wisteria', 'Quarrington'];

let dev: DevWorker;
let api: FastifyInstance;
let base: string;
let dataDir: string;
let records: LazyRecordsStore;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'dispute-at-rest-'));
  // One process writes and reads the embedded store, as under npm start.
  records = lazyRecordsStore({ dataDir: join(dataDir, 'records') }, { keyRing: testKeyRing });
  dev = await startDevWorker({ dbFilename: join(dataDir, 'temporal.sqlite'), records: records.get });
  const port = await freePort();
  api = buildApi({
    disputes: { client: dev.env.client, taskQueue: dev.taskQueue, context: realClockContext, records: records.get },
    keys: ApiKeys.demo(realClockContext.directory).keys,
    codec: { keyRing: testKeyRing, operators: OperatorKeys.demo().keys, origins: [] },
    web: { records: (await records.get()).db, secret: 'a test secret for the board pages', mail: testMailSettings(dev.sink), publicUrl: `http://127.0.0.1:${port}` },
  });
  base = await api.listen({ host: '127.0.0.1', port });
});

afterAll(async () => {
  await api?.close();
  await dev?.close();
  await records?.close();
});

/** Every file under a folder, byte for byte. */
function filesUnder(folder: string): Buffer {
  const files: Buffer[] = [];
  const visit = (path: string): void => {
    if (statSync(path).isDirectory()) readdirSync(path).forEach((name) => visit(join(path, name)));
    else files.push(readFileSync(path));
  };
  visit(folder);
  return Buffer.concat(files);
}

/** A board page as a signed-in board member sees it: sign-in link by email, then the page (real HTTP). */
async function boardPage(email: string, path: string): Promise<string> {
  let cookie = '';
  const request = async (method: 'GET' | 'POST', url: string, form?: Record<string, string>) => {
    const response = await fetch(`${base}${url}`, {
      method,
      redirect: 'manual',
      headers: { cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const set = response.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    return response.text();
  };
  const csrf = async (url: string) => /name="csrf" value="([^"]+)"/.exec(await request('GET', url))![1]!;
  const before = dev.sink.messages.filter((message) => message.envelopeTo.includes(email)).length;
  await request('POST', '/web/sign-in', { csrf: await csrf('/web/sign-in'), email });
  const mail = await eventually(async () => dev.sink.messages.filter((message) => message.envelopeTo.includes(email)), (found) => found.length > before);
  const link = new URL(/(http\S+)/.exec(mail[mail.length - 1]!.text)![1]!).pathname;
  await request('POST', link, { csrf: await csrf(link) });
  return request('GET', path);
}

const call = async (method: string, path: string, key: string, body?: unknown) => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

const temporal = (...args: string[]) =>
  promisify(execFile)(temporalCliPath(), [...args, '--address', dev.env.address, '--namespace', 'default'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

/** Every payload's bytes in a history exported as JSON (protobuf JSON: `data` is base64). */
function payloadTexts(json: string): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.data === 'string' && record.metadata && typeof record.metadata === 'object') found.push(Buffer.from(record.data, 'base64').toString('utf8'));
    Object.values(record).forEach(visit);
  };
  visit(JSON.parse(json));
  return found;
}

describe('personal data at rest', () => {
  it('is nowhere in plain text in SQLite or the exported history, and still shows to those entitled', async () => {
    const started = await call('POST', '/disputes', 'demo-norfolk-gp', {
      policy: 'norfolk-nsab',
      concernAt: new Date().toISOString(),
      category: 'neglect',
      agencies: [
        { agencyId: 'norfolk-gp', practitioner: { name: NAME, email: EMAIL } },
        { agencyId: 'norfolk-asc', practitioner: { name: 'Robin Other', email: 'robin.other@norfolk-asc.example.org' } },
      ],
      personReference: REFERENCE,
      summary: SUMMARY,
    });
    expect(started.status).toBe(201);
    const disputeId = started.body.disputeId as string;
    expect((await call('POST', `/disputes/${disputeId}/outcome`, 'demo-norfolk-gp', { stage: 1, decision: 'unresolved', by: EMAIL, reason: REASON })).status).toBe(200);
    expect((await call('POST', `/disputes/${disputeId}/notes`, 'demo-norfolk-gp', { by: EMAIL, text: `${NAME} called.` })).status).toBe(200);
    // A failure message, kept in history: a dispute started with a broken input fails at once.
    const broken = await dev.env.client.workflow.start('dispute', { taskQueue: dev.taskQueue, workflowId: 'nsab-broken1', args: [{ disputeId: 'nsab-broken1' }] });
    const failure = await broken.result().then(
      () => '',
      (error: Error & { cause?: Error }) => error.cause?.message ?? '',
    );
    expect(failure).toMatch(/^invalid dispute: /); // the client decodes it
    await eventually(() => Promise.resolve(dev.sink.messages.length), (count) => count >= 4);

    // Those entitled still read it: the board through the API, an operator through the CLI.
    const shown = await call('GET', `/disputes/${disputeId}`, 'demo-board-norfolk-nsab');
    for (const text of [REFERENCE, EMAIL, REASON, `${NAME} called.`]) expect(JSON.stringify(shown.body)).toContain(text);
    // Its own store: `show` records the read in the access log there, never in the clone's .data/.
    const cli = await runCli(['show', disputeId], { TEMPORAL_ADDRESS: dev.env.address, TEMPORAL_TASK_QUEUE: dev.taskQueue, RECORDS_DIR: join(dataDir, 'records') });
    expect(cli.stdout).toContain(`person ${REFERENCE}`);

    // The history, exported as JSON by Temporal's own CLI: ciphertext only, failures included.
    const { stdout: exported } = await temporal('workflow', 'show', '--workflow-id', disputeId, '--output', 'json');
    const { stdout: brokenExported } = await temporal('workflow', 'show', '--workflow-id', 'nsab-broken1', '--output', 'json');
    expect(exported).toContain(disputeId);
    const stored = payloadTexts(exported);
    expect(stored.length).toBeGreaterThan(10);
    for (const text of [...SECRETS, REASON]) {
      expect(exported).not.toContain(text);
      expect(stored.some((payload) => payload.includes(text)), text).toBe(false);
    }
    expect(brokenExported).toContain('Encoded failure');
    expect(payloadTexts(brokenExported).some((payload) => payload.includes('invalid dispute'))).toBe(false);
    // … and decoded through the codec endpoint, for an operator: the same export reads in clear.
    const { stdout: decoded } = await temporal('workflow', 'show', '--workflow-id', disputeId, '--output', 'json', '--codec-endpoint', `${base}/codec`, '--codec-auth', 'Bearer demo-operator');
    const readable = payloadTexts(decoded).join('\n');
    for (const text of [SUMMARY, REFERENCE, NAME, REASON]) expect(readable).toContain(text);

    // The dev server's SQLite files, byte for byte.
    const files = readdirSync(dataDir).filter((file) => file.startsWith('temporal.sqlite'));
    const bytes = Buffer.concat(files.map((file) => readFileSync(join(dataDir, file))));
    expect(bytes.includes(Buffer.from(disputeId))).toBe(true); // the search reads what is in clear
    expect(bytes.includes(Buffer.from('sendEmails'))).toBe(true);
    for (const text of [...SECRETS, REASON, 'invalid dispute']) expect(bytes.includes(Buffer.from(text)), text).toBe(false);

    // The records store: the worker wrote the whole record, sealed; the board pages open it.
    const events = (shown.body.events as unknown[]).length;
    const record = await eventually(async () => readStoredDispute((await records.get()).db, disputeId), (found) => (found?.view.events.length ?? 0) >= events);
    expect(record?.summary).toBe(SUMMARY);
    expect(record?.view.personReference).toBe(REFERENCE);
    expect(record?.notes.map((note) => note.text)).toEqual([`${NAME} called.`]);
    const page = await boardPage('board-manager.norfolk@board.example.org', `/web/disputes/${disputeId}`);
    for (const text of [REFERENCE, `${NAME} called.`, EMAIL]) expect(page, text).toContain(text);
    await records.close(); // everything on disk
    const store = filesUnder(join(dataDir, 'records'));
    expect(store.includes(Buffer.from(disputeId))).toBe(true);
    expect(store.includes(Buffer.from('norfolk-nsab'))).toBe(true); // report fields stay in clear
    for (const text of [...SECRETS, REASON, 'Robin Other']) expect(store.includes(Buffer.from(text)), text).toBe(false);
  }, 180_000);
});
