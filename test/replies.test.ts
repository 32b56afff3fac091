import type { FastifyInstance } from 'fastify';
import hoodiecrow from 'hoodiecrow-imap';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { buildDisputeStart, startDispute } from '../client/disputes';
import type { Disputes } from '../client/operations';
import { answerSender } from '../client/replies/answer';
import type { ReplyDeps } from '../client/replies/handler';
import { startImapPoller, type ImapPoller } from '../client/replies/imap-poller';
import { startInboundSmtp, type InboundSmtp } from '../client/replies/smtp-inbound';
import { disputeState } from '../workflows/dispute/messages';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { context, twoAgencies } from './support/disputes';
import { freePort } from './support/processes';
import { testMailSettings, type CaughtMail, type SmtpSink } from './support/smtp-sink';

// Decisions by email, end to end over real protocols: the escalation email goes out over SMTP into
// a real SMTP sink; a reply composed from it goes over SMTP to the inbound server (or into a real
// IMAP mailbox that the poller reads, or through the link and form over HTTP); the workflow moves;
// the answer comes back over SMTP.

const SECRET = 'test-reply-secret-of-enough-length';
const DOMAIN = 'replies.test.example.org';
const RAISER = 'pat.raiser@rotherham-asc.example.org';
const OTHER = 'robin.other@rotherham-nhs.example.org';
const DAY = 86_400_000;

let dev: DevWorker;
let sink: SmtpSink;
let disputes: Disputes;
let inbound: InboundSmtp;
let api: FastifyInstance;
let apiBase: string;
let imapServer: ReturnType<typeof hoodiecrow>;
let imapPort: number;
let poller: ImapPoller;
let clockShift = 0;

beforeAll(async () => {
  const apiPort = await freePort();
  apiBase = `http://127.0.0.1:${apiPort}`;
  dev = await startDevWorker({ decisions: { secret: SECRET, addressing: { localPart: 'reply', domain: DOMAIN }, linkBase: apiBase, ttlDays: 30 } });
  sink = dev.sink;
  disputes = { client: dev.env.client, taskQueue: dev.taskQueue, context };
  const deps: ReplyDeps = {
    disputes,
    settings: { secret: SECRET, addressing: { localPart: 'reply', domain: DOMAIN }, maxBytes: 64 * 1024 },
    answer: answerSender(testMailSettings(sink)),
    now: () => Date.now() + clockShift,
  };
  inbound = await startInboundSmtp(deps, { host: '127.0.0.1', port: 0 });
  api = buildApi({ disputes, keys: ApiKeys.demo(context.directory).keys, decisions: { secret: SECRET, now: () => Date.now() + clockShift } });
  await api.listen({ host: '127.0.0.1', port: apiPort });
  imapPort = await freePort();
  imapServer = hoodiecrow({ plugins: ['IDLE', 'UIDPLUS', 'ENABLE', 'LITERALPLUS'], storage: { INBOX: { messages: [] } }, users: { replies: { password: 'imap-secret' } } });
  await new Promise<void>((resolve) => imapServer.listen(imapPort, resolve));
  poller = startImapPoller(deps, { host: '127.0.0.1', port: imapPort, secure: false, user: 'replies', password: 'imap-secret', everyMs: 3_600_000 });
}, 120_000);

afterAll(async () => {
  await poller?.stop();
  await api?.close();
  await inbound?.close();
  await new Promise<void>((resolve) => (imapServer ? imapServer.close(() => resolve()) : resolve()));
  await dev?.close();
});

async function newDispute(): Promise<string> {
  const start = buildDisputeStart(
    { policy: 'rotherham-rsab', concernAt: new Date().toISOString(), category: 'neglect', agencies: twoAgencies('rotherham'), personReference: 'RMBC-REPLY', summary: 'Replies test.' },
    context,
  );
  await startDispute(dev.env.client, dev.taskQueue, start);
  return start.disputeId;
}

async function waitForMail(match: (mail: CaughtMail) => boolean): Promise<CaughtMail> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = sink.messages.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no such mail arrived');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The decision email this person got for this dispute and stage. */
function decisionEmail(disputeId: string, stage: number, to: string) {
  return waitForMail((mail) => mail.headers.get('x-dispute-id') === disputeId && mail.subject.includes(`stage ${stage}: your decision is needed`) && mail.envelopeTo.includes(to));
}

