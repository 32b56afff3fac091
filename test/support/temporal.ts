import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { installQuietRuntime } from '../../runtime/quiet-runtime';
import { inject } from 'vitest';
import { KeyRing } from '../../runtime/key-ring';
import { dataConverter } from '../../runtime/payload-codec';
import { registerSearchAttributes } from '../../runtime/search-attributes';
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
export async function devServerEnv(options: { uiPort?: number; codecEndpoint?: string; dbFilename?: string; dynamicConfig?: Record<string, number> } = {}): Promise<TestWorkflowEnvironment> {
  const extraArgs = [
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
    ...Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]),
  ];
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      ip: '127.0.0.1',
      ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : {}),
      ...(extraArgs.length ? { extraArgs } : {}),
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      searchAttributes: [...searchAttributes],
      log: { format: 'pretty', level: 'error' },
    },
    client: { dataConverter: testDataConverter },
  });
}

/**
 * The dev server every file shares (started once by global-setup.ts), in a namespace of this file's
 * own with our search attributes: no file sees another's disputes, lists or schedules. Files that
 * stop the server, need its Web UI, a codec endpoint, a database file, or change namespace-wide
 * settings (retention) start their own with `devServerEnv`. `teardown` closes only the connections.
 */
export async function sharedDevServerEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const address = inject('sharedDevServerAddress');
  const namespace = `test-${randomUUID()}`;
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(86_400_000) });
    await registerSearchAttributes(connection, namespace);
  } finally {
    await connection.close();
  }
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace, client: { dataConverter: testDataConverter } });
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
