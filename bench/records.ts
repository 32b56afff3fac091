import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { exportRecords, exportSubjectAccess } from '../records/export';
import { openRecordsStore, type RecordsStore } from '../records/open';
import { listRecords, type RecordsQuery } from '../records/read';
import type { RecordsDatabase } from '../records/schema';
import { saveRecord } from '../records/write';
import { sealLegacyValues } from '../records/seal';
import { KeyRing } from '../runtime/key-ring';
import { startPostgres } from '../test/records/postgres';
import { sampleWrite } from '../test/records/sample';

// The records store with 50,000 closed disputes (12 events each), on PGlite in a folder and on a
// throwaway PostgreSQL: list with filters (p50/p99), a board's export, and one dispute's full write.

const DISPUTES = Number(process.env.RECORDS_BENCH_DISPUTES ?? 50_000);
const LISTS = 200;
const WRITES = 50;
const boards = ['rotherham-rsab', 'cheshire-west-and-chester-lsab', 'leeds-sab', 'norfolk-nsab', 'north-somerset-nssab'];

/**
 * Seeds closed disputes in bulk, in SQL: the store's own tables, as the workflow's writes fill them,
 * except that personal values go in marked as plain (as migration 0002 leaves a store written before
 * sealing) and are then sealed in place by sealLegacyValues, which is timed too.
 */