const replyToOf = (mail: CaughtMail) => (mail.headers.get('reply-to') as { value: { address: string }[] }).value[0]!.address;

const answerTo = (disputeId: string | null, to: string, after: number) =>
  waitForMail((mail) => sink.messages.indexOf(mail) >= after && mail.envelopeTo.includes(to) && (disputeId === null || mail.subject.includes(disputeId)) && /your/i.test(mail.subject));

async function sendReply(options: { from: string; to: string; text?: string; inReplyTo?: string; headers?: Record<string, string>; envelopeFrom?: string; attachments?: { filename: string; content: Buffer }[] }) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: inbound.port, secure: false, ignoreTLS: true });
  return transport.sendMail({
    from: options.from,
    to: options.to,
    subject: 'Re: your decision is needed',
    ...(options.text !== undefined ? { text: options.text } : {}),
    ...(options.inReplyTo ? { inReplyTo: options.inReplyTo, references: options.inReplyTo } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.attachments ? { attachments: options.attachments } : {}),
    ...(options.envelopeFrom !== undefined ? { envelope: { from: options.envelopeFrom, to: options.to } } : {}),
  });
}

const stateOf = (disputeId: string) => dev.env.client.workflow.getHandle(disputeId).query(disputeState);
const outcomes = async (disputeId: string) => (await stateOf(disputeId)).events.filter((event) => event.type === 'outcome').length;

