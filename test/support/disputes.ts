import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import type { Worker } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../../activities';
import type { DecisionSettings } from '../../activities/email/activities';
import { buildDisputeStart, startPreviewDispute, type NewDispute } from '../../client/disputes';
import { loadDirectory } from '../../policies/directory';
import { PolicyRegistry } from '../../policies/load';
import { disputeState, withdraw } from '../../workflows/dispute/messages';
import type { DisputeEvent } from '../../workflows/dispute/model';
import { startSmtpSink, testMailSettings, type SmtpSink } from './smtp-sink';
import { testWorker, timeSkippingEnv } from './temporal';

/** The shipped policies: for time-skipping tests, whose preview clocks test office hours at chosen instants. */
export const context = { policies: PolicyRegistry.fromDirectory(), directory: loadDirectory(), holidays: { changes: [] } };

/**
 * For disputes on the real clock (the dev server): the same policies sending emails that ask for
 * something at any hour (written by global-setup.ts), so no such test waits for office hours.
 */
export const realClockContext = { ...context, policies: PolicyRegistry.fromDirectory(inject('realClockPolicyDir')) };

export interface DisputeKit {
  env: TestWorkflowEnvironment;
  sink: SmtpSink;
  /** The worker's task queue, for a test that starts a workflow by hand. */
  taskQueue: string;
  /** `startedAt`: when the dispute is registered, on its clock (by default at the concern). */
  start(input: NewDispute, options?: { startedAt?: string }): Promise<RunningDispute>;
  /**
   * Ends every dispute still open. A dispute left open keeps sending overdue notices, and the
   * next test that awaits a result would make the server skip through them without end.
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
export async function disputeKit(options: { records?: ActivityDependencies['records']; decisions?: DecisionSettings } = {}): Promise<DisputeKit> {
  const env = await timeSkippingEnv();
  const sink = await startSmtpSink();
  const activities = createActivities({ mail: { ...testMailSettings(sink), decisions: options.decisions }, records: options.records });
  const { worker, taskQueue } = await testWorker(env, activities);
  const running = worker.run();
  const started: RunningDispute[] = [];
  const endAll = async () => {
    for (const dispute of started.splice(0)) {
      // Withdrawn in-band, not terminated: the test server can keep time locked for a task whose
      // workflow was terminated under it, and the next test's clock would never move.
      if ((await dispute.handle.describe()).status.name !== 'RUNNING') continue;
      const raiser = dispute.start.parties[0]!.practitioner.email;
      await dispute.handle.executeUpdate(withdraw, { args: [{ by: raiser, reason: 'The test has finished.' }] }).catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        dispute.handle.result().then(() => true, () => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 20_000))),
      ]);
      clearTimeout(timer);
      if (!ended) await dispute.handle.terminate('test finished');
    }
  };
  return {
    env,
    sink,
    taskQueue,
    async start(input, options = {}) {
      const dispute = await runDispute(env, sink, worker, taskQueue, input, options.startedAt);
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

/**
 * The kit a test file shares: created before its first test, every dispute ended after each test,
 * torn down after the last.
 */
export function useDisputeKit(options: Parameters<typeof disputeKit>[0] = {}): DisputeKit {
  let kit: DisputeKit | undefined;
  beforeAll(async () => {
    kit = await disputeKit(options);
  });
  afterEach(async () => {
    await kit?.endAll();
  });
  afterAll(async () => {
    await kit?.close();
  });
  const current = () => {
    if (!kit) throw new Error('the dispute kit is only there inside tests');
    return kit;
  };
  return {
    get env() {
      return current().env;
    },
    get sink() {
      return current().sink;
    },
    get taskQueue() {
      return current().taskQueue;
    },
    start: (input, options) => current().start(input, options),
    endAll: () => current().endAll(),
    close: () => current().close(),
  };
}

/** A test file's usual dispute, with per-test changes laid over it. */
export function concernWith(usual: NewDispute) {
  return (changes: Partial<Record<keyof NewDispute, unknown>> = {}): NewDispute => ({ ...usual, ...changes }) as NewDispute;
}

async function runDispute(env: TestWorkflowEnvironment, sink: SmtpSink, _worker: Worker, taskQueue: string, input: NewDispute, startedAt = input.concernAt) {
  const offset = Date.parse(startedAt) - (await env.currentTimeMs());
  const disputeId = `test-${randomUUID().slice(0, 8)}`;
  // The dispute's clock starts when it is registered: the concern is checked against that clock.
  const start = buildDisputeStart(input, context, { disputeId, now: Date.parse(startedAt) });
  const handle = await startPreviewDispute(env.client, taskQueue, start, offset);
  const clock = {
    /** Skips the server's time forward to this London instant on the dispute's clock. */
    async at(instant: string) {
      const target = Date.parse(instant) - offset;
      const now = await env.currentTimeMs();
      if (target <= now) return;
      // A hang here means something holds the server's time: say what, rather than time out.
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(async () => {
          const raw = (await handle.describe()).raw;
          const pending = JSON.stringify({ activities: raw.pendingActivities, workflowTask: raw.pendingWorkflowTask });
          reject(new Error(`time did not reach ${instant} within 30 s of real time; ${disputeId} has pending ${pending}`));
        }, 30_000);
      });
      try {
        await Promise.race([env.sleep(target - now), stuck]);
      } finally {
        clearTimeout(timer);
      }
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

/** The demo directory, but `agencyId` also mails from `domain`, as agencies sharing nhs.net do. */
export function sharingDomain(agencyId: string, domain: string): typeof context.directory {
  const directory = structuredClone(context.directory);
  const agency = directory.agencies.find((candidate) => candidate.id === agencyId)!;
  agency.emailDomains = [...agency.emailDomains!, domain];
  return directory;
}

export function officer(boardId: string, id: string): string {
  return context.directory.boards[boardId]!.officers[id]!.email;
}
