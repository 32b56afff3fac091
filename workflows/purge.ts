import { log, proxyActivities } from '@temporalio/workflow';
import type { PurgeActivities } from '../activities/records/purge';
import type { PurgeResult } from '../records/purge';

// Started daily by the schedule `records-retention-purge` (worker/purge-schedule.ts): erases the
// personal fields of closed records past their board's retention. Its input is empty and its
// result is counts, so nothing personal enters its history.

const { purgeClosedRecords } = proxyActivities<PurgeActivities>({
  // A backlog is erased a batch at a time, heartbeating after each; a stalled store is retried.
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 10, nonRetryableErrorTypes: ['PolicyError'] },
});

export async function recordsRetentionPurge(): Promise<PurgeResult> {
  const result = await purgeClosedRecords();
  log.info('records retention purge done', { erased: result.erased });
  return result;
}
