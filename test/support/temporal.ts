import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { installQuietRuntime } from '../../runtime/quiet-runtime';
import { inject } from 'vitest';
import { KeyRing } from '../../runtime/key-ring';
import { dataConverter } from '../../runtime/payload-codec';
import { temporalCliPath } from '../../runtime/temporal-binaries';
import { startTimeSkippingEnv } from '../../runtime/time-skipping';
import { searchAttributes } from '../../workflows/search-attributes';
import { createWorker } from '../../worker/create';

// Worker chatter drowns test output: the email tests make SMTP fail on purpose, and every retried
// attempt is a warning. Errors still show.
const quietRuntime = installQuietRuntime;

/**
 * The tests' payload keys (test/fixtures/payload-keys, for tests only): every client and worker of
 * the tests encrypts, as the product does, and recorded histories replay with them. CLI runs get
 * them through PAYLOAD_KEYS (support/processes.ts).
 */
export const testPayloadKeys = readFileSync('test/fixtures/payload-keys', 'utf8');
export const testKeyRing = KeyRing.parse(testPayloadKeys, 'PAYLOAD_KEYS');
export const testDataConverter = dataConverter(testKeyRing);

/** The real time-skipping test server, with our search attributes registered. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return startTimeSkippingEnv(testDataConverter);
}

/** The real dev server (`temporal server start-dev`, in-memory SQLite), with our search attributes. */
export async function devServerEnv(options: { uiPort?: number; codecEndpoint?: string; dbFilename?: string } = {}): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      ip: '127.0.0.1',
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
      ...(options.codecEndpoint ? { extraArgs: ['--ui-codec-endpoint', options.codecEndpoint] } : {}),
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      searchAttributes: [...searchAttributes],
      log: { format: 'pretty', level: 'error' },
    },
    client: { dataConverter: testDataConverter },
  });
}

/** A worker on a fresh task queue, running the workflow bundle built once for this test run. */
export async function testWorker(
  env: TestWorkflowEnvironment,
  activities: WorkerOptions['activities'] = {},
): Promise<{ worker: Worker; taskQueue: string }> {
  const taskQueue = `test-${randomUUID()}`;
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities,
    dataConverter: testDataConverter,
  });
  return { worker, taskQueue };
}
