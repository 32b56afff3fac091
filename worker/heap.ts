import v8 from 'node:v8';

/**
 * The worker's V8 heap limit (old space, MiB), for a budget of 1 GiB of RSS however many disputes
 * are open. Without it V8 sizes the limit from the machine (4 GiB on 16 GiB and more) and lets
 * evicted disputes' garbage pile up towards it before it collects: RSS then grows with every dispute
 * the worker has ever woken, not with the ones it holds (README, "worker memory").
 *
 * The flags apply to each isolate on its own: the main thread (activities, the payload codec, the
 * SDK's side) and the SDK's workflow thread, where the cached disputes live. Each gets 384 MiB of
 * old space plus a young generation of three 16 MiB semi-spaces: 432 MiB, so both full would be
 * ~860 MiB; beside them the SDK's native core, Node and the bundle's code take about 100 MiB more.
 * That fits 1 GiB; what is live is far less (100 cached disputes and the bundle: ~200 MiB on the
 * workflow thread, see bench/memory-snapshot.ts), so V8 is never short of room and only collects
 * sooner. The semi-space is named because Node 24's V8 (the image's) would otherwise size it to
 * 64 MiB, 576 MiB an isolate; 16 is Node 20's own default.
 */
export const WORKER_HEAP_MIB = 384;
export const WORKER_SEMI_SPACE_MIB = 16;
/** One isolate's whole heap limit under these flags, as V8 reports it (`heap_size_limit`). */
export const WORKER_ISOLATE_HEAP_MIB = WORKER_HEAP_MIB + 3 * WORKER_SEMI_SPACE_MIB;
export const workerHeapFlags = [`--max-old-space-size=${WORKER_HEAP_MIB}`, `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`];

const heapFlag = /^--max[-_]old[-_]space[-_]size(=|$)/;

/**
 * For a process that hosts the worker but was started without the flag (`npm start`, which runs
 * the worker, the API and the inbox in one process): V8 cannot change a running isolate's limit,
 * but isolates created afterwards take it, and the SDK creates its workflow thread (where the
 * cached disputes are) when the worker is created. So call this before `createWorker`. A limit set
 * on the command line or in NODE_OPTIONS is left as it is, semi-space and all. Returns the limit the workflow thread
 * gets, or null when one was given.
 */
export function limitWorkflowHeap(execArgv: string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): number | null {
  if ([...execArgv, ...nodeOptions.split(/\s+/)].some((argument) => heapFlag.test(argument))) return null;
  for (const flag of workerHeapFlags) v8.setFlagsFromString(flag);
  return WORKER_HEAP_MIB;
}
