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
import { eventually } from './support/eventually';
import { realClockContext, contactsAt, officer, twoAgencies } from './support/disputes';
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
  disputes = { client: dev.env.client, taskQueue: dev.taskQueue, context: realClockContext };
  api = buildApi({ disputes, keys: ApiKeys.demo(realClockContext.directory).keys, decisions: { secret: SECRET } });
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
    realClockContext,
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
    const env = { TEMPORAL_ADDRESS: dev.env.address, TEMPORAL_NAMESPACE: dev.env.namespace, TEMPORAL_TASK_QUEUE: dev.taskQueue };
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

describe('a panel member’s decision link', () => {
  it('the link the convene email gives a panel member opens and records the board’s decision; signed for anyone the dispute never named, it is refused', async () => {
    const disputeId = await atBoardStage();
    const MEMBER = 'panel.one@rotherham-police.example.org';
    await act(disputes, disputeId, 'convene', { by: officer('rotherham-rsab', 'board-manager'), members: [{ name: 'Panel One', email: MEMBER }] });
    const [notice] = await eventually(
      async () => dev.sink.messages.filter((mail) => mail.subject.includes(disputeId) && mail.envelopeTo.includes(MEMBER) && mail.text.includes('/decisions/')),
      (mails) => mails.length > 0,
    );
    const link = /resolved: (http\S+\/resolved)/.exec(notice!.text)![1]!;
    const shown = await fetch(link);
    expect(shown.status).toBe(200); // was 404: "altered", the panel being nobody's people
    expect(await shown.text()).toContain(`as ${MEMBER}`);
    // A token the service signed, for someone this dispute never named: not a link of this dispute.
    const stranger = signDecisionToken(SECRET, { disputeId, stage: 4, recipient: 'panel.two@rotherham-police.example.org', expiresDay: expiryDay(Date.now(), 30) });
    const refused = await fetch(`${apiBase}/decisions/${stranger}/resolved`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=We+decide.' });
    expect(refused.status).toBe(404);
    expect(await refused.text()).toContain('altered, or was not issued by this service');

    const posted = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=The+panel+decides+on+joint+reviews.' });
    expect(posted.status).toBe(200);
    const view = await readDispute(disputes, disputeId);
    expect(view.events.filter((event) => event.type === 'outcome').at(-1)).toMatchObject({ stage: 4, decision: 'decided', by: MEMBER });
  });
});

describe('representations by email reply and by the link’s form', () => {
  const settings = { secret: SECRET, addressing: ADDRESSING, maxBytes: 64 * 1024, auth: { trustedAuthservIds: [COUNCIL_MX], trustedRelays: ['127.0.0.1'] } };
  const COUNCIL = contactsAt('rotherham', 'asc', 4)[0]!;
  const CHAIR = officer('rotherham-rsab', 'chair');

  function tokenFor(disputeId: string, recipient: string): string {
    return signDecisionToken(SECRET, { disputeId, stage: 4, recipient, expiresDay: expiryDay(Date.now(), 30) });
  }

  /** A reply the sender's domain vouches for (DMARC pass), so only the dispute's rules decide. */
  async function reply(from: string, token: string, text: string) {
    const raw = await new MailComposer({
      from,
      to: replyAddress(ADDRESSING, token),
      subject: 'Re: dispute',
      text,
      headers: { 'Authentication-Results': `${COUNCIL_MX}; dmarc=pass header.from=${from.split('@')[1]}` },
    })
      .compile()
      .build();
    const answers: Answer[] = [];
    const handled = await handleReply({ disputes, settings, answer: async (answer) => void answers.push(answer) }, { raw, via: 'smtp', clientIp: '127.0.0.1', envelopeFrom: from });
    return { handled, answers };
  }

  const representations = async (disputeId: string) => (await readDispute(disputes, disputeId)).events.filter((event) => event.type === 'representation');

  it('a party’s reply with REPRESENTATION is recorded, confirmed to them and sent to the panel; the same reply again records nothing more', async () => {
    const disputeId = await atBoardStage();
    const { handled, answers } = await reply(DIRECTOR, tokenFor(disputeId, DIRECTOR), 'REPRESENTATION\nThe trust asks the board to weigh the discharge plan.\n\n> quoted email');
    expect(handled).toMatchObject({ outcome: 'recorded', disputeId });
    expect(answers[0]!.subject).toBe(`Dispute ${disputeId} — your reply: recorded: representation`);
    expect(answers[0]!.text).toContain('The trust asks the board to weigh the discharge plan.');
    expect(await representations(disputeId)).toEqual([
      expect.objectContaining({ by: DIRECTOR, agencyId: 'rotherham-nhs', text: 'The trust asks the board to weigh the discharge plan.' }),
    ]);
    const panel = await eventually(
      async () => dev.sink.messages.filter((mail) => mail.subject.includes(disputeId) && mail.subject.includes('written representation') && mail.envelopeTo.includes(CHAIR)),
      (mails) => mails.length > 0,
    );
    expect(panel[0]!.text).toContain('The trust asks the board to weigh the discharge plan.');
    expect(panel[0]!.text).not.toContain('quoted email');

    const again = await reply(DIRECTOR, tokenFor(disputeId, DIRECTOR), 'REPRESENTATION\nThe trust asks the board to weigh the discharge plan.');
    expect(again.handled.outcome).toBe('recorded');
    expect(await representations(disputeId)).toHaveLength(1);
    const view = await readDispute(disputes, disputeId);
    expect({ status: view.status, stage: view.stage }).toEqual({ status: 'open', stage: 4 });
  });

  it('a board officer is not a party: the reply is refused with the reason and the dispute does not change', async () => {
    const disputeId = await atBoardStage();
    // Emails queued on entering the stage are reported sent as they go: what the dispute itself holds is compared.
    const held = async () => (await readDispute(disputes, disputeId)).events.filter((event) => !event.type.startsWith('email'));
    const before = await held();
    const { handled, answers } = await reply(CHAIR, tokenFor(disputeId, CHAIR), 'Representation: the chair’s own view.');
    expect(handled).toMatchObject({ outcome: 'refused', refusal: 'not-a-party' });
    expect(answers[0]!.text).toContain('Only each disputing agency’s contact at the board’s stage makes its written representation. Nothing was recorded.');
    expect(answers[0]!.text).toMatch(/is not a stage 4 contact of an agency in this dispute/);
    expect(await held()).toEqual(before);
  });

  it('the link shows a form; its POST records the representation; a non-party’s POST is refused with the reason; output is escaped', async () => {
    const disputeId = await atBoardStage();
    const token = tokenFor(disputeId, COUNCIL);
    const shown = await fetch(`${apiBase}/decisions/${token}/representation`);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('x-frame-options')).toBe('DENY'); // test/decision-pages.test.ts has the rest
    const form = await shown.text();
    expect(form).toContain('<form method="post">');
    expect(form).toContain('name="text"');
    // Opening the link (as a mail scanner does) records nothing.
    expect(await representations(disputeId)).toHaveLength(0);

    const text = 'The council’s view <script>alert(1)</script> & more.';
    const posted = await fetch(`${apiBase}/decisions/${token}/representation`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ text }).toString() });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('Your written representation has been recorded for stage 4');
    expect(await representations(disputeId)).toEqual([expect.objectContaining({ by: COUNCIL, agencyId: 'rotherham-asc', text })]);
    const panel = await eventually(
      async () => dev.sink.messages.filter((mail) => mail.subject.includes(disputeId) && mail.subject.includes('written representation') && mail.envelopeTo.includes(CHAIR)),
      (mails) => mails.length > 0,
    );
    expect(panel[0]!.html).toContain('&lt;script&gt;');
    expect(panel[0]!.html).not.toContain('<script>');

    const empty = await fetch(`${apiBase}/decisions/${token}/representation`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=' });
    expect(empty.status).toBe(422);

    const chairToken = tokenFor(disputeId, CHAIR);
    const refused = await fetch(`${apiBase}/decisions/${chairToken}/representation`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=%3Cb%3EThe+chair%3C%2Fb%3E' });
    expect(refused.status).toBe(403);
    const page = await refused.text();
    expect(page).toContain('Only each disputing agency’s contact at the board’s stage makes its written representation.');
    expect(page).toContain(`${CHAIR} is not a stage 4 contact of an agency in this dispute`);
    expect(await representations(disputeId)).toHaveLength(1);
    expect((await readDispute(disputes, disputeId)).status).toBe('open');
  });
});