async function seed(db: Kysely<RecordsDatabase>): Promise<void> {
  const boardList = sql.raw(`array[${boards.map((b) => `'${b}'`).join(',')}]`);
  await sql`
    insert into disputes (dispute_id, board, policy_id, policy_version, category, risk, status, outcome, stage, tier, concern_at, concern_at_given,
      started_at, entered_stage_at, start_by, conclude_by, escalate_at, remind_at, deadline, closed_at, working_days, calendar_days, agencies, last_seq)
    select 'bench-' || n, b, b, 1, (array['abuse','neglect','self-neglect','other'])[1 + n % 4], (array['standard','high','imminent'])[1 + n % 3],
      o, o, 1 + n % 4, 'line-manager', s, to_char(s at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), s, s + interval '2 days', null, s + interval '9 days',
      null, null, null, s + interval '3 days', 2.5, 3.1, jsonb_build_array(split_part(b, '-', 1) || '-asc', split_part(b, '-', 1) || '-nhs'), 12
    from (select n, (${boardList})[1 + n % 5] as b, (array['resolved','unresolved','decided','withdrawn'])[1 + (n / 5) % 4] as o,
      timestamptz '2024-01-01T09:00:00Z' + (n % 1095) * interval '1 day' + (n % 480) * interval '1 minute' as s
      from generate_series(1, ${DISPUTES}) n) g`.execute(db);
  await sql`insert into dispute_personal (dispute_id, person_reference, summary, agreed_actions, awaiting)
    select dispute_id, '!plain:REF-' || dispute_id, '!plain:A disagreement about a care plan.', '!plain:A joint review.', '!plain:[]' from disputes`.execute(db);
  await sql`insert into dispute_agencies (dispute_id, position, agency_id, name, raising, people)
    select d.dispute_id, p.position, d.agencies->>p.position, 'Agency ' || p.position, p.position = 0, '!plain:["a@example.org","b@example.org"]'
    from disputes d cross join (values (0), (1)) p(position)`.execute(db);
  await sql`insert into dispute_events (dispute_id, seq, at, stage, type, by, data)
    select d.dispute_id, e.seq, d.started_at + e.seq * interval '1 hour', 1 + (e.seq - 1) / 4, t.type, null,
      '!plain:' || json_build_object('type', t.type, 'kind', 'stage-entered', 'to', json_build_array('a@example.org', 'b@example.org'))::text
    from disputes d cross join generate_series(1, 12) e(seq)
    cross join lateral (select (array['started','stage-entered','email','reminder'])[1 + (e.seq - 1) % 4] as type) t`.execute(db);
  await sql`insert into dispute_decisions (dispute_id, seq, stage, decision, at, by, text)
    select dispute_id, 12, stage, 'resolved', closed_at, '!plain:a@example.org', '!plain:A joint review.' from disputes`.execute(db);
  await sql`insert into sealing_pending (table_name) values ('dispute_personal'), ('dispute_agencies'), ('dispute_events'), ('dispute_decisions')`.execute(db);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function timed<T>(run: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await run();
  return [performance.now() - start, result];
}

function randomQuery(n: number): RecordsQuery {
  const board = boards[n % boards.length]!;
  const from = new Date(Date.UTC(2024 + (n % 3), n % 12, 1));
  const variants: RecordsQuery[] = [
    { board, limit: 50, page: 1 },
    { board, outcome: 'resolved', startedFrom: from, startedTo: new Date(from.getTime() + 90 * 86_400_000), limit: 50, page: 1 },
    { agency: `${board.split('-')[0]}-asc`, category: 'neglect', limit: 50, page: 2 },
    { board, risk: 'imminent', closedFrom: from, closedTo: new Date(from.getTime() + 365 * 86_400_000), limit: 100, page: 3 },
    { board, status: 'open', overdue: true, limit: 50, page: 1 },
  ];
  return variants[n % variants.length]!;
}

async function measure(name: string, store: RecordsStore): Promise<{ name: string; value: string }[]> {
  const [seedMs] = await timed(() => seed(store.db));
  const [sealMs, sealedRows] = await timed(() => sealLegacyValues(store.db, 2_000));
  await sql`analyze`.execute(store.db);
  const lists: number[] = [];
  for (let n = 0; n < LISTS; n += 1) lists.push((await timed(() => listRecords(store.db, randomQuery(n))))[0]);
  lists.sort((a, b) => a - b);
  const board = boards[0]!;
  let bytes = 0;
  const [csvMs, csvCount] = await timed(() => exportRecords(store.db, { board, format: 'csv' }, (chunk) => void (bytes += chunk.length)));
  const year = { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2026-01-01T00:00:00Z') };
  const [jsonMs, jsonCount] = await timed(() => exportRecords(store.db, { board, ...year, format: 'json' }, (chunk) => void (bytes += chunk.length)));
  // Subject access: every one of the board's references opened and compared (the reference is sealed).
  const [sarMs, sarCount] = await timed(() => exportSubjectAccess(store.db, { board, personReference: 'REF-bench-5' }, (chunk) => void (bytes += chunk.length)));
  const [boardSize] = (await sql<{ count: number }>`select count(*)::int as count from disputes where board = ${board}`.execute(store.db)).rows;
  const writes: number[] = [];
  for (let n = 0; n < WRITES; n += 1) {
    const write = sampleWrite({ id: `rsab-write-${n}`, base: new Date(Date.UTC(2026, 0, 1) + n * 3_600_000).toISOString() });
    writes.push((await timed(() => saveRecord(store.db, write)))[0]);
  }
  writes.sort((a, b) => a - b);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [
    { name: `${name}: seed ${DISPUTES.toLocaleString('en-GB')} closed disputes (12 events each)`, value: `${(seedMs / 1000).toFixed(1)} s` },
    { name: `${name}: seal the plain personal values of a store written before sealing (${sealedRows.toLocaleString('en-GB')} rows)`, value: `${(sealMs / 1000).toFixed(1)} s` },
    { name: `${name}: list with filters, p50 / p99 (${LISTS} queries)`, value: `${ms(percentile(lists, 50))} / ${ms(percentile(lists, 99))}` },
    { name: `${name}: export a board as CSV (${csvCount.toLocaleString('en-GB')} disputes)`, value: `${(csvMs / 1000).toFixed(2)} s` },
    { name: `${name}: export a board's year as JSON, whole records (${jsonCount.toLocaleString('en-GB')} disputes)`, value: `${(jsonMs / 1000).toFixed(2)} s` },
    { name: `${name}: subject access export, scanning a board's ${boardSize!.count.toLocaleString('en-GB')} sealed references (${sarCount} found)`, value: `${(sarMs / 1000).toFixed(2)} s` },
    { name: `${name}: write one dispute's full record (8 events), p50 / p99`, value: `${ms(percentile(writes, 50))} / ${ms(percentile(writes, 99))}` },
  ];
}

const keyRing = KeyRing.parse(KeyRing.newLine('bench'), 'bench key');

export async function recordsBench(): Promise<{ name: string; value: string }[]> {
  const rows: { name: string; value: string }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'dispute-records-bench-'));
  const pglite = await openRecordsStore({ dataDir: join(dir, 'records') }, { keyRing });
  try {
    rows.push(...(await measure('PGlite', pglite)));
  } finally {
    await pglite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const postgres = await startPostgres();
  const server = await openRecordsStore({ databaseUrl: await postgres.database() }, { keyRing });
  try {
    rows.push(...(await measure('PostgreSQL', server)));
  } finally {
    await server.close();
    await postgres.destroy();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const row of await recordsBench()) console.log(`  ${row.name.padEnd(80)} ${row.value}`);
}
