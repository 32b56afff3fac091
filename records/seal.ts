import { sql, type Kysely, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { KeyRing, KeyRingError } from '../runtime/key-ring';
import { personalColumns } from './personal-columns';
import type { RecordsDatabase } from './schema';

// The personal columns of the records store (records/personal-columns.ts) hold text sealed under the
// payload key ring, `<key id>:<base64url>`, bound to `<table>.<column>/<dispute id>`: a value copied
// to another column or another dispute's row does not open. Report fields stay in clear, so reports
// never need the key.
//
// The sealer travels with the store's Kysely instance as a plugin (it changes no query), so whoever
// holds the db (the worker's writes, the API, the board pages, the export, a transaction) finds it
// with `personalSeal(db)`, and no second argument has to be threaded alongside the db.

export type PersonalTable = keyof typeof personalColumns;

/**
 * Values written before sealing (migration 0002 marks them): read as they are until the store is
 * next opened with the key ring, which seals them. `!` starts no key id, so a mark is never taken
 * for a sealed value, nor the reverse.
 */
export const LEGACY_PLAIN = '!plain:';

export class PersonalSealError extends KeyRingError {
  override name = 'PersonalSealError';
}

export class PersonalSeal implements KyselyPlugin {
  constructor(readonly keyRing: KeyRing | null) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }

  private ring(): KeyRing {
    if (!this.keyRing) throw new PersonalSealError('the records store was opened without the key ring: personal fields can be neither sealed nor read (reports need no key)');
    return this.keyRing;
  }

  seal(table: PersonalTable, column: string, disputeId: string, text: string): string {
    return this.ring().sealText(text, context(table, column, disputeId));
  }

  sealNullable(table: PersonalTable, column: string, disputeId: string, text: string | null): string | null {
    return text === null ? null : this.seal(table, column, disputeId, text);
  }

  open(table: PersonalTable, column: string, disputeId: string, stored: string): string {
    if (stored.startsWith(LEGACY_PLAIN)) return stored.slice(LEGACY_PLAIN.length);
    try {
      return this.ring().openText(stored, context(table, column, disputeId));
    } catch (error) {
      // Which field failed, never its value.
      throw new PersonalSealError(`${table}.${column} of dispute ${disputeId}: ${(error as Error).message}`);
    }
  }

  openNullable(table: PersonalTable, column: string, disputeId: string, stored: string | null): string | null {
    return stored === null ? null : this.open(table, column, disputeId, stored);
  }

  /** A row for `table` with each of its personal columns sealed (null stays null). */
  sealRow<T extends { dispute_id: string }>(table: PersonalTable, row: T): T {
    const sealed: Record<string, unknown> = { ...row };
    for (const column of personalColumns[table]) {
      const value = sealed[column];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') throw new PersonalSealError(`${table}.${column}: expected text to seal`);
      sealed[column] = this.seal(table, column, row.dispute_id, value);
    }
    return sealed as T;
  }
}

function context(table: string, column: string, disputeId: string): string {
  return `${table}.${column}/${disputeId}`;
}

/** The sealer of the store `db` belongs to (or a transaction on it). */
export function personalSeal(db: Kysely<RecordsDatabase>): PersonalSeal {
  const found = db.getExecutor().plugins.find((plugin): plugin is PersonalSeal => plugin instanceof PersonalSeal);
  if (!found) throw new PersonalSealError('this database was not opened by openRecordsStore: it has no sealer for personal fields');
  return found;
}

/**
 * Seals what migration 0002 left in plain text, in batches, then rewrites those tables (VACUUM
 * FULL) so the plain copies leave the store's files. Runs at each open with the key ring; a store
 * with nothing pending costs one small query. Each row is updated only if it still holds what was
 * read, so a writer racing it wins. Returns how many rows were sealed.
 */
export async function sealLegacyValues(db: Kysely<RecordsDatabase>, batch = 500): Promise<number> {
  const seal = personalSeal(db);
  if (!seal.keyRing) return 0;
  const pending = await db.selectFrom('sealing_pending').select('table_name').execute();
  let sealed = 0;
  for (const { table_name: name } of pending) {
    const table = name as PersonalTable;
    const columns: readonly string[] = personalColumns[table] ?? [];
    let stalls = 0;
    for (;;) {
      const found = await sql<Record<string, string | null> & { row_id: string; dispute_id: string }>`
        select ctid::text as row_id, dispute_id, ${sql.join(columns.map((column) => sql.ref(column)))} from ${sql.table(table)}
        where ${sql.join(columns.map((column) => sql`${sql.ref(column)} like ${`${LEGACY_PLAIN}%`}`), sql` or `)} limit ${batch}`.execute(db);
      if (found.rows.length === 0) break;
      const values = found.rows.map((row) => {
        const cells = columns.flatMap((column) => {
          const stored = row[column] ?? null;
          const next = stored?.startsWith(LEGACY_PLAIN) ? seal.seal(table, column, row.dispute_id, stored.slice(LEGACY_PLAIN.length)) : stored;
          return [sql`${stored}::text`, sql`${next}::text`];
        });
        return sql`(${row.row_id}::tid, ${sql.join(cells)})`;
      });
      const names = columns.flatMap((_, index) => [sql.raw(`o${index}`), sql.raw(`s${index}`)]);
      const updated = await sql`
        update ${sql.table(table)} as t set ${sql.join(columns.map((column, index) => sql`${sql.ref(column)} = v.${sql.raw(`s${index}`)}`))}
        from (values ${sql.join(values)}) as v(row_id, ${sql.join(names)})
        where t.ctid = v.row_id and ${sql.join(columns.map((column, index) => sql`t.${sql.ref(column)} is not distinct from v.${sql.raw(`o${index}`)}`), sql` and `)}`.execute(db);
      const count = Number(updated.numAffectedRows ?? 0);
      sealed += count;
      // Nothing matched: every row read was changed meanwhile by a writer (which seals); read again, a few times.
      stalls = count === 0 ? stalls + 1 : 0;
      if (stalls > 3) throw new PersonalSealError(`${table}: plain values could not be sealed (rows keep changing); the next open tries again`);
    }
    await db.deleteFrom('sealing_pending').where('table_name', '=', name).execute();
    await sql`vacuum full ${sql.table(table)}`.execute(db);
  }
  if (pending.length > 0) await forgetOldWal(db);
  return sealed;
}

/**
 * The plain values are still in the write-ahead log that recorded them. A new segment, a checkpoint
 * and no recycling: the old segments are deleted rather than renamed for reuse (PGlite runs its
 * checkpoint in this session, so the setting applies; a PostgreSQL server's checkpointer follows
 * its own configuration, see the README).
 */
async function forgetOldWal(db: Kysely<RecordsDatabase>): Promise<void> {
  await sql`set wal_recycle = off`.execute(db).catch(() => undefined);
  await sql`select pg_switch_wal()`.execute(db).catch(() => undefined);
  await sql`checkpoint`.execute(db);
  await sql`reset wal_recycle`.execute(db).catch(() => undefined);
}
