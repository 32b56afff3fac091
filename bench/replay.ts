import { readdirSync, readFileSync } from 'node:fs';
import vm from 'node:vm';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { buildDisputeStart, disputeContext } from '../client/disputes';
import { loadConfig } from '../runtime/config';
import { KeyRing } from '../runtime/key-ring';
import { dataConverter, failureConverterPath } from '../runtime/payload-codec';
import { installQuietRuntime } from '../runtime/quiet-runtime';
import { previewWorkflowsPath } from '../worker/create';
import { benchDispute } from './dispute-input';

// The worker's own CPU per dispute, without a server or emails.
// - Every recorded history (test/fixtures/histories) replayed against the current workflow code,
//   ROUNDS times: what a worker does for a dispute that is not in its cache (the default cache holds
//   100, and disputes sleep for days): a fresh workflow context, the start input parsed, the
//   procedure run over every event.
// - Of that, what a new workflow context costs before any event: the SDK's reusable context gives
//   each workflow its own module scope, so the workflow's modules (zod and every schema they build)
//   are evaluated again per dispute loaded. Measured as the SDK does it: the bundle loaded once in a
//   vm context, then its workflows imported in a fresh module scope, N times.

const DIR = 'test/fixtures/histories';
const ROUNDS = Number(process.env.BENCH_REPLAY_ROUNDS) || 5;
const CONTEXTS = 200;
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

export async function replayBench(): Promise<{ name: string; value: string }[]> {
  installQuietRuntime();
  // The histories' payloads are sealed under the tests' keys (test/fixtures/payload-keys).
  const converter = dataConverter(KeyRing.parse(readFileSync('test/fixtures/payload-keys', 'utf8'), 'test payload keys'));
  const histories = readdirSync(DIR)
    .filter((file) => file.endsWith('.history.bin'))
    .sort()
    .map((file) => ({ workflowId: file.replace('.history.bin', ''), history: proto.temporal.api.history.v1.History.decode(readFileSync(`${DIR}/${file}`)) }));
  const events = histories.reduce((sum, h) => sum + (h.history.events?.length ?? 0), 0);
  const { code } = await bundleWorkflowCode({ workflowsPath: previewWorkflowsPath, failureConverterPath, logger: quiet });
  const once = async () => {
    let failed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: { code }, dataConverter: converter }, histories)) if (result.error) failed += 1;
    if (failed) throw new Error(`${failed} histories failed to replay`);
  };
  await once(); // warm up: the bundle loads into the worker's context once
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) await once();
  const wall = performance.now() - started;
  const replays = ROUNDS * histories.length;
  const context = workflowContextCost(code);
  return [
    { name: `replay ${histories.length} recorded histories × ${ROUNDS} (${events} events a round)`, value: `${(wall / replays).toFixed(1)} ms per dispute (wall), ${(cpuMs(cpu) / replays).toFixed(1)} ms CPU` },
    { name: `  a new workflow context: modules evaluated (${CONTEXTS} times)`, value: `${context.modules.toFixed(1)} ms CPU (${context.schemas} zod schemas built)` },
    { name: '  the same, then the start input parsed', value: `${context.withStart.toFixed(1)} ms CPU` },
  ];
}

/** CPU per workflow context, as the SDK's reusable V8 context gives each workflow its own module scope. */
function workflowContextCost(code: string): { modules: number; withStart: number; schemas: number } {
  const config = disputeContext(loadConfig());
  const start = buildDisputeStart(benchDispute('2026-03-27T10:30:00Z', { policy: 'rotherham-rsab', category: 'abuse', risk: 'standard' }), config, { disputeId: 'rsab-bench1', now: Date.parse('2026-03-27T10:30:00Z') });
  type Module = { exports: Record<string, { safeParse(value: unknown): { success: boolean } }> };
  const bundleScope = new Map<string | symbol, Module>();
  let scope: Map<string | symbol, Module> | null = null;
  const context = vm.createContext({});
  Object.defineProperty(context, '__webpack_module_cache__', {
    value: new Proxy({}, { get: (_, id) => bundleScope.get(id) ?? scope?.get(id), set: (_, id, module: Module) => ((scope ?? bundleScope).set(id, module), true) }),
  });
  for (const name of ['TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'AbortController', 'console', 'setTimeout', 'clearTimeout', 'structuredClone', 'Headers'] as const) {
    (context as Record<string, unknown>)[name] = globalThis[name];
  }
  vm.runInContext(code, context);
  const load = () => {
    scope = new Map();
    vm.runInContext('__TEMPORAL__.importWorkflows()', context);
    return scope;
  };
  const measure = (parse: boolean) => {
    for (let i = 0; i < 10; i++) load();
    const cpu = process.cpuUsage();
    for (let i = 0; i < CONTEXTS; i++) {
      const modules = load();
      if (parse && !modules.get('./workflows/dispute/model.ts')!.exports.DisputeStart!.safeParse(start).success) throw new Error('the bench start input does not parse');
    }
    return cpuMs(cpu) / CONTEXTS;
  };
  const modules = measure(false);
  const withStart = measure(true);
  // zod's construction hook (a global of the context, read as each schema is built) counts them.
  let schemas = 0;
  (context as Record<string, unknown>).__countSchema = () => (schemas += 1);
  vm.runInContext('globalThis.__zod_globalConfig = { postProcessor: () => globalThis.__countSchema() }', context);
  load();
  return { modules, withStart, schemas };
}
