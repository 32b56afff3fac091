import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities, type ActivityDependencies } from '../../activities';
import type { DecisionSettings } from '../../activities/email/activities';
import { startSmtpSink, testMailSettings, type SmtpSink } from './smtp-sink';
import { devServerEnv, sharedDevServerEnv, testWorker } from './temporal';

export interface DevWorker {
  env: TestWorkflowEnvironment;
  sink: SmtpSink;
  taskQueue: string;
  close(): Promise<void>;
}

/**
 * A real dev server with a worker running the real email activities into a real SMTP sink: what
 * the API, CLI, UI and reply tests stand on. The shared server (a namespace of this file's own)
 * unless a server option asks for one of the file's own. `close` stops them in order.
 */
export async function startDevWorker(
  options: {
    uiPort?: number;
    codecEndpoint?: string;
    dbFilename?: string;
    /** Temporal's dynamic config for a server of the file's own (e.g. a lower `history.maxTotalUpdates`). */
    dynamicConfig?: Record<string, number>;
    ownServer?: boolean;
    decisions?: DecisionSettings;
    records?: ActivityDependencies['records'];
  } = {},
): Promise<DevWorker> {
  const { decisions: _decisions, records: _records, ownServer, ...server } = options;
  const own = ownServer || server.uiPort || server.codecEndpoint || server.dbFilename || server.dynamicConfig;
  const env = own ? await devServerEnv(server) : await sharedDevServerEnv();
  const sink = await startSmtpSink();
  const { worker, taskQueue } = await testWorker(env, createActivities({ mail: { ...testMailSettings(sink), decisions: options.decisions }, records: options.records }));
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
