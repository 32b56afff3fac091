import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { installQuietRuntime } from '../../runtime/quiet-runtime';
import { inject } from 'vitest';
import { temporalCliPath } from '../../runtime/temporal-binaries';
import { startTimeSkippingEnv } from '../../runtime/time-skipping';
import { searchAttributes } from '../../workflows/search-attributes';
import { createWorker } from '../../worker/create';

// Worker chatter drowns test output: the email tests make SMTP fail on purpose, and every retried
// attempt is a warning. Errors still show.
const quietRuntime = installQuietRuntime;

/** The real time-skipping test server, with our search attributes registered. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return startTimeSkippingEnv();
}

/** The real dev server (`temporal server start-dev`, in-memory SQLite), with our search attributes. */
export async function devServerEnv(options: { uiPort?: number } = {}): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      ip: '127.0.0.1',
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
      searchAttributes: [...searchAttributes],
      log: { format: 'pretty', level: 'error' },
    },
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
  });
  return { worker, taskQueue };
}
