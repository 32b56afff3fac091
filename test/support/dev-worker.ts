import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { DecisionSettings } from '../../activities/email/activities';
import { startSmtpSink, testMailSettings, type SmtpSink } from './smtp-sink';
import { devServerEnv, testWorker } from './temporal';

export interface DevWorker {
  env: TestWorkflowEnvironment;
  sink: SmtpSink;
  taskQueue: string;
  close(): Promise<void>;
}

/**
 * A real dev server with a worker running the real email activities into a real SMTP sink: what
 * the API, CLI, UI and reply tests stand on. `close` stops them in order.
 */
export async function startDevWorker(
  options: { uiPort?: number; codecEndpoint?: string; dbFilename?: string; decisions?: DecisionSettings } = {},
): Promise<DevWorker> {
  const { decisions: _decisions, ...server } = options;
  const env = await devServerEnv(server);
  const sink = await startSmtpSink();
  const { worker, taskQueue } = await testWorker(env, createActivities({ mail: { ...testMailSettings(sink), decisions: options.decisions } }));
  const running = worker.run();
  return {
    env,
    sink,
    taskQueue,
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
      await sink.close();
    },
  };
}
