import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../policies/calendar';
import { timeline } from '../../policies/deadlines';
import { PolicyRegistry } from '../../policies/load';
import type { Category, Risk } from '../../policies/schema';

// Every expected instant below was worked out by hand from the calendar (bank holidays, weekends,
// clock changes), never by the code under test. [startBy, concludeBy] per stage; null = not reached.
type Row = [string | null, string | null];

const registry = PolicyRegistry.fromDirectory();

function actual(policyId: string, concernAt: string, risk: Risk = 'standard', category?: Category): Row[] {
  const policy = registry.get(policyId);
  const calendar = createCalendar({ division: policy.board.division });
  return timeline(policy, calendar, { concernAt: new Date(concernAt), risk, ...(category ? { category } : {}) }).map(
    (stage) => [stage.startBy?.toISOString() ?? null, stage.concludeBy?.toISOString() ?? null],
  );
}

const iso = (rows: Row[]): Row[] => rows.map(([a, b]) => [a && new Date(a).toISOString(), b && new Date(b).toISOString()]);

// The concern instants, each with why it is awkward.
const CHRISTMAS = '2025-12-22T14:00:00Z'; // Mon before Christmas; crosses 25, 26 Dec and 1 Jan
const NEW_YEAR = '2025-12-31T09:15:00Z'; // Wed 31 Dec; 1 Jan is a Thursday holiday
const EASTER = '2026-03-27T10:30:00Z'; // Fri, GMT; clocks go forward Sun 29 Mar; Good Friday 3 Apr, Easter Monday 6 Apr
const SUBSTITUTE = '2026-12-23T11:00:00Z'; // Wed; Boxing Day is a Saturday, so Mon 28 Dec is its substitute
const WEEKEND = '2026-03-07T11:00:00Z'; // Sat; the clock starts Monday 00:00
const LATE_FRIDAY = '2026-11-06T17:45:00Z'; // Fri 17:45 GMT
const AUTUMN = '2026-10-22T14:00:00Z'; // Thu 15:00 BST; clocks go back Sun 25 Oct

describe('Rotherham: cumulative, 48 working hours / 5 / 7 / 10 working days from the concern', () => {
  it.each<[string, string, Row[]]>([
    ['Christmas', CHRISTMAS, [[CHRISTMAS, '2025-12-24T14:00Z'], ['2025-12-24T14:00Z', '2025-12-31T14:00Z'], ['2025-12-31T14:00Z', '2026-01-05T14:00Z'], ['2026-01-05T14:00Z', '2026-01-08T14:00Z']]],
    ['New Year', NEW_YEAR, [[NEW_YEAR, '2026-01-05T09:15Z'], ['2026-01-05T09:15Z', '2026-01-08T09:15Z'], ['2026-01-08T09:15Z', '2026-01-12T09:15Z'], ['2026-01-12T09:15Z', '2026-01-15T09:15Z']]],
    ['Easter and the spring clock change', EASTER, [[EASTER, '2026-03-31T10:30+01:00'], ['2026-03-31T10:30+01:00', '2026-04-07T10:30+01:00'], ['2026-04-07T10:30+01:00', '2026-04-09T10:30+01:00'], ['2026-04-09T10:30+01:00', '2026-04-14T10:30+01:00']]],
    ['a substitute day', SUBSTITUTE, [[SUBSTITUTE, '2026-12-29T11:00Z'], ['2026-12-29T11:00Z', '2027-01-04T11:00Z'], ['2027-01-04T11:00Z', '2027-01-06T11:00Z'], ['2027-01-06T11:00Z', '2027-01-11T11:00Z']]],
    ['a weekend start', WEEKEND, [[WEEKEND, '2026-03-11T00:00Z'], ['2026-03-11T00:00Z', '2026-03-14T00:00Z'], ['2026-03-14T00:00Z', '2026-03-18T00:00Z'], ['2026-03-18T00:00Z', '2026-03-21T00:00Z']]],
    ['a late-Friday start', LATE_FRIDAY, [[LATE_FRIDAY, '2026-11-10T17:45Z'], ['2026-11-10T17:45Z', '2026-11-13T17:45Z'], ['2026-11-13T17:45Z', '2026-11-17T17:45Z'], ['2026-11-17T17:45Z', '2026-11-20T17:45Z']]],
    ['the autumn clock change', AUTUMN, [[AUTUMN, '2026-10-26T15:00Z'], ['2026-10-26T15:00Z', '2026-10-29T15:00Z'], ['2026-10-29T15:00Z', '2026-11-02T15:00Z'], ['2026-11-02T15:00Z', '2026-11-05T15:00Z']]],
  ])('%s', (_, concern, expected) => {
    expect(actual('rotherham-rsab', concern)).toEqual(iso(expected));
  });

  it('imminent risk starts the dispute at stage 3', () => {
    expect(actual('rotherham-rsab', EASTER, 'imminent')).toEqual(
      iso([[null, null], [null, null], [EASTER, '2026-04-09T10:30+01:00'], ['2026-04-09T10:30+01:00', '2026-04-14T10:30+01:00']]),
    );
  });
});

