import { existsSync } from 'node:fs';
import type { DataConverter } from '@temporalio/common';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions, type WorkerPlugin } from '@temporalio/worker';
import { releaseMail } from '../activities/email/transport';

/** The production types plus `disputePreview` (a dispute on a shifted clock): for the simulator and the tests only. */
export const previewWorkflowsPath = fileURLToPath(new URL('../workflows/preview.ts', import.meta.url));

// From the sources the workflows are ./workflows/index.ts; compiled (dist/) they are index.js.
const workflowsSource = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
export const workflowsPath = existsSync(workflowsSource) ? workflowsSource : fileURLToPath(new URL('../workflows/index.js', import.meta.url));

/** Where `npm run build` writes the workflow bundle: beside the compiled code, at dist/workflow-bundle.js. */
export const prebuiltBundlePath = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/** The bundle the build made once, when this is the compiled worker; without it the worker bundles at start. */
export function prebuiltWorkflowBundle(): { codePath: string } | undefined {
  return existsSync(prebuiltBundlePath) ? { codePath: prebuiltBundlePath } : undefined;
}

export interface DisputeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (the build's, or the tests' one per run); without it the worker bundles `workflows/`. */
  workflowBundle?: { code: string } | { codePath: string };
  activities?: WorkerOptions['activities'];
  /** runtime/payload-codec.ts's `dataConverter(keyRing)`: payloads and failures encrypted. */
  dataConverter: DataConverter;
  /** How many disputes the worker keeps in memory between their events; the default suits disputes that sleep for days. */
  maxCachedWorkflows?: number;
}

/**
 * Disputes kept in memory between events. A dispute sleeps for days between them, so a cached one
 * is memory held for nothing most of the time; one evicted replays its history on its next event
 * (README, Benchmarks: ~170 ms for a full escalation's history on a loaded machine). The SDK's default
 * sizes the cache from the heap limit (about 2,300 here), at about 1.85 MiB a dispute.
 */
export const DEFAULT_CACHED_DISPUTES = 100;

export function createWorker(options: DisputeWorkerOptions): Promise<Worker> {
  const release = (options.activities as { [releaseMail]?: () => void } | undefined)?.[releaseMail];
  return Worker.create({
    ...(release ? { plugins: [releaseWhenStopped(release)] } : {}),
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: options.activities ?? {},
    dataConverter: options.dataConverter,
    maxCachedWorkflows: options.maxCachedWorkflows ?? DEFAULT_CACHED_DISPUTES,
  });
}

/** The email activities' pooled SMTP connections live as long as the worker runs, however it stops. */
function releaseWhenStopped(release: () => void): WorkerPlugin {
  return {
    name: 'dispute-release-mail',
    async runWorker(worker, next) {
      try {
        await next(worker);
      } finally {
        release();
      }
    },
  };
}
