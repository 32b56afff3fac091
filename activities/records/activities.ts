import { ApplicationFailure } from '@temporalio/activity';
import type { RecordsStore } from '../../records/open';
import { saveRecord as save } from '../../records/write';
import { describeIssues } from '../../runtime/errors';
import { RecordWriteSchema, type RecordWrite } from './types';

/**
 * The records store's writes. Without a store (previews, tests that keep no records) a write is
 * accepted and dropped. A store that is down fails the attempt; Temporal retries it with backoff
 * while the dispute's clock runs on. The failure names the kind of error only, never a value.
 */
export function createRecordsActivities(store: (() => Promise<RecordsStore>) | undefined) {
  return {
    async saveRecord(write: RecordWrite): Promise<{ events: number; rowUpdated: boolean }> {
      if (!store) return { events: 0, rowUpdated: false };
      const parsed = RecordWriteSchema.safeParse(write);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(`record write refused: ${describeIssues(parsed.error).slice(0, 500)}`, 'InvalidRecordWrite');
      try {
        return await save((await store()).db, parsed.data as RecordWrite);
      } catch (error) {
        const code = (error as { code?: unknown })?.code;
        throw ApplicationFailure.retryable(`records store unavailable (${typeof code === 'string' ? code : (error as Error)?.name ?? 'error'})`, 'RecordsStoreUnavailable');
      }
    },
  };
}

export type RecordsActivities = ReturnType<typeof createRecordsActivities>;
