import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { ApiKeys } from '../../client/api/keys';
import { buildApi } from '../../client/api/server';
import { openRecordsStore, type RecordsStore } from '../../records/open';
import { saveRecord } from '../../records/write';
import { buildDisputeStart, startDispute } from '../../client/disputes';
import { contactsAt, officer, realClockContext, twoAgencies } from '../support/disputes';
import { answerForm, convene, disputeState, recordOutcome, recordRationale, submitRepresentation } from '../../workflows/dispute/messages';
import { eventually } from '../support/eventually';
import { freePort } from '../support/processes';
import { startSmtpSink, testMailSettings, type SmtpSink } from '../support/smtp-sink';
import { sharedDevServerEnv, testKeyRing, testWorker } from '../support/temporal';
import { handRecord } from './records';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

// The board pages in real Chromium, against a real dev server and worker writing a real records
// store, with sign-in links read from the emails a real SMTP server caught. Every page is checked
// by axe-core, in the page, at WCAG 2.2 AA.

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const boardManager = 'board-manager.rotherham@board.example.org';
const practitioner = 'jordan.oakley@rotherham-asc.example.org';
const otherAgency = 'kieran.marsden@rotherham-police.example.org';
const lastYear = new Date().getUTCFullYear() - 1;

let env: TestWorkflowEnvironment;
let sink: SmtpSink;
let store: RecordsStore;
let api: FastifyInstance;
let stopWorker: () => Promise<void>;
let browser: Browser;
let base: string;
let clockShift = 0;
let raisedId = '';
let taskQueue = '';

beforeAll(async () => {
  env = await sharedDevServerEnv();
  sink = await startSmtpSink();
  store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
  const started = await testWorker(env, createActivities({ mail: testMailSettings(sink), records: async () => store }));
  const { worker } = started;
  taskQueue = started.taskQueue;
  const running = worker.run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
  };
  // Last year's disputes, for the report.
  const at = (monthDay: string) => `${lastYear}-${monthDay}T09:00:00Z`;
  const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  for (const record of [
    handRecord({ id: 'rsab-seed01', agencies: ['rotherham-asc', 'rotherham-nhs'], stages: [[1, at('03-02'), 'started']], closed: { at: at('03-04'), outcome: 'resolved', workingDays: 2 } }),
    handRecord({ id: 'rsab-seed02', agencies: ['rotherham-asc', 'rotherham-police'], category: 'abuse', risk: 'high', stages: [[1, at('05-05'), 'started'], [2, at('05-07'), 'deadline']], closed: { at: at('05-12'), outcome: 'resolved', workingDays: 5 } }),
    handRecord({ id: 'rsab-seed03', agencies: ['rotherham-nhs', 'rotherham-gp'], category: 'self-neglect', stages: [[1, at('09-01'), 'started'], [2, at('09-02'), 'unresolved'], [3, at('09-04'), 'deadline'], [4, at('09-09'), 'deadline']], closed: { at: at('09-15'), outcome: 'decided', workingDays: 10 } }),
    handRecord({ id: 'rsab-seed04', agencies: ['rotherham-asc', 'rotherham-nhs'], stages: [[1, at('10-06'), 'started']], closed: { at: at('10-07'), outcome: 'withdrawn', workingDays: 1 } }),
    // Open now: one at imminent risk, one past its deadline.
    handRecord({ id: 'rsab-open01', agencies: ['rotherham-police', 'rotherham-asc'], category: 'abuse', risk: 'imminent', stages: [[1, ago(3), 'started'], [3, ago(1), 'imminent-risk', ago(-4)]] }),
    handRecord({ id: 'rsab-open02', agencies: ['rotherham-gp', 'rotherham-nhs'], stages: [[1, ago(9), 'started'], [2, ago(6), 'deadline', ago(1)]] }),
  ]) {
    await saveRecord(store.db, record);
  }
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  api = buildApi({
    disputes: { client: env.client, taskQueue, context: realClockContext },
    keys: ApiKeys.demo(realClockContext.directory).keys,
    web: { records: store.db, secret: 'a test secret for the board pages', mail: testMailSettings(sink), publicUrl: base, now: () => Date.now() + clockShift },
  });
  await api.listen({ host: '127.0.0.1', port });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // The machine's network is closed: without these Chromium keeps trying to reach Google.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await stopWorker?.();
  await env?.teardown();
  await store?.close();
  await sink?.close();
});

