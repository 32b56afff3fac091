import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDisputeStart, startDispute } from '../../client/disputes';
import { disputeState, withdraw } from '../../workflows/dispute/messages';
import { realClockContext, twoAgencies } from '../support/disputes';
import { launch, type Launched } from '../support/processes';
import { timeSkippingEnv } from '../support/temporal';

// A worker that dies mid-batch must not email anyone twice: the email activity heartbeats which
// recipients are done, and its heartbeat timeout makes a new worker retry it within seconds.
// On the time-skipping server, with the production activity options: the heartbeat timeout runs in
// real time (an activity in flight holds the server's clock), the retry interval is skipped
// (env.sleep). Its workers cache no workflows: the test server never moves a task off a dead
// worker's sticky queue (the real server does, after 10 s), so the dead worker would hold it.
// About 25 s instead of the dev server's 57 s.
const RAISER = 'pat.raiser@rotherham-asc.example.org';
const OTHER = 'robin.other@rotherham-nhs.example.org';

let env: TestWorkflowEnvironment;
let smtp: SMTPServer;
let port: number;
const deliveries: string[] = [];
/** Each delivered recipient's Message-ID. */
const messageIds = new Map<string, string>();
/** While set, OTHER hangs at RCPT (the recipients go out concurrently): the worker is killed then. */
let holdNext = true;
let held = false;

beforeAll(async () => {
  env = await timeSkippingEnv();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (holdNext && address.address === OTHER) {
        held = true;
        return; // never answered: the sending worker dies waiting
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const id = /^Message-ID:\s*(<[^>]+>)/im.exec(Buffer.concat(chunks).toString('utf8'))?.[1] ?? '';
        for (const rcpt of session.envelope.rcptTo) messageIds.set(rcpt.address, id);
        deliveries.push(...session.envelope.rcptTo.map((rcpt) => rcpt.address));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  port = (smtp.server.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await env?.teardown();
});

function startWorker(taskQueue: string): Launched {
  return launch(
    'node',
    ['--import', 'tsx', 'test/support/email-worker.ts', env.address, env.namespace ?? 'default', taskQueue, String(port), inject('workflowBundlePath'), '0'],
    process.env,
  );
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('email heartbeat', () => {
  it('the worker is killed after the first recipient is accepted: a new worker emails only the rest, each once', async () => {
    const taskQueue = `heartbeat-${randomUUID()}`;
    const start = buildDisputeStart(
      { policy: 'rotherham-rsab', concernAt: new Date().toISOString(), category: 'neglect', agencies: twoAgencies('rotherham'), personReference: 'RMBC-HB', summary: 'Heartbeat test.' },
      realClockContext,
      { disputeId: `heartbeat-${randomUUID().slice(0, 8)}` },
    );
    const first = startWorker(taskQueue);
    await first.waitFor('worker ready');
    const handle = await startDispute(env.client, taskQueue, start);

    // One recipient is accepted, the other hangs; the heartbeat has reached the server.
    await until('first delivery and the hold', () => (deliveries.length === 1 && held ? true : undefined), 60_000);
    expect(deliveries).toEqual([RAISER]);
    await until(
      'heartbeat details on the server',
      async () => ((await handle.describe()).raw.pendingActivities ?? []).find((activity) => activity.heartbeatDetails?.payloads?.length) ?? undefined,
      30_000,
    );
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    holdNext = false;
    const killedAt = Date.now();
    const killedAtServer = await env.currentTimeMs();

    const second = startWorker(taskQueue);
    try {
      await second.waitFor('worker ready');
      // The heartbeat timeout (20 s) and the first retry interval (30 s), on the server's clock.
      await env.sleep(60_000);
      const sent = await until(
        'email-sent in the event log',
        async () => (await handle.query(disputeState)).events.find((event) => event.type === 'email-sent'),
        90_000,
      );
      const retriedWithin = Date.now() - killedAt;
      expect(deliveries.filter((to) => to === RAISER)).toHaveLength(1);
      expect(deliveries.filter((to) => to === OTHER)).toHaveLength(1);
      expect(deliveries).toHaveLength(2);
      expect(sent.type === 'email-sent' && [...sent.to].sort()).toEqual([RAISER, OTHER].sort());
      // The heartbeat timeout runs in real time; the retry interval is skipped.
      expect(retriedWithin).toBeLessThan(80_000);
      // Each message keeps the Message-ID of its batch (the same dispute, stage, kind and sequence), whichever attempt sent it.
      const ids = [messageIds.get(RAISER)!, messageIds.get(OTHER)!];
      const batchOf = (id: string) => new RegExp(`^<${start.disputeId}\\.s1\\.([a-z-]+\\.\\d+)\\.[^@>]+@test\\.example\\.org>$`).exec(id)?.[1];
      expect(ids.map(batchOf)).toEqual([expect.any(String), batchOf(ids[0]!)]);
      expect(new Set(ids).size).toBe(2);
      const history = await handle.fetchHistory();
      // The email activity's attempts (a records-store write whose local attempt fails is an
      // activity too): one activity carries the transition's emails.
      const emailScheduled = new Set(history.events?.flatMap((event) => (event.activityTaskScheduledEventAttributes?.activityType?.name === 'sendEmailsTogether' ? [String(event.eventId)] : [])));
      expect(emailScheduled.size).toBe(1);
      const attempts =
        history.events?.flatMap((event) =>
          event.activityTaskStartedEventAttributes && emailScheduled.has(String(event.activityTaskStartedEventAttributes.scheduledEventId)) ? [event.activityTaskStartedEventAttributes.attempt] : [],
        ) ?? [];
      expect(attempts).toEqual([2]); // the dead worker's attempt never completed; the second did
      // On the server's clock the second attempt began once the heartbeat timed out (20 s after the last
      // one) and the retry interval (30 s) passed; the minute-long start-to-close would have made it 85 s or more.
      const startedAt = history.events!.find((event) => event.activityTaskStartedEventAttributes && emailScheduled.has(String(event.activityTaskStartedEventAttributes.scheduledEventId)))!.eventTime!;
      const retriedAfter = Number(startedAt.seconds) * 1000 + Math.floor((startedAt.nanos ?? 0) / 1e6) - killedAtServer;
      expect(retriedAfter).toBeGreaterThanOrEqual(30_000);
      expect(retriedAfter).toBeLessThan(60_000);
      await handle.executeUpdate(withdraw, { args: [{ by: RAISER, reason: 'The test has finished.' }] });
      await handle.result();
    } finally {
      await second.interrupt();
    }
  }, 180_000);
});
