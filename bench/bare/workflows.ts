import { condition, defineUpdate, proxyActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { DisputeStage } from '../../workflows/search-attributes';
import type * as activities from './activities';

// Bare Temporal workflows: the baselines the benchmarks measure the dispute against, on the same
// server and in the same run. Each does the least a workflow can do for the same shape of work.

export const bareOutcome = defineUpdate<{ status: string }, [unknown]>('recordOutcome');

const { escalated } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** Waits for one update, answers it, ends: a dispute started and resolved, bare. */
export async function bareDispute(): Promise<string> {
  let resolved = false;
  setHandler(bareOutcome, () => {
    resolved = true;
    return { status: 'resolved' };
  });
  await condition(() => resolved);
  return 'resolved';
}

/** Open for `days`, as a dispute is between deadlines, answering an update meanwhile. */
export async function bareSleeper(days: number): Promise<void> {
  let resolved = false;
  setHandler(bareOutcome, () => {
    resolved = true;
    return { status: 'resolved' };
  });
  await condition(() => resolved, days * 86_400_000);
}

/** A timer to the instant `at` (epoch ms), then the stage published and one activity: a deadline escalated, bare. */
export async function bareDeadline(at: number): Promise<void> {
  await sleep(Math.max(at - Date.now(), 1));
  upsertSearchAttributes([{ key: DisputeStage, value: 2 }] as Parameters<typeof upsertSearchAttributes>[0]);
  await escalated();
}
