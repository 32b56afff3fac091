import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCalendar } from '../../policies/calendar';
import { openRecordsStore, type RecordsStore } from '../../records/open';
import { percentile, reportFigures } from '../../records/reports';
import { saveRecord } from '../../records/write';
import { handRecord } from './records';
import { testKeyRing } from '../support/temporal';

// The report's figures against a set of records counted by hand. Period: April to June 2026
// (London). Dispute A crosses Good Friday and Easter Monday (3 and 6 April 2026), so its stage 1,
// Thursday 10:00 to Tuesday 10:00, is one working day, not three.

let store: RecordsStore;
const period = { board: 'rotherham-rsab', from: new Date('2026-03-31T23:00:00Z'), to: new Date('2026-06-30T23:00:00Z') };
const calendar = createCalendar({ division: 'england-and-wales' });

beforeAll(async () => {
  store = await openRecordsStore({ dataDir: 'memory' }, { keyRing: testKeyRing });
  const records = [
    // A: across Easter, resolved at stage 1.
    handRecord({ id: 'rsab-aaaaaa', agencies: ['rotherham-asc', 'rotherham-nhs'], stages: [[1, '2026-04-02T09:00:00Z', 'started', '2026-04-08T09:00:00Z']], closed: { at: '2026-04-07T09:00:00Z', outcome: 'resolved', workingDays: 1 } }),
    // B: stage 1 ran to its deadline (passed without a decision), resolved at stage 2.
    handRecord({
      id: 'rsab-bbbbbb', agencies: ['rotherham-asc', 'rotherham-police'], category: 'abuse', risk: 'high',
      stages: [[1, '2026-04-15T09:00:00Z', 'started', '2026-04-17T09:00:00Z'], [2, '2026-04-17T09:00:00Z', 'deadline', '2026-04-24T09:00:00Z']],
      closed: { at: '2026-04-22T09:00:00Z', outcome: 'resolved', workingDays: 5 },
    }),
    // C: unresolved at stage 1, deadline passed at stage 2, overdue at stage 3 (two notices), still open.
    handRecord({
      id: 'rsab-cccccc', agencies: ['rotherham-nhs', 'rotherham-gp'], category: 'self-neglect', risk: 'imminent',
      stages: [[1, '2026-05-05T09:00:00Z', 'started', '2026-05-07T09:00:00Z'], [2, '2026-05-06T09:00:00Z', 'unresolved', '2026-05-08T09:00:00Z'], [3, '2026-05-08T09:00:00Z', 'deadline', '2026-05-12T09:00:00Z']],
      overdue: [{ at: '2026-05-13T09:00:00Z', notice: 1 }, { at: '2026-05-14T09:00:00Z', notice: 2 }],
    }),
    // D: withdrawn at stage 1 after a day.
    handRecord({ id: 'rsab-dddddd', agencies: ['rotherham-asc', 'rotherham-nhs'], stages: [[1, '2026-06-10T09:00:00Z', 'started']], closed: { at: '2026-06-11T09:00:00Z', outcome: 'withdrawn', workingDays: 1 } }),
    // E: raised in March, resolved in the period.
    handRecord({ id: 'rsab-eeeeee', agencies: ['rotherham-asc', 'rotherham-nhs'], stages: [[1, '2026-03-30T09:00:00Z', 'started']], closed: { at: '2026-04-01T09:00:00Z', outcome: 'resolved', workingDays: 2 } }),
    // F: raised in the period, resolved after it.
    handRecord({ id: 'rsab-ffffff', agencies: ['rotherham-asc', 'rotherham-vcs'], category: 'other', stages: [[1, '2026-06-29T09:00:00Z', 'started']], closed: { at: '2026-07-02T09:00:00Z', outcome: 'resolved', workingDays: 3 } }),
    // Another board's dispute: never in Rotherham's figures.
    handRecord({ id: 'lsab-gggggg', board: 'leeds-sab', agencies: ['leeds-asc', 'leeds-nhs'], stages: [[1, '2026-04-20T09:00:00Z', 'started']], closed: { at: '2026-04-21T09:00:00Z', outcome: 'resolved', workingDays: 1 } }),
  ];
  for (const record of records) await saveRecord(store.db, record);
});
afterAll(async () => {
  await store?.close();
});

