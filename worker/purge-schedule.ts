import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';

// The daily retention purge, as a Temporal Schedule the worker keeps: created on the first start,
// brought up to date (the task queue, the time) on every later one, and left paused if an operator
// paused it. Its ID, workflow ID and input carry no personal data.

export const purgeScheduleId = 'records-retention-purge';

/** 02:30 London every day: after the day's last office-hours emails, before anyone starts work. */
export function purgeSchedule(taskQueue: string): Omit<ScheduleOptions, 'scheduleId'> {
  return {
    spec: { calendars: [{ hour: 2, minute: 30, comment: 'daily, 02:30 London' }], timezone: 'Europe/London' },
    action: {
      type: 'startWorkflow',
      workflowType: 'recordsRetentionPurge',
      workflowId: purgeScheduleId,
      taskQueue,
      args: [],
      workflowExecutionTimeout: '1 day',
      staticSummary: 'Records retention: erase the personal fields of closed records past their board’s retention',
    },
    policies: {
      // One purge at a time; a day missed while Temporal was down is run once when it comes back.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: '1 day',
      pauseOnFailure: false,
    },
  };
}

/** Creates the schedule, or updates the one there; two workers starting at once both succeed. */
export async function ensurePurgeSchedule(client: Client, taskQueue: string): Promise<'created' | 'updated'> {
  const wanted = purgeSchedule(taskQueue);
  try {
    await client.schedule.create({ scheduleId: purgeScheduleId, ...wanted });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(purgeScheduleId).update((previous) => ({ ...wanted, state: { paused: previous.state.paused, ...(previous.state.note ? { note: previous.state.note } : {}) } }));
  return 'updated';
}