describe('North Somerset: cumulative, 1 / 2 / 3 / 5 working days from the concern', () => {
  it.each<[string, string, Row[]]>([
    ['Christmas', CHRISTMAS, [[CHRISTMAS, '2025-12-23T14:00Z'], ['2025-12-23T14:00Z', '2025-12-24T14:00Z'], ['2025-12-24T14:00Z', '2025-12-29T14:00Z'], ['2025-12-29T14:00Z', '2025-12-31T14:00Z']]],
    ['New Year', NEW_YEAR, [[NEW_YEAR, '2026-01-02T09:15Z'], ['2026-01-02T09:15Z', '2026-01-05T09:15Z'], ['2026-01-05T09:15Z', '2026-01-06T09:15Z'], ['2026-01-06T09:15Z', '2026-01-08T09:15Z']]],
    ['Easter and the spring clock change', EASTER, [[EASTER, '2026-03-30T10:30+01:00'], ['2026-03-30T10:30+01:00', '2026-03-31T10:30+01:00'], ['2026-03-31T10:30+01:00', '2026-04-01T10:30+01:00'], ['2026-04-01T10:30+01:00', '2026-04-07T10:30+01:00']]],
    ['a substitute day', SUBSTITUTE, [[SUBSTITUTE, '2026-12-24T11:00Z'], ['2026-12-24T11:00Z', '2026-12-29T11:00Z'], ['2026-12-29T11:00Z', '2026-12-30T11:00Z'], ['2026-12-30T11:00Z', '2027-01-04T11:00Z']]],
    ['a weekend start', WEEKEND, [[WEEKEND, '2026-03-10T00:00Z'], ['2026-03-10T00:00Z', '2026-03-11T00:00Z'], ['2026-03-11T00:00Z', '2026-03-12T00:00Z'], ['2026-03-12T00:00Z', '2026-03-14T00:00Z']]],
    ['a late-Friday start', LATE_FRIDAY, [[LATE_FRIDAY, '2026-11-09T17:45Z'], ['2026-11-09T17:45Z', '2026-11-10T17:45Z'], ['2026-11-10T17:45Z', '2026-11-11T17:45Z'], ['2026-11-11T17:45Z', '2026-11-13T17:45Z']]],
    ['the autumn clock change', AUTUMN, [[AUTUMN, '2026-10-23T14:00Z'], ['2026-10-23T14:00Z', '2026-10-26T15:00Z'], ['2026-10-26T15:00Z', '2026-10-27T15:00Z'], ['2026-10-27T15:00Z', '2026-10-29T15:00Z']]],
  ])('%s', (_, concern, expected) => {
    expect(actual('north-somerset-nssab', concern)).toEqual(iso(expected));
  });

  it('imminent risk at the start moves the dispute on to stage 2 at once', () => {
    expect(actual('north-somerset-nssab', EASTER, 'imminent')).toEqual(
      iso([[null, null], [EASTER, '2026-03-31T10:30+01:00'], ['2026-03-31T10:30+01:00', '2026-04-01T10:30+01:00'], ['2026-04-01T10:30+01:00', '2026-04-07T10:30+01:00']]),
    );
  });
});

