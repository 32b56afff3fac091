import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { searchAttributes } from '../workflows/search-attributes';
import { freePort, launch } from './support/processes';

// `npm start` is `scripts/setup.sh` then this entry point; the set-up has already run for the tests.
interface Ports {
  temporal: number;
  ui: number;
  api: number;
  smtp: number;
  inbox: number;
}

async function freePorts(): Promise<Ports> {
  return { temporal: await freePort(), ui: await freePort(), api: await freePort(), smtp: await freePort(), inbox: await freePort() };
}

async function startProduct(dataDir: string, ports: Ports, ...args: string[]) {
  const product = launch('node_modules/.bin/tsx', ['client/start.ts', ...args], {
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_UI_PORT: String(ports.ui),
    TEMPORAL_DB_FILE: join(dataDir, 'temporal.sqlite'),
    TEMPORAL_TASK_QUEUE: 'disputes',
    API_PORT: String(ports.api),
    SMTP_PORT: String(ports.smtp),
    MAIL_INBOX_WEB_PORT: String(ports.inbox),
  });
  await product.waitFor('Ctrl-C stops everything', 90_000);
  return product;
}

async function eventuallyListed(apiPort: number, disputeId: string): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${apiPort}/disputes?board=rotherham-rsab`, { headers: { authorization: 'Bearer demo-board-rotherham-rsab' } });
    const ids = ((await response.json()) as { disputes: { disputeId: string }[] }).disputes.map((d) => d.disputeId);
    if (ids.includes(disputeId) || Date.now() > deadline) return ids;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function eventuallyInInbox(inboxPort: number, disputeId: string): Promise<{ subject: string }[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const mails = (await (await fetch(`http://127.0.0.1:${inboxPort}/email`)).json()) as { subject: string }[];
    const ours = mails.filter((mail) => mail.subject.includes(disputeId));
    if (ours.length > 0 || Date.now() > deadline) return ours;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function processesMentioning(text: string): string[] {
  const table = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return table.split('\n').filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

describe('npm start', () => {
  it('serves the Web UI, registers our search attributes, runs a polling worker, and stops cleanly on Ctrl-C', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dispute-start-'));
    const ports = await freePorts();
    const product = await startProduct(dataDir, ports, '--demo');
    const address = `127.0.0.1:${ports.temporal}`;
    try {
      const ui = await fetch(`http://localhost:${ports.ui}/`);
      expect(ui.status).toBe(200);
      expect(product.output()).toContain(`http://localhost:${ports.inbox}`);
      expect(product.output()).toContain('board: demo-board-rotherham-rsab');

      // The API answers with the demo keys, and lists the demo dispute --demo started.
      const [, demoId] = /(rsab-[a-z0-9]+) +rotherham-rsab/.exec(product.output()) ?? [];
      expect(demoId).toBeDefined();
      const listed = await eventuallyListed(ports.api, demoId!);
      expect(listed).toContain(demoId);
      // Its stage-1 emails reached the MailDev inbox, readable in a browser and over its REST API.
      expect((await fetch(`http://localhost:${ports.inbox}/`)).status).toBe(200);
      const inbox = await eventuallyInInbox(ports.inbox, demoId!);
      expect(inbox.some((mail) => mail.subject.includes('stage 1: your decision is needed'))).toBe(true);

      const connection = await Connection.connect({ address });
      const registered = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const key of searchAttributes) expect(Object.keys(registered.customAttributes)).toContain(key.name);

      const queue = await connection.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: 'disputes' },
        taskQueueType: 1, // workflow tasks
      });
      expect(queue.pollers.length).toBeGreaterThan(0);

      // A running workflow must survive a restart: the server persists to the SQLite file.
      const client = new Client({ connection });
      await client.workflow.start('probe', { taskQueue: 'disputes', workflowId: 'survives-restart', args: [3_600_000] });
      await connection.close();
    } finally {
      expect(await product.interrupt()).toBe(0);
    }
    expect(product.output()).toContain('stopped');
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(processesMentioning(`--smtp ${ports.smtp}`)).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${ports.api}/health`)).rejects.toThrow();
    await expect(Connection.connect({ address, connectTimeout: 1_000 })).rejects.toThrow();

    const again = await startProduct(dataDir, ports, '--demo');
    // The demo disputes are started once, however often --demo runs.
    expect(again.output()).toMatch(/rsab-[a-z0-9]+ +rotherham-rsab \(already there\)/);
    try {
      const connection = await Connection.connect({ address });
      const client = new Client({ connection });
      const description = await client.workflow.getHandle('survives-restart').describe();
      expect(description.status.name).toBe('RUNNING');
      await connection.close();
    } finally {
      expect(await again.interrupt()).toBe(0);
    }
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 180_000);
});
