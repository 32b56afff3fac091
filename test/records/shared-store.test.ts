import { testKeyRing } from '../support/temporal';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyRecordsStore, type LazyRecordsStore } from '../../records/lazy';
import { openRecordsStore } from '../../records/open';
import { readStoredDispute } from '../../records/read';
import { socketFolder } from '../../records/serve';
import { saveRecord } from '../../records/write';
import { startDevWorker, type DevWorker } from '../support/dev-worker';
import { eventually } from '../support/eventually';
import { runCli } from '../support/processes';
import { sampleWrite } from './sample';

// One embedded store, several processes: the process that holds it (here the worker, in this
// process, as under `npm start`) serves it on a unix socket beside it, and the CLI, another
// process, lists, shows and exports through that socket while the worker goes on writing.

let dir: string;
let dataDir: string;
let store: LazyRecordsStore;
let dev: DevWorker;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dispute-shared-store-'));
  dataDir = join(dir, 'records');
  store = lazyRecordsStore({ dataDir }, { keyRing: testKeyRing });
  await store.get();
  dev = await startDevWorker({ records: store.get });
});

afterAll(async () => {
  await dev?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const dispute = (...args: string[]) =>
  runCli(args, { TEMPORAL_ADDRESS: dev.env.address, TEMPORAL_NAMESPACE: dev.env.namespace, TEMPORAL_TASK_QUEUE: dev.taskQueue, RECORDS_DIR: dataDir, DATABASE_URL: undefined });

describe('the embedded store, held by one process, used by others through its socket', () => {
  it('serves on a socket only this user can reach', () => {
    expect(statSync(socketFolder(dataDir)).mode & 0o777).toBe(0o700);
    expect(statSync(join(socketFolder(dataDir), '.s.PGSQL.5432')).mode & 0o777).toBe(0o600);
  });

  it('while the worker holds the store and writes to it, the CLI lists, shows and exports from it', async () => {
    const { db } = await store.get();
    // A closed dispute whose workflow Temporal no longer has: `show` answers from the store.
    await saveRecord(db, sampleWrite({ id: 'rsab-shared-1' }));
    const now = new Date().toISOString();
    const started = await dispute(
      'start', '--policy', 'norfolk-nsab', '--concern-at', now, '--category', 'abuse',
      '--agency', 'norfolk-gp:Pat Raiser:pat.raiser@norfolk-gp.example.org', '--agency', 'norfolk-asc:Robin Other:robin.other@norfolk-asc.example.org',
      '--reference', 'NCC-SHARED-1', '--summary', 'A GP challenges a closed referral.', '--json',
    );
    expect(started.stderr).toBe('');
    const { disputeId } = JSON.parse(started.stdout) as { disputeId: string };

    // The holder keeps writing while the CLI reads: each session has the backend in its turn.
    let writing = true;
    const writes = (async () => {
      for (let n = 0; writing; n += 1) {
        await saveRecord(db, sampleWrite({ id: `rsab-busy-${n % 5}`, board: 'rotherham-rsab' }));
        // PGlite answers in microtasks: yield, as a worker between activities does, so connections are accepted.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      const list = async () => {
        const result = await dispute('list', '--board', 'norfolk-nsab', '--json');
        expect(result.stderr).toBe('');
        return (JSON.parse(result.stdout) as { disputes: { disputeId: string }[] }).disputes.map((d) => d.disputeId);
      };
      expect(await eventually(list, (ids) => ids.length > 0, 30_000)).toEqual([disputeId]);

      const shown = await dispute('show', 'rsab-shared-1', '--json');
      expect(shown.stderr).toBe('');
      expect(JSON.parse(shown.stdout)).toEqual((await readStoredDispute(db, 'rsab-shared-1'))!.view);

      const exported = await dispute('records', 'export', '--board', 'rotherham-rsab', '--format', 'json');
      expect(exported.stderr).toBe('');
      const records = JSON.parse(exported.stdout) as { disputeId?: string; view?: { disputeId: string } }[];
      expect(JSON.stringify(records)).toContain('"rsab-shared-1"');
    } finally {
      writing = false;
      await writes;
    }
    const busy = await sql<{ n: number }>`select count(*)::int as n from disputes where dispute_id like 'rsab-busy-%'`.execute(db);
    expect(busy.rows[0]!.n).toBe(5);
  }, 180_000);

  it('a process using the store through another process’s socket takes it over once that process lets it go', async () => {
    const folder = join(dir, 'handover');
    const first = await openRecordsStore({ dataDir: folder }, { keyRing: testKeyRing });
    const later = lazyRecordsStore({ dataDir: folder }, { keyRing: testKeyRing });
    try {
      expect((await later.get()).where).toMatch(/served by the process that holds it/);
      await saveRecord((await later.get()).db, sampleWrite({ id: 'rsab-handover' }));
      await first.close(); // e.g. the CLI that happened to open it first has finished
      const taken = await later.get();
      expect(taken.where).toBe(`PGlite ${folder}`);
      expect((await readStoredDispute(taken.db, 'rsab-handover'))?.view.disputeId).toBe('rsab-handover');
    } finally {
      await later.close();
    }
  }, 180_000);

  it('a holder that died leaves a stale lock and socket: the next process takes the store over', async () => {
    const other = join(dir, 'stale');
    const dead = Number(execFileSync('node', ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
    writeFileSync(`${other}.lock`, String(dead));
    mkdirSync(socketFolder(other), { recursive: true });
    writeFileSync(join(socketFolder(other), '.s.PGSQL.5432'), '');
    const taken = await openRecordsStore({ dataDir: other }, { keyRing: testKeyRing });
    try {
      expect(taken.where).toBe(`PGlite ${other}`);
      expect(statSync(join(socketFolder(other), '.s.PGSQL.5432')).isSocket()).toBe(true);
      // And this process's own second opening goes through the socket it now serves.
      const second = await openRecordsStore({ dataDir: other }, { keyRing: testKeyRing });
      try {
        expect(second.where).toMatch(/served by the process that holds it/);
        await saveRecord(second.db, sampleWrite({ id: 'rsab-through-socket' }));
        expect((await readStoredDispute(taken.db, 'rsab-through-socket'))?.view.disputeId).toBe('rsab-through-socket');
      } finally {
        await second.close();
      }
    } finally {
      await taken.close();
    }
  }, 180_000);
});
