import { ActivityFailure, patched, proxyActivities, proxyLocalActivities, TemporalFailure } from '@temporalio/workflow';
import type { RecordsActivities } from '../../activities/records/activities';
import type { RecordRow, RecordWrite } from '../../activities/records/types';
import type { Calendar } from '../../policies/calendar/calendar';
import type { DisputeEvent, DisputeStart, DisputeView } from './model';
import { buildForm, timeTaken } from './record';
import type { DisputeState } from './state';

// Keeps the records store up to date as the dispute moves, without ever holding it up: writes run
// in the background, one after another (so they land in order), each carrying every event since
// the last one the store acknowledged. While the store is down, changes queue behind the write
// being retried and go together; a write given up after days is made good by the next one, and
// the last, at the dispute's close, never gives up (nothing waits on it but the record).
// Under `localWritesPatch` a write is first tried once as a local activity, inside the workflow
// task that asked for it: one marker in history instead of an activity's three events and the
// workflow task its result wakes. Only if that attempt fails does the write go to the (remote)
// activity above, whose retries cost history nothing however long the store is down.

const recordsOptions = {
  startToCloseTimeout: '30 seconds',
  // As long as Temporal keeps a closed dispute: past that, `dispute records sync` is the way back.
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
} as const;
/** The write at the close: retried until the store takes it, however long it is down. */
const closingOptions = { startToCloseTimeout: recordsOptions.startToCloseTimeout, retry: recordsOptions.retry } as const;
const { saveRecord } = proxyActivities<RecordsActivities>(recordsOptions);
// A proxy of its own: `executeWithOptions` merges into the proxy's options, so it could not drop the give-up.
const { saveRecord: saveClosingRecord } = proxyActivities<RecordsActivities>(closingOptions);
/**
 * One attempt, no retries of its own: a failed attempt hands the write to the activities above (a
 * local activity's retries would each add a marker and a timer to history, and its give-up would
 * count real time, not Temporal's). Short, as the workflow task waits for it.
 */
const localOptions = { startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 1 } } as const;
const { saveRecord: saveRecordHere } = proxyLocalActivities<RecordsActivities>(localOptions);

/** Disputes started before the records store replay without its writes. */
export const recordsPatch = 'records-store';
/** Disputes that closed before it gave up their last write after days, and wrote each run of events in one write however large. */
export const recordsUntilDonePatch = 'records-close-until-written';
/** Disputes started before it wrote each record through an activity of its own. */
export const localWritesPatch = 'records-written-locally';

/** What one write carries at most (JSON characters of its events), well inside Temporal's 2 MB payloads; at least one event. */
const maxWriteChars = 1_000_000;

function parts(events: DisputeEvent[]): DisputeEvent[][] {
  const out: DisputeEvent[][] = [];
  let size = 0;
  for (const event of events) {
    const chars = JSON.stringify(event).length;
    const current = out[out.length - 1];
    if (current && size + chars <= maxWriteChars) {
      current.push(event);
      size += chars;
    } else {
      out.push([event]);
      size = chars;
    }
  }
  return out;
}

/** `applied`: whether a patch applies to this dispute (`patched`, or true for all of them under workflow.ts's `onePatchMarker`). */
export function recordWrites(events: () => DisputeEvent[], row: () => RecordRow, applied: (patchId: string) => boolean = patched) {
  /** Events the store has acknowledged: the next write starts after them. */
  let acknowledged = 0;
  /** Events handed to a write, in flight or done: what `kick` need not ask for again. */
  let scheduled = 0;
  let queued = false;
  /** Set at the close, for disputes under `recordsUntilDonePatch`. */
  let closing = false;
  /** The last write was given up on after its days (not refused as malformed, which no retry mends). */
  let gaveUp = false;
  let chain: Promise<void> = Promise.resolve();
  /** Asked at the first write, as its marker was recorded: then the same for the dispute's life. */
  let local: boolean | undefined;

  async function writeNext(): Promise<void> {
    queued = false;
    if (!applied(recordsPatch)) return;
    local ??= applied(localWritesPatch);
    const all = events();
    if (all.length === acknowledged) return;
    scheduled = all.length;
    const pending = all.slice(acknowledged);
    // Split only where one write would be too large, and only for disputes that record it so.
    const runs = pending.length > 1 && parts(pending).length > 1 && applied(recordsUntilDonePatch) ? parts(pending) : [pending];
    const [activity, options] = closing ? [saveClosingRecord, closingOptions] : [saveRecord, recordsOptions];
    for (const run of runs) {
      const from = acknowledged;
      const to = from + run.length;
      const write: RecordWrite = { row: row(), lastSeq: to, events: run };
      const summary = `Record: events ${from + 1}–${to}`;
      try {
        if (!(local && (await writtenHere(write, summary)))) await activity.executeWithOptions({ ...options, summary }, [write]);
        acknowledged = to;
      } catch (error) {
        // Not the store's answer (see writtenHere): the workflow task fails, to be retried.
        if (!(error instanceof TemporalFailure)) throw error;
        // Given up after days: the next write carries these events again.
        scheduled = acknowledged;
        gaveUp = error instanceof ActivityFailure && error.retryState === 'TIMEOUT';
        return;
      }
    }
  }

  /** The one local attempt: false when it failed, and the activity's retries take the write over. */
  async function writtenHere(write: RecordWrite, summary: string): Promise<boolean> {
    try {
      await saveRecordHere.executeWithOptions({ ...localOptions, summary }, [write]);
      return true;
    } catch (error) {
      // Its failure or timeout (a local one is not wrapped in an ActivityFailure): the activity's
      // retries take the write over, so it is never dropped. Anything else (a worker that has no such
      // activity, which the SDK only notices live, never on replay) fails the workflow task, to be
      // retried by a worker that has it: going to the activity instead would record a history that
      // no replay can follow.
      if (error instanceof TemporalFailure) return false;
      throw error;
    }
  }

  /** Schedules a write of what is not yet written, after the current one (coalescing what comes meanwhile). */
  function kick(): void {
    if (queued || events().length === scheduled) return;
    queued = true;
    chain = chain.then(writeNext);
  }

  return {
    /**
     * Called where the dispute waits, never where it records: a task that goes on to fail the
     * dispute (a start outside the calendar) schedules no write that nobody would complete.
     */
    kick,
    /** At the end: resolves once every event is written (for disputes before `recordsUntilDonePatch`, or given up on after days). */
    async flushed(): Promise<void> {
      closing = applied(recordsUntilDonePatch);
      kick();
      await chain;
      // A write in flight at the close that then gave up: the closing write, which does not, follows.
      while (closing && gaveUp && events().length > acknowledged) {
        kick();
        await chain;
      }
    },
  };
}

/** The dispute's row for the store, as it stands now. */
export function recordRow(start: DisputeStart, state: DisputeState, calendar: Calendar, view: DisputeView, now: number): RecordRow {
  const { events, ...rest } = view;
  return {
    view: rest,
    summary: start.summary,
    startedAt: events[0]?.at ?? start.concernAt,
    closedAt: state.closedAt === null ? null : new Date(state.closedAt).toISOString(),
    timeTaken: state.closedAt === null ? null : timeTaken(calendar, start, state.closedAt),
    agreedActions: state.agreedActions,
    form: buildForm(start, state, calendar, state.closedAt ?? now),
    // As the closing record has it (record.ts): the store cannot count on the policy file keeping it.
    boardOutcome: state.status === 'decided' && start.policy.lastStage ? { name: start.policy.lastStage.outcome.name, effect: start.policy.lastStage.outcome.effect } : null,
  };
}
