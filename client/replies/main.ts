import { Command } from 'commander';
import { loadConfig } from '../../runtime/config';
import { runMain } from '../../runtime/entry';
import { ConfigError } from '../../runtime/errors';
import { createLogger } from '../../runtime/logger';
import { connectDisputes } from '../operations';
import { startReplyServices } from './service';

new Command('inbound-mail')
  .description('the inbound mail service on its own (SMTP for replies to decision emails, and the IMAP poller where configured)')
  .addHelpText('after', '\nSettings come from the environment (README "Configuration"): REPLY_SECRET (needed), INBOUND_SMTP_*, IMAP_*, SMTP_*, TEMPORAL_*, LOG_LEVEL.')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse(process.argv);

/** The inbound-mail service on its own, against the configured Temporal; used by docker-compose. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.REPLY_SECRET) throw new ConfigError('REPLY_SECRET is needed: the same secret the worker signs reply addresses with');
  const logger = createLogger('inbound-mail', config.LOG_LEVEL);
  const { disputes, close } = await connectDisputes(config);
  const replies = await startReplyServices(config, disputes, config.REPLY_SECRET, (line) => logger.info(line));
  logger.info(`inbound mail: ${replies.describe()}`);
  const stop = () => void replies.stop().then(close).then(() => logger.info('inbound mail stopped'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// A fault after start-up is a log line too (JSON, addresses masked), then exit code 1.
runMain('inbound-mail', main, (error) => createLogger('inbound-mail').fatal({ err: error }, 'inbound-mail failed'));
