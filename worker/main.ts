import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig, mailSettings } from '../runtime/config';
import { loadKeyRing } from '../runtime/key-ring';
import { dataConverter } from '../runtime/payload-codec';
import { createWorker } from './create';

/** Runs the worker against the configured Temporal until SIGINT/SIGTERM; used by docker-compose. */
async function main(): Promise<void> {
  const config = loadConfig();
  const keyRing = loadKeyRing(config);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({ mail: mailSettings(config) }),
    dataConverter: dataConverter(keyRing),
  });
  console.log(`worker polling task queue '${config.TEMPORAL_TASK_QUEUE}' on ${config.TEMPORAL_ADDRESS}`);
  await worker.run(); // the SDK shuts down gracefully on SIGINT/SIGTERM
  await connection.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
