import { mkdirSync, writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { failureConverterPath } from '../../runtime/payload-codec';
import { previewWorkflowsPath } from '../../worker/create';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
  }
}

/** Bundles the workflow code once per test run (the preview bundle: production types plus `disputePreview`); every test file's workers load this file. */
export default async function setup(project: TestProject): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: previewWorkflowsPath, failureConverterPath, logger: quietLogger });
  mkdirSync('.cache', { recursive: true });
  const path = `${process.cwd()}/.cache/workflow-bundle.js`;
  writeFileSync(path, code);
  project.provide('workflowBundlePath', path);
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
