import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import { agenciesOfBoard } from '../policies/directory';
import { loadConfig, mailSettings, recordsLocation } from '../runtime/config';
import { lazyRecordsStore } from '../records/lazy';
import { setNamespaceRetention } from '../records/retention';
import { startDevServer } from '../runtime/dev-server';
import { startMailInbox, type MailInbox } from '../runtime/mail-inbox';
import { createWorker } from '../worker/create';
import { ApiKeys } from './api/keys';
import { buildApi } from './api/server';
import { disputeContext } from './disputes';
import { connectDisputes, openDispute, type Disputes } from './operations';
import { startReplyServices } from './replies/service';

/**
 * `npm start`: the local mail inbox, the embedded Temporal dev server, our worker and the API in
 * one command. `npm start -- --demo` also starts one demo dispute per policy. Ctrl-C stops the API
 * and the worker gracefully, then the server and the inbox, and leaves no process behind.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const demo = process.argv.includes('--demo');
  const context = disputeContext(config);
  const secret = config.REPLY_SECRET ?? localReplySecret(config.TEMPORAL_DB_FILE);
  const configuredKeys = ApiKeys.fromEnvironment(config, context.directory);
  const demoKeys = configuredKeys ? null : ApiKeys.demo(context.directory);
  // Opened (and migrated) first: a store newer than this code stops start-up before anything runs.
  const records = lazyRecordsStore(recordsLocation(config));
  const store = await records.get();

  // The inbox only stands in for a local SMTP server; a configured relay is used as it is.
  const localSmtp = ['127.0.0.1', 'localhost'].includes(config.SMTP_HOST);
  const inbox: MailInbox | null =
    localSmtp && config.MAIL_INBOX_WEB_PORT > 0 ? await startMailInbox({ host: '127.0.0.1', smtpPort: config.SMTP_PORT, webPort: config.MAIL_INBOX_WEB_PORT }) : null;

  const [host, portText] = config.TEMPORAL_ADDRESS.split(':');
  const server = await startDevServer({
    host: host ?? '127.0.0.1',
    port: Number(portText ?? 7233),
    uiPort: config.TEMPORAL_UI_PORT,
    namespace: config.TEMPORAL_NAMESPACE,
    dbFile: config.TEMPORAL_DB_FILE,
    logFile: '.data/temporal-server.log',
  });
  await setNamespaceRetention(server.address, config.TEMPORAL_NAMESPACE, config.TEMPORAL_RETENTION_DAYS);
  const connection = await NativeConnection.connect({ address: server.address });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    activities: createActivities({ mail: mailSettings(config, secret), records: records.get }),
  });
  const { disputes, close: closeClient } = await connectDisputes({ ...config, TEMPORAL_ADDRESS: server.address }, { context, records: records.get });
  const api = buildApi({ disputes, keys: configuredKeys ?? demoKeys!.keys, log: (line) => console.log(`[api] ${line}`), decisions: { secret } });
  const apiUrl = await api.listen({ host: config.API_HOST, port: config.API_PORT });
  const replies = await startReplyServices(config, disputes, secret, (line) => console.log(`[replies] ${line}`), { local: true });

  console.log(`
  Temporal server   ${server.address}  (namespace '${config.TEMPORAL_NAMESPACE}', data in ${config.TEMPORAL_DB_FILE}, closed disputes kept ${config.TEMPORAL_RETENTION_DAYS} days)
  Records store     ${store.where}
  Temporal Web UI   ${server.uiUrl}
  Worker            polling task queue '${config.TEMPORAL_TASK_QUEUE}'
  API               ${apiUrl}  (OpenAPI: ${apiUrl}/openapi.json)
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
    console.log('stopping…');
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
function localReplySecret(dbFile: string): string {
  const file = `${dirname(dbFile)}/reply-secret`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
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

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