describe('reply by email, over SMTP', () => {
  it('a reply with UNRESOLVED on its first line moves the dispute on, and the sender gets a confirmation', async () => {
    const disputeId = await newDispute();
    const email = await decisionEmail(disputeId, 1, OTHER);
    const replyTo = replyToOf(email);
    expect(replyTo).toMatch(new RegExp(`^reply\\+[a-z2-7]+@${DOMAIN.replace(/\./g, '\\.')}$`));
    expect(email.text).toContain('reply to this email with RESOLVED or UNRESOLVED on the first line');
    const token = replyTo.slice('reply+'.length, replyTo.indexOf('@'));
    expect(email.messageId).toContain(`.t${token}@`);

    const before = sink.messages.length;
    await sendReply({
      from: OTHER,
      to: replyTo.toUpperCase().replace('@', '@'), // a mail system that changes the case of the address
      inReplyTo: email.messageId,
      text: `Unresolved.\nWe still disagree about the discharge date.\n\nOn Mon, 23 Nov 2026 the disputes service wrote:\n> A professional difference has reached your tier`,
    });
    const answer = await answerTo(disputeId, OTHER, before);
    expect(answer.subject).toBe(`Dispute ${disputeId} — your reply: recorded: unresolved`);
    expect(answer.text).toContain('unresolved at stage 1; the dispute is now at stage 2');
    expect(answer.headers.get('auto-submitted')).toBe('auto-replied');
    const state = await stateOf(disputeId);
    expect(state.stage).toBe(2);
    expect(state.events.find((event) => event.type === 'outcome')).toMatchObject({ by: OTHER, decision: 'unresolved', reason: 'We still disagree about the discharge date.' });
  });

  it('RESOLVED with the agreed actions closes the dispute', async () => {
    const disputeId = await newDispute();
    const email = await decisionEmail(disputeId, 1, RAISER);
    const before = sink.messages.length;
    await sendReply({ from: RAISER, to: replyToOf(email), text: 'RESOLVED\nA joint visit on Friday; the care plan is updated by Monday.' });
    const answer = await answerTo(disputeId, RAISER, before);
    expect(answer.subject).toContain('recorded: resolved');
    expect((await stateOf(disputeId)).status).toBe('resolved');
  });

  it('refuses, and says why, each reply it cannot take; the dispute does not change', async () => {
    const disputeId = await newDispute();
    const email = await decisionEmail(disputeId, 1, OTHER);
    const replyTo = replyToOf(email);
    const token = replyTo.slice('reply+'.length, replyTo.indexOf('@'));
    const cases: { name: string; send: () => Promise<unknown>; to: string; says: RegExp; shift?: number }[] = [
      { name: 'altered token', to: OTHER, says: /altered, or was not issued by this service/, send: () => sendReply({ from: OTHER, to: `reply+${token.slice(0, -4)}${token.at(-4) === 'a' ? 'b' : 'a'}${token.slice(-3)}@${DOMAIN}`, text: 'UNRESOLVED\nx' }) },
      { name: 'not the addressee', to: RAISER, says: /Only the person the email was sent to can answer it/, send: () => sendReply({ from: RAISER, to: replyTo, text: 'UNRESOLVED\nx' }) },
      { name: 'expired', to: OTHER, says: /has expired/, shift: 40 * DAY, send: () => sendReply({ from: OTHER, to: replyTo, text: 'UNRESOLVED\nx' }) },
      { name: 'no decision word', to: OTHER, says: /first line of the reply must be RESOLVED or UNRESOLVED/, send: () => sendReply({ from: OTHER, to: replyTo, text: 'Can we talk on Monday?' }) },
      { name: 'no reason', to: OTHER, says: /needs the reason/, send: () => sendReply({ from: OTHER, to: replyTo, text: 'UNRESOLVED' }) },
      { name: 'oversized', to: OTHER, says: /larger than 64 KB/, send: () => sendReply({ from: OTHER, to: replyTo, text: `UNRESOLVED\n${'x'.repeat(100 * 1024)}` }) },
      { name: 'no readable text', to: OTHER, says: /no text that could be read/, send: () => sendReply({ from: OTHER, to: replyTo, attachments: [{ filename: 'scan.pdf', content: Buffer.from('%PDF-1.4') }] }) },
    ];
    for (const refused of cases) {
      clockShift = refused.shift ?? 0;
      const before = sink.messages.length;
      try {
        await refused.send();
        const answer = await answerTo(null, refused.to, before).catch((error: Error) => {
          throw new Error(`${refused.name}: ${error.message}`);
        });
        expect(answer.text, refused.name).toMatch(refused.says);
        expect(answer.text, refused.name).toMatch(/nothing was recorded/i);
      } finally {
        clockShift = 0;
      }
    }
    const state = await stateOf(disputeId);
    expect(state.stage).toBe(1);
    expect(await outcomes(disputeId)).toBe(0);

    // A decision for a stage that has passed: the raiser answers stage 1 after it moved on.
    const beforeDecision = sink.messages.length;
    await sendReply({ from: OTHER, to: replyTo, text: 'UNRESOLVED\nNo agreement.' });
    await answerTo(disputeId, OTHER, beforeDecision);
    const raiserEmail = await decisionEmail(disputeId, 1, RAISER);
    const before = sink.messages.length;
    await sendReply({ from: RAISER, to: replyToOf(raiserEmail), text: 'RESOLVED\nToo late.' });
    const stale = await answerTo(disputeId, RAISER, before);
    expect(stale.text).toMatch(/That stage has already passed.*the email was about stage 1; the dispute is now at stage 2/s);
    expect((await stateOf(disputeId)).status).toBe('open');
    expect(await outcomes(disputeId)).toBe(1);
  }, 120_000);

  it('auto-replies and bounces are answered with nothing and change nothing', async () => {
    const disputeId = await newDispute();
    const email = await decisionEmail(disputeId, 1, OTHER);
    const before = sink.messages.length;
    await sendReply({ from: OTHER, to: replyToOf(email), text: 'RESOLVED\nI am out of the office until Monday.', headers: { 'Auto-Submitted': 'auto-replied' } });
    await sendReply({ from: OTHER, to: replyToOf(email), text: 'RESOLVED\nOut of office.', headers: { 'X-Autoreply': 'yes', Precedence: 'auto_reply' } });
    await sendReply({ from: 'mailer-daemon@nhs.example.org', to: replyToOf(email), text: 'RESOLVED\nDelivery failed.', envelopeFrom: '' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(sink.messages.slice(before).filter((mail) => mail.subject.includes('your reply') || mail.subject.includes('disputes service'))).toEqual([]);
    expect(await outcomes(disputeId)).toBe(0);
  });

  it('the inbound server refuses mail for addresses it did not issue at RCPT time, with a 550 and a sentence', async () => {
    await expect(sendReply({ from: OTHER, to: `someone@${DOMAIN}`, text: 'RESOLVED\nx' })).rejects.toThrow(/550 5\.1\.1 This address takes no mail: it is not a reply address/);
    await expect(sendReply({ from: OTHER, to: `reply+abcdefgh@${DOMAIN}`, text: 'RESOLVED\nx' })).rejects.toThrow(/550 5\.7\.1 This reply address was altered or not issued/);
  });
});

describe('reply by email, read from an IMAP mailbox', () => {
  it('the poller reads the shared mailbox, records the decision (even when the plus-part was lost), and answers', async () => {
    const disputeId = await newDispute();
    const email = await decisionEmail(disputeId, 1, OTHER);
    // A mail system that dropped the plus-part: only the thread (In-Reply-To) names the token.
    const raw = await new MailComposer({
      from: OTHER,
      to: `reply@${DOMAIN}`,
      subject: 'Re: your decision is needed',
      inReplyTo: email.messageId,
      references: email.messageId,
      text: 'UNRESOLVED: the hospital will not agree to the date.\n\n> quoted original',
    })
      .compile()
      .build();
    const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, auth: { user: 'replies', pass: 'imap-secret' }, logger: false });
    await client.connect();
    await client.append('INBOX', raw);
    await client.logout();

    const before = sink.messages.length;
    expect(await poller.pollOnce()).toBe(1);
    const answer = await answerTo(disputeId, OTHER, before);
    expect(answer.subject).toContain('recorded: unresolved');
    const state = await stateOf(disputeId);
    expect(state.stage).toBe(2);
    expect(state.events.find((event) => event.type === 'outcome')).toMatchObject({ reason: 'the hospital will not agree to the date.' });
    // Marked seen: the next pass takes nothing, and the decision is not recorded twice.
    expect(await poller.pollOnce()).toBe(0);
    expect(await outcomes(disputeId)).toBe(1);
  });
});

