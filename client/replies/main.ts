import { Client, Connection } from '@temporalio/client';
import { loadHolidaySources } from '../../policies/calendar/sources';
import { loadDirectory } from '../../policies/directory';
import { PolicyRegistry } from '../../policies/load';
import { loadConfig } from '../../runtime/config';
import { ConfigError } from '../../runtime/errors';
import { startReplyServices } from './service';

/** The inbound-mail service on its own, against the configured Temporal; used by docker-compose. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.REPLY_SECRET) throw new ConfigError('REPLY_SECRET is needed: the same secret the worker signs reply addresses with');
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const context = {
    policies: PolicyRegistry.fromDirectory(config.POLICY_DIR),
    directory: loadDirectory(config.DIRECTORY_FILE),
    holidays: loadHolidaySources({ holidaysFile: config.HOLIDAYS_FILE, feedFile: config.BANK_HOLIDAYS_FEED_FILE }),
  };
  const disputes = { client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), taskQueue: config.TEMPORAL_TASK_QUEUE, context };
  const replies = await startReplyServices(config, disputes, config.REPLY_SECRET, (line) => console.log(line));
  console.log(`inbound mail: ${replies.describe()}`);
  const stop = () => void replies.stop().then(() => connection.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
