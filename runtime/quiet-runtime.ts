import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/**
 * Only errors from the SDK and its native core: for a command whose own output is the point
 * (`dispute simulate`) and for tests, where failing SMTP on purpose warns at every retry.
 * Must run before the first connection or worker of the process.
 */
export function installQuietRuntime(): void {
  if (installed) return;
  installed = true;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
}