async function axe(page: Page): Promise<void> {
  await page.addScriptTag({ content: axeSource });
  // A string: this project type-checks without the DOM's types.
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })`,
  )) as { violations: { id: string; nodes: { target: unknown }[] }[] };
  expect(result.violations.map((violation) => `${violation.id} on ${page.url()}: ${JSON.stringify(violation.nodes.map((node) => node.target))}`)).toEqual([]);
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync('test-output', { recursive: true });
  await page.screenshot({ path: `test-output/${name}.png`, fullPage: true });
}

const signInMail = (address: string) => sink.messages.filter((message) => message.envelopeTo.includes(address) && /sign-in link/.test(message.subject));

/** The newest sign-in link emailed to this address. */
async function linkFor(address: string, after: number): Promise<string> {
  const mail = await eventually(async () => signInMail(address), (found) => found.length > after);
  expect(mail.length).toBeGreaterThan(after);
  const link = /(http:\/\/\S+\/web\/sign-in\/[A-Za-z0-9_-]+)/.exec(mail[mail.length - 1]!.text)?.[1];
  expect(link).toBeDefined();
  return link!;
}

async function askForLink(page: Page, address: string): Promise<string> {
  const before = signInMail(address).length;
  await page.goto(`${base}/web/sign-in`);
  await page.getByLabel('Email address').fill(address);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' }).isVisible()).resolves.toBe(true);
  return linkFor(address, before);
}

async function signIn(address: string, check = false): Promise<{ context: BrowserContext; page: Page }> {
  // bypassCSP: the pages allow no inline script, and axe-core is injected as one.
  const browserContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, bypassCSP: true });
  const page = await browserContext.newPage();
  if (check) {
    await page.goto(`${base}/web/sign-in`);
    await axe(page);
  }
  const link = await askForLink(page, address);
  if (check) await axe(page);
  await page.goto(link);
  if (check) await axe(page);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${base}/web/overview`);
  return { context: browserContext, page };
}