describe('decision links', () => {
  it('a link opens a form; only the form’s POST records; a used, altered or expired link says so', async () => {
    const disputeId = await newDispute();
    const email = await decisionEmail(disputeId, 1, OTHER);
    const link = /resolved: (http\S+\/resolved)/.exec(email.text)![1]!;
    expect(link.startsWith(`${apiBase}/decisions/`)).toBe(true);

    const form = await fetch(link);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain(`Dispute ${disputeId}, stage 1: Resolved`);
    expect(html).toContain('<form method="post">');
    expect(await outcomes(disputeId)).toBe(0); // opening it changed nothing

    // One character of the signature changed (not the last: its low bits are padding).
    const flip = (token: string) => `${token.slice(0, -4)}${token.at(-4) === 'a' ? 'b' : 'a'}${token.slice(-3)}`;
    const altered = await fetch(link.replace(/\/decisions\/([a-z2-7]+)/, (_m, token: string) => `/decisions/${flip(token)}`));
    expect(altered.status).toBe(404);
    expect(await altered.text()).toContain('altered, or was not issued by this service');
    clockShift = 40 * DAY;
    try {
      const expired = await fetch(link);
      expect(expired.status).toBe(410);
      expect(await expired.text()).toContain('has expired');
    } finally {
      clockShift = 0;
    }

    const posted = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ text: 'Weekly joint reviews from Monday.' }).toString() });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('Your decision has been recorded: <strong>resolved</strong> at stage 1');
    const state = await stateOf(disputeId);
    expect(state.status).toBe('resolved');
    expect(state.events.find((event) => event.type === 'outcome')).toMatchObject({ by: OTHER, agreedActions: 'Weekly joint reviews from Monday.' });

    const used = await fetch(link);
    expect(used.status).toBe(410);
    expect(await used.text()).toContain('This link has been used');
    // The used link with its last character changed in the spare bits only: altered, not "used".
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    const lastChar = (token: string) => {
      expect((token.length * 5) % 8).toBeGreaterThan(0); // the lowest bit of the last character is spare
      return `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) ^ 1]}`;
    };
    const twin = await fetch(link.replace(/\/decisions\/([a-z2-7]+)/, (_m, token: string) => `/decisions/${lastChar(token)}`));
    expect(twin.status).toBe(404);
    expect(await twin.text()).toContain('altered, or was not issued by this service');
  });
});
