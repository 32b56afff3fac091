import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { workerHeapFlags } from '../worker/heap';
import type { WorkerProcessSettings } from './memory-worker';

// A worker in a process of its own (bench/memory-worker.ts), and an SMTP server that takes every
// message and keeps nothing: what the memory and burst benchmarks stand on.

export interface WorkerStatus {
  rss: number;
  cached: number;
  activations: number;
  activities: number;
  escalations: [string, number][];
}

export interface WorkerProcess {
  latest(): WorkerStatus;
  /** Called with every status line. */
  onStatus(listener: (status: WorkerStatus) => void): void;
  /** Resolves once the worker has had nothing in hand for `quietMs`. */
  idle(quietMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const script = fileURLToPath(new URL('./memory-worker.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

export async function startWorkerProcess(settings: WorkerProcessSettings): Promise<WorkerProcess> {
  // The worker's heap limit, as the product runs it (worker/heap.ts); BENCH_WORKER_NODE_OPTIONS
  // replaces it, e.g. --max-old-space-size=4096 to see what an unbounded heap does to RSS.
  const nodeOptions = [process.env.NODE_OPTIONS, process.env.BENCH_WORKER_NODE_OPTIONS ?? workerHeapFlags.join(' ')].filter(Boolean).join(' ');
  const child: ChildProcess = spawn(tsx, [script, JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) } });
  let latest: WorkerStatus = { rss: 0, cached: 0, activations: 0, activities: 0, escalations: [] };
  const listeners: ((status: WorkerStatus) => void)[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the worker process exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as WorkerStatus & { ready?: boolean };
      if (parsed.ready) return resolve();
      latest = parsed;
      for (const listener of listeners) listener(parsed);
    });
  });
  return {
    latest: () => latest,
    onStatus: (listener) => listeners.push(listener),
    async idle(quietMs = 1_500) {
      let quietSince = Date.now();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        if (latest.activations > 0 || latest.activities > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= quietMs) return;
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Takes every message, keeps none. */
export async function startDiscardingSmtp(): Promise<{ host: string; port: number; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received += 1;
        callback();
      });
    },
  });
  // A worker stopped mid-send resets its connection: nothing to report.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as { port: number };
  return { host: '127.0.0.1', port, received: () => received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
