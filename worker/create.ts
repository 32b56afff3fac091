import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** The production types plus `disputePreview` (a dispute on a shifted clock): for the simulator and the tests only. */
export const previewWorkflowsPath = fileURLToPath(new URL('../workflows/preview.ts', import.meta.url));

export interface DisputeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests build one per run); without it the worker bundles `workflows/`. */
  workflowBundle?: { code: string } | { codePath: string };
  activities?: WorkerOptions['activities'];
}

export function createWorker(options: DisputeWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: options.activities ?? {},
  });
}