describe('report figures', () => {
  it('nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 5], 50)).toBe(2);
    expect(percentile([1, 2, 5], 90)).toBe(5);
    expect(percentile([1, 1, 1, 2, 2], 90)).toBe(2);
    expect(percentile([7], 90)).toBe(7);
  });

  it('match the hand count for April to June 2026, including the dispute that crossed Easter', async () => {
    const figures = await reportFigures(store.db, period, calendar);
    expect(figures.raised).toBe(5); // A, B, C, D, F
    expect(figures.closed).toEqual({ resolved: 3, decided: 0, withdrawn: 1, unresolved: 0 }); // A, B, E; D
    expect(figures.reachedStage).toEqual([
      { stage: 1, count: 5 },
      { stage: 2, count: 2 },
      { stage: 3, count: 1 },
    ]);
    // A 1, E 2, B 5 working days.
    expect(figures.toResolution).toEqual({ count: 3, median: 2, p90: 5 });
    // Stage 1: A 1 (Easter), B 2, C 1, D 1, E 2. Stage 2: B 3 (Fri 10:00 to Wed 10:00), C 2.
    expect(figures.perStage).toEqual([
      { stage: 1, count: 5, median: 1, p90: 2 },
      { stage: 2, count: 2, median: 2, p90: 3 },
    ]);
    // B's stage 1, C's stage 2, C's first overdue notice (not its second).
    expect(figures.deadlinesPassed).toBe(3);
    expect(figures.byAgency).toEqual([
      { agency: 'rotherham-asc', raised: 4, raisedBy: 4 },
      { agency: 'rotherham-nhs', raised: 3, raisedBy: 1 },
      { agency: 'rotherham-gp', raised: 1, raisedBy: 0 },
      { agency: 'rotherham-police', raised: 1, raisedBy: 0 },
      { agency: 'rotherham-vcs', raised: 1, raisedBy: 0 },
    ]);
    expect(figures.byPair).toEqual([
      { raising: 'rotherham-asc', other: 'rotherham-nhs', raised: 2 },
      { raising: 'rotherham-asc', other: 'rotherham-police', raised: 1 },
      { raising: 'rotherham-asc', other: 'rotherham-vcs', raised: 1 },
      { raising: 'rotherham-nhs', other: 'rotherham-gp', raised: 1 },
    ]);
    expect(figures.byCategory).toEqual([
      { category: 'neglect', raised: 2 },
      { category: 'abuse', raised: 1 },
      { category: 'other', raised: 1 },
      { category: 'self-neglect', raised: 1 },
    ]);
    expect(figures.byRisk).toEqual([
      { risk: 'standard', raised: 3 },
      { risk: 'high', raised: 1 },
      { risk: 'imminent', raised: 1 },
    ]);
  });

  it('the Easter crossing is one working day on the board calendar, three without its bank holidays', () => {
    const from = new Date('2026-04-02T09:00:00Z');
    const to = new Date('2026-04-07T09:00:00Z');
    expect(calendar.workingDaysBetween(from, to)).toBe(1);
    expect(createCalendar({ division: 'scotland' }).workingDaysBetween(from, to)).toBe(2); // Scotland keeps Easter Monday as a working day
  });

  it('a period with nothing in it gives zeros and no medians', async () => {
    const figures = await reportFigures(store.db, { board: 'rotherham-rsab', from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-02-01T00:00:00Z') }, calendar);
    expect(figures).toMatchObject({ raised: 0, reachedStage: [], toResolution: { count: 0, median: null, p90: null }, perStage: [], deadlinesPassed: 0, byAgency: [] });
  });
});
