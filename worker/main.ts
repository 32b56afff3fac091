import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig, mailSettings, recordsLocation } from '../runtime/config';
import { lazyRecordsStore } from '../records/lazy';
import { createWorker } from './create';

/** Runs the worker against the configured Temporal until SIGINT/SIGTERM; used by docker-compose. */
async function main(): Promise<void> {
  const config = loadConfig();
  // Opened (and migrated) first: a store newer than this code stops the worker before it polls.
  const records = lazyRecordsStore(recordsLocation(config));
  console.log(`records store: ${(await records.get()).where}`);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({ mail: mailSettings(config), records: records.get }),
  });
  console.log(`worker polling task queue '${config.TEMPORAL_TASK_QUEUE}' on ${config.TEMPORAL_ADDRESS}`);
  await worker.run(); // the SDK shuts down gracefully on SIGINT/SIGTERM
  await connection.close();
  await records.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