// Norfolk and Leeds (standard risk) share the shape: 5 working days from entering each stage.
const perStageFive: [string, string, Row[]][] = [
  ['Christmas', CHRISTMAS, [[CHRISTMAS, '2025-12-31T14:00Z'], ['2025-12-31T14:00Z', '2026-01-08T14:00Z'], ['2026-01-08T14:00Z', '2026-01-15T14:00Z'], ['2026-01-15T14:00Z', '2026-01-22T14:00Z']]],
  ['New Year', NEW_YEAR, [[NEW_YEAR, '2026-01-08T09:15Z'], ['2026-01-08T09:15Z', '2026-01-15T09:15Z'], ['2026-01-15T09:15Z', '2026-01-22T09:15Z'], ['2026-01-22T09:15Z', '2026-01-29T09:15Z']]],
  ['Easter and the spring clock change', EASTER, [[EASTER, '2026-04-07T10:30+01:00'], ['2026-04-07T10:30+01:00', '2026-04-14T10:30+01:00'], ['2026-04-14T10:30+01:00', '2026-04-21T10:30+01:00'], ['2026-04-21T10:30+01:00', '2026-04-28T10:30+01:00']]],
  ['a substitute day', SUBSTITUTE, [[SUBSTITUTE, '2027-01-04T11:00Z'], ['2027-01-04T11:00Z', '2027-01-11T11:00Z'], ['2027-01-11T11:00Z', '2027-01-18T11:00Z'], ['2027-01-18T11:00Z', '2027-01-25T11:00Z']]],
  // Each stage is entered at Saturday 00:00, so each gets a whole working week; Easter falls in stage 4.
  ['a weekend start', WEEKEND, [[WEEKEND, '2026-03-14T00:00Z'], ['2026-03-14T00:00Z', '2026-03-21T00:00Z'], ['2026-03-21T00:00Z', '2026-03-28T00:00Z'], ['2026-03-28T00:00Z', '2026-04-08T00:00+01:00']]],
  ['a late-Friday start', LATE_FRIDAY, [[LATE_FRIDAY, '2026-11-13T17:45Z'], ['2026-11-13T17:45Z', '2026-11-20T17:45Z'], ['2026-11-20T17:45Z', '2026-11-27T17:45Z'], ['2026-11-27T17:45Z', '2026-12-04T17:45Z']]],
  ['the autumn clock change', AUTUMN, [[AUTUMN, '2026-10-29T15:00Z'], ['2026-10-29T15:00Z', '2026-11-05T15:00Z'], ['2026-11-05T15:00Z', '2026-11-12T15:00Z'], ['2026-11-12T15:00Z', '2026-11-19T15:00Z']]],
];

// At imminent risk Leeds and Norfolk both allow 1 working day per stage.
const imminentEaster: Row[] = [[EASTER, '2026-03-30T10:30+01:00'], ['2026-03-30T10:30+01:00', '2026-03-31T10:30+01:00'], ['2026-03-31T10:30+01:00', '2026-04-01T10:30+01:00'], ['2026-04-01T10:30+01:00', '2026-04-02T10:30+01:00']];

describe('Norfolk: each stage within 5 working days of entering it', () => {
  it.each(perStageFive)('%s', (_, concern, expected) => {
    expect(actual('norfolk-nsab', concern)).toEqual(iso(expected));
  });
  it('imminent risk gives each stage 1 working day', () => {
    expect(actual('norfolk-nsab', EASTER, 'imminent')).toEqual(iso(imminentEaster));
  });
});

