// A worker in its own process, with the real email activities, for a test that kills it mid-batch:
// node --import tsx test/support/email-worker.ts <address> <namespace> <task queue> <smtp port> <bundle path>
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { installQuietRuntime } from '../../runtime/quiet-runtime';
import { createWorker } from '../../worker/create';
import { testMailSettings } from './smtp-sink';

const [address, namespace, taskQueue, smtpPort, bundlePath] = process.argv.slice(2) as [string, string, string, string, string];
installQuietRuntime();
const connection = await NativeConnection.connect({ address });
const worker = await createWorker({
  connection,
  namespace,
  taskQueue,
  workflowBundle: { codePath: bundlePath },
  activities: createActivities({ mail: testMailSettings({ port: Number(smtpPort) }) }),
});
process.stdout.write('worker ready\n');
await worker.run();
