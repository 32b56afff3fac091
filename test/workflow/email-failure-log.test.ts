import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDisputeStart, startDispute } from '../../client/disputes';
import { realClockContext, twoAgencies } from '../support/disputes';
import { eventually } from '../support/eventually';
import { launch, type Launched } from '../support/processes';
import { startRelay } from '../support/smtp-relay';
import { devServerEnv } from '../support/temporal';

// The worker's log leaves the process for log stores many people read: a transient SMTP failure for
// one recipient of a batch must not put any recipient's address there. The failure's details (the
// batch's progress, which names who was reached) are payloads, encrypted in history; the SDK logs
// the failure itself ("Activity failed") through the product's logger.
const RAISER = 'pat.raiser@rotherham-asc.example.org';
const OTHER = 'robin.other@rotherham-nhs.example.org';
const RELAY_SAYS = 'mailbox busy, try again later';

let env: TestWorkflowEnvironment;
let relay: Awaited<ReturnType<typeof startRelay>>;
let worker: Launched | undefined;

beforeAll(async () => {
  env = await devServerEnv();
  // A relay's 4xx quotes the address, as real relays' replies often do.
  relay = await startRelay({
    onRcptTo: (address, callback) => callback(address.address === OTHER ? Object.assign(new Error(`4.2.1 <${OTHER}>: ${RELAY_SAYS}`), { responseCode: 451 }) : null),
  });
}, 60_000);

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await relay?.close();
  await env?.teardown();
});

describe('a transient SMTP failure in the worker’s log', () => {
  it('is logged without any address or the relay’s words; the failure still carries the progress', async () => {
    const taskQueue = `failure-log-${randomUUID()}`;
    worker = launch(
      'node',
      ['--import', 'tsx', 'test/support/email-worker.ts', env.address, env.namespace ?? 'default', taskQueue, String(relay.port), inject('workflowBundlePath'), 'logged'],
      process.env,
    );
    await worker.waitFor('worker ready');
    const start = buildDisputeStart(
      { policy: 'rotherham-rsab', concernAt: new Date().toISOString(), category: 'neglect', agencies: twoAgencies('rotherham'), personReference: 'RMBC-LOG', summary: 'Failure log test.' },
      realClockContext,
      { disputeId: `failure-log-${randomUUID().slice(0, 8)}` },
    );
    const handle = await startDispute(env.client, taskQueue, start);
    try {
      await worker.waitFor('Activity failed', 60_000);
      const failed = worker
        .output()
        .split('\n')
        .filter((line) => line.includes('Activity failed'))
        .map((line) => JSON.parse(line) as { level: number; error?: { type?: string; message?: string } });
      // The failure is logged, by its SMTP code: the log still says what went wrong.
      expect(failed[0]).toMatchObject({ level: 40, error: { message: expect.stringMatching(/^SMTP transient failure \(451/) } });
      const log = worker.output();
      expect(log).not.toContain(RAISER);
      expect(log).not.toContain(OTHER);
      expect(log).not.toContain(RELAY_SAYS);
      // The progress the workflow needs is still in the failure (an encrypted payload in history).
      const pending = await eventually(
        async () => (await handle.describe()).raw.pendingActivities ?? [],
        (activities) => (activities[0]?.lastFailure?.applicationFailureInfo?.details?.payloads?.length ?? 0) > 0,
      );
      expect(pending[0]!.lastFailure!.applicationFailureInfo!.details!.payloads).toHaveLength(1);
    } finally {
      await handle.terminate('the test has finished');
      const exited = new Promise((resolve) => worker!.child.once('exit', resolve));
      worker.child.kill('SIGKILL');
      await exited;
    }
  }, 120_000);
});
