import { MockActivityEnvironment } from '@temporalio/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createEmailActivities, messageIdFor } from '../activities/email/activities';
import { MAX_CONNECTIONS, releaseMail } from '../activities/email/transport';
import type { EmailBatch, EmailBatchResult } from '../activities/email/types';
import { checkDecisionToken, checkReplyToken } from '../runtime/decision-token';
import { createWorker } from '../worker/create';
import { testMailSettings } from './support/smtp-sink';
import { testDataConverter, timeSkippingEnv } from './support/temporal';

// The email activity against a real SMTP server that counts what it sees: one worker's pooled
// connections (never one per email, at most MAX_CONNECTIONS), a batch's recipients in flight
// together, every message of a transition in one activity with its own Message-ID, a retry that
// resumes from the heartbeat, and the pool closed when the worker stops.

let server: SMTPServer;
let port: number;
const seen = { connections: 0, open: 0, inFlight: 0, mostInFlight: 0, delivered: [] as { to: string; messageId: string; replyTo?: string }[] };
/** Addresses answered 451 after their data (a transient failure). */
const deferred = new Set<string>();

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, callback) {
      seen.connections += 1;
      seen.open += 1;
      callback();
    },
    onClose() {
      seen.open -= 1;
    },
    onMailFrom(_address, _session, callback) {
      seen.inFlight += 1;
      seen.mostInFlight = Math.max(seen.mostInFlight, seen.inFlight);
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        // Held a moment, as a real relay takes: sends one after another would never overlap.
        setTimeout(() => {
          seen.inFlight -= 1;
          const to = session.envelope.rcptTo.map((rcpt) => rcpt.address).join(',');
          if (deferred.has(to)) return callback(Object.assign(new Error('4.3.0 Try again later'), { responseCode: 451 }));
          const raw = Buffer.concat(chunks).toString();
          const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1] ?? ''; // the header may be folded
          const replyTo = /^Reply-To:\s*<?([^>\s]+)>?/im.exec(raw)?.[1];
          seen.delivered.push({ to, messageId, ...(replyTo ? { replyTo } : {}) });
          callback();
        }, 20);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  Object.assign(seen, { connections: 0, inFlight: 0, mostInFlight: 0, delivered: [] });
  deferred.clear();
});

function batch(kind: EmailBatch['kind'], count: number, stage = 2): EmailBatch {
  return {
    kind,
    sequence: 1,
    recipients: Array.from({ length: count }, (_, i) => ({ name: `Person ${i + 1}`, email: `${kind}.${i + 1}@rotherham-asc.example.org` })),
    facts: {
      disputeId: 'rsab-email1',
      board: { name: 'Rotherham Safeguarding Adults Board', shortName: 'RSAB' },
      stage,
      stageTitle: `Stage ${stage}`,
      personReference: 'RMBC-1',
      summary: 'Email activity test.',
      agencies: ['Rotherham ASC (raised the concern)', 'Rotherham NHS'],
    },
  };
}

const settings = () => testMailSettings({ port });
const emails = (b: EmailBatch) => b.recipients.map((r) => r.email);

