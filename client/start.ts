import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig, mailSettings } from '../runtime/config';
import { startDevServer } from '../runtime/dev-server';
import { createWorker } from '../worker/create';

/**
 * `npm start`: the embedded Temporal dev server and our worker in one command. Ctrl-C stops the
 * worker gracefully, then the server, and leaves no process behind.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const [host, portText] = config.TEMPORAL_ADDRESS.split(':');
  const server = await startDevServer({
    host: host ?? '127.0.0.1',
    port: Number(portText ?? 7233),
    uiPort: config.TEMPORAL_UI_PORT,
    namespace: config.TEMPORAL_NAMESPACE,
    dbFile: config.TEMPORAL_DB_FILE,
    logFile: '.data/temporal-server.log',
  });
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({ mail: mailSettings(config) }),
  });

  console.log(`
  Temporal server   ${server.address}  (namespace '${config.TEMPORAL_NAMESPACE}', data in ${config.TEMPORAL_DB_FILE})
  Temporal Web UI   ${server.uiUrl}
  Worker            polling task queue '${config.TEMPORAL_TASK_QUEUE}'

  Ctrl-C stops everything.
`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    worker.shutdown();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    await worker.run();
  } finally {
    await connection.close();
    await server.stop();
    console.log('stopped');
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
