import { loadConfig, mailSettings, publicUrl } from '../../runtime/config';
import { openRecordsStore } from '../../records/open';
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
  // The board pages read the records store and sign people in with links signed by REPLY_SECRET.
  const records = config.REPLY_SECRET ? await openRecordsStore({ databaseUrl: process.env.DATABASE_URL }) : null;
  const api = buildApi({
    disputes,
    keys,
    log: (line) => console.log(line),
    ...(config.REPLY_SECRET ? { decisions: { secret: config.REPLY_SECRET } } : {}),
    ...(config.REPLY_SECRET && records
      ? { web: { records: records.db, secret: config.REPLY_SECRET, mail: mailSettings(config), publicUrl: publicUrl(config), log: (line: string) => console.log(line) } }
      : {}),
  });
  const url = await api.listen({ host: config.API_HOST, port: config.API_PORT });
  console.log(`API listening on ${url}`);
  const stop = () => void api.close().then(close).then(() => records?.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
