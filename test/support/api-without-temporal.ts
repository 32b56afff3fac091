import { Client, Connection } from '@temporalio/client';
import { ApiKeys } from '../../client/api/keys';
import { buildApi } from '../../client/api/server';
import { realClockContext } from './disputes';
import { freePort } from './processes';

/**
 * The API with the demo keys and nothing listening at its Temporal address: for requests that must
 * be refused before anything reaches Temporal.
 */
export async function startApiWithoutTemporal(directory = realClockContext.directory): Promise<{ base: string; close: () => Promise<void> }> {
  const connection = await Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
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
