import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { buildDisputeStart, startDispute, type NewDispute } from '../../client/disputes';
import { loadDirectory } from '../../policies/directory';
import { PolicyRegistry } from '../../policies/load';
import { disputeState } from '../../workflows/dispute/messages';
import type { DisputeEvent } from '../../workflows/dispute/model';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { testWorker, timeSkippingEnv } from './temporal';

export const context = { policies: PolicyRegistry.fromDirectory(), directory: loadDirectory(), holidays: { changes: [] } };

export interface DisputeKit {
  env: TestWorkflowEnvironment;
  sink: SmtpSink;
  start(input: NewDispute): Promise<RunningDispute>;
  /**
   * Terminates every dispute still open. A dispute left open keeps sending overdue notices, and
   * the next test that awaits a result would make the server skip through them without end.
   */
  endAll(): Promise<void>;
  close(): Promise<void>;
}

export type RunningDispute = Awaited<ReturnType<typeof runDispute>>;

/**
 * One time-skipping server, one real SMTP sink and one worker with the real email activities, for
 * a test file. Each dispute runs on a preview clock lined up with its concern instant, so tests
 * name instants by hand (Fri 27 Mar 2026 10:30) whatever day they run.
 */
export async function disputeKit(): Promise<DisputeKit> {
  const env = await timeSkippingEnv();
  const sink = await startSmtpSink();
  const activities = createActivities({
    mail: { host: '127.0.0.1', port: sink.port, secure: false, from: 'Disputes <disputes@test.example.org>', messageIdDomain: 'test.example.org' },
  });
  const { worker, taskQueue } = await testWorker(env, activities);
  const running = worker.run();
  const started: RunningDispute[] = [];
  const endAll = async () => {
    for (const dispute of started.splice(0)) {
      // Let in-flight emails finish first: the test server keeps time locked for an activity
      // whose workflow was terminated under it.
      const deadline = Date.now() + 10_000;
      let description = await dispute.handle.describe();
      while (description.status.name === 'RUNNING' && description.raw.pendingActivities.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        description = await dispute.handle.describe();
      }
      if (description.status.name === 'RUNNING') await dispute.handle.terminate('test finished');
    }
  };
  return {
    env,
    sink,
    async start(input) {
      const dispute = await runDispute(env, sink, worker, taskQueue, input);
      started.push(dispute);
      return dispute;
    },
    endAll,
    async close() {
      await endAll();
      worker.shutdown();
      await running;
      await env.teardown();
      await sink.close();
    },
  };
}

async function runDispute(env: TestWorkflowEnvironment, sink: SmtpSink, _worker: Worker, taskQueue: string, input: NewDispute) {
  const offset = Date.parse(input.concernAt) - (await env.currentTimeMs());
  const disputeId = `test-${randomUUID().slice(0, 8)}`;
  const start = buildDisputeStart(input, context, { disputeId, previewClockOffsetMs: offset });
  const handle = await startDispute(env.client, taskQueue, start);
  const clock = {
    /** Skips the server's time forward to this London instant on the dispute's clock. */
    async at(instant: string) {
      const target = Date.parse(instant) - offset;
      const now = await env.currentTimeMs();
      if (target > now) await env.sleep(target - now);
    },
    async now() {
      return new Date((await env.currentTimeMs()) + offset).toISOString();
    },
  };
  return {
    disputeId,
    handle,
    start,
    ...clock,
    state: () => handle.query(disputeState),
    async events(type?: DisputeEvent['type']) {
      const events = (await handle.query(disputeState)).events;
      return type ? events.filter((event) => event.type === type) : events;
    },
    /** Mail the sink caught for this dispute. */
    mail: () => sink.messages.filter((message) => message.headers.get('x-dispute-id') === disputeId),
  };
}

/** Two-agency dispute input for a board of the demo directory. */
export function twoAgencies(board: string, raising = 'asc', other = 'nhs') {
  return [
    { agencyId: `${board}-${raising}`, practitioner: { name: 'Pat Raiser', email: `pat.raiser@${board}-${raising}.example.org` } },
    { agencyId: `${board}-${other}`, practitioner: { name: 'Robin Other', email: `robin.other@${board}-${other}.example.org` } },
  ];
}

export function contactsAt(board: string, agency: string, stage: number): string[] {
  const found = context.directory.agencies.find((candidate) => candidate.id === `${board}-${agency}`);
  return found?.tiers.find((tier) => tier.stage === stage)?.contacts.map((contact) => contact.email) ?? [];
}

export function officer(boardId: string, id: string): string {
  return context.directory.boards[boardId]!.officers[id]!.email;
}
