import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { buildDisputeStart, startPreviewDispute } from '../../client/disputes';
import { disputeState, withdraw } from '../../workflows/dispute/messages';
import { context, officer, twoAgencies } from '../support/disputes';
import { testMailSettings } from '../support/smtp-sink';
import { testWorker, timeSkippingEnv } from '../support/temporal';

// One activity carries a step's batches; when it is given up (3 days of a relay deferring one
// address), the batches its heartbeat says were finished are on record as sent, the rest as failed,
// batch by batch, as when each batch was an activity of its own.
const T0 = '2026-03-27T10:30:00Z';
const BOARD_MANAGER = officer('rotherham-rsab', 'board-manager');

let env: TestWorkflowEnvironment;
let smtp: SMTPServer;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;
const delivered: string[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        if (to.includes(BOARD_MANAGER)) return callback(Object.assign(new Error('4.3.0 Try again later'), { responseCode: 451 }));
        delivered.push(...to);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  env = await timeSkippingEnv();
  ({ worker, taskQueue } = await testWorker(env, createActivities({ mail: testMailSettings({ port: (smtp.server.address() as { port: number }).port }) })));
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('a step’s emails given up', () => {
  it('imminent risk at the start: the stage 3 parties’ batch is on record as sent, the board manager’s notice as failed', async () => {
    const start = buildDisputeStart(
      { policy: 'rotherham-rsab', concernAt: T0, category: 'neglect', risk: 'imminent', agencies: twoAgencies('rotherham'), personReference: 'RMBC-GIVEN-UP', summary: 'Given-up test.' },
      context,
      { disputeId: `test-${randomUUID().slice(0, 8)}`, now: Date.parse(T0) },
    );
    const offset = Date.parse(T0) - (await env.currentTimeMs());
    const handle = await startPreviewDispute(env.client, taskQueue, start, offset);
    await env.sleep(74 * 3_600_000); // 3 days and 2 hours
    const { events } = await handle.query(disputeState);
    const queued = events.filter((event) => event.type === 'email-queued');
    const first = queued.filter((event) => event.at === queued[0]!.at);
    expect(first.length).toBeGreaterThan(1); // the first step's batches went as one activity
    const notice = first.find((event) => event.type === 'email-queued' && event.to.includes(BOARD_MANAGER))!;
    const others = first.filter((event) => event !== notice);
    const settled = (type: string, kind: string) => events.filter((event) => event.type === type && 'kind' in event && event.kind === kind && event.stage === 3);
    expect(notice.type === 'email-queued' && settled('email-failed', notice.kind)).toEqual([expect.objectContaining({ to: [BOARD_MANAGER] })]);
    for (const batch of others) {
      if (batch.type !== 'email-queued') continue;
      expect(settled('email-sent', batch.kind).flatMap((event) => (event.type === 'email-sent' ? event.to : []))).toEqual(expect.arrayContaining(batch.to));
      expect(settled('email-failed', batch.kind)).toEqual([]);
    }
    // Each message once, across the attempts: an address in two batches gets two messages.
    const addresses = others.flatMap((batch) => (batch.type === 'email-queued' ? batch.to : []));
    for (const to of new Set(addresses)) expect(delivered.filter((address) => address === to), to).toHaveLength(addresses.filter((address) => address === to).length);
    await handle.executeUpdate(withdraw, { args: [{ by: start.parties[0]!.practitioner.email, reason: 'The test has finished.' }] });
  }, 120_000);
});
