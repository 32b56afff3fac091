import { Connection } from '@temporalio/client';
import { loadConfig } from './config';
import { registerSearchAttributes } from './search-attributes';
import { temporalConnectOptions, type TemporalConnectOptions } from './temporal-connection';

/**
 * One-shot start-up step for a Temporal cluster (docker-compose's `setup` service): waits for the
 * server, then registers the product's search attributes. Registering again is harmless.
 */
export async function registerWhenReady(address: string, namespace: string, timeoutMs = 120_000, secured: Omit<TemporalConnectOptions, 'address'> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ ...secured, address, connectTimeout: 2_000 });
      try {
        await registerSearchAttributes(connection, namespace);
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfig();
  registerWhenReady(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE, 120_000, temporalConnectOptions(config)).then(
    () => console.log(`search attributes registered on ${config.TEMPORAL_ADDRESS} (${config.TEMPORAL_NAMESPACE})`),
    (error) => {
      console.error(`could not register search attributes: ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    },
  );
}
