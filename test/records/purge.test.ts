import { personalSeal } from '../../records/seal';
import { testKeyRing } from '../support/temporal';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordWrite } from '../../activities/records/types';
import { createCalendar } from '../../policies/calendar';
import { exportRecords } from '../../records/export';
import { openRecordsStore, type RecordsLocation, type RecordsStore } from '../../records/open';
import { personalColumns } from '../../records/personal-columns';
import { eraseDisputes, purgePreview, purgeRecords, retentionByBoard, retentionEnd } from '../../records/purge';
import { erasedText, listRecords, readStoredDispute } from '../../records/read';
import { reportFigures } from '../../records/reports';
import type { RecordsDatabase } from '../../records/schema';
import { saveRecord } from '../../records/write';
import { startPostgres, type TestPostgres } from './postgres';
import { sampleWrite } from './sample';

// The purge against a real store (PGlite and PostgreSQL): closed records either side of their
// board's retention, open ones, one already erased, one of a board no policy names. Only the past
// ones are erased, only their personal columns; the facts, the reports and the export's CSV stay.

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.destroy();
});

const backends: [string, () => Promise<RecordsLocation>][] = [
  ['PGlite', async () => ({ dataDir: 'memory' })],
  ['PostgreSQL', async () => ({ databaseUrl: await postgres.database() })],
];

/** A sample dispute closing at `closedAt` (it closes 180 minutes after its concern). */
function closedAt(id: string, closed: string, board = 'rotherham-rsab'): RecordWrite {
  const write = sampleWrite({ id, board, base: new Date(Date.parse(closed) - 180 * 60_000).toISOString() });
  // Facts the reports read from an event's data: a deadline passed and an overdue notice.
  const entered = write.events[5]!;
  if (entered.type === 'stage-entered') entered.reason = 'deadline';
  write.events.push({ seq: 9, at: closed, stage: 2, type: 'overdue', concludeBy: closed, notice: 1 }, { seq: 10, at: closed, stage: 2, type: 'email-sent', kind: 'overdue', to: ['pat.raiser@rotherham-asc.example.org'] });
  write.lastSeq = 10;
  return write;
}

const now = new Date('2032-06-15T12:00:00.000Z'); // 13:00 in London (BST)
const retention = retentionByBoard([
  { board: { id: 'rotherham-rsab', name: '', shortName: '', division: 'england-and-wales' } },
  { board: { id: 'leeds-sab', name: '', shortName: '', division: 'england-and-wales' }, retention: { keepClosedYears: 2 } },
]);

/** Closed on the boundary to the minute: six London years before `now` exactly is past; a minute later is kept. */
const disputes = {
  past: [closedAt('rsab-old', '2026-03-27T13:30:00.000Z'), closedAt('rsab-edge-past', '2026-06-15T12:00:00.000Z'), closedAt('lsab-old', '2030-06-15T11:59:00.000Z', 'leeds-sab')],
  kept: [
    closedAt('rsab-edge-kept', '2026-06-15T12:01:00.000Z'),
    closedAt('rsab-recent', '2031-01-10T10:00:00.000Z'),
    closedAt('lsab-recent', '2030-06-15T12:01:00.000Z', 'leeds-sab'),
    closedAt('xsab-nopolicy', '2020-01-10T10:00:00.000Z', 'somewhere-sab'),
    sampleWrite({ id: 'rsab-open', events: 4, base: '2019-01-10T10:00:00.000Z' }),
  ],
};
const pastIds = disputes.past.map((write) => write.row.view.disputeId);

/** Words that are personal in the sample disputes: none may survive an erasure. */
const personalWords = ['RMBC-000123', 'Disagreement about discharge planning', 'pat.raiser@', 'robin.other@', 'bethan.carver@', 'pat@rotherham', 'Called the ward', 'No agreement on the care plan', 'A joint review on Friday', 'Adult at risk', 'Reference RMBC'];

const tables = ['disputes', ...Object.keys(personalColumns)] as (keyof RecordsDatabase)[];

/** Every row of every table, as the database holds it. */
async function snapshot(db: Kysely<RecordsDatabase>) {
  const all: Record<string, Record<string, unknown>[]> = {};
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    all[table] = rows.rows
      .map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value instanceof Date ? value.toISOString() : typeof value === 'object' && value !== null ? JSON.stringify(value) : value])))
      .sort((a, b) => String(a.dispute_id).localeCompare(String(b.dispute_id)) || Number(a.seq ?? a.position ?? 0) - Number(b.seq ?? b.position ?? 0));
  }
  return all;
}

async function figures(db: Kysely<RecordsDatabase>, board: string) {
  return reportFigures(db, { board, from: new Date('2019-01-01T00:00:00Z'), to: new Date('2032-01-01T00:00:00Z') }, createCalendar({ division: 'england-and-wales' }));
}

async function csv(db: Kysely<RecordsDatabase>, board: string) {
  let text = '';
  await exportRecords(db, { board, format: 'csv' }, (chunk) => void (text += chunk));
  return text;
}

