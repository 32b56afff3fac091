import type { FastifyInstance } from 'fastify';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { buildDisputeStart, startDispute } from '../client/disputes';
import { representationsCommand } from '../client/cli/representations';
import { act, readDispute, type Disputes } from '../client/operations';
import { handleReply, type Answer } from '../client/replies/handler';
import { expiryDay, replyAddress, signDecisionToken } from '../runtime/decision-token';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { context, contactsAt, officer, twoAgencies } from './support/disputes';
import { freePort, runCli } from './support/processes';

// The last stage's outcome is the board's, whichever way a disputing agency tries to record it:
// the API, the CLI, an email reply, a decision link. Each refusal names who may; nothing changes.
// Representations arrive over the API and the CLI. A real dev server, worker, HTTP and CLI process.

const SECRET = 'test-reply-secret-of-enough-length';
const ADDRESSING = { localPart: 'reply', domain: 'replies.test.example.org' };
const DIRECTOR = contactsAt('rotherham', 'nhs', 4)[0]!;
const COUNCIL_MX = 'mx.council.example.org';
const NAMES_WHO_MAY = /RSAB Independent Chair \(chair\.rotherham@board\.example\.org\), or the RSAB Board Manager \(board-manager\.rotherham@board\.example\.org\), or a member of the panel/;

let dev: DevWorker;
let disputes: Disputes;
let api: FastifyInstance;
let apiBase: string;

beforeAll(async () => {
  const apiPort = await freePort();
  apiBase = `http://127.0.0.1:${apiPort}`;
  dev = await startDevWorker({ decisions: { secret: SECRET, addressing: ADDRESSING, linkBase: apiBase, ttlDays: 30 } });
  disputes = { client: dev.env.client, taskQueue: dev.taskQueue, context };
  api = buildApi({ disputes, keys: ApiKeys.demo(context.directory).keys, decisions: { secret: SECRET } });
  await api.listen({ host: '127.0.0.1', port: apiPort });
}, 120_000);

afterAll(async () => {
  await api?.close();
  await dev?.close();
});

/** A Rotherham dispute pressed to the board's stage by "unresolved" at each stage below. */
async function atBoardStage(): Promise<string> {
  const start = buildDisputeStart(
    { policy: 'rotherham-rsab', concernAt: new Date().toISOString(), category: 'neglect', agencies: twoAgencies('rotherham'), personReference: 'RMBC-BOARD', summary: 'Board stage test.' },
    context,
  );
  await startDispute(dev.env.client, dev.taskQueue, start);
  for (const stage of [1, 2, 3]) {
    const by = stage === 1 ? 'robin.other@rotherham-nhs.example.org' : contactsAt('rotherham', 'nhs', stage)[0]!;
    await act(disputes, start.disputeId, 'recordOutcome', { stage, decision: 'unresolved', by, reason: 'No agreement.' });
  }
  return start.disputeId;
}

