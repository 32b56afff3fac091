import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { testPayloadKeys } from './temporal';

export { freePort } from './ports';

export interface Launched {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
  /** Sends SIGINT to the whole process group, as a terminal's Ctrl-C does, and waits for the exit. */
  interrupt: () => Promise<number | null>;
}

/** Starts a command in its own process group, collecting its output. */
export function launch(command: string, args: string[], env: NodeJS.ProcessEnv): Launched {
  const child = spawn(command, args, { env, detached: true });
  let output = '';
  // Whoever waits for a line is told the moment output or the exit arrives, not at the next poll.
  const changed = new Set<() => void>();
  const notify = () => changed.forEach((wake) => wake());
  child.stdout.on('data', (chunk) => ((output += chunk), notify()));
  child.stderr.on('data', (chunk) => ((output += chunk), notify()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (resolve(code), notify())));
  return {
    child,
    output: () => output,
    async waitFor(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before '${text}':\n${output}`);
        if (Date.now() > deadline) throw new Error(`no '${text}' within ${timeoutMs} ms:\n${output}`);
        await new Promise<void>((resolve) => {
          const wake = () => (changed.delete(wake), clearTimeout(timer), resolve());
          const timer = setTimeout(wake, Math.max(0, deadline - Date.now()) + 1);
          changed.add(wake);
        });
      }
    },
    async interrupt() {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGINT');
      return exited;
    },
  };
}

/**
 * An entry point such as 'worker/main.ts' compiled once for this run (support/compiled-product.ts):
 * the same source under plain node, without tsx's start-up in every process a test starts.
 */
export function compiled(entry: string): string {
  return join(inject('compiledRoot'), entry.replace(/\.ts$/, '.js'));
}

/**
 * Runs the `dispute` CLI, with extra environment: the product's sources compiled once for this run
 * (support/compiled-product.ts), under plain node, as the production image runs them.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [compiled('client/cli/main.ts'), ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PAYLOAD_KEYS: testPayloadKeys, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
