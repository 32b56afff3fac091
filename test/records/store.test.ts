import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportRecords } from '../../records/export';
import { openRecordsStore, RecordsStoreError, type RecordsLocation } from '../../records/open';
import { listRecords, readStoredDispute } from '../../records/read';
import { saveRecord, storedEvents } from '../../records/write';
import { startPostgres, type TestPostgres } from './postgres';
import { sampleWrite } from './sample';
import { testKeyRing } from '../support/temporal';

// The store itself, against PGlite and against a real PostgreSQL server: the same migrations, the
// same queries.

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

describe.each(backends)('the records store on %s', (_name, location) => {
  it('migrates on open, again is a no-op, and a store newer than the code refuses to start with a clear message', async () => {
    const where = await location();
    if (where.dataDir === 'memory') return; // an in-memory store cannot be reopened; the PGlite folder case is below
    const first = await openRecordsStore(where, { keyRing: testKeyRing });
    await first.close();
    const again = await openRecordsStore(where, { keyRing: testKeyRing });
    await sql`insert into kysely_migration (name, timestamp) values ('0099-from-the-future', now())`.execute(again.db);
    await again.close();
    await expect(openRecordsStore(where, { keyRing: testKeyRing })).rejects.toThrow(/newer than this code: it has migration\(s\) 0099-from-the-future that this version does not know/);
  });

  it('a retried write adds nothing; a late, older write never overwrites the newer row; reading back gives the same view', async () => {
    const store = await openRecordsStore(await location(), { keyRing: testKeyRing });
    try {
      const open = sampleWrite({ events: 4 });
      const closed = sampleWrite();
      closed.events = closed.events.slice(4);
      expect(await saveRecord(store.db, open)).toEqual({ events: 4, rowUpdated: true });
      expect(await saveRecord(store.db, closed)).toEqual({ events: 4, rowUpdated: true });
      // The first write retried after the second landed: no rows, no change.
      expect(await saveRecord(store.db, open)).toEqual({ events: 0, rowUpdated: false });
      expect(await storedEvents(store.db, 'rsab-sample')).toEqual({ count: 8, lastSeq: 8 });

      const stored = await readStoredDispute(store.db, 'rsab-sample');
      const whole = sampleWrite();
      expect(stored!.view).toEqual({ ...whole.row.view, events: whole.events });
      expect(stored).toMatchObject({ outcome: 'resolved', closedAt: whole.row.closedAt, agreedActions: 'A joint review on Friday.', timeTaken: whole.row.timeTaken, form: whole.row.form });
      expect(stored!.decisions).toEqual([
        { stage: 1, decision: 'unresolved', by: 'robin.other@rotherham-nhs.example.org', at: whole.events[4]!.at, text: 'No agreement on the care plan.' },
        { stage: 2, decision: 'resolved', by: 'bethan.carver@rotherham-nhs.example.org', at: whole.events[6]!.at, text: 'A joint review on Friday.' },
      ]);
      expect(stored!.notes).toEqual([{ seq: 4, at: whole.events[3]!.at, by: 'pat.raiser@rotherham-asc.example.org', text: 'Called the ward, "urgent", ok.' }]);
      expect(await readStoredDispute(store.db, 'rsab-nothere')).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('lists with filters and pages, newest first, and exports a board as CSV and JSON', async () => {
    const store = await openRecordsStore(await location(), { keyRing: testKeyRing });
    try {
      const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n, 10)).toISOString();
      for (let n = 0; n < 12; n += 1) {
        await saveRecord(store.db, sampleWrite({ id: `rsab-n${String(n).padStart(2, '0')}`, base: day(n), events: n % 3 === 0 ? 4 : 8, category: n % 2 ? 'abuse' : 'neglect', risk: n === 5 ? 'high' : 'standard' }));
      }
      await saveRecord(store.db, sampleWrite({ id: 'lsab-other', board: 'leeds-sab', agencies: ['leeds-asc', 'leeds-nhs'], base: day(3) }));
      const ids = async (query: Parameters<typeof listRecords>[1]) => (await listRecords(store.db, query, new Date('2026-06-01T00:00:00Z'))).disputes.map((d) => d.disputeId);
      const all = { limit: 100, page: 1 };
      expect(await ids({ ...all, board: 'rotherham-rsab', limit: 3 })).toEqual(['rsab-n11', 'rsab-n10', 'rsab-n09']);
      expect(await ids({ ...all, board: 'rotherham-rsab', limit: 3, page: 4 })).toEqual(['rsab-n02', 'rsab-n01', 'rsab-n00']);
      expect(await ids({ ...all, status: 'open' })).toEqual(['rsab-n09', 'rsab-n06', 'rsab-n03', 'rsab-n00']);
      expect(await ids({ ...all, overdue: true })).toEqual(['rsab-n09', 'rsab-n06', 'rsab-n03', 'rsab-n00']);
      expect(await ids({ ...all, outcome: 'resolved', category: 'abuse', agency: 'rotherham-nhs' })).toEqual(['rsab-n11', 'rsab-n07', 'rsab-n05', 'rsab-n01']);
      expect(await ids({ ...all, risk: 'high' })).toEqual(['rsab-n05']);
      expect(await ids({ ...all, stage: 2, startedFrom: new Date(day(2)), startedTo: new Date(day(5)) })).toEqual(['rsab-n04', 'lsab-other', 'rsab-n02']);
      expect(await ids({ ...all, agency: 'leeds-asc' })).toEqual(['lsab-other']);
      expect(await ids({ ...all, closedFrom: new Date(day(10)), closedTo: new Date(day(20)) })).toEqual(['rsab-n11', 'rsab-n10']);
      expect((await listRecords(store.db, { ...all, limit: 5, board: 'rotherham-rsab' })).total).toBe(12);

      let csv = '';
      const count = await exportRecords(store.db, { board: 'rotherham-rsab', from: new Date(day(1)), to: new Date(day(4)), format: 'csv' }, (chunk) => void (csv += chunk));
      expect(count).toBe(3);
      const lines = csv.trimEnd().split('\r\n');
      expect(lines[0]).toBe('dispute_id,board,policy,policy_version,category,risk,status,outcome,stage,tier,concern_at,started_at,closed_at,working_days,calendar_days,raising_agency,agencies');
      expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(['rsab-n01', 'rsab-n02', 'rsab-n03']);
      expect(lines[1]).toBe(`rsab-n01,rotherham-rsab,rotherham-rsab,1,abuse,standard,resolved,resolved,2,line-manager,${day(1)},${day(1)},${new Date(Date.parse(day(1)) + 180 * 60_000).toISOString()},0.38,0.13,rotherham-asc,rotherham-asc;rotherham-nhs`);
      expect(csv).not.toContain('RMBC-000123'); // the CSV carries report fields only

      let json = '';
      await exportRecords(store.db, { board: 'rotherham-rsab', from: new Date(day(1)), to: new Date(day(3)), format: 'json' }, (chunk) => void (json += chunk));
      const records = JSON.parse(json) as { disputeId: string; personReference: string; events: unknown[]; decisions: unknown[] }[];
      expect(records.map((record) => record.disputeId)).toEqual(['rsab-n01', 'rsab-n02']);
      expect(records[0]).toMatchObject({ personReference: 'RMBC-000123', summary: 'Disagreement about discharge planning.', outcome: 'resolved' });
      expect(records[0]!.events).toHaveLength(8);
      expect(records[0]!.decisions).toHaveLength(2);
      let empty = '';
      await exportRecords(store.db, { board: 'norfolk-nsab', format: 'json' }, (chunk) => void (empty += chunk));
      expect(JSON.parse(empty)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('the embedded store in a folder', () => {
  it('persists; a second opener uses the holder through its socket, and one that does not serve is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dispute-records-'));
    try {
      const folder = join(dir, 'records');
      const store = await openRecordsStore({ dataDir: folder }, { keyRing: testKeyRing });
      await saveRecord(store.db, sampleWrite());
      const second = await openRecordsStore({ dataDir: folder }, { keyRing: testKeyRing });
      expect(second.where).toMatch(/served by the process that holds it/);
      expect((await readStoredDispute(second.db, 'rsab-sample'))?.view).toEqual((await readStoredDispute(store.db, 'rsab-sample'))?.view);
      await second.close();
      await store.close();
      // A live holder with no socket (a version from before sharing): refused, as before.
      writeFileSync(`${folder}.lock`, String(process.pid));
      const refused = await openRecordsStore({ dataDir: folder }, { keyRing: testKeyRing }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RecordsStoreError);
      expect((refused as Error).message).toMatch(/is open in another process \(pid \d+.*\) that does not serve it/);
      rmSync(`${folder}.lock`);
      const reopened = await openRecordsStore({ dataDir: folder }, { keyRing: testKeyRing });
      expect((await readStoredDispute(reopened.db, 'rsab-sample'))?.view.events).toHaveLength(8);
      await sql`insert into kysely_migration (name, timestamp) values ('0099-from-the-future', now())`.execute(reopened.db);
      await reopened.close();
      await expect(openRecordsStore({ dataDir: folder }, { keyRing: testKeyRing })).rejects.toThrow(/records store \(PGlite .*\) is newer than this code/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
