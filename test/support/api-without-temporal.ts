import { Client, Connection } from '@temporalio/client';
import { ApiKeys } from '../../client/api/keys';
import { boundedRetries } from '../../client/operations';
import { buildApi } from '../../client/api/server';
import { realClockContext } from './disputes';
import { freePort } from './processes';

/**
 * The API with the demo keys and nothing listening at its Temporal address: for requests that must
 * be refused before anything reaches Temporal.
 */
export async function startApiWithoutTemporal(directory = realClockContext.directory): Promise<{ base: string; close: () => Promise<void> }> {
  // Bounded retries, as the product's connection has (client/operations.ts): the SDK's default
  // retries outlived a test's 503 and, once the file closed the connection, a pending retry threw
  // "Channel has been shut down" from its timer (an unhandled error that failed a fresh-clone run).
  const connection = await Connection.lazy({ address: `127.0.0.1:${await freePort()}`, interceptors: boundedRetries() });
  const app = buildApi({ disputes: { client: new Client({ connection }), taskQueue: 'nowhere', context: { ...realClockContext, directory } }, keys: ApiKeys.demo(directory).keys });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    base,
    close: async () => {
      await app.close();
      await connection.close();
    },
  };
}
