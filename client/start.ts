import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { mailTransport } from '../activities/email/activities';
import { agenciesOfBoard } from '../policies/directory';
import { loadConfig, mailSettings, publicUrl, recordsLocation, rateLimits } from '../runtime/config';
import { KeyRing, loadKeyRing, localKeysFile } from '../runtime/key-ring';
import { dataConverter } from '../runtime/payload-codec';
import { lazyRecordsStore } from '../records/lazy';
import { setNamespaceRetention } from '../records/retention';
import { startDevServer } from '../runtime/dev-server';
import { runMain } from '../runtime/entry';
import { privateDataDir, writePrivateFile } from '../runtime/local-state';
import { createPrettyLogger, installTemporalLogging } from '../runtime/logger';
import { startMailInbox, type MailInbox } from '../runtime/mail-inbox';
import { createWorker } from '../worker/create';
import { limitWorkflowHeap } from '../worker/heap';
import { ensurePurgeSchedule } from '../worker/purge-schedule';
import { codecOrigins } from './api/codec';
import { ApiKeys } from './api/keys';
import { OperatorKeys } from './api/operator-keys';
import { buildApi } from './api/server';
import { disputeContext } from './disputes';
import { connectDisputes, openDispute, type Disputes } from './operations';
import { startReplyServices } from './replies/service';

const program = new Command('npm start --')
  .description('the local mail inbox, the embedded Temporal dev server, the worker, the API and the inbound mail server, in one command')
  .option('--demo', 'also start one demo dispute per policy (once: a second --demo finds them)')
  .addHelpText('after', '\nSettings come from the environment (README "Configuration"); LOG_LEVEL sets how much is logged.')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

/**
 * `npm start`: the local mail inbox, the embedded Temporal dev server, our worker and the API in
 * one command. `npm start -- --demo` also starts one demo dispute per policy. Ctrl-C stops the API
 * and the worker gracefully, then the server and the inbox, and leaves no process behind; a kill -9
 * takes the server and the inbox with it, and the next start stops any an older run left.
 */
