import { sleep } from '@temporalio/workflow';

/**
 * Waits for a timer and returns when it fired. It proves a deployment end to end: the worker
 * polls, timers fire, and (started with search attributes) visibility finds it.
 */
export async function probe(waitMs: number): Promise<{ waitedMs: number }> {
  await sleep(waitMs);
  return { waitedMs: waitMs };
}
