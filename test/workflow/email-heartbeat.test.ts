import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDisputeStart, startDispute } from '../../client/disputes';
import { disputeState, withdraw } from '../../workflows/dispute/messages';
import { realClockContext, twoAgencies } from '../support/disputes';
import { launch, type Launched } from '../support/processes';
import { startRelay } from '../support/smtp-relay';
import { devServerEnv } from '../support/temporal';

// A worker that dies mid-batch must not email anyone twice: the email activity heartbeats which
// recipients are done, and its heartbeat timeout makes a new worker retry it within seconds.
const RAISER = 'pat.raiser@rotherham-asc.example.org';
const OTHER = 'robin.other@rotherham-nhs.example.org';

let env: TestWorkflowEnvironment;
let relay: Awaited<ReturnType<typeof startRelay>>;
const deliveries: string[] = [];
/** While set, OTHER hangs at RCPT (the recipients go out concurrently): the worker is killed then. */
let holdNext = true;
let held = false;

beforeAll(async () => {
  env = await devServerEnv();
  relay = await startRelay({
    onRcptTo(address, callback) {
      if (holdNext && address.address === OTHER) {
        held = true;
        return; // never answered: the sending worker dies waiting
      }
      callback();
    },
    delivered: (to) => deliveries.push(...to),
  });
}, 60_000);

/** Every worker process this file starts: one left running by a failed test would hold the run open. */
const workers: Launched[] = [];

afterAll(async () => {
  for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await relay?.close();
  await env?.teardown();
});

function startWorker(taskQueue: string): Launched {
  const worker = launch(
    'node',
    ['--import', 'tsx', 'test/support/email-worker.ts', env.address, env.namespace ?? 'default', taskQueue, String(relay.port), inject('workflowBundlePath')],
    process.env,
  );
  workers.push(worker);
  return worker;
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

    const second = startWorker(taskQueue);
    try {
      await second.waitFor('worker ready');
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
      // The heartbeat timeout (20 s) and the first retry interval (30 s), not the minute-long start-to-close.
      expect(retriedWithin).toBeLessThan(80_000);
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
      await handle.executeUpdate(withdraw, { args: [{ by: RAISER, reason: 'The test has finished.' }] });
      await handle.result();
    } finally {
      await second.interrupt();
    }
  }, 180_000);
});
