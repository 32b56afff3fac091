import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLog, MAX_ENTRIES_PER_WRITE } from '../records/access-log';
import { openRecordsStore, type RecordsStore } from '../records/open';
import { testKeyRing } from './support/temporal';

// The access log on its own, on a real (embedded) PostgreSQL: what it keeps in clear and sealed,
// how it cleans names it is given, its bounds, and its pages.

let store: RecordsStore;
let now = Date.parse('2026-11-23T10:00:00Z');
let log: AccessLog;

beforeAll(async () => {
  store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
  log = new AccessLog(async () => store, testKeyRing, () => new Date(now));
});
afterAll(async () => {
  await store?.close();
});

describe('the access log store', () => {
  it('keeps the reader sealed and everything else in clear; a name is cleaned and cut, never refused', async () => {
    await log.record([{ disputeId: 'rsab-store1', channel: 'api', action: 'show', who: { kind: 'agency-key', name: `Case\tsystem ${'x'.repeat(300)}` } }]);
    const [row] = await store.db.selectFrom('access_log').selectAll().where('dispute_id', '=', 'rsab-store1').execute();
    expect(row).toMatchObject({ channel: 'api', action: 'show', who_kind: 'agency-key', detail: null });
    expect(row!.at.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(row!.who).not.toContain('Case');
    const { entries, total } = await log.read('rsab-store1');
    expect(total).toBe(1);
    expect(entries[0]!.who).toBe(`Case system ${'x'.repeat(300)}`.slice(0, 200));
  });

  it('writes all of a call’s entries or none; more than its bound is refused', async () => {
    const entry = { disputeId: 'rsab-store2', channel: 'export' as const, action: 'export' as const, who: { kind: 'cli-user' as const, name: 'Ali Analyst' } };
    await expect(log.record(Array.from({ length: MAX_ENTRIES_PER_WRITE + 1 }, () => entry))).rejects.toThrow();
    expect((await log.read('rsab-store2')).total).toBe(0);
    await log.record(Array.from({ length: MAX_ENTRIES_PER_WRITE }, () => entry));
    expect((await log.read('rsab-store2')).total).toBe(MAX_ENTRIES_PER_WRITE);
  });

  it('reads a dispute’s entries newest first, a page at a time, and no other dispute’s', async () => {
    for (let minute = 0; minute < 5; minute += 1) {
      now = Date.parse(`2026-11-23T11:0${minute}:00Z`);
      await log.record([{ disputeId: 'rsab-store3', channel: 'web', action: 'show', who: { kind: 'officer', name: `Officer ${minute}` } }]);
    }
    const first = await log.read('rsab-store3', 1, 2);
    expect(first.total).toBe(5);
    expect(first.entries.map((entry) => entry.who)).toEqual(['Officer 4', 'Officer 3']);
    expect((await log.read('rsab-store3', 3, 2)).entries.map((entry) => entry.who)).toEqual(['Officer 0']);
    expect((await log.read('rsab-store1')).total).toBe(1);
  });

  it('a reader erased (the end of retention) reads as such, the rest of the entry kept', async () => {
    await store.db.updateTable('access_log').set({ who: null }).where('dispute_id', '=', 'rsab-store1').execute();
    expect((await log.read('rsab-store1')).entries).toMatchObject([{ channel: 'api', action: 'show', whoKind: 'agency-key', who: '(erased)' }]);
  });
});
