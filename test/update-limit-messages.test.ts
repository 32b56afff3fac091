import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { buildDisputeStart, startDispute } from '../client/disputes';
import { act, readDispute, type Disputes } from '../client/operations';
import { refusalWords } from '../client/replies/decide';
import { handleReply, type Answer } from '../client/replies/handler';
import { expiryDay, replyAddress, signDecisionToken } from '../runtime/decision-token';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { RAISER } from './support/api-start';
import { officer, realClockContext, twoAgencies } from './support/disputes';

// s18: once Temporal takes no more updates for a dispute's run (`history.maxTotalUpdates`), the link
// pages and the email answers told the person the dispute was closed (410), which it was not.
// Provoked as test/api-update-limit.test.ts does: a dev server of this file's own with the limit lowered.
const TOTAL = 3;
const SECRET = 'test-secret-for-the-update-limit-pages';
const ADDRESSING = { localPart: 'reply', domain: 'replies.limit.example.org' };
const MX = 'mx.council.example.org';
const OTHER = 'robin.other@rotherham-nhs.example.org';
let dev: DevWorker;
let disputes: Disputes;
let api: FastifyInstance;
let base: string;

beforeAll(async () => {
  dev = await startDevWorker({ dynamicConfig: { 'history.maxTotalUpdates': TOTAL } });
  disputes = { client: dev.env.client, taskQueue: dev.taskQueue, context: realClockContext };
  api = buildApi({ disputes, keys: ApiKeys.demo(realClockContext.directory).keys, decisions: { secret: SECRET } });
  base = await api.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  await api?.close();
  await dev?.close();
});

/** An open Rotherham dispute at stage 1 that has taken every update Temporal allows its run. */
async function atTheLimit(reference: string): Promise<string> {
  const start = buildDisputeStart(
    { policy: 'rotherham-rsab', concernAt: new Date().toISOString(), category: 'neglect', agencies: twoAgencies('rotherham'), personReference: reference, summary: 'Update limit.' },
    realClockContext,
  );
  await startDispute(dev.env.client, dev.taskQueue, start);
  for (let n = 0; n < TOTAL; n++) await act(disputes, start.disputeId, 'addNote', { by: RAISER, text: `note ${n}` });
  await expect(act(disputes, start.disputeId, 'addNote', { by: RAISER, text: 'one too many' })).rejects.toMatchObject({ name: 'UpdateLimitReached', kind: 'conflict' });
  return start.disputeId;
}

const claimFor = (disputeId: string) => ({ disputeId, stage: 1, recipient: OTHER, expiresDay: expiryDay(Date.now(), 30) });

async function nothingRecorded(disputeId: string) {
  const view = await readDispute(disputes, disputeId);
  expect(view).toMatchObject({ status: 'open', stage: 1 });
  expect(view.events.filter((event) => event.type === 'outcome')).toEqual([]);
}

describe('a dispute at Temporal’s update limit, by link and by email', () => {
  it('the decision link’s form: 409 saying the dispute has taken the most messages it can and to contact the board, never "closed", never a 5xx', async () => {
    const disputeId = await atTheLimit('RMBC-LIMIT-LINK');
    const token = signDecisionToken(SECRET, claimFor(disputeId));
    const response = await fetch(`${base}/decisions/${token}/unresolved`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ text: 'We cannot agree.' }).toString(),
    });
    const html = await response.text();
    expect(response.status).toBe(409);
    expect(html).toContain('<h1>Nothing was recorded</h1>');
    expect(html).toContain('This dispute has taken the most messages the service can record for one dispute');
    expect(html).toContain('It is not closed.');
    expect(html).toContain('contact the board’s officers');
    expect(html).not.toMatch(/already closed/);
    await nothingRecorded(disputeId);
  }, 60_000);

  it('an email reply: answered with the same words, the refusal named "limit-reached", never "closed"', async () => {
    const disputeId = await atTheLimit('RMBC-LIMIT-MAIL');
    const answers: Answer[] = [];
    const to = replyAddress(ADDRESSING, signDecisionToken(SECRET, claimFor(disputeId), 'reply'));
    const raw = Buffer.from(
      `Authentication-Results: ${MX}; dmarc=pass header.from=rotherham-nhs.example.org\r\nFrom: ${OTHER}\r\nTo: ${to}\r\nSubject: Re: your decision\r\nMessage-ID: <limit-1@rotherham-nhs.example.org>\r\n\r\nUNRESOLVED\r\nWe cannot agree.\r\n`,
    );
    const handled = await handleReply(
      {
        disputes,
        settings: { secret: SECRET, addressing: ADDRESSING, maxBytes: 64 * 1024, auth: { trustedAuthservIds: [MX], trustedRelays: [] } },
        answer: async (answer) => void answers.push(answer),
      },
      { raw, via: 'imap' },
    );
    expect(handled).toMatchObject({ outcome: 'refused', refusal: 'limit-reached' });
    expect(answers).toHaveLength(1);
    expect(answers[0]!.to).toBe(OTHER);
    expect(answers[0]!.subject).toBe(`Dispute ${disputeId} — your reply: nothing was recorded`);
    expect(answers[0]!.text).toContain(refusalWords['limit-reached']);
    expect(answers[0]!.text).not.toMatch(/already closed/);
    await nothingRecorded(disputeId);
  }, 60_000);

  it('North Somerset’s question by its answer link, on a decided dispute at the limit: 409 in the same words, not "closed"', async () => {
    const start = buildDisputeStart(
      { policy: 'north-somerset-nssab', concernAt: new Date().toISOString(), category: 'neglect', risk: 'imminent', startStage: 4, agencies: twoAgencies('nsomerset'), personReference: 'NS-LIMIT', summary: 'Update limit.' },
      realClockContext,
    );
    await startDispute(dev.env.client, dev.taskQueue, start);
    const qaLead = officer('north-somerset-nssab', 'qa-lead');
    // Exactly TOTAL updates: the route, the panel, the board's outcome; the question is then awaited.
    await act(disputes, start.disputeId, 'convene', { by: 'board-rep@nsomerset-asc.example.org', route: 'panel' });
    await act(disputes, start.disputeId, 'convene', { by: qaLead, members: [{ name: 'Panel One', email: 'panel.one@nsomerset-police.example.org' }] });
    await act(disputes, start.disputeId, 'recordOutcome', { stage: 4, decision: 'decided', by: qaLead, agreedActions: 'A joint review.', rationale: 'The panel heard both.' });
    const raiser = 'pat.raiser@nsomerset-asc.example.org';
    const token = signDecisionToken(SECRET, { disputeId: start.disputeId, stage: 4, recipient: raiser, expiresDay: expiryDay(Date.now(), 30) }, 'answer');
    expect((await fetch(`${base}/answers/${token}`)).status).toBe(200);
    const response = await fetch(`${base}/answers/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'choice=Effective' });
    const html = await response.text();
    expect(response.status).toBe(409);
    expect(html).toContain('This dispute has taken the most messages the service can record for one dispute');
    expect(html).not.toMatch(/closed \(|already closed/);
  }, 60_000);
});
