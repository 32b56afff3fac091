import { Client, Connection } from '@temporalio/client';
import { loadHolidaySources } from '../../policies/calendar/sources';
import { loadDirectory } from '../../policies/directory';
import { PolicyRegistry } from '../../policies/load';
import { loadConfig } from '../../runtime/config';
import { ConfigError } from '../../runtime/errors';
import { ApiKeys } from './keys';
import { buildApi } from './server';

/** The API on its own, against the configured Temporal; used by docker-compose. */
async function main(): Promise<void> {
  const config = loadConfig();
  const directory = loadDirectory(config.DIRECTORY_FILE);
  const configured = ApiKeys.fromEnvironment(config, directory);
  if (!configured && !config.API_DEMO_KEYS) {
    throw new ConfigError('no API keys: set API_KEYS_FILE (or API_KEYS) to the keys file; API_DEMO_KEYS=true accepts the public demo keys, for trials only');
  }
  const keys = configured ?? ApiKeys.demo(directory).keys;
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const context = {
    policies: PolicyRegistry.fromDirectory(config.POLICY_DIR),
    directory,
    holidays: loadHolidaySources({ holidaysFile: config.HOLIDAYS_FILE, feedFile: config.BANK_HOLIDAYS_FEED_FILE }),
  };
  const api = buildApi({
    disputes: { client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), taskQueue: config.TEMPORAL_TASK_QUEUE, context },
    keys,
    log: (line) => console.log(line),
    ...(config.REPLY_SECRET ? { decisions: { secret: config.REPLY_SECRET } } : {}),
  });
  const url = await api.listen({ host: config.API_HOST, port: config.API_PORT });
  console.log(`API listening on ${url}`);
  const stop = () => void api.close().then(() => connection.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
