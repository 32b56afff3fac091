import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { parse, stringify } from 'yaml';
import { builtInPolicyDir } from '../../policies/load';
import { failureConverterPath } from '../../runtime/payload-codec';
import { previewWorkflowsPath } from '../../worker/create';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
    realClockPolicyDir: string;
  }
}

/** Bundles the workflow code once per test run (the preview bundle: production types plus `disputePreview`); every test file's workers load this file. */
export default async function setup(project: TestProject): Promise<() => void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: previewWorkflowsPath, failureConverterPath, logger: quietLogger });
  mkdirSync('.cache', { recursive: true });
  const path = `${process.cwd()}/.cache/workflow-bundle.js`;
  writeFileSync(path, code);
  project.provide('workflowBundlePath', path);

  const policyDir = writeRealClockPolicies();
  project.provide('realClockPolicyDir', policyDir);
  // Every process a test starts (npm start, the API, the worker, the CLI) inherits this; the
  // time-skipping kit and the CLI policy tests name the shipped files themselves.
  process.env.POLICY_DIR = policyDir;
  return () => rmSync(policyDir, { recursive: true, force: true });
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
