import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { Kysely, PostgresDialect, type DatabaseConnection, type Driver, type KyselyPlugin, type TransactionSettings } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { RecordsStore } from './open';
import type { RecordsDatabase } from './schema';

// The process that holds the embedded store serves it to this user's other processes (the CLI while
// `npm start` runs) on a unix socket beside the store: a folder of mode 0700 holding the socket, so
// only the same user can connect, and no password is asked. pglite-socket speaks PostgreSQL's wire
// protocol; what it does not do is keep sessions apart: PGlite is one backend, so a client's
// Parse…Sync, or a whole transaction, must run without another's messages (or the holder's own
// queries) in between. `Turns` gives the backend to one session at a time.

/** The socket's folder for a store folder: `.data/records` → `.data/records.socket/`, the socket in it named as PostgreSQL names one. */
export function socketFolder(storeFolder: string): string {
  return `${storeFolder}.socket`;
}
/** pg connects to `<host>/.s.PGSQL.<port>` when host is a folder. */
export const SOCKET_PORT = 5432;
const socketPath = (storeFolder: string) => `${socketFolder(storeFolder)}/.s.PGSQL.${SOCKET_PORT}`;
/** A unix socket's path is at most 107 bytes on Linux (103 on macOS). */
const MAX_SOCKET_PATH = 103;

/** One session at a time on PGlite's single backend, in the order they asked. */
export class Turns {
  private holder: unknown = null;
  private waiting: { who: unknown; go: () => void; stop: (error: Error) => void }[] = [];

  async acquire(who: unknown): Promise<void> {
    if (this.holder === who) return;
    if (this.holder === null) {
      this.holder = who;
      return;
    }
    await new Promise<void>((go, stop) => this.waiting.push({ who, go, stop }));
  }

  release(who: unknown): void {
    if (this.holder !== who) return;
    const next = this.waiting.shift();
    this.holder = next ? next.who : null;
    next?.go();
  }

  holds(who: unknown): boolean {
    return this.holder === who;
  }

  /** A session that has gone: its waits end, its turn passes on. */
  drop(who: unknown): void {
    for (const entry of this.waiting.filter((candidate) => candidate.who === who)) entry.stop(new Error('the connection closed'));
    this.waiting = this.waiting.filter((candidate) => candidate.who !== who);
    this.release(who);
  }
}

const SYNC = 0x53; // 'S': ends an extended-protocol exchange
const QUERY = 0x51; // 'Q': a simple query, answered whole
const TERMINATE = 0x58; // 'X'

/**
 * What pglite-socket's handler hands each message to (the shape of its QueryQueueManager): the
 * message runs when its session has the backend, which it keeps until an exchange ends outside a
 * transaction.
 */
function sessionQueue(db: PGlite, turns: Turns) {
  return {
    async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
      await turns.acquire(handlerId);
      let bytes = 0;
      try {
        await db.runExclusive(() =>
          db.execProtocolRawStream(message, {
            onRawData: (data) => {
              bytes += data.length;
              onData(data);
            },
          }),
        );
      } finally {
        // The startup message has no type byte: its first byte is the top of its length (0).
        const type = message[0];
        if ((type === SYNC || type === QUERY || type === TERMINATE || type === 0) && !db.isInTransaction()) turns.release(handlerId);
      }
      return bytes;
    },
    getQueueLength: () => 0,
    clearQueueForHandler(handlerId: number): void {
      if (!turns.holds(handlerId)) turns.drop(handlerId);
    },
    async clearTransactionIfNeeded(handlerId: number): Promise<void> {
      // A client gone mid-transaction: what it began is rolled back, and the backend passes on.
      if (turns.holds(handlerId) && db.isInTransaction()) await db.runExclusive(() => db.exec('rollback'));
      turns.drop(handlerId);
    },
  };
}

export interface StoreServer {
  /** The folder holding the socket: pg's `host`. */
  folder: string;
  close(): Promise<void>;
}

/**
 * Serves the store on its socket; null when the path would be too long for a unix socket (the
 * store is then this process's only, as before). A socket left by a holder that died is replaced.
 */
export async function serveRecordsStore(db: PGlite, storeFolder: string, turns: Turns): Promise<StoreServer | null> {
  const folder = socketFolder(storeFolder);
  const path = socketPath(storeFolder);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) return null;
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { mode: 0o700 });
  chmodSync(folder, 0o700);
  const queue = sessionQueue(db, turns);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const handler = new PGLiteSocketHandler({ queryQueue: queue as never, closeOnDetach: true });
    handler.attach(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  // A failing client connection must never take the holder down.
  server.on('error', () => undefined);
  return {
    folder,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** The holder's own queries take their turn like any client's: a Kysely connection (a query, or a whole transaction) holds the backend until released. */
export class SharedPGliteDialect extends PGliteDialect {
  constructor(
    pglite: PGlite,
    private readonly turns: Turns,
  ) {
    super(pglite);
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const { turns } = this;
    const held = new Map<DatabaseConnection, symbol>();
    return {
      init: () => driver.init(),
      async acquireConnection() {
        const turn = Symbol('local');
        await turns.acquire(turn);
        const connection = await driver.acquireConnection();
        held.set(connection, turn);
        return connection;
      },
      beginTransaction: (connection: DatabaseConnection, settings: TransactionSettings) => driver.beginTransaction(connection, settings),
      commitTransaction: (connection: DatabaseConnection) => driver.commitTransaction(connection),
      rollbackTransaction: (connection: DatabaseConnection) => driver.rollbackTransaction(connection),
      async releaseConnection(connection: DatabaseConnection) {
        await driver.releaseConnection(connection);
        const turn = held.get(connection);
        held.delete(connection);
        turns.release(turn);
      },
      destroy: () => driver.destroy(),
    };
  }
}

/**
 * The store another process holds, through the socket it serves it on; null when nothing answers
 * there (a holder still starting gets a few seconds; one that does not serve is refused by the caller).
 */
export async function openServed(storeFolder: string, dataDir: string, holderAlive: () => boolean, plugins: KyselyPlugin[] = []): Promise<RecordsStore | null> {
  const host = socketFolder(storeFolder);
  for (const until = Date.now() + 3_000; !existsSync(socketPath(storeFolder)) && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!existsSync(socketPath(storeFolder))) return null;
  // PGlite has one database and asks no password; the socket's folder keeps other users out.
  const pool = new pg.Pool({ host, port: SOCKET_PORT, user: 'postgres', database: 'postgres', max: 4, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  try {
    (await pool.connect()).release();
  } catch {
    await pool.end().catch(() => undefined);
    return null;
  }
  const db = new Kysely<RecordsDatabase>({ dialect: new PostgresDialect({ pool }), plugins });
  return {
    db,
    where: `PGlite ${dataDir} (served by the process that holds it)`,
    close: () => db.destroy(),
    // The holder closes its socket when it closes the store, and leaves its lock behind if it dies.
    lost: () => !existsSync(socketPath(storeFolder)) || !holderAlive(),
  };
}
