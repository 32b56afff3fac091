import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../support/processes';

// A real PostgreSQL for the records store's tests: a throwaway cluster in a temporary folder on a
// free port, from Debian's packages (scripts/postgres.sh installs them when missing). PostgreSQL
// refuses to run as root, so as root the cluster runs as the `postgres` user.

export interface TestPostgres {
  port: number;
  /** The cluster's data folder (for tests that read its files). */
  dataDir: string;
  /** A fresh, empty database on the cluster. */
  database(): Promise<string>;
  /** Stops the server (fast shutdown); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

let counter = 0;

export async function startPostgres(): Promise<TestPostgres> {
  const bin = execFileSync('bash', ['scripts/postgres.sh'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  const owner = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : {};
  const dir = mkdtempSync(join(tmpdir(), 'dispute-pg-'));
  if ('uid' in owner) chownSync(dir, owner.uid!, owner.gid!);
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], { ...owner, stdio: 'ignore' });
  const port = await freePort();
  let server: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;

  async function start(): Promise<void> {
    const child = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off'], { ...owner, stdio: 'ignore' });
    server = child;
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: admin });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`PostgreSQL did not start on port ${port}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async function stop(): Promise<void> {
    if (server && server.exitCode === null) server.kill('SIGINT');
    await exited;
    server = null;
  }

  await start();
  return {
    port,
    dataDir: data,
    async database() {
      counter += 1;
      const name = `records_${process.pid}_${counter}`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`create database ${name}`);
      await client.end();
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