describe('retention is counted in London calendar years from the closing instant', () => {
  it.each([
    ['2026-06-15T12:00:00.000Z', 6, '2032-06-15T12:00:00.000Z'], // BST both ends
    ['2026-01-10T23:30:00.000Z', 1, '2027-01-10T23:30:00.000Z'], // GMT both ends
    ['2026-07-01T23:30:00.000Z', 6, '2032-07-01T23:30:00.000Z'], // 00:30 on 2 July in London: the London date counts
    ['2024-02-29T12:00:00.000Z', 1, '2025-03-01T12:00:00.000Z'], // 29 February runs to 1 March: never kept less than a year
    ['2024-02-29T12:00:00.000Z', 4, '2028-02-29T12:00:00.000Z'],
    ['2025-10-26T00:30:00.000Z', 1, '2026-10-26T01:30:00.000Z'], // 01:30 BST on the day the clocks went back; a year on, 01:30 GMT
    ['2026-03-28T01:30:00.000Z', 1, '2027-03-28T01:30:00.000Z'], // 01:30 London; in 2027 that is the skipped hour, so 02:30 BST
  ])('closed %s, kept %i years: until %s', (closed, years, until) => {
    expect(retentionEnd(new Date(closed), years).toISOString()).toBe(until);
  });

  it('the retention is the board’s, from its current policy; the default is six years', () => {
    expect(Object.fromEntries(retention)).toEqual({ 'rotherham-rsab': 6, 'leeds-sab': 2 });
  });
});

