import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DisputeBoard, DisputeStage } from '../workflows/search-attributes';
import { sharedDevServerEnv, testWorker, timeSkippingEnv } from './support/temporal';

const DAY = 24 * 60 * 60 * 1000;

describe('the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await timeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('runs a 14-day timer in well under a second of wall time', async () => {
    const { worker, taskQueue } = await testWorker(env);
    await worker.runUntil(async () => {
      const runProbe = async () => {
        const handle = await env.client.workflow.start('probe', {
          taskQueue,
          workflowId: `probe-${randomUUID()}`,
          args: [14 * DAY],
        });
        const before = await env.currentTimeMs();
        const started = performance.now();
        const result = await handle.result();
        return { result, wallMs: performance.now() - started, skippedMs: (await env.currentTimeMs()) - before };
      };
      await runProbe(); // the first activation also loads the workflow bundle into the worker
      const { result, wallMs, skippedMs } = await runProbe();

      expect(result).toEqual({ waitedMs: 14 * DAY });
      expect(skippedMs).toBeGreaterThanOrEqual(14 * DAY);
      expect(wallMs).toBeLessThan(1_000);
    });
  });
});

describe('the dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await sharedDevServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('finds a workflow by a custom search attribute through a visibility query', async () => {
    const { worker, taskQueue } = await testWorker(env);
    const board = `smoke-${randomUUID()}`;
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('probe', {
        taskQueue,
        workflowId: `probe-${randomUUID()}`,
        args: [60_000],
        typedSearchAttributes: [
          { key: DisputeBoard, value: board },
          { key: DisputeStage, value: 2 },
        ],
      });
      const found = await eventually(async () => {
        const ids: string[] = [];
        for await (const execution of env.client.workflow.list({
          query: `DisputeBoard = '${board}' AND DisputeStage = 2`,
        })) {
          ids.push(execution.workflowId);
        }
        return ids.length > 0 ? ids : undefined;
      });
      expect(found).toEqual([handle.workflowId]);
      await handle.terminate('smoke test done');
    });
  });
});

/** Visibility is eventually consistent: ask again until an answer comes, for at most 10 s. */
async function eventually<T>(attempt: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await attempt();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