describe('the board pages', () => {
  it('a practitioner signs in by the emailed link, raises a concern, sees its ID and deadlines, and its first email goes out', async () => {
    const { context: browserContext, page } = await signIn(practitioner, true);
    const cookie = (await browserContext.cookies()).find((candidate) => candidate.name === 'dispute_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/web' });
    await page.goto(`${base}/web/raise`);
    await axe(page);
    await screenshot(page, 'web-raise');
    await page.getByLabel('Rotherham Hospitals NHS Foundation Trust').check();
    await page.getByLabel('High').check();
    await page.getByLabel('The person’s reference').fill('RMBC-55501');
    await page.getByLabel('Summary of the disagreement').fill('The hospital plans discharge home; the council says the care package is not in place.');
    await page.getByRole('button', { name: 'Raise the concern' }).click();
    await expect(page.getByRole('heading', { name: 'Concern raised' }).isVisible()).resolves.toBe(true);
    raisedId = (await page.locator('#dispute-id').innerText()).trim();
    expect(raisedId).toMatch(/^rsab-[a-z0-9]+$/);
    await expect(page.locator('main').innerText()).resolves.toMatch(/Conclude stage 1 by \w{3} \d{1,2} \w{3} \d{4} \d\d:\d\d (GMT|BST)/);
    await axe(page);

    // The stage's emails go out concurrently, so the other agency's may arrive first: wait for this one.
    const other = 'jordan.oakley@rotherham-asc.example.org';
    const first = await eventually(
      async () => sink.messages.filter((message) => message.headers.get('x-dispute-id') === raisedId),
      (found) => found.some((message) => message.envelopeTo.includes(other)),
    );
    expect(first.length).toBeGreaterThan(0);
    expect(first[0]!.subject).toContain(raisedId);
    expect(first[0]!.subject).not.toContain('RMBC-55501');
    expect(first.flatMap((message) => message.envelopeTo)).toContain(other);
    await browserContext.close();
  }, 120_000);

  it('a board manager sees the board log with the new dispute first, opens it, adds a note, and reads the report and its CSV', async () => {
    expect(raisedId).not.toBe('');
    const { context: browserContext, page } = await signIn(boardManager);
    // The records store is written by the workflow's activity: reload until the dispute is listed.
    const listed = await eventually(
      async () => {
        await page.goto(`${base}/web/overview`);
        return page.getByRole('link', { name: raisedId }).count();
      },
      (count) => count > 0,
      30_000,
    );
    expect(listed).toBe(1);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: raisedId }) });
    await expect(row.innerText()).resolves.toMatch(/High/);
    await expect(row.innerText()).resolves.toMatch(/Rotherham Council Adult Social Care; Rotherham Hospitals NHS Foundation Trust/);
    await expect(row.innerText()).resolves.toMatch(/Due within 2 working days/);
    // Imminent risk first; a dispute past its deadline flagged.
    await expect(page.locator('tbody tr').first().innerText()).resolves.toMatch(/^rsab-open01/);
    await expect(page.getByRole('row').filter({ has: page.getByRole('link', { name: 'rsab-open02' }) }).innerText()).resolves.toMatch(/Overdue/);
    await axe(page);
    await screenshot(page, 'web-overview');

    await page.getByRole('link', { name: raisedId }).click();
    await page.waitForURL(`${base}/web/disputes/${raisedId}`);
    await expect(page.getByRole('heading', { name: `Dispute ${raisedId}` }).isVisible()).resolves.toBe(true);
    await expect(page.locator('main').innerText()).resolves.toContain('RMBC-55501');
    await axe(page);
    await page.getByLabel('Note', { exact: true }).fill('Board manager has asked both leads to meet.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await expect(page.getByText('Your note has been added.').isVisible()).resolves.toBe(true);
    const noted = await eventually(
      async () => {
        await page.goto(`${base}/web/disputes/${raisedId}`);
        return page.locator('main').innerText();
      },
      (text) => text.includes('Board manager has asked both leads to meet.'),
    );
    expect(noted).toContain(`${boardManager}: Board manager has asked both leads to meet.`);
    await screenshot(page, 'web-dispute');

    await page.goto(`${base}/web/reports?period=${lastYear}`);
    await expect(page.getByRole('heading', { name: `Report: ${lastYear}` }).isVisible()).resolves.toBe(true);
    await expect(page.locator('svg.board-chart').count()).resolves.toBeGreaterThanOrEqual(4);
    await axe(page);
    await screenshot(page, 'web-report');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Download this table as CSV\s*: Disputes by agency$/ }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.trim().split('\r\n')).toEqual([
      'Agency,Party to,Raised by',
      'Rotherham Council Adult Social Care,3,3',
      'Rotherham Hospitals NHS Foundation Trust,3,1',
      'Rotherham Road Medical Practice,1,0',
      'Rotherham Constabulary,1,0',
    ]);
    await page.goto(`${base}/web/reports/annual?board=rotherham-rsab&period=${lastYear}`);
    await axe(page);
    await expect(page.locator('main').innerText()).resolves.toContain('Disputes by pair of agencies');
    await browserContext.close();
  }, 120_000);

  it('someone of another agency gets "not found" for that dispute; the link page refuses used, altered and expired links', async () => {
    const { context: browserContext, page } = await signIn(otherAgency);
    const response = await page.goto(`${base}/web/disputes/${raisedId}`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' }).isVisible()).resolves.toBe(true);
    await expect(page.locator('main').innerText()).resolves.not.toContain('RMBC-55501');
    await axe(page);
    await browserContext.close();

    const fresh = await browser.newContext({ bypassCSP: true });
    const tab = await fresh.newPage();
    // Used: the link signed someone in once already.
    const link = await askForLink(tab, practitioner);
    await tab.goto(link);
    await tab.getByRole('button', { name: 'Continue' }).click();
    await tab.waitForURL(`${base}/web/overview`);
    expect((await tab.goto(link))?.status()).toBe(410);
    await expect(tab.getByRole('heading', { name: 'This link has been used' }).isVisible()).resolves.toBe(true);
    await axe(tab);
    // Altered: one character changed.
    const other = await askForLink(tab, practitioner);
    const last = other.at(-2) === 'A' ? 'B' : 'A';
    const altered = `${other.slice(0, -2)}${last}${other.slice(-1)}`;
    expect((await tab.goto(altered))?.status()).toBe(404);
    await expect(tab.getByRole('heading', { name: 'This link is not valid' }).isVisible()).resolves.toBe(true);
    // Expired: 16 minutes later.
    const late = await askForLink(tab, practitioner);
    clockShift = 16 * 60_000;
    try {
      expect((await tab.goto(late))?.status()).toBe(410);
      await expect(tab.getByRole('heading', { name: 'This link has expired' }).isVisible()).resolves.toBe(true);
    } finally {
      clockShift = 0;
    }
    // An address not in the directory: the same page, and no email.
    const before = sink.messages.length;
    await tab.goto(`${base}/web/sign-in`);
    await tab.getByLabel('Email address').fill('stranger@example.org');
    await tab.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await expect(tab.getByRole('heading', { name: 'Check your email' }).isVisible()).resolves.toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sink.messages.slice(before).filter((message) => message.envelopeTo.includes('stranger@example.org'))).toEqual([]);
    await fresh.close();
  }, 120_000);

  it("under the pages' content security policy the template's script runs by its nonce and GOV.UK Frontend starts, with no console errors", async () => {
    const strict = await browser.newContext();
    const page = await strict.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const response = await page.goto(`${base}/web/sign-in`);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    await page.waitForLoadState('networkidle');
    await expect(page.evaluate('document.body.className')).resolves.toMatch(/js-enabled.*govuk-frontend-supported/);
    expect(errors).toEqual([]);
    await strict.close();
  }, 60_000);

  it("a board officer changes a contact, and records the board's decision at the last stage", async () => {
    const start = buildDisputeStart(
      { policy: 'north-somerset-nssab', concernAt: new Date().toISOString(), category: 'neglect', risk: 'imminent', startStage: 4, agencies: twoAgencies('nsomerset'), personReference: 'NS-4001', summary: 'Straight to the panel.' },
      realClockContext,
    );
    await startDispute(env.client, taskQueue, start);
    // North Somerset's procedure gives the decision to its panel; the QA lead records it (policies/boards).
    const { context: browserContext, page } = await signIn('qa-lead.nsomerset@board.example.org');
    await eventually(
      async () => (await page.goto(`${base}/web/disputes/${start.disputeId}`))?.status(),
      (status) => status === 200,
    );
    await page.getByLabel('Agency').selectOption('nsomerset-nhs');
    await page.getByLabel('Stage').fill('4');
    await page.getByLabel('Contact’s name').fill('Dee Puty');
    await page.getByLabel('Contact’s email address').fill('dee.puty@nsomerset-nhs.example.org');
    await page.getByLabel('Why').fill('On leave this week.');
    await page.getByRole('button', { name: 'Change contact' }).click();
    await expect(page.getByText('The contact has been changed.').isVisible()).resolves.toBe(true);

    await page.getByLabel('The decision and the agreed actions').fill('The panel decides: a joint review within five days.');
    await page.getByRole('button', { name: 'Record the board’s decision' }).click();
    await expect(page.getByText('The board’s decision has been recorded.').isVisible()).resolves.toBe(true);
    await axe(page);
    const state = await env.client.workflow.getHandle(start.disputeId).query<{ status: string; events: { type: string; decision?: string; by?: string; agencyId?: string }[] }>('disputeState');
    expect(state.status).toBe('decided');
    expect(state.events.find((event) => event.type === 'outcome')).toMatchObject({ decision: 'decided', by: 'qa-lead.nsomerset@board.example.org' });
    expect(state.events.find((event) => event.type === 'contact-changed')).toMatchObject({ agencyId: 'nsomerset-nhs' });
    await browserContext.close();
  }, 120_000);

  it('12 hours after sign-in a note sent is not recorded, and the sign-in page says why', async () => {
    const { context: browserContext, page } = await signIn(boardManager);
    await page.goto(`${base}/web/disputes/${raisedId}`);
    await page.getByLabel('Note', { exact: true }).fill('Sent after the session’s lifetime: must not be recorded.');
    clockShift = 12 * 60 * 60_000 + 60_000;
    try {
      await page.getByRole('button', { name: 'Add note' }).click();
      await page.waitForURL(`${base}/web/sign-in?ended=lifetime`);
      await expect(page.getByText('You have been signed out because you signed in 12 hours ago.').isVisible()).resolves.toBe(true);
      await expect(page.getByText('Signed in as').count()).resolves.toBe(0);
      await axe(page);
    } finally {
      clockShift = 0;
    }
    const events = await env.client.workflow.getHandle(raisedId).query<{ events: { type: string; text?: string }[] }>('disputeState');
    expect(events.events.filter((event) => event.type === 'note').map((event) => event.text)).toEqual(['Board manager has asked both leads to meet.']);
    await browserContext.close();
  }, 120_000);

  it('a form posted without its CSRF token is refused and changes nothing; sign-out ends the session', async () => {
    const { context: browserContext, page } = await signIn(boardManager);
    await page.goto(`${base}/web/disputes/${raisedId}`);
    await page.getByLabel('Note', { exact: true }).fill('This note must not be recorded.');
    await page.evaluate(`document.querySelectorAll('form[action$="/notes"] input[name="csrf"]').forEach((input) => input.remove())`);
    const [response] = await Promise.all([page.waitForResponse((candidate) => candidate.url().endsWith('/notes')), page.getByRole('button', { name: 'Add note' }).click()]);
    expect(response.status()).toBe(403);
    await expect(page.getByRole('heading', { name: 'This form has expired' }).isVisible()).resolves.toBe(true);
    await axe(page);
    const events = await env.client.workflow.getHandle(raisedId).query<{ events: { type: string; text?: string }[] }>('disputeState');
    expect(events.events.filter((event) => event.type === 'note').map((event) => event.text)).toEqual(['Board manager has asked both leads to meet.']);

    await page.goto(`${base}/web/overview`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/web/sign-in`);
    await page.goto(`${base}/web/overview`);
    expect(page.url()).toBe(`${base}/web/sign-in`);
    await browserContext.close();

    if (process.env.WEB_SCREENSHOTS_TO_DOCS === '1') {
      for (const name of ['web-overview', 'web-dispute', 'web-report', 'web-raise']) copyFileSync(`test-output/${name}.png`, `docs/${name}.png`);
    }
  }, 120_000);
});

describe('the dispute page shows everything on record', () => {
  const started = async (raw: Omit<Parameters<typeof buildDisputeStart>[0], 'concernAt'>) => {
    const start = buildDisputeStart({ ...raw, concernAt: new Date().toISOString() }, realClockContext);
    await startDispute(env.client, taskQueue, start);
    return { disputeId: start.disputeId, handle: env.client.workflow.getHandle(start.disputeId) };
  };

  /** The page's HTML as the server sent it (not the browser's DOM), once the records store has caught up to `ready`. */
  async function pageHtml(page: Page, disputeId: string, ready: (html: string) => boolean): Promise<string> {
    const html = await eventually(async () => (await (await page.goto(`${base}/web/disputes/${disputeId}`))!.text()), ready, 30_000);
    expect(ready(html)).toBe(true);
    return html;
  }
  const rowsOf = (page: Page, id: string) => page.locator(`#${id} tbody tr`).allInnerTexts();
  const summaryOf = (page: Page, id: string) => page.locator(`#${id}`).innerText();

  it('Leeds stage 3 closing: one organisation’s decision and rationale (its HTML escaped), the other awaited, then both once it has recorded its own', async () => {
    const { disputeId, handle } = await started({ policy: 'leeds-sab', category: 'other', risk: 'standard', agencies: twoAgencies('leeds', 'vcs', 'asc'), personReference: 'LCC-7001', summary: 'A voluntary sector worker challenges the closure of a referral.' });
    const unresolved = (stage: number, by: string, extra: Record<string, unknown> = {}) => handle.executeUpdate(recordOutcome, { args: [{ stage, decision: 'unresolved', by, reason: `No agreement at stage ${stage}.`, ...extra }] });
    await unresolved(1, 'robin.other@leeds-asc.example.org');
    await unresolved(2, contactsAt('leeds', 'asc', 2)[0]!);
    const rationale = '<script>alert("rationale")</script> The threshold for s42 is not met.';
    await unresolved(3, contactsAt('leeds', 'asc', 3)[0]!, { organisations: [{ agencyId: 'leeds-asc', decision: 'The closure stands.', rationale }] });

    // An agency's own senior leader: a party, so the page (and the API) shows them the whole record.
    const vcs = contactsAt('leeds', 'vcs', 3)[0]!;
    const { context: browserContext, page } = await signIn(vcs);
    const html = await pageHtml(page, disputeId, (text) => text.includes('id="closing-wait"'));
    expect(html).toContain('&lt;script&gt;alert(&quot;rationale&quot;)&lt;/script&gt; The threshold for s42 is not met.');
    expect(html).not.toContain('<script>alert');
    await expect(page.locator('main script').count()).resolves.toBe(0);
    const [vcsRow, ascRow] = await rowsOf(page, 'organisations');
    expect(vcsRow).toMatch(/^Leeds .*\tAwaited\t—\t—\tAsked on \w{3} \d{1,2} \w{3} \d{4}/);
    expect(ascRow).toContain(`The closure stands.\t<script>alert("rationale")</script> The threshold for s42 is not met.\t${contactsAt('leeds', 'asc', 3)[0]}`);
    const vcsName = realClockContext.directory.agencies.find((agency) => agency.id === 'leeds-vcs')!.name;
    await expect(page.locator('#closing-wait').innerText()).resolves.toMatch(new RegExp(`or on \\w{3} .* recording who gave none\\. Still awaited from: ${vcsName}\\.$`));
    await axe(page);

    await handle.executeUpdate(recordRationale, { args: [{ by: vcs, decision: 'The referral should be reopened.', rationale: 'New disclosures since closure.' }] });
    await pageHtml(page, disputeId, (text) => text.includes('New disclosures since closure.') && !text.includes('id="closing-wait"'));
    const [given] = await rowsOf(page, 'organisations');
    expect(given).toContain(`The referral should be reopened.\tNew disclosures since closure.\t${vcs}`);
    await expect(page.locator('#panel').count()).resolves.toBe(0);
    await axe(page);
    await browserContext.close();
  }, 120_000);

  it('North Somerset stage 4: the route and panel, a representation, the board’s outcome, then the effectiveness question awaited and answered', async () => {
    const { disputeId, handle } = await started({ policy: 'north-somerset-nssab', category: 'neglect', risk: 'imminent', startStage: 4, agencies: twoAgencies('nsomerset'), personReference: 'NS-4002', summary: 'To the panel, with representations.' });
    const qaLead = officer('north-somerset-nssab', 'qa-lead');
    const members = ['panel.one@nsomerset-police.example.org', 'panel.two@nsomerset-gp.example.org', 'panel.three@nsomerset-nhs.example.org'];
    await handle.executeUpdate(convene, { args: [{ by: 'board-rep@nsomerset-asc.example.org', route: 'panel' }] });
    await handle.executeUpdate(convene, { args: [{ by: qaLead, members: members.map((email, index) => ({ name: `Panel Member ${index + 1}`, email })) }] });
    const representative = (await handle.query(disputeState)).awaiting.find((party) => party.agencyId === 'nsomerset-nhs')!.contacts[0]!.email;
    await handle.executeUpdate(submitRepresentation, { args: [{ by: representative, text: 'The trust’s representation: <b>discharge</b> was unsafe.' }] });

    const { context: browserContext, page } = await signIn(qaLead);
    const html = await pageHtml(page, disputeId, (text) => text.includes('id="representations"'));
    expect(html).toContain('&lt;b&gt;discharge&lt;/b&gt; was unsafe.');
    await expect(summaryOf(page, 'panel')).resolves.toBe(`Route\tpanel\nMembers\t${members.join('; ')}`);
    const [representation] = await rowsOf(page, 'representations');
    expect(representation).toMatch(new RegExp(`^North Somerset .*\\t${representative.replace(/\./g, '\\.')}\\t\\w{3} .*\\tThe trust’s representation: <b>discharge</b> was unsafe\\.$`));
    expect(html).not.toContain('id="board-outcome"');
    expect(html).not.toContain('id="form-question"');
    await axe(page);

    await handle.executeUpdate(recordOutcome, { args: [{ stage: 4, decision: 'decided', by: qaLead, agreedActions: 'A joint review within five days.', rationale: 'The panel heard both agencies.' }] });
    await pageHtml(page, disputeId, (text) => text.includes('id="form-question"'));
    const outcome = await summaryOf(page, 'board-outcome');
    expect(outcome).toContain('Outcome\tdecision (final and binding on all organisations involved)');
    expect(outcome).toContain('Agreed actions\tA joint review within five days.');
    expect(outcome).toContain('Rationale\tThe panel heard both agencies.');
    expect(outcome).toContain(`Recorded by\t${qaLead}`);
    const awaited = await summaryOf(page, 'form-question');
    expect(awaited).toContain('Question\tPlease note how effective this policy was in resolving the issue');
    expect(awaited).toContain('Asked of\tpat.raiser@nsomerset-asc.example.org');
    expect(awaited).toMatch(/Answer\tAwaited: to be answered by \w{3} \d{1,2} \w{3} \d{4}/);
    await axe(page);

    await handle.executeUpdate(answerForm, { args: [{ by: 'pat.raiser@nsomerset-asc.example.org', field: 'effectiveness', choice: 'Partly effective', comment: 'Convene the panel sooner & say <when>.' }] });
    const answeredHtml = await pageHtml(page, disputeId, (text) => text.includes('Partly effective'));
    expect(answeredHtml).toContain('Convene the panel sooner &amp; say &lt;when&gt;.');
    const answered = await summaryOf(page, 'form-question');
    expect(answered).toContain('Answer\tPartly effective\nComment\tConvene the panel sooner & say <when>.');
    expect(answered).toMatch(/Answered\t\w{3} .* by pat\.raiser@nsomerset-asc\.example\.org/);
    await axe(page);
    await screenshot(page, 'web-dispute-record');
    await browserContext.close();
  }, 120_000);
});
