import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { buildDisputeStart, disputeContext, startDispute } from '../client/disputes';
import { cachedBundle } from '../client/simulate-bundle';
import { loadConfig } from '../runtime/config';
import { dataConverter, failureConverterPath } from '../runtime/payload-codec';
import { workflowsPath } from '../worker/create';
import { benchDispute } from './dispute-input';
import { analyseSnapshots } from './memory-snapshot-analysis';
import { startDiscardingSmtp } from './worker-process';
import { benchDevServer } from './dev-server';

// What one cached dispute holds: heap snapshots of a worker with none and with N cached disputes of
// the memory benchmark's shape (bench/memory.ts), then what each dispute retains, by module and by
// kind of object. The worker runs in this process with `debugMode` (the SDK then runs workflows in
// the main thread, in the same reusable V8 context as its workflow thread would), so one snapshot
// holds both the SDK's side and the workflows'.
//
//   node --expose-gc --import tsx bench/memory-snapshot.ts      (BENCH_SNAPSHOT_DISPUTES, default 50)
//
// The snapshots are left in .data/bench-snapshots/ for Chrome DevTools' Comparison view.
// BENCH_PRELOAD=module,module…: bundle with the SDK's `preloadModules` (shared by every workflow of
// the V8 context instead of instantiated per workflow), to try what sharing would save; the SDK
// deep-freezes what it preloads (README, "What one cached dispute holds").

const MiB = 1024 * 1024;
const n = Number(process.env.BENCH_SNAPSHOT_DISPUTES) || 50;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const { env, converter } = await benchDevServer();
const smtp = await startDiscardingSmtp();
const context = disputeContext(loadConfig());
const preloadModules = process.env.BENCH_PRELOAD ? process.env.BENCH_PRELOAD.split(',') : undefined;
const { path: bundlePath } = preloadModules
  ? { path: undefined }
  : await cachedBundle([workflowsPath, failureConverterPath], async () => {
      const { bundleWorkflowCode } = await import('@temporalio/worker');
      return (await bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } })).code;
    });
const taskQueue = 'memory-snapshot';
const { NativeConnection } = await import('@temporalio/worker');
const connection = await NativeConnection.connect({ address: env.connection.options.address });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue,
  ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath, bundlerOptions: { preloadModules } }),
  activities: createActivities({ mail: { ...smtp, secure: false, from: 'bench@example.org', messageIdDomain: 'bench.example.org' } }),
  dataConverter: converter,
  maxCachedWorkflows: n + 10,
  debugMode: true,
});
const running = worker.run();

const idle = async () => {
  let quietSince = Date.now();
  while (Date.now() - quietSince < 2_000) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const status = worker.getStatus();
    if (status.numInFlightWorkflowActivations > 0 || status.numInFlightActivities > 0) quietSince = Date.now();
  }
};
const dir = join('.data', 'bench-snapshots');
mkdirSync(dir, { recursive: true });
// BENCH_SNAPSHOT_RSS=1: no snapshots, only the process's memory before and after (see below).
const rssOnly = Boolean(process.env.BENCH_SNAPSHOT_RSS);
const snapshot = (name: string) => {
  gc();
  gc();
  const usage = process.memoryUsage();
  const file = rssOnly ? '' : v8.writeHeapSnapshot(join(dir, `${name}.heapsnapshot`));
  return { file, usage, cached: worker.getStatus().numCachedWorkflows };
};

// One dispute first, so the context's shared modules and the SDK's lazy parts are in the baseline.
const warm = buildDisputeStart(benchDispute(new Date().toISOString()), context);
await startDispute(env.client, taskQueue, warm);
await idle();
const before = snapshot('cached-1');
for (let i = 0; i < n; i++) await startDispute(env.client, taskQueue, buildDisputeStart(benchDispute(new Date().toISOString()), context));
await idle();
const after = snapshot(`cached-${n + 1}`);
worker.shutdown();
await running;
await connection.close();
await env.teardown();
await smtp.close();

const per = (a: number, b: number) => `${((b - a) / n / 1024).toFixed(0)} KiB`;
console.log(`${n} disputes more cached (${before.cached} → ${after.cached}), per dispute: V8 heap used ${per(before.usage.heapUsed, after.usage.heapUsed)} (after a full collection), external ${per(before.usage.external, after.usage.external)}`);
// RSS only without snapshots: writing the first one grows the process's native heap by more than the disputes do.
if (rssOnly) console.log(`  RSS ${per(before.usage.rss, after.usage.rss)}, of which beside V8's heap (its reserved size, heapTotal) ${per(before.usage.rss - before.usage.heapTotal, after.usage.rss - after.usage.heapTotal)}: the SDK's native core and Node`);
else analyseSnapshots(before.file, after.file, n);
