// A worker in its own process, with the real email activities, for a test that kills it mid-batch:
// node --import tsx test/support/email-worker.ts <address> <namespace> <task queue> <smtp port> <bundle path> [logged]
// With `logged`, the SDK's logs go through the product's logger to stdout, as worker/main.ts sends them.
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createLogger, installTemporalLogging } from '../../runtime/logger';
import { installQuietRuntime } from '../../runtime/quiet-runtime';
import { createWorker } from '../../worker/create';
import { testMailSettings } from './smtp-sink';
import { readFileSync } from 'node:fs';
import { KeyRing } from '../../runtime/key-ring';
import { dataConverter } from '../../runtime/payload-codec';

const [address, namespace, taskQueue, smtpPort, bundlePath, logged] = process.argv.slice(2) as [string, string, string, string, string, string?];
if (logged === 'logged') installTemporalLogging(createLogger('worker', 'info'), 'info');
else installQuietRuntime();
const connection = await NativeConnection.connect({ address });
const worker = await createWorker({
  connection,
  namespace,
  taskQueue,
  workflowBundle: { codePath: bundlePath },
  activities: createActivities({ mail: testMailSettings({ port: Number(smtpPort) }) }),
  // The tests' keys (test/fixtures/payload-keys), read here: this process runs outside vitest.
  dataConverter: dataConverter(KeyRing.parse(readFileSync('test/fixtures/payload-keys', 'utf8'), 'PAYLOAD_KEYS')),
});
process.stdout.write('worker ready\n');
await worker.run();
