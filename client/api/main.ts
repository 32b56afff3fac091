import { mailTransport } from '../../activities/email/activities';
import { loadConfig, mailSettings } from '../../runtime/config';
import { ConfigError } from '../../runtime/errors';
import { disputeContext } from '../disputes';
import { connectDisputes } from '../operations';
import { ApiKeys } from './keys';
import { buildApi } from './server';

/** The API on its own, against the configured Temporal; used by docker-compose. */
async function main(): Promise<void> {
  const config = loadConfig();
  const context = disputeContext(config);
  const { directory } = context;
  const configured = ApiKeys.fromEnvironment(config, directory);
  if (!configured && !config.API_DEMO_KEYS) {
    throw new ConfigError('no API keys: set API_KEYS_FILE (or API_KEYS) to the keys file; API_DEMO_KEYS=true accepts the public demo keys, for trials only');
  }
  const keys = configured ?? ApiKeys.demo(directory).keys;
  const { disputes, close } = await connectDisputes(config, { context });
  await disputes.records?.(); // migrated, or refused if newer than this code, before the API listens
  const api = buildApi({
    disputes,
    keys,
    log: (line) => console.log(line),
    // The API sends no mail itself, but the worker's emails and the answers to replies need the relay.
    health: { smtp: () => mailTransport(mailSettings(config)).verify() },
    ...(config.REPLY_SECRET ? { decisions: { secret: config.REPLY_SECRET } } : {}),
  });
  const url = await api.listen({ host: config.API_HOST, port: config.API_PORT });
  console.log(`API listening on ${url}`);
  const stop = () => void api.close().then(close);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
