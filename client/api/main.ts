import { Command } from 'commander';
import { mailTransport } from '../../activities/email/activities';
import { loadConfig, mailSettings, publicUrl, rateLimits } from '../../runtime/config';
import { runMain } from '../../runtime/entry';
import { ConfigError } from '../../runtime/errors';
import { createLogger } from '../../runtime/logger';
import { disputeContext } from '../disputes';
import { connectDisputes } from '../operations';
import { loadKeyRing } from '../../runtime/key-ring';
import { codecOrigins } from './codec';
import { ApiKeys } from './keys';
import { OperatorKeys } from './operator-keys';
import { buildApi } from './server';

new Command('api')
  .description('the agency API on its own, against the configured Temporal')
  .addHelpText('after', '\nSettings come from the environment (README "Configuration"): API_HOST, API_PORT, API_KEYS_FILE or API_KEYS, TEMPORAL_*, REPLY_SECRET, LOG_LEVEL.')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse(process.argv);

/** The API on its own, against the configured Temporal; used by docker-compose. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('api', config.LOG_LEVEL);
  const context = disputeContext(config);
  const { directory } = context;
  const configured = ApiKeys.fromEnvironment(config, directory);
  if (!configured && !config.API_DEMO_KEYS) {
    throw new ConfigError('no API keys: set API_KEYS_FILE (or API_KEYS) to the keys file; API_DEMO_KEYS=true accepts the public demo keys, for trials only');
  }
  const keys = configured ?? ApiKeys.demo(directory).keys;
  const keyRing = loadKeyRing(config);
  const operators = OperatorKeys.fromEnvironment(config) ?? (config.API_DEMO_KEYS ? OperatorKeys.demo().keys : OperatorKeys.none());
  const { disputes, close } = await connectDisputes(config, { context, keyRing });
  const store = await disputes.records?.(); // migrated, or refused if newer than this code, before the API listens
  // The board pages read the records store and sign people in with links signed by REPLY_SECRET.
  const records = config.REPLY_SECRET && store ? store : null;
  const api = buildApi({
    disputes,
    limits: rateLimits(config),
    trustedProxies: config.API_TRUSTED_PROXIES,
    keys,
    log: (line) => logger.info(line),
    // The API sends no mail itself, but the worker's emails and the answers to replies need the relay.
    health: { smtp: () => mailTransport(mailSettings(config)).verify() },
    ...(config.REPLY_SECRET ? { decisions: { secret: config.REPLY_SECRET } } : {}),
    codec: { keyRing, operators, origins: codecOrigins(config), log: (line) => console.log(line) },
    ...(config.REPLY_SECRET && records
      ? { web: { records: records.db, secret: config.REPLY_SECRET, mail: mailSettings(config), publicUrl: publicUrl(config), log: (line: string) => logger.info(line) } }
      : {}),
  });
  const url = await api.listen({ host: config.API_HOST, port: config.API_PORT });
  logger.info(`API listening on ${url}`);
  const stop = () =>
    void api
      .close()
      .then(close)
      .then(() => logger.info('API stopped'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// A fault after start-up is a log line too (JSON, addresses masked), then exit code 1.
runMain('api', main, (error) => createLogger('api').fatal({ err: error }, 'api failed'));