async function call(method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${apiBase}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A stage-4 token held by a disputing agency's director: what a reply address or link would carry. */
function directorToken(disputeId: string): string {
  return signDecisionToken(SECRET, { disputeId, stage: 4, recipient: DIRECTOR, expiresDay: expiryDay(Date.now(), 30) });
}

describe('a disputing agency can never record the last stage’s outcome', () => {
  it('over the API: 403 naming who may; the representation is taken instead; the chair records the decision', async () => {
    const disputeId = await atBoardStage();
    const refused = await call('POST', `/disputes/${disputeId}/outcome`, 'demo-rotherham-nhs', { stage: 4, decision: 'decided', by: DIRECTOR, agreedActions: 'We decide.' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(NAMES_WHO_MAY);
    const represented = await call('POST', `/disputes/${disputeId}/representations`, 'demo-rotherham-nhs', { by: DIRECTOR, text: 'The trust’s written representation.' });
    expect(represented).toMatchObject({ status: 200, body: { status: 'open', stage: 4 } });
    const view = await readDispute(disputes, disputeId);
    expect(view.events).toContainEqual(expect.objectContaining({ type: 'representation', by: DIRECTOR, agencyId: 'rotherham-nhs' }));
    expect(view.events.filter((event) => event.type === 'outcome')).toHaveLength(3);
    const decided = await call('POST', `/disputes/${disputeId}/outcome`, 'demo-board-rotherham-rsab', { stage: 4, decision: 'decided', by: officer('rotherham-rsab', 'chair'), agreedActions: 'A joint review.' });
    expect(decided).toMatchObject({ status: 200, body: { status: 'decided' } });
  });

  it('over the CLI: exit 2 and a line naming who may; the representation and convene commands are recorded', async () => {
    const disputeId = await atBoardStage();
    const env = { TEMPORAL_ADDRESS: dev.env.address, TEMPORAL_TASK_QUEUE: dev.taskQueue };
    const refused = await runCli(['outcome', disputeId, 'decided', '--by', DIRECTOR, '--actions', 'We decide.'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^dispute: forbidden: .* may not record the outcome of stage 4/);
    expect(refused.stderr).toMatch(NAMES_WHO_MAY);
    expect((await readDispute(disputes, disputeId)).status).toBe('open');
    // `dispute representation`, as a person runs it.
    const represented = await runCli(['representation', disputeId, '--by', DIRECTOR, '--text', 'By the CLI.', '--json'], env);
    expect(represented.stderr).toBe('');
    expect(JSON.parse(represented.stdout)).toMatchObject({ status: 'open', stage: 4 });
    const lines: string[] = [];
    await representationsCommand('convene', [disputeId, '--by', officer('rotherham-rsab', 'board-manager'), '--member', 'Panel One:panel.one@rotherham-police.example.org'], disputes, (line) => lines.push(line));
    const view = await readDispute(disputes, disputeId);
    expect(view.events).toContainEqual(expect.objectContaining({ type: 'representation', text: 'By the CLI.' }));
    expect(view.events).toContainEqual(expect.objectContaining({ type: 'convened', members: ['panel.one@rotherham-police.example.org'] }));
  }, 90_000);

  it('by email reply and by link: refused with the board’s words, naming who may; the dispute does not change', async () => {
    const disputeId = await atBoardStage();
    const token = directorToken(disputeId);
    const answers: Answer[] = [];
    // The council's inbound server vouches for the sender (DMARC pass): only the board's rule refuses it.
    const raw = await new MailComposer({
      from: DIRECTOR,
      to: replyAddress(ADDRESSING, token),
      subject: 'Re: dispute',
      text: 'RESOLVED\nWe decide it ourselves.',
      headers: { 'Authentication-Results': `${COUNCIL_MX}; dmarc=pass header.from=rotherham-nhs.example.org` },
    })
      .compile()
      .build();
    const settings = { secret: SECRET, addressing: ADDRESSING, maxBytes: 64 * 1024, auth: { trustedAuthservIds: [COUNCIL_MX], trustedRelays: ['127.0.0.1'] } };
    const handled = await handleReply({ disputes, settings, answer: async (answer) => void answers.push(answer) }, { raw, via: 'smtp', clientIp: '127.0.0.1', envelopeFrom: DIRECTOR });
    expect(handled).toMatchObject({ outcome: 'refused', refusal: 'boards-outcome' });
    expect(answers[0]!.text).toContain('The outcome of the last stage is the board’s to record, not a disputing agency’s. Nothing was recorded.');
    expect(answers[0]!.text).toMatch(NAMES_WHO_MAY);

    const posted = await fetch(`${apiBase}/decisions/${token}/resolved`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=We+decide.' });
    expect(posted.status).toBe(422);
    const page = await posted.text();
    expect(page).toContain('the board’s to record');
    expect(page).toMatch(NAMES_WHO_MAY);
    const view = await readDispute(disputes, disputeId);
    expect({ status: view.status, outcomes: view.events.filter((event) => event.type === 'outcome').length }).toEqual({ status: 'open', outcomes: 3 });
  });
});
