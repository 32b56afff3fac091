import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordsStore } from '../../records/open';
import { saveRecord } from '../../records/write';
import { startPostgres, type TestPostgres } from './postgres';
import { sampleWrite } from './sample';
import { testKeyRing } from '../support/temporal';

// docker-compose's records store: no Docker engine runs here, so the file's wiring is checked and
// the PostgreSQL init script it mounts is run for real against a throwaway server.

type Service = { environment?: Record<string, string>; volumes?: string[] };
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const environment = (name: string) => compose.services[name]?.environment ?? {};

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.destroy();
});

describe('the records store in docker-compose', () => {
  it('gives the worker, the API and the inbound mail service the same DATABASE_URL, to a database and role of their own', () => {
    const urls = ['worker', 'api', 'inbound-mail'].map((name) => environment(name).DATABASE_URL);
    expect(new Set(urls).size).toBe(1);
    expect(urls[0]).toMatch(/^postgres:\/\/dispute:\$\{RECORDS_DB_PASSWORD:\?[^}]+\}@postgresql:5432\/dispute_records$/);
    expect(environment('postgresql').RECORDS_DB_PASSWORD).toMatch(/^\$\{RECORDS_DB_PASSWORD:\?/);
    expect(compose.services.postgresql?.volumes).toContain('./records/postgres-init.sh:/docker-entrypoint-initdb.d/10-records.sh:ro');
    expect(existsSync('records/postgres-init.sh')).toBe(true);
  });

  it('sets Temporal’s retention on purpose', () => {
    expect(environment('temporal').DEFAULT_NAMESPACE_RETENTION).toBe('7d');
  });

  it('the init script creates the role and database, and the store migrates and writes there as that role', async () => {
    const admin = await postgres.database(); // the cluster's superuser runs the script, as in the image
    const { port } = new URL(admin);
    execFileSync('sh', ['records/postgres-init.sh'], {
      env: { ...process.env, POSTGRES_USER: 'postgres', RECORDS_DB_PASSWORD: 'compose-test-password', PGHOST: '127.0.0.1', PGPORT: port },
      stdio: 'pipe',
    });
    const url = environment('worker').DATABASE_URL!.replace(/\$\{RECORDS_DB_PASSWORD:\?[^}]+\}/, 'compose-test-password').replace('@postgresql:5432/', `@127.0.0.1:${port}/`);
    const store = await openRecordsStore({ databaseUrl: url }, { keyRing: testKeyRing });
    try {
      expect(store.where).toBe(`PostgreSQL 127.0.0.1:${port}/dispute_records`);
      expect(await saveRecord(store.db, sampleWrite())).toEqual({ events: 8, rowUpdated: true });
    } finally {
      await store.close();
    }
  });
});
