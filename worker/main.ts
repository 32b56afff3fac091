import { Command } from 'commander';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig, mailSettings, recordsLocation } from '../runtime/config';
import { lazyRecordsStore } from '../records/lazy';
import { runMain } from '../runtime/entry';
import { createLogger, installTemporalLogging } from '../runtime/logger';
import { temporalConnectOptions } from '../runtime/temporal-connection';
import { loadKeyRing } from '../runtime/key-ring';
import { dataConverter } from '../runtime/payload-codec';
import { createWorker, prebuiltWorkflowBundle } from './create';
import { limitWorkflowHeap, workerHeapFlags } from './heap';
import { ensurePurgeSchedule, purgeScheduleId } from './purge-schedule';

new Command('worker')
  .description("the Temporal worker: runs the dispute workflows and their email and records activities on the configured task queue until SIGINT/SIGTERM")
  .addHelpText('after', '\nSettings come from the environment (README "Configuration"): TEMPORAL_* (TLS, mTLS, API key through @temporalio/envconfig), SMTP_*, MAIL_*, REPLY_*, DATABASE_URL or RECORDS_DIR, LOG_LEVEL.')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse(process.argv);

/**
 * Runs the worker against the configured Temporal until SIGINT/SIGTERM; used by docker-compose.
 * Run it as `node --max-old-space-size=384 --max-semi-space-size=16 dist/worker/main.js` (worker/heap.ts says why; the
 * Dockerfile and docker-compose.yml do): started without a limit, it still limits the workflow
 * thread, where the cached disputes are, but its main thread keeps V8's default.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('worker', config.LOG_LEVEL);
  installTemporalLogging(logger, config.LOG_LEVEL);
  const keyRing = loadKeyRing(config);
  // Opened (and migrated) first: a store newer than this code stops the worker before it polls.
  const records = lazyRecordsStore(recordsLocation(config), { keyRing });
  logger.info(`records store: ${(await records.get()).where}`);
  const connection = await NativeConnection.connect(temporalConnectOptions(config));
  const bundle = prebuiltWorkflowBundle();
  if (limitWorkflowHeap()) logger.warn(`started without a heap limit: only the workflow thread gets ${workerHeapFlags.join(' ')}; give them to node`);
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({ mail: mailSettings(config), records: records.get, purge: { policyDir: config.POLICY_DIR } }),
    ...(bundle ? { workflowBundle: bundle } : {}),
    dataConverter: dataConverter(keyRing),
  });
  // The daily retention purge: a worker that cannot set it up still runs disputes, and says so.
  await ensurePurgeSchedule(new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(keyRing) }), config.TEMPORAL_TASK_QUEUE).then(
    (done) => logger.info({ schedule: purgeScheduleId, done }, `retention purge schedule ${done}`),
    (error: unknown) => logger.error({ schedule: purgeScheduleId, err: error }, 'could not create the retention purge schedule'),
  );
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE, prebuiltBundle: Boolean(bundle) }, `worker polling task queue '${config.TEMPORAL_TASK_QUEUE}' on ${config.TEMPORAL_ADDRESS}`);
  await worker.run(); // the SDK shuts down gracefully on SIGINT/SIGTERM
  await connection.close();
  await records.close();
  logger.info('worker stopped');
}

// A fault after start-up is a log line too (JSON, addresses masked), then exit code 1.
runMain('worker', main, (error) => createLogger('worker').fatal({ err: error }, 'worker failed'));
