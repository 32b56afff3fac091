import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { ConfigError } from './errors';
import { dieWithParent, forgetChild, listening, privateDataDir, recordChild, stopLeftover } from './local-state';
import { searchAttributeFlags } from './search-attributes';
import { temporalCliPath } from './temporal-binaries';

export interface DevServerOptions {
  host: string;
  port: number;
  uiPort: number;
  namespace: string;
  dbFile: string;
  logFile: string;
  /** Told when a server an earlier run left behind is stopped. */
  onLeftover?: (pid: number) => void;
  /** The Web UI decodes payloads through this codec server (the API's /codec). */
  codecEndpoint?: string;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

const PID_NAME = 'temporal-server';

/**
 * Starts the real `temporal server start-dev` with our search attributes, persisting to SQLite so
 * disputes survive a restart, and resolves once it answers gRPC. The server dies with this process
 * however this process dies; a server an earlier run left anyway (its pid file in the data folder)
 * is stopped first, and a port taken by anyone else is refused rather than silently shared.
 */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const dbFile = resolve(options.dbFile);
  const dataDir = dirname(dbFile);
  privateDataDir(dataDir);
  privateDataDir(dirname(resolve(options.logFile)));
  const leftover = await stopLeftover(dataDir, PID_NAME, `--db-filename ${dbFile}`);
  if (leftover !== null) options.onLeftover?.(leftover);
  for (const port of [options.port, options.uiPort]) {
    if (await listening(options.host, port)) {
      throw new ConfigError(
        `${options.host}:${port} is already in use by a process this npm start did not leave (no pid file in ${dataDir} names it): ` +
          `stop it (\`ss -ltnp 'sport = :${port}'\` shows which) or set ${port === options.port ? 'TEMPORAL_ADDRESS' : 'TEMPORAL_UI_PORT'} to a free port`,
      );
    }
  }
  const args = [
    'server', 'start-dev',
    '--ip', options.host,
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
    '--namespace', options.namespace,
    '--db-filename', dbFile,
    '--sqlite-pragma', 'journal_mode=WAL',
    '--log-level', 'error',
    ...searchAttributeFlags().flatMap((flag) => ['--search-attribute', flag]),
  ];
  const log = createWriteStream(options.logFile, { flags: 'a', mode: 0o600 });
  // SQLite creates the database (and its -wal, -shm files) with the creating process's umask:
  // the server's files are private from the first byte.
  const umask = process.umask(0o077);
  let child: ChildProcess;
  try {
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop the server after the worker.
    child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } finally {
    process.umask(umask);
  }
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  recordChild(dataDir, PID_NAME, child.pid!);
  const dismissWatchdog = dieWithParent(child.pid!, PID_NAME);

  const address = `${options.host}:${options.port}`;
  try {
    await waitUntilServing(address, child, options.logFile);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    dismissWatchdog();
    forgetChild(dataDir, PID_NAME);
    throw error;
  }
  return {
    address,
    uiUrl: `http://localhost:${options.uiPort}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      dismissWatchdog();
      forgetChild(dataDir, PID_NAME);
      log.end();
    },
  };
}

async function waitUntilServing(address: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`The Temporal dev server exited with code ${child.exitCode}; see ${logFile}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`The Temporal dev server did not answer on ${address} within 60 s; see ${logFile}`);
}
