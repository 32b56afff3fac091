import { loadConfig } from '../../runtime/config';
import { ConfigError } from '../../runtime/errors';
import { connectDisputes } from '../operations';
import { startReplyServices } from './service';

/** The inbound-mail service on its own, against the configured Temporal; used by docker-compose. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.REPLY_SECRET) throw new ConfigError('REPLY_SECRET is needed: the same secret the worker signs reply addresses with');
  const { disputes, close } = await connectDisputes(config);
  const replies = await startReplyServices(config, disputes, config.REPLY_SECRET, (line) => console.log(line));
  console.log(`inbound mail: ${replies.describe()}`);
  const stop = () => void replies.stop().then(close);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
