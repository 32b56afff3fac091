import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { KeyRing } from '../runtime/key-ring';
import { dataConverter } from '../runtime/payload-codec';
import { installQuietRuntime } from '../runtime/quiet-runtime';
import { createWorker } from '../worker/create';
import * as bareActivities from './bare/activities';

// One worker in a process of its own, so its RSS is its own: bench/memory.ts and bench/burst.ts
// start it and read its status lines (JSON, one every 250 ms) on stdout.

export interface WorkerProcessSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  kind: 'project' | 'bare';
  keyLine: string;
  mail: { host: string; port: number };
  /** Unset: the SDK's default (sized from the heap limit). */
  maxCachedWorkflows?: number;
  bundlePath?: string;
}

const settings = JSON.parse(process.argv[2]!) as WorkerProcessSettings;
installQuietRuntime();
const connection = await NativeConnection.connect({ address: settings.address });
const escalations: [string, number][] = [];
bareActivities.seen.onEscalated = (workflowId, at) => escalations.push([workflowId, at]);
const worker =
  settings.kind === 'project'
    ? await createWorker({
        connection,
        namespace: settings.namespace,
        taskQueue: settings.taskQueue,
        dataConverter: dataConverter(KeyRing.parse(settings.keyLine, 'bench key')),
        ...(settings.bundlePath ? { workflowBundle: { codePath: settings.bundlePath } } : {}),
        ...(settings.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: settings.maxCachedWorkflows } : {}),
        activities: createActivities({ mail: { ...settings.mail, secure: false, from: 'bench@example.org', messageIdDomain: 'bench.example.org' } }),
      })
    : await Worker.create({
        connection,
        namespace: settings.namespace,
        taskQueue: settings.taskQueue,
        workflowsPath: fileURLToPath(new URL('./bare/workflows.ts', import.meta.url)),
        activities: bareActivities,
        ...(settings.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: settings.maxCachedWorkflows } : {}),
      });
const report = () => {
  const status = worker.getStatus();
  const line = { rss: process.memoryUsage().rss, cached: status.numCachedWorkflows, activations: status.numInFlightWorkflowActivations, activities: status.numInFlightActivities, escalations: escalations.splice(0) };
  process.stdout.write(`${JSON.stringify(line)}\n`);
};
const timer = setInterval(report, 250);
process.on('SIGTERM', () => worker.shutdown());
process.stdout.write('{"ready":true}\n');
await worker.run();
clearInterval(timer);
await connection.close();
