import { ApplicationFailure, Context } from '@temporalio/activity';
import { PolicyRegistry } from '../../policies/load';
import type { RecordsStore } from '../../records/open';
import { purgeRecords, retentionByBoard, type PurgeResult } from '../../records/purge';

// The daily purge's one activity: erase what each board's retention says is due, now. It reads
// the policy files at each run, so a board's new setting applies from the next day without a
// restart. It returns counts and board ids only: they go into history and logs.

export interface PurgeSettings {
  /** The policy folder (POLICY_DIR); the built-in policies when absent. */
  policyDir?: string | undefined;
  /** Disputes per batch, each batch one transaction. */
  batchSize?: number | undefined;
}

export function createPurgeActivities(store: (() => Promise<RecordsStore>) | undefined, settings: PurgeSettings = {}) {
  return {
    async purgeClosedRecords(): Promise<PurgeResult> {
      if (!store) return { erased: 0, byBoard: {}, boardsWithoutPolicy: [] };
      let retention;
      try {
        retention = retentionByBoard(PolicyRegistry.fromDirectory(settings.policyDir).list());
      } catch (error) {
        // A policy file that does not load would be refused at start as well: a person must fix it.
        throw ApplicationFailure.nonRetryable(`the policies could not be read: ${error instanceof Error ? error.message.split('\n')[0] : 'error'}`, 'PolicyError');
      }
      const context = Context.current();
      let result: PurgeResult;
      try {
        const { db } = await store();
        result = await purgeRecords(db, retention, new Date(), { batchSize: settings.batchSize, onBatch: (erased) => context.heartbeat({ erased }) });
      } catch (error) {
        // The kind of error only, never a value from the store; what was erased before it stays erased.
        const code = (error as { code?: unknown })?.code;
        throw ApplicationFailure.retryable(`records store unavailable (${typeof code === 'string' ? code : (error as Error)?.name ?? 'error'})`, 'RecordsStoreUnavailable');
      }
      context.log.info('records retention purge', { erased: result.erased, byBoard: result.byBoard, boardsWithoutPolicy: result.boardsWithoutPolicy });
      return result;
    },
  };
}

export type PurgeActivities = ReturnType<typeof createPurgeActivities>;
