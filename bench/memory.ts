import { Client } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { buildDisputeStart, disputeContext, startDispute } from '../client/disputes';
import { cachedBundle } from '../client/simulate-bundle';
import { loadConfig } from '../runtime/config';
import { dataConverter, failureConverterPath } from '../runtime/payload-codec';
import { disputeState } from '../workflows/dispute/messages';
import { DEFAULT_CACHED_DISPUTES, workflowsPath } from '../worker/create';
import { testDataConverter } from '../test/support/temporal';
import { startDiscardingSmtp, startWorkerProcess } from './worker-process';
import { benchDispute } from './dispute-input';
import { benchDevServer } from './dev-server';

// Open disputes on one worker: its RSS and the start rate, beside bare workflows that sleep, on the
// same dev server in the same run. Each worker runs in a process of its own so its RSS is its own.
// BENCH_OPEN_DISPUTES sets how many (default 10,000); BENCH_CACHE, the project worker's cache.

const MiB = 1024 * 1024;

export async function memoryBench(): Promise<{ name: string; value: string }[]> {
  const n = Number(process.env.BENCH_OPEN_DISPUTES) || 10_000;
  const cache = Number(process.env.BENCH_CACHE) || DEFAULT_CACHED_DISPUTES;
  const { env, keyLine, converter } = await benchDevServer();
  // The bare baseline's client: no payload encryption, as a bare Temporal application has none.
  const plain = new Client({ connection: env.connection, namespace: 'default' });
  const smtp = await startDiscardingSmtp();
  const context = disputeContext(loadConfig());
  const { path: bundlePath } = await cachedBundle([workflowsPath, failureConverterPath], async () => {
    const { bundleWorkflowCode } = await import('@temporalio/worker');
    return (await bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } })).code;
  });
  const address = env.connection.options.address;
  const rows: { name: string; value: string }[] = [];
  const live = new Set<{ stop(): Promise<void> }>();

  const measure = async (kind: 'project' | 'bare', maxCachedWorkflows?: number) => {
    const taskQueue = `memory-${kind}-${maxCachedWorkflows ?? 'default'}`;
    const worker = await startWorkerProcess({ address, namespace: 'default', taskQueue, kind, keyLine, mail: smtp, ...(maxCachedWorkflows ? { maxCachedWorkflows } : {}), ...(bundlePath ? { bundlePath } : {}) });
    live.add(worker);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const idle = worker.latest().rss;
    const ids: string[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) {
          const i = next++;
          if (kind === 'bare') {
            const id = `sleeper-${taskQueue}-${i}`;
            await plain.workflow.start('bareSleeper', { taskQueue, workflowId: id, args: [30] });
            ids[i] = id;
          } else {
            const start = buildDisputeStart(benchDispute(new Date().toISOString()), context);
            await startDispute(env.client, taskQueue, start);
            ids[i] = start.disputeId;
          }
        }
      }),
    );
    const startSeconds = (performance.now() - started) / 1000;
    await worker.idle(3_000);
    const settledSeconds = (performance.now() - started) / 1000 - 3;
    const { rss, cached } = worker.latest();
    const label = `${kind}${maxCachedWorkflows ? `, cache ${maxCachedWorkflows}` : ', SDK default cache'}`;
    rows.push({
      name: `${n} open, ${label}: worker RSS (idle → open)`,
      value: `${(idle / MiB).toFixed(0)} → ${(rss / MiB).toFixed(0)} MiB (${(rss / MiB / n).toFixed(3)} MiB per open; ${((rss - idle) / MiB / n).toFixed(3)} above idle), ${cached} cached`,
    });
    console.log(`  ${rows.at(-1)!.name.padEnd(56)} ${rows.at(-1)!.value}`);
    rows.push({ name: `${n} open, ${label}: started / first task done`, value: `${(n / startSeconds).toFixed(0)} per second / all in ${settledSeconds.toFixed(1)} s` });
    if (kind === 'project') {
      // A query wakes a dispute: the last started are cached, the first were evicted and replay.
      // A query the worker does not answer in time (a loaded machine) counts as not measured, not as a failed run.
      const time = async (id: string) => {
        const at = performance.now();
        const answered = await env.client.workflow.getHandle(id).query(disputeState).then(() => true, () => false);
        return answered ? performance.now() - at : Number.NaN;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const hot: number[] = [];
      for (const id of ids.slice(-10)) hot.push(await time(id));
      const cold: number[] = [];
      for (const id of ids.slice(0, 10)) cold.push(await time(id));
      rows.push({ name: `${label}: a query, cached / evicted (replays ~15 events)`, value: `${median(hot).toFixed(0)} / ${median(cold).toFixed(0)} ms (median of 10)` });
    }
    live.delete(worker);
    await worker.stop();
  };

  try {
    if (!process.env.BENCH_MEMORY_PROJECT_ONLY) await measure('bare');
    await measure('project', cache);
    // Today's worker, for comparison: the SDK's default cache here (sized from the heap limit).
    if (process.env.BENCH_MEMORY_DEFAULT) await measure('project', 2_300);
  } finally {
    for (const worker of live) await worker.stop();
    await env.teardown();
    await smtp.close();
  }
  rows.push(await replayCost(bundlePath));
  return rows;
}

/** What an evicted dispute pays on its next event: replaying a full escalation's history (137 events). */
async function replayCost(bundlePath: string | undefined): Promise<{ name: string; value: string }> {
  const file = 'test/fixtures/histories/rotherham-nobody-decides-board-stage.history.bin';
  const history = proto.temporal.api.history.v1.History.decode(readFileSync(file));
  const copies = 30;
  const options = { ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath }), dataConverter: testDataConverter };
  const run = async (count: number) => {
    const at = performance.now();
    for await (const result of Worker.runReplayHistories(options, Array.from({ length: count }, (_, i) => ({ workflowId: `replay-${i}`, history })))) {
      if (result.error) throw result.error;
    }
    return performance.now() - at;
  };
  const one = await run(1); // the worker's own start, paid once
  const many = await run(copies + 1);
  return { name: `replaying a full escalation's history (${history.events?.length} events)`, value: `${((many - one) / copies).toFixed(1)} ms per dispute` };
}
