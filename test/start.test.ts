import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { searchAttributes } from '../workflows/search-attributes';
import { WORKER_HEAP_MIB } from '../worker/heap';
import { eventually } from './support/eventually';
import { freePort, launch } from './support/processes';

// `npm start` is `scripts/setup.sh` then this entry point; the set-up has already run for the tests.
interface Ports {
  temporal: number;
  ui: number;
  api: number;
  smtp: number;
  inbox: number;
  replies: number;
}

async function freePorts(): Promise<Ports> {
  return { temporal: await freePort(), ui: await freePort(), api: await freePort(), smtp: await freePort(), inbox: await freePort(), replies: await freePort() };
}

async function startProduct(dataDir: string, ports: Ports, ...args: string[]) {
  // As package.json's start script runs it: one node process, no tsx wrapper in between.
  const product = launch('node', ['--import', 'tsx', 'client/start.ts', ...args], {
    ...process.env,
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

const asBoard = { headers: { authorization: 'Bearer demo-board-rotherham-rsab' } };

const listedIds = async (apiPort: number) =>
  ((await (await fetch(`http://127.0.0.1:${apiPort}/disputes?board=rotherham-rsab`, asBoard)).json()) as { disputes: { disputeId: string }[] }).disputes.map((d) => d.disputeId);

const stageOf = async (apiPort: number, disputeId: string) =>
  ((await (await fetch(`http://127.0.0.1:${apiPort}/disputes/${disputeId}`, asBoard)).json()) as { stage: number }).stage;

/** The first mail in MailDev about this dispute that matches; emails go out one by one, so it polls. */
const inboxMail = async (inboxPort: number, disputeId: string, match: (mail: { subject: string }) => boolean) =>
  ((await (await fetch(`http://127.0.0.1:${inboxPort}/email`)).json()) as { subject: string }[]).find((mail) => mail.subject.includes(disputeId) && match(mail));

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
      // The worker's cached disputes get its heap limit (worker/heap.ts; test/deployment.test.ts shows the thread takes it).
      expect(product.output()).toContain(`workflow heap limit ${WORKER_HEAP_MIB} MiB`);

      // The API answers with the demo keys, and lists the demo dispute --demo started.
      const [, demoId] = /(rsab-[a-z0-9]+) +rotherham-rsab/.exec(product.output()) ?? [];
      expect(demoId).toBeDefined();
      const listed = await eventually(() => listedIds(ports.api), (ids) => ids.includes(demoId!), 20_000);
      expect(listed).toContain(demoId);
      // Its stage-1 emails reached the MailDev inbox, readable in a browser and over its REST API.
      expect((await fetch(`http://localhost:${ports.inbox}/`)).status).toBe(200);
      const asked = await eventually(
        () => inboxMail(ports.inbox, demoId!, (mail) => mail.subject.includes('stage 1: your decision is needed') && JSON.stringify(mail).includes('practitioner@rotherham-nhs')),
        (mail) => mail !== undefined,
        20_000,
      );
      expect(asked).toBeDefined();
      // A manager answers by email: `dispute reply` sends it to the inbound server npm start runs.
      const replyTo = /reply\+[a-z2-7]+@localhost/.exec(JSON.stringify(asked))?.[0];
      expect(replyTo).toBeDefined();
      const reply = spawnSync('node', ['bin/dispute.js', 'reply', '--to', replyTo!, '--from', 'practitioner@rotherham-nhs.example.org', '--text', 'UNRESOLVED\\nWe cannot agree.'], {
        encoding: 'utf8',
        env: { ...process.env, INBOUND_SMTP_PORT: String(ports.replies) },
      });
      expect(reply.stderr).toBe('');
      expect(reply.status).toBe(0);
      expect(await eventually(() => stageOf(ports.api, demoId!), (stage) => stage === 2, 20_000)).toBe(2);

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

  it('keeps its data private, takes its children with it when killed -9, and stops a server an older run left behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dispute-kill-'));
    // An older version made these readable by everyone: the start tightens them.
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'reply-secret'), 'a-reply-secret-from-an-older-run\n', { mode: 0o644 });
    const ports = await freePorts();
    const mode = (path: string) => statSync(path).mode & 0o777;
    const leftInbox = () => processesMentioning(`--smtp ${ports.smtp}`);

    const first = await startProduct(dataDir, ports);
    expect(mode(dataDir)).toBe(0o700);
    for (const file of ['temporal.sqlite', 'reply-secret', 'temporal-server.log', 'temporal-server.pid', 'mail-inbox.pid']) {
      expect(mode(join(dataDir, file)), file).toBe(0o600);
    }
    expect(processesMentioning(dataDir)).not.toEqual([]);
    process.kill(first.child.pid!, 'SIGKILL');
    // No handler of the killed process runs: its watchdogs stop the server and the inbox.
    await eventually(async () => [...processesMentioning(dataDir), ...leftInbox()], (left) => left.length === 0, 30_000);

    // Now the watchdogs die too (as when a whole session is killed): the server is left running.
    const second = await startProduct(dataDir, ports);
    const serverPid = Number(readFileSync(join(dataDir, 'temporal-server.pid'), 'utf8'));
    const inboxPid = Number(readFileSync(join(dataDir, 'mail-inbox.pid'), 'utf8'));
    const watchdogs = processesMentioning('dispute-watchdog-').filter((line) => line.endsWith(` ${serverPid}`) || line.endsWith(` ${inboxPid}`));
    expect(watchdogs).toHaveLength(2);
    for (const line of watchdogs) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
    process.kill(second.child.pid!, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(processesMentioning(dataDir).length).toBeGreaterThan(0);

    // The next start finds them by their pid files, stops them, and starts cleanly on the same ports.
    const third = await startProduct(dataDir, ports);
    try {
      expect(third.output()).toContain(`stopped the Temporal server an earlier npm start left running (pid ${serverPid})`);
      expect((await fetch(`http://localhost:${ports.inbox}/`)).status).toBe(200);
      const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
    } finally {
      expect(await third.interrupt()).toBe(0);
    }
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(leftInbox()).toEqual([]);
  }, 240_000);

  it('refuses a Temporal port held by a process it did not leave, naming the port and the variable', async () => {
    const { createServer } = await import('node:net');
    const stranger = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => stranger.listen(port, '127.0.0.1', resolve));
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'dispute-taken-'));
      const ports = await freePorts();
      const run = spawnSync('node', ['--import', 'tsx', 'client/start.ts'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_UI_PORT: String(ports.ui), TEMPORAL_DB_FILE: join(dataDir, 'temporal.sqlite'), MAIL_INBOX_WEB_PORT: '0', API_PORT: String(ports.api) },
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^npm start: 127\\.0\\.0\\.1:${port} is already in use by a process this npm start did not leave .*set TEMPORAL_ADDRESS to a free port\n$`));
      expect(processesMentioning(dataDir)).toEqual([]);
    } finally {
      stranger.close();
    }
  });
});
