import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDisputeStart, startDispute } from '../client/disputes';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { context, twoAgencies } from './support/disputes';
import { freePort } from './support/processes';

// What an operator sees: the Temporal Web UI served by the real dev server, in headless Chromium
// (Debian's, installed by scripts/setup.sh --browser), driven by playwright-core.

let dev: DevWorker;
let uiPort: number;
let browser: Browser;

beforeAll(async () => {
  uiPort = await freePort();
  dev = await startDevWorker({ uiPort });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // The machine's network is closed: without these Chromium keeps trying to reach Google.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await dev?.close();
});

async function start(policy: string, board: string, agencies: [string, string]) {
  const start = buildDisputeStart(
    {
      policy,
      concernAt: new Date().toISOString(),
      category: 'neglect',
      agencies: twoAgencies(board, ...agencies),
      personReference: 'UI-TEST-1',
      summary: 'An operator looks at this dispute.',
    },
    context,
  );
  await startDispute(dev.env.client, dev.taskQueue, start);
  return start.disputeId;
}

describe('the Temporal Web UI', () => {
  it('filters disputes by board, opens one, and shows its current stage, deadline and who is awaited', async () => {
    const rotherham = await start('rotherham-rsab', 'rotherham', ['asc', 'nhs']);
    const leeds = await start('leeds-sab', 'leeds', ['asc', 'nhs']);
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const query = encodeURIComponent(`DisputeBoard="rotherham-rsab"`);
    const list = `http://127.0.0.1:${uiPort}/namespaces/default/workflows?query=${query}`;
    // Visibility is eventually consistent: reload until the dispute is listed.
    for (let attempt = 0; attempt < 10; attempt++) {
      await page.goto(list);
      const listed = await page
        .getByRole('link', { name: rotherham })
        .first()
        .waitFor({ timeout: 5_000 })
        .then(() => true, () => false);
      if (listed) break;
    }
    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: 'test-output/temporal-ui-list.png', fullPage: true });
    await expect(page.getByRole('link', { name: rotherham }).first().isVisible()).resolves.toBe(true);
    expect(await page.getByRole('link', { name: leeds }).count()).toBe(0);

    await page.getByRole('link', { name: rotherham }).first().click();
    await page.waitForURL(new RegExp(`/workflows/${rotherham}/`));
    // Summary, details and current details are on the User Metadata tab, each rendered from
    // markdown in its own sandboxed frame.
    await page.getByRole('link', { name: 'User Metadata' }).or(page.getByRole('tab', { name: 'User Metadata' })).first().click();
    const rendered = async () => {
      const texts = [];
      for (const frame of page.frames().filter((candidate) => candidate.url().includes('/render?'))) {
        texts.push(await frame.locator('body').innerText().catch(() => ''));
      }
      return texts.join('\n');
    };
    let metadata = '';
    for (let attempt = 0; attempt < 60 && !metadata.includes('Awaiting a decision from'); attempt++) {
      await page.waitForTimeout(250);
      metadata = await rendered();
    }
    expect(metadata).toContain(`RSAB dispute ${rotherham} (neglect, standard risk)`);
    expect(metadata).toContain('Stage 1 — Professional to professional');
    expect(metadata).toMatch(/Deadline: \w{3} \d{1,2} \w{3} \d{4} \d\d:\d\d (GMT|BST)/);
    expect(metadata).toContain('Awaiting a decision from: Rotherham Council Adult Social Care; Rotherham Hospitals NHS Foundation Trust');
    expect(metadata).not.toContain('UI-TEST-1'); // the person's reference is not in the metadata
    await page.screenshot({ path: 'test-output/temporal-ui-dispute.png', fullPage: true });
  }, 120_000);
});
