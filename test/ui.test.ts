import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ApiKeys } from '../client/api/keys';
import { OperatorKeys } from '../client/api/operator-keys';
import { buildApi } from '../client/api/server';
import { buildDisputeStart, startDispute } from '../client/disputes';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { realClockContext, twoAgencies } from './support/disputes';
import { freePort } from './support/processes';
import { testKeyRing } from './support/temporal';

// What an operator sees: the Temporal Web UI served by the real dev server, in headless Chromium
// (Debian's, installed by scripts/setup.sh --browser), driven by playwright-core. Payloads are
// encrypted; the UI decodes them through the API's codec endpoint, for an operator only.

let dev: DevWorker;
let uiPort: number;
let browser: Browser;
let api: FastifyInstance;
let codecUrl: string;

beforeAll(async () => {
  uiPort = await freePort();
  const apiPort = await freePort();
  codecUrl = `http://127.0.0.1:${apiPort}/codec`;
  dev = await startDevWorker({ uiPort, codecEndpoint: codecUrl });
  api = buildApi({
    disputes: { client: dev.env.client, taskQueue: dev.taskQueue, context: realClockContext },
    keys: ApiKeys.demo(realClockContext.directory).keys,
    codec: { keyRing: testKeyRing, operators: OperatorKeys.demo().keys, origins: [`http://127.0.0.1:${uiPort}`] },
  });
  await api.listen({ host: '127.0.0.1', port: apiPort });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // The machine's network is closed: without these Chromium keeps trying to reach Google.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
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
    realClockContext,
  );
  await startDispute(dev.env.client, dev.taskQueue, start);
  return start.disputeId;
}

/** What an operator does once (README): Codec Server → "Use my browser setting" → the endpoint with their key. */
async function enterOperatorKey(page: Page, key: string) {
  await page.locator('[data-testid^="data-encoder-status"]').first().click();
  await page.getByTestId('use-local-endpoint-input').check();
  await page.getByTestId('data-encoder-endpoint-input').fill(`${codecUrl}/operator/${key}`);
  await page.getByRole('button', { name: 'Apply' }).click();
  // Payloads already on the page were decoded with the old setting; a reload decodes them again.
  await page.reload();
}

/** The dispute's page: its Input panel is on the first screen. */
async function openDispute(page: Page, disputeId: string) {
  await page.goto(`http://127.0.0.1:${uiPort}/namespaces/default/workflows/${disputeId}`);
  await page.getByText(disputeId).first().waitFor();
}

describe('the Temporal Web UI', () => {
  it('without an operator key shows only ciphertext; with one, the dispute reads in clear', async () => {
    const disputeId = await start('norfolk-nsab', 'norfolk', ['gp', 'asc']);
    mkdirSync('test-output', { recursive: true });

    const stranger = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await openDispute(stranger, disputeId);
    await stranger.getByTestId('data-encoder-status-error').waitFor();
    await stranger.waitForTimeout(1_000);
    const hidden = await stranger.locator('body').innerText();
    expect(hidden).toContain(disputeId); // found and followed by its ID, without decrypting
    expect(hidden).not.toContain('"disputeId"');
    expect(hidden).not.toContain('UI-TEST-1');
    expect(hidden).not.toContain('An operator looks at this dispute');
    expect(hidden).toMatch(/"[A-Za-z0-9+/]{200,}/); // the input, as the codec left it: ciphertext
    await stranger.screenshot({ path: 'test-output/temporal-ui-codec-without-key.png' });

    await enterOperatorKey(stranger, 'not-an-operator-key');
    await stranger.waitForTimeout(1_500);
    expect(await stranger.locator('body').innerText()).not.toContain('"disputeId"');
    await stranger.close();

    const operator = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await openDispute(operator, disputeId);
    await enterOperatorKey(operator, OperatorKeys.demo().plain);
    await operator.getByText(`"disputeId": "${disputeId}"`).first().waitFor({ timeout: 20_000 });
    expect(await operator.locator('body').innerText()).not.toContain('Codec Server could not connect');
    // The input is long, in an editor that draws only the lines in view: its end holds the person.
    await operator.getByText(`"disputeId": "${disputeId}"`).first().click();
    await operator.keyboard.press('Control+End');
    await operator.getByText('UI-TEST-1').first().waitFor({ timeout: 10_000 });
    const shown = await operator.locator('body').innerText();
    expect(shown).toContain('"personReference": "UI-TEST-1"');
    expect(shown).toContain('"summary": "An operator looks at this dispute."');
    await operator.screenshot({ path: 'test-output/temporal-ui-codec-with-key.png' });
    await operator.close();
  }, 120_000);

  it('filters disputes by board, opens one, and shows its current stage, deadline and who is awaited', async () => {
    const rotherham = await start('rotherham-rsab', 'rotherham', ['asc', 'nhs']);
    const leeds = await start('leeds-sab', 'leeds', ['asc', 'nhs']);
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    // Summaries and details are payloads too, encrypted: the operator's key lets the UI read them.
    await page.goto(`http://127.0.0.1:${uiPort}/namespaces/default/workflows`);
    await enterOperatorKey(page, OperatorKeys.demo().plain);
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
