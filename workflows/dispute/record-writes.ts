import { patched, proxyActivities } from '@temporalio/workflow';
import type { RecordsActivities } from '../../activities/records/activities';
import type { RecordRow, RecordWrite } from '../../activities/records/types';
import type { Calendar } from '../../policies/calendar/calendar';
import type { DisputeEvent, DisputeStart, DisputeView } from './model';
import { buildForm, timeTaken } from './record';
import type { DisputeState } from './state';

// Keeps the records store up to date as the dispute moves, without ever holding it up: writes run
// in the background, one after another (so they land in order), each carrying the events not yet
// written. While the store is down, changes queue behind the write being retried and go together.

const recordsOptions = {
  startToCloseTimeout: '30 seconds',
  // As long as Temporal keeps a closed dispute: past that, `dispute records sync` is the way back.
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
} as const;
const { saveRecord } = proxyActivities<RecordsActivities>(recordsOptions);

/** Disputes started before the records store replay without its writes. */
export const recordsPatch = 'records-store';

export function recordWrites(events: () => DisputeEvent[], row: () => RecordRow) {
  let written = 0;
  let queued = false;
  let chain: Promise<void> = Promise.resolve();

  async function writeNext(): Promise<void> {
    queued = false;
    if (!patched(recordsPatch)) return;
    const all = events();
    const fresh = all.slice(written);
    if (fresh.length === 0) return;
    const from = written;
    written = all.length;
    const write: RecordWrite = { row: row(), lastSeq: all.length, events: fresh };
    try {
      await saveRecord.executeWithOptions({ ...recordsOptions, summary: `Record: events ${from + 1}–${all.length}` }, [write]);
    } catch {
      // Given up after days: the next write carries these events again.
      written = Math.min(written, from);
    }
  }

  return {
    /** Something was recorded: schedules a write after the current one (coalescing what comes meanwhile). */
    changed(): void {
      if (queued) return;
      queued = true;
      chain = chain.then(writeNext);
    },
    /** Resolves once every change so far is written (or given up on). */
    async flushed(): Promise<void> {
      let seen: Promise<void>;
      do {
        seen = chain;
        await seen;
      } while (seen !== chain);
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
  };
}
