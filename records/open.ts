import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, sql, type KyselyPlugin } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { ConfigError } from '../runtime/errors';
import type { KeyRing } from '../runtime/key-ring';
import { migrations } from './migrations';
import { openServed, serveRecordsStore, SharedPGliteDialect, Turns } from './serve';
import type { RecordsDatabase } from './schema';
import { PersonalSeal, sealLegacyValues } from './seal';

// Opens the records store: PostgreSQL when DATABASE_URL is set, else PGlite (PostgreSQL compiled to
// WebAssembly) persisted in a folder. Migrations run on open; a store written by newer code is refused.
// Personal fields are sealed under the key ring given here (records/seal.ts); a store opened with
// `keyRing: null` serves reports only, and refuses to read or write personal fields.

/** The store cannot be opened as configured: a deployment problem (a ConfigError: one line, exit 2), said in words an operator can act on. */
export class RecordsStoreError extends ConfigError {}

export interface RecordsStore {
  db: Kysely<RecordsDatabase>;
  /** Where the records are, for messages: the PGlite folder or the server's host and database (never a password). */
  where: string;
  close(): Promise<void>;
  /** A store served by another process that has since closed it or died: open it afresh (and maybe hold it). */
  lost?: () => boolean;
}

export interface RecordsLocation {
  /** postgres://… : a PostgreSQL server. */
  databaseUrl?: string | undefined;
  /** The PGlite folder; 'memory' for a throwaway in-memory store. */
  dataDir?: string | undefined;
}

export interface RecordsStoreOptions {
  /** The payload key ring: it seals and opens the personal fields. Null: reports only. */
  keyRing: KeyRing | null;
}

export async function openRecordsStore(location: RecordsLocation, options: RecordsStoreOptions): Promise<RecordsStore> {
  const plugins = [new PersonalSeal(options.keyRing)];
  const store = location.databaseUrl ? openPostgres(location.databaseUrl, plugins) : await openPglite(location.dataDir ?? '.data/records', plugins);
  try {
    await migrate(store);
    // A store written before sealing is sealed by the first process to open it with the key.
    await sealLegacyValues(store.db);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function openPostgres(url: string, plugins: KyselyPlugin[]): RecordsStore {
  const parsed = new URL(url);
  const where = `PostgreSQL ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000 });
  // A server that goes away must not crash the process: the next query fails and is retried.
  pool.on('error', () => undefined);
  const db = new Kysely<RecordsDatabase>({ dialect: new PostgresDialect({ pool }), plugins });
  return { db, where, close: () => db.destroy() };
}

async function openPglite(dataDir: string, plugins: KyselyPlugin[]): Promise<RecordsStore> {
  if (dataDir === 'memory') {
    const pglite = await PGlite.create();
    const db = new Kysely<RecordsDatabase>({ dialect: new PGliteDialect(pglite), plugins });
    return { db, where: 'PGlite (in memory)', close: () => db.destroy() };
  }
  const folder = resolve(dataDir);
  const held = lock(folder);
  // Another process holds the store: use it through the socket that process serves it on.
  if (typeof held === 'number') return (await openServed(folder, dataDir, () => alive(held), plugins)) ?? refuse(folder, held);
  const release = held;
  try {
    mkdirSync(folder, { recursive: true });
    const pglite = await PGlite.create(folder);
    const turns = new Turns();
    const db = new Kysely<RecordsDatabase>({ dialect: new SharedPGliteDialect(pglite, turns), plugins });
    const server = await serveRecordsStore(pglite, folder, turns).catch(() => null);
    return {
      db,
      where: `PGlite ${dataDir}`,
      async close() {
        await server?.close();
        await db.destroy();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

function refuse(folder: string, holder: number): never {
  throw new RecordsStoreError(
    `the embedded records store ${folder} is open in another process (pid ${holder}, e.g. \`npm start\`) that does not serve it: ` +
      'stop it, or use PostgreSQL (DATABASE_URL) to share the store',
  );
}

/**
 * PGlite is one process's database: a second process opening the same folder would corrupt it.
 * A lock file beside the folder names the holder (returned when it is alive); a holder that has
 * died leaves a stale lock, taken over.
 */
function lock(folder: string): (() => void) | number {
  const file = `${folder}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) return holder;
      rmSync(file, { force: true });
    }
  }
  throw new RecordsStoreError(`could not lock the embedded records store ${folder}`);
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function migrate(store: RecordsStore): Promise<void> {
  const { db } = store;
  const known = Object.keys(migrations);
  const table = await sql<{ exists: boolean }>`select to_regclass('public.kysely_migration') is not null as exists`.execute(db);
  if (table.rows[0]?.exists) {
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    const unknown = applied.rows.map((row) => row.name).filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new RecordsStoreError(
        `the records store (${store.where}) is newer than this code: it has migration(s) ${unknown.join(', ')} that this version does not know. ` +
          'Run the version of dispute that wrote it (or newer); this one refuses to start rather than misread it.',
      );
    }
  }
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw new RecordsStoreError(`the records store (${store.where}) could not be migrated: ${error instanceof Error ? error.message : String(error)}`);
}
