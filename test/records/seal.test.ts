import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordWrite } from '../../activities/records/types';
import { recordsExport } from '../../client/cli/records';
import { exportSubjectAccess } from '../../records/export';
import { migrations } from '../../records/migrations';
import { openRecordsStore, type RecordsStore } from '../../records/open';
import { personalColumns } from '../../records/personal-columns';
import { listRecords, readStoredDispute } from '../../records/read';
import { reportFigures } from '../../records/reports';
import { PersonalSealError } from '../../records/seal';
import { saveRecord } from '../../records/write';
import { KeyRing } from '../../runtime/key-ring';
import { createCalendar } from '../../policies/calendar';
import { startPostgres, type TestPostgres } from './postgres';
import { sampleWrite } from './sample';
import { testKeyRing } from '../support/temporal';

// The store's personal fields are sealed under the key ring: raw SQL and the store's files show no
// plain text, the store's readers give it back, a value moved or altered does not open, a store
// written before sealing is read and then sealed, and reports need no key.

/** What the sample write holds in plain text (records/personal-columns.ts's columns). */
const PLAIN = [
  'RMBC-000123',
  'Disagreement about discharge planning.',
  'pat.raiser@rotherham-asc.example.org',
  'robin.other@rotherham-nhs.example.org',
  'Called the ward',
  'No agreement on the care plan.',
  'A joint review on Friday.',
  'Pat Raiser',
  'pat@rotherham-asc.example.org',
  'Reference RMBC-000123',
];
const SEALED = /^[A-Za-z0-9._-]{1,64}:[A-Za-z0-9_-]{38,}$/;

