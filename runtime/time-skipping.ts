import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from './search-attributes';
import { temporalTestServerPath } from './temporal-binaries';

/**
 * The real time-skipping test server (installed by scripts/setup.sh), with our search attributes:
 * where `dispute simulate` previews a policy and where the tests prove every timescale.
 */
export async function startTimeSkippingEnv(dataConverter: DataConverter): Promise<TestWorkflowEnvironment> {
  // No extraArgs: the test server takes only its port, and time-skipping flags break the TS client.
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
    client: { dataConverter },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}
