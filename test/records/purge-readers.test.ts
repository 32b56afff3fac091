import { testKeyRing } from '../support/temporal';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../client/api/keys';
import { buildApi } from '../../client/api/server';
import { exportRecords } from '../../records/export';
import { openRecordsStore, type RecordsStore } from '../../records/open';
import { eraseDisputes } from '../../records/purge';
import { saveRecord } from '../../records/write';
import { context } from '../support/disputes';
import { eventually } from '../support/eventually';
import { startSmtpSink, testMailSettings, type SmtpSink } from '../support/smtp-sink';
import { sampleWrite } from './sample';

// An erased record is still a record: the board pages and the JSON export show its facts and mark
// its personal fields erased, without failing. (The API and `dispute show` are in purge-schedule.test.ts.)

let sink: SmtpSink;
let store: RecordsStore;
let app: FastifyInstance;
const personal = ['RMBC-000123', 'Disagreement about discharge planning', 'pat.raiser@', 'robin.other@', 'bethan.carver@', 'A joint review on Friday', 'Called the ward', 'No agreement on the care plan', 'Reference RMBC'];

beforeAll(async () => {
  sink = await startSmtpSink();
  store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
  await saveRecord(store.db, sampleWrite({ id: 'rsab-erased-page', base: '2019-01-10T10:30:00.000Z' }));
  await eraseDisputes(store.db, ['rsab-erased-page'], new Date('2025-01-11T02:30:00.000Z'));
  app = buildApi({
    disputes: { client: undefined as never, taskQueue: 'none', context },
    keys: ApiKeys.demo(context.directory).keys,
    web: { records: store.db, secret: 'a test secret for the purge pages', mail: testMailSettings(sink), publicUrl: 'http://127.0.0.1:3000' },
  });
});
afterAll(async () => {
  await app?.close();
  await store?.close();
  await sink?.close();
});

describe('an erased record, read back', () => {
  it('the board page shows its stages and decisions with the personal fields erased', async () => {
    let cookie = '';
    const request = async (method: 'GET' | 'POST', url: string, form?: Record<string, string>) => {
      const response = await app.inject({ method, url, headers: { cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, ...(form ? { payload: new URLSearchParams(form).toString() } : {}) });
      const set = response.headers['set-cookie'];
      if (set) cookie = String(set).split(';')[0]!;
      return response;
    };
    const csrf = async (url: string) => /name="csrf" value="([^"]+)"/.exec((await request('GET', url)).body)![1]!;
    const email = 'board-manager.rotherham@board.example.org';
    await request('POST', '/web/sign-in', { csrf: await csrf('/web/sign-in'), email });
    const mail = await eventually(async () => sink.messages.filter((message) => message.envelopeTo.includes(email)), (found) => found.length > 0);
    const path = new URL(/(http\S+)/.exec(mail[0]!.text)![1]!).pathname;
    await request('POST', path, { csrf: await csrf(path) });

    const page = await request('GET', '/web/disputes/rsab-erased-page');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Dispute rsab-erased-page');
    expect(page.body).toMatch(/Person’s reference\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*\[erased\]/);
    expect(page.body).toContain('Stage 2: '); // the timeline, from the facts kept
    expect(page.body).toMatch(/<td class="govuk-table__cell">unresolved<\/td><td class="govuk-table__cell">\[erased\]<\/td>/);
    for (const word of personal) expect(page.body).not.toContain(word);
  });

  it('the JSON export gives the record with when it was erased and nothing personal', async () => {
    let json = '';
    await exportRecords(store.db, { board: 'rotherham-rsab', format: 'json' }, (chunk) => void (json += chunk));
    const [record] = JSON.parse(json) as Record<string, unknown>[];
    expect(record).toMatchObject({ disputeId: 'rsab-erased-page', erasedAt: '2025-01-11T02:30:00.000Z', personReference: '[erased]', summary: '[erased]', outcome: 'resolved', status: 'resolved' });
    for (const word of personal) expect(json).not.toContain(word);
  });
});
