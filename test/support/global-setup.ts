import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer } from '../../runtime/dev-server';
import { stopLeftover } from '../../runtime/local-state';
import { compileProduct } from './compiled-product';
import { freePort } from './ports';
import type { TestProject } from 'vitest/node';
import { parse, stringify } from 'yaml';
import { builtInPolicyDir } from '../../policies/load';
import { failureConverterPath } from '../../runtime/payload-codec';
import { previewWorkflowsPath } from '../../worker/create';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
    realClockPolicyDir: string;
    sharedDevServerAddress: string;
    compiledRoot: string;
  }
}

/**
 * Bundles the workflow code once per test run (the preview bundle: production types plus
 * `disputePreview`); every test file's workers load this file. Starts the one dev server the files
 * share (each in a namespace of its own: support/temporal.ts) and compiles the CLI the tests run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const compiledRoot = join(process.cwd(), '.cache', 'compiled');
  const [{ code }, server] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: previewWorkflowsPath, failureConverterPath, logger: quietLogger }),
    startSharedDevServer(),
    compileProduct(process.cwd(), compiledRoot),
  ]);
  project.provide('sharedDevServerAddress', server.address);
  project.provide('compiledRoot', compiledRoot);
  mkdirSync('.cache', { recursive: true });
  const path = `${process.cwd()}/.cache/workflow-bundle.js`;
  writeFileSync(path, code);
  project.provide('workflowBundlePath', path);

  const policyDir = writeRealClockPolicies();
  project.provide('realClockPolicyDir', policyDir);
  // Every process a test starts (npm start, the API, the worker, the CLI) inherits this; the
  // time-skipping kit and the CLI policy tests name the shipped files themselves.
  process.env.POLICY_DIR = policyDir;
  return async () => {
    await server.stop();
    rmSync(join(process.cwd(), '.cache', 'test-dev-server'), { recursive: true, force: true });
    rmSync(policyDir, { recursive: true, force: true });
  };
}

/**
 * The dev server the test files share, started as `npm start` starts its own (runtime/dev-server.ts):
 * it dies with this process however the run ends (kill -9 included), and a server a crashed run left
 * anyway is found by its pid file here and stopped. Each run starts from an empty database.
 */
async function startSharedDevServer() {
  const dataDir = join(process.cwd(), '.cache', 'test-dev-server');
  const dbFile = join(dataDir, 'temporal.sqlite');
  mkdirSync(dataDir, { recursive: true });
  await stopLeftover(dataDir, 'temporal-server', `--db-filename ${dbFile}`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbFile}${suffix}`, { force: true });
  const [port, uiPort] = [await freePort(), await freePort()];
  return startDevServer({ host: '127.0.0.1', port, uiPort, namespace: 'default', dbFile, logFile: join(dataDir, 'temporal-server.log') });
}

/**
 * The five policies as shipped, but sending emails that ask for something at any hour: a test on the
 * real clock must not wait for office hours that, run in the evening or at a weekend, are not open.
 */
function writeRealClockPolicies(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dispute-real-clock-policies-'));
  for (const file of readdirSync(builtInPolicyDir).filter((name) => /\.ya?ml$/.test(name))) {
    const policy = parse(readFileSync(join(builtInPolicyDir, file), 'utf8'));
    writeFileSync(join(dir, file), stringify({ ...policy, officeHours: 'any-time' }));
  }
  return dir;
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string) {
    console.warn(message);
  },
  error(message: string) {
    console.error(message);
  },
};
