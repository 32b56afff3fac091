import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config';
import { ConfigError } from './errors';

const installed = fileURLToPath(new URL('../.temporal/venv/bin/', import.meta.url));

function locate(override: string | undefined, name: string, variable: string): string {
  const path = override ?? `${installed}${name}`;
  if (!existsSync(path)) {
    throw new ConfigError(
      `${name} not found at ${path}. Run 'bash scripts/setup.sh' (npm start and npm test do it for you), ` +
        `or set ${variable} to an existing binary.`,
    );
  }
  return path;
}

/** The Temporal CLI, whose `server start-dev` is the real server with SQLite and the Web UI. */
export function temporalCliPath(): string {
  return locate(loadConfig().TEMPORAL_CLI_PATH, 'temporal', 'TEMPORAL_CLI_PATH');
}

/** The time-skipping test server from sdk-java. */
export function temporalTestServerPath(): string {
  return locate(loadConfig().TEMPORAL_TEST_SERVER_PATH, 'temporal-test-server', 'TEMPORAL_TEST_SERVER_PATH');
}