/** Every row of every table holding personal columns, as PostgreSQL prints it. */
async function rawRows(store: RecordsStore): Promise<string> {
  const rows: string[] = [];
  for (const table of Object.keys(personalColumns)) {
    const found = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t`.execute(store.db).catch(() => null);
    rows.push(...(found?.rows.map((row) => row.row) ?? []));
  }
  return rows.join('\n');
}

/** Each personal value, raw, with where it sits. */
async function personalValues(store: RecordsStore): Promise<{ where: string; value: string }[]> {
  const values: { where: string; value: string }[] = [];
  for (const [table, columns] of Object.entries(personalColumns)) {
    for (const column of columns) {
      const found = await sql<{ value: string | null }>`select ${sql.ref(column)}::text as value from ${sql.table(table)}`.execute(store.db);
      for (const row of found.rows) if (row.value !== null) values.push({ where: `${table}.${column}`, value: row.value });
    }
  }
  return values;
}

function filesUnder(folder: string): Buffer {
  const files: Buffer[] = [];
  const visit = (path: string): void => {
    if (statSync(path).isDirectory()) readdirSync(path).forEach((name) => visit(join(path, name)));
    else files.push(readFileSync(path));
  };
  visit(folder);
  return Buffer.concat(files);
}

const expectedView = (write: RecordWrite) => ({ ...write.row.view, events: write.events });

describe('personal fields sealed in the records store', () => {
  it('a write is sealed column by column (raw SQL shows no plain text) and reads back whole', async () => {
    const store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
    try {
      const write = sampleWrite();
      await saveRecord(store.db, write);
      const raw = await rawRows(store);
      expect(raw).toContain('rsab-sample'); // the search reads what is in clear
      for (const text of PLAIN) expect(raw, text).not.toContain(text);
      const values = await personalValues(store);
      expect(values.length).toBeGreaterThan(20);
      for (const { where, value } of values) expect(value, where).toMatch(SEALED);
      expect(values.every(({ value }) => value.startsWith(`${testKeyRing.currentKeyId}:`))).toBe(true);
      const stored = await readStoredDispute(store.db, 'rsab-sample');
      expect(stored?.view).toEqual(expectedView(write));
      expect(stored?.summary).toBe('Disagreement about discharge planning.');
      expect(stored?.notes).toEqual([{ seq: 4, at: write.events[3]!.at, by: 'pat.raiser@rotherham-asc.example.org', text: 'Called the ward, "urgent", ok.' }]);
      expect(stored?.form?.fields).toEqual(write.row.form!.fields);
    } finally {
      await store.close();
    }
  });

  it('a sealed value moved to another dispute or column, or altered, is refused, naming the field and not its value', async () => {
    const store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
    try {
      await saveRecord(store.db, sampleWrite({ id: 'rsab-one' }));
      await saveRecord(store.db, sampleWrite({ id: 'rsab-two', summary: 'Another summary.' }));
      const summaryOf = async (id: string) => (await store.db.selectFrom('dispute_personal').select('summary').where('dispute_id', '=', id).executeTakeFirstOrThrow()).summary!;
      const one = await summaryOf('rsab-one');

      // Copied into another dispute's row.
      await store.db.updateTable('dispute_personal').set({ summary: one }).where('dispute_id', '=', 'rsab-two').execute();
      await expect(readStoredDispute(store.db, 'rsab-two')).rejects.toThrow(PersonalSealError);
      await expect(readStoredDispute(store.db, 'rsab-two')).rejects.toThrow(/^dispute_personal\.summary of dispute rsab-two: .*does not authenticate/);

      // Copied into another column of the same row.
      await saveRecord(store.db, sampleWrite({ id: 'rsab-three' }));
      const three = await summaryOf('rsab-three');
      await store.db.updateTable('dispute_personal').set({ agreed_actions: three }).where('dispute_id', '=', 'rsab-three').execute();
      await expect(readStoredDispute(store.db, 'rsab-three')).rejects.toThrow(/^dispute_personal\.agreed_actions of dispute rsab-three: /);

      // One character of the ciphertext changed.
      const tail = one.at(-5) === 'A' ? 'B' : 'A';
      await store.db.updateTable('dispute_personal').set({ summary: `${one.slice(0, -5)}${tail}${one.slice(-4)}` }).where('dispute_id', '=', 'rsab-one').execute();
      const error = await readStoredDispute(store.db, 'rsab-one').catch((caught: Error) => caught);
      expect(error).toBeInstanceOf(PersonalSealError);
      expect((error as Error).message).not.toContain('Disagreement');
    } finally {
      await store.close();
    }
  });

  it('key rotation: values sealed under the old key open while it is in the ring; new writes use the new key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dispute-seal-rotation-'));
    const oldLine = KeyRing.newLine('records-2025');
    const newLine = KeyRing.newLine('records-2026');
    try {
      const before = await openRecordsStore({ dataDir: dir }, { keyRing: KeyRing.parse(oldLine, 'PAYLOAD_KEYS') });
      await saveRecord(before.db, sampleWrite({ id: 'rsab-before' }));
      await before.close();

      const rotated = await openRecordsStore({ dataDir: dir }, { keyRing: KeyRing.parse(`${newLine}\n${oldLine}`, 'PAYLOAD_KEYS') });
      await saveRecord(rotated.db, sampleWrite({ id: 'rsab-after' }));
      expect((await readStoredDispute(rotated.db, 'rsab-before'))?.summary).toBe('Disagreement about discharge planning.');
      expect((await readStoredDispute(rotated.db, 'rsab-after'))?.summary).toBe('Disagreement about discharge planning.');
      const keys = await sql<{ dispute_id: string; key: string }>`select dispute_id, split_part(summary, ':', 1) as key from dispute_personal order by dispute_id`.execute(rotated.db);
      expect(keys.rows).toEqual([
        { dispute_id: 'rsab-after', key: 'records-2026' },
        { dispute_id: 'rsab-before', key: 'records-2025' },
      ]);
      await rotated.close();

      // The old key taken out of the ring too soon: its records no longer open, and the message says which key.
      const withoutOld = await openRecordsStore({ dataDir: dir }, { keyRing: KeyRing.parse(newLine, 'PAYLOAD_KEYS') });
      await expect(readStoredDispute(withoutOld.db, 'rsab-before')).rejects.toThrow(/sealed under key 'records-2025', which is not in the key ring/);
      expect((await readStoredDispute(withoutOld.db, 'rsab-after'))?.view.personReference).toBe('RMBC-000123');
      await withoutOld.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports, lists and the CSV export need no key; whole records and writes are refused without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dispute-seal-reports-'));
    const calendar = createCalendar({ division: 'england-and-wales' });
    const period = { board: 'rotherham-rsab', from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') };
    try {
      const keyed = await openRecordsStore({ dataDir: dir }, { keyRing: testKeyRing });
      for (let n = 0; n < 4; n += 1) await saveRecord(keyed.db, sampleWrite({ id: `rsab-r${n}`, events: n % 2 ? 8 : 6, base: `2026-03-0${n + 2}T10:00:00.000Z` }));
      const withKey = await reportFigures(keyed.db, period, calendar);
      const listWithKey = await listRecords(keyed.db, { board: 'rotherham-rsab', limit: 10, page: 1 });
      await keyed.close();

      const keyless = await openRecordsStore({ dataDir: dir }, { keyRing: null });
      try {
        expect(withKey.raised).toBe(4);
        expect(await reportFigures(keyless.db, period, calendar)).toEqual(withKey);
        expect(await listRecords(keyless.db, { board: 'rotherham-rsab', limit: 10, page: 1 })).toEqual(listWithKey);
        const out: string[] = [];
        expect(await recordsExport(async () => keyless, { board: 'rotherham-rsab', format: 'csv' }, (text) => out.push(text))).toBe(4);
        await expect(readStoredDispute(keyless.db, 'rsab-r1')).rejects.toThrow(/opened without the key ring/);
        await expect(saveRecord(keyless.db, sampleWrite({ id: 'rsab-r9' }))).rejects.toThrow(/opened without the key ring/);
        expect((await listRecords(keyless.db, { limit: 10, page: 1 })).total).toBe(4); // nothing half-written
      } finally {
        await keyless.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// -----------------------------------------------------------------------------------------------
// A store written before sealing.

/** The rows the writer before migration 0002 wrote: the same tables, personal fields in plain text. */
async function writeAsBefore(db: Kysely<any>, write: RecordWrite): Promise<void> {
  const { view } = write.row;
  const id = view.disputeId;
  await db
    .insertInto('disputes')
    .values({
      dispute_id: id, board: view.board, policy_id: view.policy.id, policy_version: view.policy.version, category: view.category, risk: view.risk,
      status: view.status, outcome: view.status === 'open' ? null : view.status, stage: view.stage, tier: view.tier, concern_at: view.concernAt,
      concern_at_given: view.concernAt, started_at: write.row.startedAt, entered_stage_at: view.enteredStageAt, start_by: null,
      conclude_by: view.deadlines.concludeBy, escalate_at: null, remind_at: view.deadlines.remindAt, deadline: null, closed_at: write.row.closedAt,
      working_days: write.row.timeTaken?.workingDays ?? null, calendar_days: write.row.timeTaken?.calendarDays ?? null,
      agencies: JSON.stringify(view.agencies.map((agency) => agency.id)), last_seq: write.lastSeq,
    })
    .execute();
  await db.insertInto('dispute_personal').values({ dispute_id: id, person_reference: view.personReference, summary: write.row.summary, agreed_actions: write.row.agreedActions, awaiting: JSON.stringify(view.awaiting) }).execute();
  await db.insertInto('dispute_agencies').values(view.agencies.map((agency, position) => ({ dispute_id: id, position, agency_id: agency.id, name: agency.name, raising: agency.raising, people: JSON.stringify(agency.people) }))).execute();
  await db
    .insertInto('dispute_events')
    .values(write.events.map(({ seq, at, stage, ...data }) => ({ dispute_id: id, seq, at, stage, type: data.type, by: data.by ?? null, data: JSON.stringify(data) })))
    .execute();
  for (const event of write.events) {
    if (event.type === 'outcome') await db.insertInto('dispute_decisions').values({ dispute_id: id, seq: event.seq, stage: event.stage, decision: event.decision, at: event.at, by: event.by ?? '', text: event.agreedActions ?? event.reason ?? '' }).execute();
    if (event.type === 'note') await db.insertInto('dispute_notes').values({ dispute_id: id, seq: event.seq, at: event.at, by: event.by ?? '', text: event.text }).execute();
  }
  await db.insertInto('dispute_forms').values({ dispute_id: id, name: write.row.form!.name, reference: write.row.form!.reference, fields: JSON.stringify(write.row.form!.fields) }).execute();
}

describe('a store written before sealing', () => {
  it('is read as it is, counted in reports, and sealed at the first open with the key, plain copies gone from its files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dispute-seal-legacy-'));
    const writes = [sampleWrite({ id: 'rsab-legacy1' }), sampleWrite({ id: 'rsab-legacy2', events: 6, base: '2026-03-28T10:30:00.000Z' })];
    // A deadline missed, as reports count it from the event's data before 0002.
    writes[1]!.events.push({ seq: 7, at: '2026-03-30T10:30:00.000Z', stage: 2, type: 'stage-entered', reason: 'deadline', deadline: null });
    writes[1]!.lastSeq = 7;
    try {
      const pglite = await PGlite.create(dir);
      const before = new Kysely<any>({ dialect: new PGliteDialect(pglite) });
      const migrated = await new Migrator({ db: before, provider: { getMigrations: async () => ({ '0001-disputes': migrations['0001-disputes']! }) } }).migrateToLatest();
      expect(migrated.error).toBeUndefined();
      for (const write of writes) await writeAsBefore(before, write);
      await before.destroy();

      // Opened for reports, without the key: migrated, counted, not yet sealed, still readable.
      const keyless = await openRecordsStore({ dataDir: dir }, { keyRing: null });
      const figures = await reportFigures(keyless.db, { board: 'rotherham-rsab', from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') }, createCalendar({ division: 'england-and-wales' }));
      expect(figures.raised).toBe(2);
      expect(figures.deadlinesPassed).toBe(1);
      expect((await readStoredDispute(keyless.db, 'rsab-legacy1'))?.view).toEqual(expectedView(writes[0]!));
      expect(await rawRows(keyless)).toContain('Disagreement about discharge planning.');
      await keyless.close();

      // Opened with the key: sealed in place, read back the same, nothing left pending.
      const keyed = await openRecordsStore({ dataDir: dir }, { keyRing: testKeyRing });
      const raw = await rawRows(keyed);
      for (const text of PLAIN) expect(raw, text).not.toContain(text);
      for (const { where, value } of await personalValues(keyed)) expect(value, where).toMatch(SEALED);
      expect((await readStoredDispute(keyed.db, 'rsab-legacy1'))?.view).toEqual(expectedView(writes[0]!));
      const second = await readStoredDispute(keyed.db, 'rsab-legacy2');
      expect(second?.view).toEqual(expectedView(writes[1]!));
      expect(second?.notes.map((note) => note.text)).toEqual(['Called the ward, "urgent", ok.']);
      expect(await keyed.db.selectFrom('sealing_pending').selectAll().execute()).toEqual([]);
      await keyed.close();

      const files = filesUnder(dir);
      expect(files.includes(Buffer.from('rsab-legacy1'))).toBe(true);
      for (const text of PLAIN) expect(files.includes(Buffer.from(text)), text).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

// -----------------------------------------------------------------------------------------------
// Subject access.

describe('subject access export', () => {
  let store: RecordsStore;
  beforeAll(async () => {
    store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
    await saveRecord(store.db, sampleWrite({ id: 'rsab-sar1', personReference: 'RMBC-000123' }));
    await saveRecord(store.db, sampleWrite({ id: 'rsab-sar2', personReference: ' rmbc-000123', events: 4, base: '2026-04-01T09:00:00.000Z' }));
    await saveRecord(store.db, sampleWrite({ id: 'rsab-sar3', personReference: 'RMBC-000999', summary: 'Someone else.' }));
    await saveRecord(store.db, sampleWrite({ id: 'lsab-sar4', board: 'leeds-sab', agencies: ['leeds-asc', 'leeds-nhs'], personReference: 'RMBC-000123' }));
  });
  afterAll(async () => {
    await store?.close();
  });

  it("finds every one of the board's records of the reference (case and spacing aside), whole, and nothing else", async () => {
    let text = '';
    const count = await exportSubjectAccess(store.db, { board: 'rotherham-rsab', personReference: 'rmbc-000123' }, (chunk) => void (text += chunk), new Date('2026-11-23T12:00:00Z'));
    expect(count).toBe(2);
    const exported = JSON.parse(text) as { board: string; personReference: string; exportedAt: string; disputes: Record<string, unknown>[] };
    expect(exported).toMatchObject({ board: 'rotherham-rsab', personReference: 'rmbc-000123', exportedAt: '2026-11-23T12:00:00.000Z' });
    expect(exported.disputes.map((dispute) => dispute.disputeId)).toEqual(['rsab-sar1', 'rsab-sar2']);
    const first = exported.disputes[0]!;
    expect(first).toMatchObject({ personReference: 'RMBC-000123', summary: 'Disagreement about discharge planning.', agreedActions: 'A joint review on Friday.' });
    expect(first.events).toHaveLength(8);
    expect(first.agencies).toEqual([
      { id: 'rotherham-asc', name: 'ROTHERHAM-ASC', raising: true, people: ['pat@rotherham-asc.example.org'] },
      { id: 'rotherham-nhs', name: 'ROTHERHAM-NHS', raising: false, people: ['pat@rotherham-nhs.example.org'] },
    ]);
    expect(first.decisions).toHaveLength(2);
    expect(first.notes).toEqual([expect.objectContaining({ text: 'Called the ward, "urgent", ok.' })]);
    expect(first.form).toMatchObject({ name: 'Record of Escalation' });
    expect(text).not.toContain('Someone else.');
    expect(text).not.toContain('lsab-sar4');
  });

  it('through the CLI: --board is required, the output is JSON, and a reference held nowhere gives an empty list', async () => {
    const out: string[] = [];
    await expect(recordsExport(async () => store, { personReference: 'RMBC-000123' }, (line) => out.push(line))).rejects.toThrow(/^--board: is needed/);
    await expect(recordsExport(async () => store, { board: 'rotherham-rsab', personReference: 'RMBC-000123', format: 'csv' }, (line) => out.push(line))).rejects.toThrow(/^--format: a subject access export is JSON/);
    await expect(recordsExport(async () => store, { board: 'rotherham-rsab', personReference: 'RMBC-000123', from: '2026-01-01' }, (line) => out.push(line))).rejects.toThrow(/^--from: a subject access export covers everything/);
    await expect(recordsExport(async () => store, { board: 'rotherham-rsab', personReference: 'x'.repeat(65) }, (line) => out.push(line))).rejects.toThrow(/^--person-reference: is longer than 64/);
    expect(out).toEqual([]);
    expect(await recordsExport(async () => store, { board: 'leeds-sab', personReference: 'RMBC-000123' }, (line) => out.push(line))).toBe(1);
    expect((JSON.parse(out[0]!) as { disputes: { disputeId: string }[] }).disputes.map((dispute) => dispute.disputeId)).toEqual(['lsab-sar4']);
    expect(await recordsExport(async () => store, { board: 'rotherham-rsab', personReference: 'NOBODY-1' }, (line) => out.push(line))).toBe(0);
    expect(JSON.parse(out[1]!)).toMatchObject({ disputes: [] });
  });
});

// -----------------------------------------------------------------------------------------------
// PostgreSQL: the same sealing, and the cluster's files.

describe('on PostgreSQL', () => {
  let postgres: TestPostgres;
  beforeAll(async () => {
    postgres = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await postgres?.destroy();
  });

  it("holds no personal field in plain text in the cluster's files, and reads them back", async () => {
    const store = await openRecordsStore({ databaseUrl: await postgres.database() }, { keyRing: testKeyRing });
    try {
      const write = sampleWrite({ id: 'rsab-onpg' });
      await saveRecord(store.db, write);
      expect((await readStoredDispute(store.db, 'rsab-onpg'))?.view).toEqual(expectedView(write));
      await sql`checkpoint`.execute(store.db);
    } finally {
      await store.close();
    }
    const files = filesUnder(postgres.dataDir);
    expect(files.includes(Buffer.from('rsab-onpg'))).toBe(true);
    for (const text of PLAIN) expect(files.includes(Buffer.from(text)), text).toBe(false);
  }, 60_000);
});