describe('Leeds: per stage by risk (5 / 2 / 1 working days), stage 4 only for s42 categories', () => {
  it.each(perStageFive)('%s, abuse', (_, concern, expected) => {
    expect(actual('leeds-sab', concern, 'standard', 'abuse')).toEqual(iso(expected));
  });
  it('high risk gives each stage 2 working days', () => {
    expect(actual('leeds-sab', EASTER, 'high', 'neglect')).toEqual(
      iso([[EASTER, '2026-03-31T10:30+01:00'], ['2026-03-31T10:30+01:00', '2026-04-02T10:30+01:00'], ['2026-04-02T10:30+01:00', '2026-04-08T10:30+01:00'], ['2026-04-08T10:30+01:00', '2026-04-10T10:30+01:00']]),
    );
  });
  it('imminent risk gives each stage 1 working day', () => {
    expect(actual('leeds-sab', EASTER, 'imminent', 'self-neglect')).toEqual(iso(imminentEaster));
  });
  it('another practice issue never reaches stage 4', () => {
    expect(actual('leeds-sab', CHRISTMAS, 'standard', 'other')).toEqual(
      iso([[CHRISTMAS, '2025-12-31T14:00Z'], ['2025-12-31T14:00Z', '2026-01-08T14:00Z'], ['2026-01-08T14:00Z', '2026-01-15T14:00Z'], [null, null]]),
    );
  });
});

describe('Cheshire West and Chester: calendar days, latest start and conclude-by', () => {
  // Stage 1 starts at the concern; 2 no later than day 3, by day 9; 3 no later than day 9, by day 14;
  // 4 no later than day 16, by day 21. "By day N" is 00:00 London on the concern's date + N days.
  it.each<[string, string, Row[]]>([
    ['Christmas', CHRISTMAS, [[CHRISTMAS, null], ['2025-12-25T00:00Z', '2025-12-31T00:00Z'], ['2025-12-31T00:00Z', '2026-01-05T00:00Z'], ['2026-01-07T00:00Z', '2026-01-12T00:00Z']]],
    ['New Year', NEW_YEAR, [[NEW_YEAR, null], ['2026-01-03T00:00Z', '2026-01-09T00:00Z'], ['2026-01-09T00:00Z', '2026-01-14T00:00Z'], ['2026-01-16T00:00Z', '2026-01-21T00:00Z']]],
    ['Easter and the spring clock change', EASTER, [[EASTER, null], ['2026-03-30T00:00+01:00', '2026-04-05T00:00+01:00'], ['2026-04-05T00:00+01:00', '2026-04-10T00:00+01:00'], ['2026-04-12T00:00+01:00', '2026-04-17T00:00+01:00']]],
    ['a substitute day', SUBSTITUTE, [[SUBSTITUTE, null], ['2026-12-26T00:00Z', '2027-01-01T00:00Z'], ['2027-01-01T00:00Z', '2027-01-06T00:00Z'], ['2027-01-08T00:00Z', '2027-01-13T00:00Z']]],
    ['a weekend start', WEEKEND, [[WEEKEND, null], ['2026-03-10T00:00Z', '2026-03-16T00:00Z'], ['2026-03-16T00:00Z', '2026-03-21T00:00Z'], ['2026-03-23T00:00Z', '2026-03-28T00:00Z']]],
    ['a late-Friday start', LATE_FRIDAY, [[LATE_FRIDAY, null], ['2026-11-09T00:00Z', '2026-11-15T00:00Z'], ['2026-11-15T00:00Z', '2026-11-20T00:00Z'], ['2026-11-22T00:00Z', '2026-11-27T00:00Z']]],
    ['the autumn clock change', AUTUMN, [[AUTUMN, null], ['2026-10-25T00:00+01:00', '2026-10-31T00:00Z'], ['2026-10-31T00:00Z', '2026-11-05T00:00Z'], ['2026-11-07T00:00Z', '2026-11-12T00:00Z']]],
  ])('%s', (_, concern, expected) => {
    expect(actual('cheshire-west-and-chester-lsab', concern)).toEqual(iso(expected));
  });

  it('imminent risk changes no deadline (the safeguarding lead is told instead)', () => {
    expect(actual('cheshire-west-and-chester-lsab', EASTER, 'imminent')).toEqual(actual('cheshire-west-and-chester-lsab', EASTER));
  });
});
