import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface DisputeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests build one per run); without it the worker bundles `workflows/`. */
  workflowBundle?: { code: string } | { codePath: string };
  activities?: WorkerOptions['activities'];
  /** runtime/payload-codec.ts's `dataConverter(keyRing)`: payloads and failures encrypted. */
  dataConverter: DataConverter;
}

export function createWorker(options: DisputeWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: options.activities ?? {},
    dataConverter: options.dataConverter,
  });
}
