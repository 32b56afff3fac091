import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import { ApiKeys } from '../client/api/keys';
import { buildApi } from '../client/api/server';
import { disputeContext } from '../client/disputes';
import { loadConfig } from '../runtime/config';
import { startMailCatcher } from '../runtime/mail-catcher';
import { installQuietRuntime } from '../runtime/quiet-runtime';
import { temporalCliPath } from '../runtime/temporal-binaries';
import { searchAttributes } from '../workflows/search-attributes';
import { KeyRing } from '../runtime/key-ring';
import { dataConverter } from '../runtime/payload-codec';
import { createWorker } from '../worker/create';

// Disputes started and resolved through the API, against the embedded dev server with one worker:
// throughput, and the latency of the outcome call (a workflow update, answered once applied).

const DISPUTES = 300;
const CONCURRENCY = 8;

export async function apiBench(): Promise<{ name: string; value: string }[]> {
  installQuietRuntime();
  const converter = dataConverter(KeyRing.parse(KeyRing.newLine('bench'), 'bench key'));
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalCliPath() }, ip: '127.0.0.1', searchAttributes: [...searchAttributes], log: { format: 'pretty', level: 'error' } },
    client: { dataConverter: converter },
  });
  const catcher = await startMailCatcher();
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: 'bench',
    dataConverter: converter,
    activities: createActivities({ mail: { host: catcher.host, port: catcher.port, secure: false, from: 'bench@example.org', messageIdDomain: 'bench.example.org' } }),
  });
  const context = disputeContext(loadConfig());
  const api = buildApi({ disputes: { client: env.client, taskQueue: 'bench', context }, keys: ApiKeys.demo(context.directory).keys });
  const base = await api.listen({ host: '127.0.0.1', port: 0 });
  const post = async (path: string, key: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<{ disputeId: string }>;
  };
  const latencies: number[] = [];
  const one = async () => {
    const { disputeId } = await post('/disputes', 'demo-rotherham-asc', {
      policy: 'rotherham-rsab',
      concernAt: new Date().toISOString(),
      category: 'neglect',
      agencies: [
        { agencyId: 'rotherham-asc', practitioner: { name: 'Pat Raiser', email: 'pat.raiser@rotherham-asc.example.org' } },
        { agencyId: 'rotherham-nhs', practitioner: { name: 'Robin Other', email: 'robin.other@rotherham-nhs.example.org' } },
      ],
      personReference: 'BENCH',
      summary: 'Benchmark dispute.',
    });
    const started = performance.now();
    await post(`/disputes/${disputeId}/outcome`, 'demo-rotherham-nhs', { stage: 1, decision: 'resolved', by: 'robin.other@rotherham-nhs.example.org', agreedActions: 'Benchmark.' });
    latencies.push(performance.now() - started);
  };
  const rows = await worker.runUntil(async () => {
    for (let i = 0; i < 10; i++) await one(); // warm up
    latencies.length = 0;
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < DISPUTES) {
          next += 1;
          await one();
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const at = percentiles(latencies);
    // One caller at a time: the latency of the update itself, without queueing behind others.
    latencies.length = 0;
    for (let i = 0; i < 50; i++) await one();
    const alone = percentiles(latencies);
    return [
      { name: 'outcome call latency, one caller at a time, p50 / p99', value: `${alone(0.5).toFixed(0)} ms / ${alone(0.99).toFixed(0)} ms` },
      { name: `disputes started and resolved (${DISPUTES}, ${CONCURRENCY} at a time)`, value: `${(DISPUTES / seconds).toFixed(1)} per second` },
      { name: `outcome call latency, ${CONCURRENCY} callers, p50 / p99`, value: `${at(0.5).toFixed(0)} ms / ${at(0.99).toFixed(0)} ms` },
    ];
  });
  await api.close();
  await env.teardown();
  await catcher.close();
  return rows;
}

function percentiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