describe('the email activity', () => {
  it('sends every message of a transition in one activity, several at once over pooled connections, each with its own Message-ID', async () => {
    const activities = createEmailActivities(settings());
    const batches = [batch('stage-entered', 3), batch('decided', 10)];
    try {
      const results = (await new MockActivityEnvironment().run(activities.sendEmailsTogether, batches)) as EmailBatchResult[];
      expect(results.map((result) => [...result.sent].sort())).toEqual(batches.map((b) => emails(b).sort()));
      expect(results.every((result) => result.rejected.length === 0)).toBe(true);
      expect(seen.delivered).toHaveLength(13);
      const expected = batches.flatMap((b) => b.recipients.map((r) => ({ to: r.email, messageId: messageIdFor(b, r.email, 'test.example.org') })));
      expect([...seen.delivered].sort((a, b) => a.to.localeCompare(b.to))).toEqual(expected.sort((a, b) => a.to.localeCompare(b.to)));
      // Concurrent, and bounded; the connections are the pool's, not one per email.
      expect(seen.mostInFlight).toBeGreaterThan(1);
      expect(seen.mostInFlight).toBeLessThanOrEqual(MAX_CONNECTIONS);
      expect(seen.connections).toBeLessThanOrEqual(MAX_CONNECTIONS);
      // The next transition reuses them.
      await new MockActivityEnvironment().run(activities.sendEmailsTogether, [batch('reminder', 2, 3)]);
      expect(seen.delivered).toHaveLength(15);
      expect(seen.connections).toBeLessThanOrEqual(MAX_CONNECTIONS);
    } finally {
      activities[releaseMail]();
    }
  });

  it('a decision email’s Message-ID carries no token (replies copy it to the whole thread); it is the same for every attempt', async () => {
    const decisions = { secret: 'email-activity-secret', addressing: { localPart: 'reply', domain: 'replies.test.example.org' }, linkBase: 'http://127.0.0.1:1', ttlDays: 30 };
    const activities = createEmailActivities({ ...settings(), decisions });
    const asking = { ...batch('stage-entered', 2), facts: { ...batch('stage-entered', 2).facts, asksForDecision: true } };
    try {
      await new MockActivityEnvironment().run(activities.sendEmailsTogether, [asking]);
      await new MockActivityEnvironment({ attempt: 2 }).run(activities.sendEmailsTogether, [asking]);
      expect(seen.delivered).toHaveLength(4);
      for (const { to, messageId, replyTo } of seen.delivered) {
        const token = /^reply\+([a-z2-7]+)@/.exec(replyTo ?? '')?.[1];
        expect(token).toBeDefined();
        // The Reply-To's token is for replies only: whoever a reply is copied to cannot open a link with it.
        // (The mock activity was scheduled at the epoch, so the tokens are checked then.)
        expect(checkReplyToken(decisions.secret, token!, to, 0)).toMatchObject({ ok: true });
        expect(checkDecisionToken(decisions.secret, token!, to, 0)).toEqual({ ok: false, reason: 'malformed' });
        expect(messageId.toLowerCase()).not.toContain(token!.slice(-13)); // its signature's characters
        expect(messageId).toBe(messageIdFor(asking, to, 'test.example.org'));
      }
    } finally {
      activities[releaseMail]();
    }
  });

  it('a retry resumes from the heartbeat: only the messages not yet done are sent, and the result covers them all', async () => {
    const activities = createEmailActivities(settings());
    const batches = [batch('stage-entered', 2), batch('officer-notice', 4)];
    const progress: EmailBatchResult[] = [
      { sent: emails(batches[0]!), rejected: [] },
      { sent: [emails(batches[1]!)[0]!], rejected: [{ to: emails(batches[1]!)[1]!, reason: '550 No such mailbox' }] },
    ];
    try {
      const results = (await new MockActivityEnvironment({ heartbeatDetails: progress, attempt: 2 }).run(activities.sendEmailsTogether, batches)) as EmailBatchResult[];
      expect(seen.delivered.map((d) => d.to).sort()).toEqual(emails(batches[1]!).slice(2).sort());
      expect(results[0]).toEqual(progress[0]);
      expect([...results[1]!.sent].sort()).toEqual([emails(batches[1]!)[0]!, ...emails(batches[1]!).slice(2)].sort());
      expect(results[1]!.rejected).toEqual(progress[1]!.rejected);
    } finally {
      activities[releaseMail]();
    }
  });

  it('a transient failure fails the attempt once the messages in hand have settled; the heartbeat says which were sent', async () => {
    const activities = createEmailActivities(settings());
    const batches = [batch('stage-entered', 2), batch('officer-notice', 3)];
    deferred.add(emails(batches[1]!)[0]!);
    const environment = new MockActivityEnvironment();
    let beat: EmailBatchResult[] | undefined;
    environment.on('heartbeat', (details: EmailBatchResult[]) => (beat = structuredClone(details)));
    try {
      const failure = await environment.run(activities.sendEmailsTogether, batches).then(
        () => undefined,
        (error: unknown) => error as { type: string; message: string; details: [EmailBatchResult[]] },
      );
      expect(failure).toMatchObject({ type: 'SmtpTransient', message: expect.stringMatching(/^SMTP transient failure \(451/) });
      expect(seen.delivered).toHaveLength(4);
      expect(beat![0]!.sent.sort()).toEqual(emails(batches[0]!).sort());
      expect(beat![1]!.sent.sort()).toEqual(emails(batches[1]!).slice(1).sort());
      // The failure carries the same progress, for when the retries are given up.
      expect(failure!.details[0]).toEqual(beat);
    } finally {
      activities[releaseMail]();
    }
  });

  it('the pool’s connections close when the worker stops', async () => {
    const env = await timeSkippingEnv();
    try {
      const activities = createEmailActivities(settings());
      const worker = await createWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue: 'email-pool', workflowBundle: { codePath: inject('workflowBundlePath') }, activities, dataConverter: testDataConverter });
      await worker.runUntil(async () => {
        await new MockActivityEnvironment().run(activities.sendEmailsTogether, [batch('stage-entered', 3)]);
        expect(seen.open).toBeGreaterThan(0); // kept open for the next transition
      });
      const deadline = Date.now() + 5_000;
      while (seen.open > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen.open).toBe(0);
    } finally {
      await env.teardown();
    }
  });
});
