import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { payloadKeyId } from '../runtime/payload-codec';
import { compiled, freePort, launch } from './support/processes';

// `npm start` encrypts with a key it makes once under .data/, keeps it across restarts, and starts
// the Web UI with its codec endpoint pointing at the API.

async function startProduct(dataDir: string, ports: Record<'temporal' | 'ui' | 'api' | 'smtp' | 'inbox' | 'replies', number>) {
  const { PAYLOAD_KEYS: _keys, PAYLOAD_KEYS_FILE: _file, OPERATOR_KEYS: _operators, ...environment } = process.env;
  // npm start's own code (compiled once for the run: support/compiled-product.ts), no process in
  // between to relay signals; start.test runs it through tsx exactly as `npm start` does.
  const product = launch('node', [compiled('client/start.ts')], {
    ...environment,
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_UI_PORT: String(ports.ui),
    TEMPORAL_DB_FILE: join(dataDir, 'temporal.sqlite'),
    RECORDS_DIR: join(dataDir, 'records'),
    TEMPORAL_TASK_QUEUE: 'disputes',
    API_PORT: String(ports.api),
    SMTP_PORT: String(ports.smtp),
    MAIL_INBOX_WEB_PORT: String(ports.inbox),
    INBOUND_SMTP_PORT: String(ports.replies),
  });
  await product.waitFor('Ctrl-C stops everything', 90_000);
  return product;
}

describe('npm start and payload encryption', () => {
  it('makes a local key once, encrypts with it across restarts, and points the Web UI at the codec endpoint', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dispute-start-codec-'));
    const ports = { temporal: await freePort(), ui: await freePort(), api: await freePort(), smtp: await freePort(), inbox: await freePort(), replies: await freePort() };
    const api = `http://127.0.0.1:${ports.api}`;
    const product = await startProduct(dataDir, ports);
    const keyFile = join(dataDir, 'payload-keys');
    let disputeId = '';
    let keys = '';
    try {
      keys = readFileSync(keyFile, 'utf8');
      expect(keys).toMatch(/^local-1 [A-Za-z0-9+/]{43}=\n$/);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(product.output()).toContain(`(codec: ${api}/codec; demo operator key: demo-operator)`);
      const settings = await (await fetch(`http://localhost:${ports.ui}/api/v1/settings`)).json();
      expect(JSON.stringify(settings)).toContain(`"${api}/codec"`);

      const started = await fetch(`${api}/disputes`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo-rotherham-asc', 'content-type': 'application/json' },
        body: JSON.stringify({
          policy: 'rotherham-rsab', concernAt: new Date().toISOString(), category: 'neglect',
          agencies: [
            { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: 'pat.raiser@rotherham-asc.example.org' } },
            { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: 'robin.other@rotherham-nhs.example.org' } },
          ],
          personReference: 'START-CODEC-1', summary: 'Encrypted by npm start.',
        }),
      });
      expect(started.status).toBe(201);
      disputeId = ((await started.json()) as { disputeId: string }).disputeId;
      // As Temporal holds it: sealed under the local key.
      const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
      const history = await new Client({ connection }).workflow.getHandle(disputeId).fetchHistory();
      await connection.close();
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      expect(payloadKeyId(input)).toBe('local-1');
      // The codec endpoint opens it for the demo operator.
      const decoded = await fetch(`${api}/codec/decode`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo-operator', 'content-type': 'application/json' },
        body: JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(input.data!).toString('base64') }] }),
      });
      const [payload] = ((await decoded.json()) as { payloads: { data: string }[] }).payloads;
      expect(Buffer.from(payload!.data, 'base64').toString()).toContain('"summary":"Encrypted by npm start."');
    } finally {
      expect(await product.interrupt()).toBe(0);
    }

    const again = await startProduct(dataDir, ports);
    try {
      expect(readFileSync(keyFile, 'utf8')).toBe(keys);
      const shown = await fetch(`${api}/disputes/${disputeId}`, { headers: { authorization: 'Bearer demo-board-rotherham-rsab' } });
      expect(shown.status).toBe(200);
      expect(((await shown.json()) as { personReference: string }).personReference).toBe('START-CODEC-1');
    } finally {
      expect(await again.interrupt()).toBe(0);
    }
  }, 240_000);
});