describe.each(backends)('the purge on %s', (_name, location) => {
  let store: RecordsStore;
  beforeAll(async () => {
    store = await openRecordsStore(await location(), { keyRing: testKeyRing });
    for (const write of [...disputes.past, ...disputes.kept]) await saveRecord(store.db, write);
    // Erased by an earlier run, long ago: it must not be touched again.
    await saveRecord(store.db, closedAt('rsab-erased', '2020-02-01T10:00:00.000Z'));
    expect(await eraseDisputes(store.db, ['rsab-erased'], new Date('2027-01-01T02:30:00.000Z'))).toEqual(['rsab-erased']);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('every personal column can hold its erased value (a personal column added later must too)', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: string }>`
      select table_name, column_name, is_nullable from information_schema.columns where table_schema = 'public'`.execute(store.db);
    for (const [table, columns] of Object.entries(personalColumns)) {
      for (const column of columns) {
        const found = rows.find((row) => row.table_name === table && row.column_name === column);
        expect(found, `${table}.${column}`).toBeDefined();
        if (`${table}.${column}` !== 'dispute_events.data') expect(found!.is_nullable, `${table}.${column}`).toBe('YES');
      }
    }
  });

  it('the dry run lists exactly the closed records past their board’s retention, and changes nothing', async () => {
    const before = await snapshot(store.db);
    const preview = await purgePreview(store.db, retention, now, { batchSize: 2 });
    expect(preview).toEqual([
      { disputeId: 'lsab-old', board: 'leeds-sab', closedAt: '2030-06-15T11:59:00.000Z', retentionEnded: '2032-06-15T11:59:00.000Z' },
      { disputeId: 'rsab-old', board: 'rotherham-rsab', closedAt: '2026-03-27T13:30:00.000Z', retentionEnded: '2032-03-27T13:30:00.000Z' },
      { disputeId: 'rsab-edge-past', board: 'rotherham-rsab', closedAt: '2026-06-15T12:00:00.000Z', retentionEnded: '2032-06-15T12:00:00.000Z' },
    ]);
    expect(await purgePreview(store.db, retention, now, { board: 'leeds-sab' })).toEqual([preview[0]]);
    expect(await snapshot(store.db)).toEqual(before);
  });

  it('erases only those, only their personal columns; facts, lists, reports and the CSV are unchanged; twice changes nothing', async () => {
    const before = await snapshot(store.db);
    const reports = { rsab: await figures(store.db, 'rotherham-rsab'), lsab: await figures(store.db, 'leeds-sab'), csv: await csv(store.db, 'rotherham-rsab') };
    const listed = await listRecords(store.db, { limit: 100, page: 1 }, now);

    const batches: number[] = [];
    const result = await purgeRecords(store.db, retention, now, { batchSize: 2, onBatch: (count) => batches.push(count) });
    expect(result).toEqual({ erased: 3, byBoard: { 'leeds-sab': 1, 'rotherham-rsab': 2 }, boardsWithoutPolicy: ['somewhere-sab'] });
    expect(batches).toEqual([1, 3]); // leeds' one, then rotherham's two in one batch of two

    const after = await snapshot(store.db);
    for (const table of tables) {
      const personal = (personalColumns as Record<string, readonly string[]>)[table] ?? ['personal_erased_at'];
      expect(after[table]!.length, table).toBe(before[table]!.length);
      after[table]!.forEach((row, index) => {
        const was = before[table]![index]!;
        if (!pastIds.includes(row.dispute_id as string)) {
          expect(row, `${table} ${row.dispute_id} kept`).toEqual(was);
          return;
        }
        const strip = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([key]) => !personal.includes(key)));
        expect(strip(row), `${table} ${row.dispute_id}: facts unchanged`).toEqual(strip(was));
        for (const column of personal) {
          if (table === 'disputes') expect(row[column]).toBe(now.toISOString());
          else if (column !== 'data') expect(row[column], `${table}.${column}`).toBeNull();
        }
      });
    }
    // An event keeps its non-personal facts: the ones the reports and the timeline read.
    // The event's data stays sealed (records/seal.ts): it is opened to see what is left of it.
    const seal = personalSeal(store.db);
    const events = after.dispute_events!.filter((row) => row.dispute_id === 'rsab-old').map((row) => JSON.parse(seal.open('dispute_events', 'data', 'rsab-old', row.data as string)));
    expect(events).toEqual([
      { type: 'started', risk: 'standard', category: 'neglect' },
      { type: 'stage-entered', reason: 'started', deadline: expect.any(String) },
      { type: 'email', kind: 'stage-entered' },
      { type: 'note' },
      { type: 'outcome', decision: 'unresolved' },
      { type: 'stage-entered', reason: 'deadline', deadline: expect.any(String) },
      { type: 'outcome', decision: 'resolved' },
      { type: 'closed', outcome: 'resolved' },
      { type: 'overdue', concludeBy: '2026-03-27T13:30:00.000Z', notice: 1 },
      { type: 'email-sent', kind: 'overdue' },
    ]);
    const erasedRows = JSON.stringify(Object.values(after).flat().filter((row) => pastIds.includes(row.dispute_id as string)));
    for (const word of personalWords) expect(erasedRows).not.toContain(word);

    expect(await figures(store.db, 'rotherham-rsab')).toEqual(reports.rsab);
    expect((await figures(store.db, 'rotherham-rsab')).deadlinesPassed).toBe(10); // five closed disputes, two each: counted from the erased facts too
    expect(await figures(store.db, 'leeds-sab')).toEqual(reports.lsab);
    expect(await csv(store.db, 'rotherham-rsab')).toBe(reports.csv);
    expect(await listRecords(store.db, { limit: 100, page: 1 }, now)).toEqual(listed);

    // Again: nothing is due, nothing changes (not even the erasure instants).
    expect(await purgeRecords(store.db, retention, new Date(now.getTime() + 30_000))).toEqual({ erased: 0, byBoard: {}, boardsWithoutPolicy: ['somewhere-sab'] });
    expect(await purgePreview(store.db, retention, now)).toEqual([]);
    expect(await snapshot(store.db)).toEqual(after);
  });

  it('an erased record reads back with its facts and its personal fields marked erased; a late write never restores them', async () => {
    const stored = await readStoredDispute(store.db, 'rsab-old');
    expect(stored).toMatchObject({
      erasedAt: now.toISOString(),
      summary: erasedText,
      agreedActions: erasedText,
      outcome: 'resolved',
      closedAt: '2026-03-27T13:30:00.000Z',
      timeTaken: { workingDays: 0.38, calendarDays: 0.13 },
      view: { disputeId: 'rsab-old', board: 'rotherham-rsab', personReference: erasedText, status: 'resolved', stage: 2, category: 'neglect', awaiting: [] },
      form: { name: 'Record of Escalation', reference: 'RSAB Appendix 1', fields: [] },
    });
    expect(stored!.view.agencies).toEqual([
      { id: 'rotherham-asc', name: 'ROTHERHAM-ASC', raising: true, people: [] },
      { id: 'rotherham-nhs', name: 'ROTHERHAM-NHS', raising: false, people: [] },
    ]);
    expect(stored!.decisions.map((d) => [d.stage, d.decision, d.by, d.text])).toEqual([
      [1, 'unresolved', erasedText, erasedText],
      [2, 'resolved', erasedText, erasedText],
    ]);
    expect(stored!.notes).toEqual([{ seq: 4, at: expect.any(String), by: erasedText, text: erasedText }]);
    expect(stored!.view.events.map((event) => event.type)).toHaveLength(10);
    for (const word of personalWords) expect(JSON.stringify(stored)).not.toContain(word);
    expect((await readStoredDispute(store.db, 'rsab-edge-kept'))).toMatchObject({ erasedAt: null, view: { personReference: 'RMBC-000123' } });

    // `records sync --all` after a restore re-sends the whole write, with an event the store lacked: the record stays erased.
    const late = structuredClone(disputes.past[0]!);
    late.events.push({ seq: 11, at: late.events[9]!.at, stage: 2, type: 'note', by: 'pat.raiser@rotherham-asc.example.org', text: 'Called the ward again.' });
    late.lastSeq = 11;
    expect(await saveRecord(store.db, late)).toEqual({ events: 0, rowUpdated: false });
    expect((await readStoredDispute(store.db, 'rsab-old'))!.view.events).toHaveLength(10);
    for (const word of personalWords) expect(JSON.stringify(await readStoredDispute(store.db, 'rsab-old'))).not.toContain(word);
  });
});