async function main(): Promise<void> {
  const { demo = false } = program.parse(process.argv).opts<{ demo?: boolean }>();
  const config = loadConfig();
  // Everything this process creates is private to its user: the data folder holds disputes.
  process.umask(0o077);
  const dataDir = dirname(config.TEMPORAL_DB_FILE);
  privateDataDir(dataDir);
  const logger = await createPrettyLogger('dispute', config.LOG_LEVEL);
  installTemporalLogging(logger, config.LOG_LEVEL);
  const context = disputeContext(config);
  const secret = config.REPLY_SECRET ?? localReplySecret(dataDir);
  const keyRing = config.PAYLOAD_KEYS || config.PAYLOAD_KEYS_FILE ? loadKeyRing(config) : localKeyRing(config);
  const configuredKeys = ApiKeys.fromEnvironment(config, context.directory);
  const demoKeys = configuredKeys ? null : ApiKeys.demo(context.directory);
  // Opened (and migrated) first: a store newer than this code stops start-up before anything runs.
  const records = lazyRecordsStore(recordsLocation(config), { keyRing });
  const store = await records.get();
  const configuredOperators = OperatorKeys.fromEnvironment(config);
  const operators = configuredOperators ?? OperatorKeys.demo().keys;

  // The inbox only stands in for a local SMTP server; a configured relay is used as it is.
  const localSmtp = ['127.0.0.1', 'localhost'].includes(config.SMTP_HOST);
  const inbox: MailInbox | null =
    localSmtp && config.MAIL_INBOX_WEB_PORT > 0
      ? await startMailInbox({ host: '127.0.0.1', smtpPort: config.SMTP_PORT, webPort: config.MAIL_INBOX_WEB_PORT, dataDir })
      : null;

  const [host, portText] = config.TEMPORAL_ADDRESS.split(':');
  const server = await startDevServer({
    host: host ?? '127.0.0.1',
    port: Number(portText ?? 7233),
    uiPort: config.TEMPORAL_UI_PORT,
    namespace: config.TEMPORAL_NAMESPACE,
    dbFile: config.TEMPORAL_DB_FILE,
    logFile: join(dataDir, 'temporal-server.log'),
    onLeftover: (pid) => logger.warn(`stopped the Temporal server an earlier npm start left running (pid ${pid})`),
    codecEndpoint: `${publicUrl(config)}/codec`,
  });
  await setNamespaceRetention(server.address, config.TEMPORAL_NAMESPACE, config.TEMPORAL_RETENTION_DAYS);
  const connection = await NativeConnection.connect({ address: server.address });
  // This one process also runs the API and the inbox, so its own heap keeps Node's default; the
  // workflow thread, where cached disputes live, gets the worker's limit (worker/heap.ts).
  const workflowHeap = limitWorkflowHeap();
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({ mail: mailSettings(config, secret), records: records.get, purge: { policyDir: config.POLICY_DIR } }),
    dataConverter: dataConverter(keyRing),
  });
  const { disputes, close: closeClient } = await connectDisputes({ ...config, TEMPORAL_ADDRESS: server.address }, { context, keyRing, records: records.get });
  await ensurePurgeSchedule(disputes.client, config.TEMPORAL_TASK_QUEUE);
  const apiLog = logger.child({ component: 'api' });
  const api = buildApi({
    disputes,
    limits: rateLimits(config),
    trustedProxies: config.API_TRUSTED_PROXIES,
    keys: configuredKeys ?? demoKeys!.keys,
    log: (line) => apiLog.info(line),
    decisions: { secret },
    health: { smtp: () => mailTransport(mailSettings(config, secret)).verify() },
    codec: { keyRing, operators, origins: codecOrigins(config) },
    // The board pages, under /web: this one process both writes the embedded store and reads it.
    web: { records: store.db, secret, mail: mailSettings(config, secret), publicUrl: publicUrl(config), log: (line: string) => apiLog.info(line) },
  });
  const apiUrl = await api.listen({ host: config.API_HOST, port: config.API_PORT });
  const repliesLog = logger.child({ component: 'replies' });
  const replies = await startReplyServices(config, disputes, secret, (line) => repliesLog.info(line), { local: true });

  // What a person at the terminal needs to try it out: printed, not logged.
  console.log(`
  Temporal server   ${server.address}  (namespace '${config.TEMPORAL_NAMESPACE}', data in ${config.TEMPORAL_DB_FILE}, closed disputes kept ${config.TEMPORAL_RETENTION_DAYS} days)
  Records store     ${store.where}
  Temporal Web UI   ${server.uiUrl}  (codec: ${apiUrl}/codec${configuredOperators ? '' : `; demo operator key: ${OperatorKeys.demo().plain}`})
  Worker            polling task queue '${config.TEMPORAL_TASK_QUEUE}'  (records retention purge: daily at 02:30 London; ${workflowHeap ? `workflow heap limit ${workflowHeap} MiB` : 'heap limit as given to node'})
  API               ${apiUrl}  (OpenAPI: ${apiUrl}/openapi.json)
  Board pages       ${apiUrl}/web  (sign in with an address from the agency directory; the link arrives in the mail inbox)
  Replies           ${replies.describe()}
  Mail              ${inbox ? `${inbox.webUrl}  (MailDev; SMTP on ${config.SMTP_HOST}:${config.SMTP_PORT})` : `via ${config.SMTP_HOST}:${config.SMTP_PORT}`}`);
  if (demoKeys) {
    console.log('\n  Demo API keys (no API_KEYS_FILE set; for trying it out only):');
    for (const boardId of Object.keys(context.directory.boards)) {
      const agencies = agenciesOfBoard(context.directory, boardId).map((agency) => `demo-${agency.id}`);
      console.log(`    ${boardId.padEnd(32)} board: demo-board-${boardId}   agencies: ${agencies.join(', ')}`);
    }
  }
  if (demo) {
    console.log('\n  Demo disputes:');
    for (const line of await seedDemo(disputes)) console.log(`    ${line}`);
  }
  console.log('\n  Ctrl-C stops everything.\n');

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping');
    // The SDK's own signal handling may have begun the worker's shutdown already.
    void Promise.all([api.close(), replies.stop()]).finally(() => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    await worker.run();
  } finally {
    await closeClient();
    await connection.close();
    await server.stop();
    await records.close();
    await inbox?.stop();
    console.log('stopped');
  }
}

/** A secret for signing reply addresses, kept beside the dev server's data so links survive a restart. */
function localReplySecret(dataDir: string): string {
  const file = join(dataDir, 'reply-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writePrivateFile(file, `${secret}\n`);
  return secret;
}

/** A payload key made once beside the dev server's data, so disputes stay readable across restarts. */
function localKeyRing(config: { TEMPORAL_DB_FILE: string }): KeyRing {
  const file = localKeysFile(config);
  if (!existsSync(file)) {
    writePrivateFile(file, `${KeyRing.newLine('local-1')}\n`);
  }
  return loadKeyRing(config, { local: true });
}

/** One dispute per policy, between the first two agencies of its board; started once, however often this runs. */
async function seedDemo(disputes: Disputes): Promise<string[]> {
  const lines = [];
  for (const policy of disputes.context.policies.list()) {
    const [raising, other] = agenciesOfBoard(disputes.context.directory, policy.board.id);
    if (!raising || !other) continue;
    const { disputeId, created } = await openDispute(
      disputes,
      {
        policy: policy.id,
        concernAt: new Date().toISOString(),
        category: 'neglect',
        agencies: [
          { agencyId: raising.id, practitioner: { name: 'Alex Practitioner', email: `practitioner@${raising.id}.example.org` } },
          { agencyId: other.id, practitioner: { name: 'Sam Practitioner', email: `practitioner@${other.id}.example.org` } },
        ],
        personReference: `DEMO-${policy.board.shortName}`,
        summary: `A demo dispute under ${policy.board.shortName}'s procedure.`,
      },
      { caller: 'npm start --demo', key: policy.id },
    );
    lines.push(`${disputeId.padEnd(22)} ${policy.id}${created ? '' : ' (already there)'}`);
  }
  return lines;
}

runMain('npm start', main, (error) => console.error(error instanceof Error ? error.message : error));
