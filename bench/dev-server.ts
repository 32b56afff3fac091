import { TestWorkflowEnvironment } from '@temporalio/testing';
import { KeyRing } from '../runtime/key-ring';
import { dataConverter } from '../runtime/payload-codec';
import { installQuietRuntime } from '../runtime/quiet-runtime';
import { temporalCliPath } from '../runtime/temporal-binaries';
import { searchAttributes } from '../workflows/search-attributes';

/**
 * The dev server a benchmark runs on, with our search attributes, and a payload key of its own run:
 * the project's client encrypts as the product does (`keyLine` goes to worker processes), while the
 * bare baselines use a plain client.
 */
export async function benchDevServer(): Promise<{ env: TestWorkflowEnvironment; keyLine: string; converter: ReturnType<typeof dataConverter> }> {
  installQuietRuntime();
  const keyLine = KeyRing.newLine('bench');
  const converter = dataConverter(KeyRing.parse(keyLine, 'bench key'));
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalCliPath() }, ip: '127.0.0.1', searchAttributes: [...searchAttributes], log: { format: 'pretty', level: 'error' } },
    client: { dataConverter: converter },
  });
  return { env, keyLine, converter };
}
