import Fastify, { type FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { page, type Html } from '../client/api/decision-pages';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { context } from './support/disputes';

// Issue 13, finding 14: the decision pages inserted message text as raw HTML, workflow error text
// among it. Review 2, L2: they sent no content security policy, framing or sniffing headers, unlike
// /web. Served over real HTTP by a Fastify app as the API serves them, and shown in real Chromium.

const app = Fastify();
let base: string;
const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & \'quoted\'';
const posted: Record<string, string>[] = [];

beforeAll(async () => {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
  app.get('/refused', async (_request, reply) => page(reply, 422, 'Nothing was recorded', `agreedActions: ${hostile}`));
  app.get('/titled', async (_request, reply) => page(reply, 200, hostile, 'plain'));
  // A form as the link pages make them: posted back to its own address.
  const form: Html = { html: '<form method="post"><p><label for="text">The agreed actions</label><br><textarea id="text" name="text" rows="8" cols="70" required></textarea></p><p><button type="submit">Record: Resolved</button></p></form>' };
  app.get('/form', async (_request, reply) => page(reply, 200, 'Dispute rsab-x, stage 1: Resolved', 'You are recording resolved.', form));
  app.post('/form', async (request, reply) => {
    posted.push(request.body as Record<string, string>);
    return page(reply, 200, 'Recorded', 'Your decision has been recorded.');
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(() => app.close());

describe('decision pages', () => {
  it('escape a message by default: markup in it is shown as text, never run', async () => {
    const response = await fetch(`${base}/refused`);
    const text = await response.text();
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('<img');
    expect(text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;quoted&#39;');
  });

  it('escape the title too', async () => {
    const text = await (await fetch(`${base}/titled`)).text();
    expect(text).not.toContain('<script>');
    expect(text.match(/&lt;script&gt;/g)).toHaveLength(2);
  });
});

describe('the link pages’ protective headers', () => {
  let api: FastifyInstance;
  beforeAll(() => {
    api = buildApi({
      // Temporal is never reached: every token here is refused before a dispute is read.
      disputes: { client: undefined as never, taskQueue: 'none', context },
      keys: ApiKeys.demo(context.directory).keys,
      decisions: { secret: 'a test secret for decision links' },
      limits: { writes: 1000, reads: 1000, windowMs: 60_000, callers: 100 },
    });
  });
  afterAll(() => api.close());

  const protectedPage = (response: { statusCode: number; headers: Record<string, unknown> }, what: string) => {
    const policy = String(response.headers['content-security-policy'] ?? '');
    expect(policy, what).toContain("default-src 'none'");
    expect(policy, what).toContain("frame-ancestors 'none'");
    expect(policy, what).toContain("form-action 'self'");
    expect(policy, what).toContain("base-uri 'none'");
    expect(policy, what).not.toContain('unsafe-inline');
    expect(response.headers['x-frame-options'], what).toBe('DENY');
    expect(response.headers['x-content-type-options'], what).toBe('nosniff');
    expect(response.headers['cache-control'], what).toBe('no-store');
    expect(response.headers['referrer-policy'], what).toBe('no-referrer');
  };

  it('every decision and answer link page, shown or refused, sends them', async () => {
    const token = 'a'.repeat(40);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const requests = [
      ...['resolved', 'unresolved', 'representation', 'rationale', 'nonsense'].map((decision) => ({ method: 'GET' as const, url: `/decisions/${token}/${decision}` })),
      { method: 'POST' as const, url: `/decisions/${token}/resolved`, headers: form, payload: 'text=x' },
      { method: 'POST' as const, url: `/decisions/${token}/representation`, headers: { 'content-type': 'application/json' }, payload: '{}' },
      { method: 'GET' as const, url: `/answers/${token}` },
      { method: 'POST' as const, url: `/answers/${token}`, headers: form, payload: 'choice=Effective' },
    ];
    for (const request of requests) {
      const response = await api.inject(request);
      expect(response.statusCode, request.url).toBeGreaterThanOrEqual(400);
      expect(response.headers['content-type'], request.url).toBe('text/html; charset=utf-8');
      protectedPage(response, `${request.method} ${request.url}`);
    }
  });

  it('the page for too many requests sends them too', async () => {
    const limited = buildApi({
      disputes: { client: undefined as never, taskQueue: 'none', context },
      keys: ApiKeys.demo(context.directory).keys,
      decisions: { secret: 'a test secret for decision links' },
      limits: { writes: 1, reads: 1, windowMs: 60_000, callers: 100 },
    });
    try {
      let response = await limited.inject({ method: 'GET', url: '/answers/abc' });
      for (let i = 0; i < 3 && response.statusCode !== 429; i++) response = await limited.inject({ method: 'GET', url: '/answers/abc' });
      expect(response.statusCode).toBe(429);
      protectedPage(response, '429');
    } finally {
      await limited.close();
    }
  });

  it('in Chromium, under that policy, a link page is styled, shows its form and the form posts, with no console errors', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      const response = await tab.goto(`${base}/form`);
      expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
      // The page's one style block is allowed by its hash: the body is narrowed and the font set.
      await expect(tab.evaluate('getComputedStyle(document.body).maxWidth')).resolves.toBe('704px');
      await expect(tab.evaluate('getComputedStyle(document.body).fontFamily')).resolves.toBe('sans-serif');
      await tab.getByLabel('The agreed actions').fill('A joint visit on Monday.');
      await tab.getByRole('button', { name: 'Record: Resolved' }).click();
      await tab.getByRole('heading', { name: 'Recorded' }).waitFor();
      expect(posted).toEqual([{ text: 'A joint visit on Monday.' }]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
