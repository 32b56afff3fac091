import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { searchAttributes } from '../workflows/search-attributes';
import { freePort, launch } from './support/processes';

// `npm start` is `scripts/setup.sh` then this entry point; the set-up has already run for the tests.
async function startProduct(dataDir: string, port: number, uiPort: number) {
  const product = launch('node_modules/.bin/tsx', ['client/start.ts'], {
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_UI_PORT: String(uiPort),
    TEMPORAL_DB_FILE: join(dataDir, 'temporal.sqlite'),
    TEMPORAL_TASK_QUEUE: 'disputes',
  });
  await product.waitFor('Ctrl-C stops everything', 90_000);
  return product;
}

function processesMentioning(text: string): string[] {
  const table = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return table.split('\n').filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

describe('npm start', () => {
  it('serves the Web UI, registers our search attributes, runs a polling worker, and stops cleanly on Ctrl-C', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dispute-start-'));
    const [port, uiPort] = [await freePort(), await freePort()];
    const product = await startProduct(dataDir, port, uiPort);
    const address = `127.0.0.1:${port}`;
    try {
      const ui = await fetch(`http://localhost:${uiPort}/`);
      expect(ui.status).toBe(200);

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
    await expect(Connection.connect({ address, connectTimeout: 1_000 })).rejects.toThrow();

    const again = await startProduct(dataDir, port, uiPort);
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
