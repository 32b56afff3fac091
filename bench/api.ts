import { Client } from '@temporalio/client';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { disputeContext } from '../client/disputes';
import { loadConfig } from '../runtime/config';
import { dataConverter } from '../runtime/payload-codec';
import { createWorker } from '../worker/create';
import { bareOutcome } from './bare/workflows';
import { benchDispute } from './dispute-input';
import { startDiscardingSmtp } from './worker-process';
import { benchDevServer } from './dev-server';
import { benchLimits } from './limits';

// Disputes started and resolved through the API, against the embedded dev server with one worker,
// beside the bare baseline in the same run: a bare workflow started with the client and resolved
// with one update (no HTTP, no emails, no encryption). Throughput, and the latency of the outcome
// call (a workflow update, answered once applied). BENCH_API_DISPUTES sets how many (default 300).

const DISPUTES = Number(process.env.BENCH_API_DISPUTES) || 300;
const CONCURRENCY = 8;
const bareWorkflowsPath = fileURLToPath(new URL('./bare/workflows.ts', import.meta.url));

export async function apiBench(): Promise<{ name: string; value: string }[]> {
  const { env, converter } = await benchDevServer();
  // The bare baseline's client: no payload encryption, as a bare Temporal application has none.
  const plain = new Client({ connection: env.connection, namespace: 'default' });
  // The emails go over SMTP to a local server that takes and discards them: parsing each message
  // (as the tests' mail catcher does) is the receiving server's CPU, not the project's, and would
  // share these 2 cores with the worker.
  const catcher = await startDiscardingSmtp();
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: 'bench',
    dataConverter: converter,
    activities: createActivities({ mail: { host: catcher.host, port: catcher.port, secure: false, from: 'bench@example.org', messageIdDomain: 'bench.example.org' } }),
  });
  const bareWorker = await Worker.create({ connection: env.nativeConnection, namespace: 'default', taskQueue: 'bare', workflowsPath: bareWorkflowsPath });
  const context = disputeContext(loadConfig());
  const api = buildApi({ disputes: { client: env.client, taskQueue: 'bench', context }, keys: ApiKeys.demo(context.directory).keys, limits: benchLimits });
  const base = await api.listen({ host: '127.0.0.1', port: 0 });
  let unavailable = 0;
  const post = async (path: string, key: string, body: unknown): Promise<{ disputeId: string }> => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // A loaded machine's 503 (Temporal slower than the API waits) is retried, as a caller would, and counted.
    if (response.status === 503 && unavailable < 100) {
      unavailable += 1;
      return post(path, key, body);
    }
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<{ disputeId: string }>;
  };
  const project = async (latencies: number[]) => {
    const { disputeId } = await post('/disputes', 'demo-rotherham-asc', benchDispute(new Date().toISOString()));
    const started = performance.now();
    await post(`/disputes/${disputeId}/outcome`, 'demo-rotherham-nhs', { stage: 1, decision: 'resolved', by: 'robin.other@rotherham-nhs.example.org', agreedActions: 'Benchmark.' });
    latencies.push(performance.now() - started);
  };
  let bareCount = 0;
  const bare = async (latencies: number[]) => {
    const handle = await plain.workflow.start('bareDispute', { taskQueue: 'bare', workflowId: `bare-${process.pid}-${++bareCount}` });
    const started = performance.now();
    await handle.executeUpdate(bareOutcome, { args: [{ stage: 1, decision: 'resolved' }] });
    latencies.push(performance.now() - started);
  };

  const run = async (one: (latencies: number[]) => Promise<void>) => {
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) await one([]); // warm up
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < DISPUTES) {
          next += 1;
          await one(latencies);
        }
      }),
    );
    const rate = DISPUTES / ((performance.now() - started) / 1000);
    // One caller at a time: the latency of the update itself, without queueing behind others.
    const alone: number[] = [];
    for (let i = 0; i < 50; i++) await one(alone);
    return { rate, at: percentiles(latencies), alone: percentiles(alone) };
  };

  let ours, theirs;
  try {
    ours = await worker.runUntil(() => run(project));
    theirs = await bareWorker.runUntil(() => run(bare));
  } finally {
    await api.close();
    await env.teardown();
    await catcher.close();
  }
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  return [
    { name: `started and resolved (${DISPUTES}, ${CONCURRENCY} callers), project / bare`, value: `${ours.rate.toFixed(1)} / ${theirs.rate.toFixed(1)} per second (${(ours.rate / theirs.rate).toFixed(2)}×)` },
    { name: `outcome p50 / p99, ${CONCURRENCY} callers, project`, value: `${ms(ours.at(0.5))} / ${ms(ours.at(0.99))}` },
    { name: `outcome p50 / p99, ${CONCURRENCY} callers, bare update`, value: `${ms(theirs.at(0.5))} / ${ms(theirs.at(0.99))} (p99 ratio ${(ours.at(0.99) / theirs.at(0.99)).toFixed(2)}×)` },
    { name: 'outcome p50 / p99, one caller at a time, project / bare', value: `${ms(ours.alone(0.5))} / ${ms(ours.alone(0.99))}; ${ms(theirs.alone(0.5))} / ${ms(theirs.alone(0.99))}` },
    ...(unavailable ? [{ name: 'calls answered 503 and retried (a loaded machine)', value: String(unavailable) }] : []),
  ];
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
