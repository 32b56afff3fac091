import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { page } from '../client/api/decision-pages';

// Issue 13, finding 14: the decision pages inserted message text as raw HTML, workflow error text
// among it. Served over real HTTP by a Fastify app as the API serves them.

const app = Fastify();
let base: string;
const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> & \'quoted\'';

beforeAll(async () => {
  app.get('/refused', async (_request, reply) => page(reply, 422, 'Nothing was recorded', `agreedActions: ${hostile}`));
  app.get('/titled', async (_request, reply) => page(reply, 200, hostile, 'plain'));
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
