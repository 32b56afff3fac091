import Holidays from 'date-holidays';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CalendarRangeError, DAY, HOUR, builtInChanges, createCalendar, type Division } from '../../policies/calendar';

const england = createCalendar({ division: 'england-and-wales' });
const scotland = createCalendar({ division: 'scotland' });
const northernIreland = createCalendar({ division: 'northern-ireland' });
const at = (iso: string) => new Date(iso);

describe('the worked examples of spec section 1', () => {
  it.each([
    ['Fri 19 Dec 2025 16:00 + 5 working days, over Christmas', '2025-12-19T16:00:00Z', 5, '2025-12-30T16:00:00Z'],
    ['Fri 27 Mar 2026 10:30 GMT + 2 working days, over the spring clock change', '2026-03-27T10:30:00Z', 2, '2026-03-31T09:30:00Z'],
    ['Fri 27 Mar 2026 10:30 GMT + 5 working days, over Easter', '2026-03-27T10:30:00Z', 5, '2026-04-07T09:30:00Z'],
  ])('%s', (_, from, days, expected) => {
    expect(england.addWorkingDays(at(from), days).toISOString()).toBe(at(expected).toISOString());
  });
});

describe('working days and hours in England and Wales', () => {
  it.each([
    // [what, from, working days, expected]; expected instants worked out by hand from the calendar.
    ['Wed 24 Dec 2025 09:00 + 1: Christmas and Boxing Day are skipped', '2025-12-24T09:00:00Z', 1, '2025-12-29T09:00:00Z'],
    ['Wed 31 Dec 2025 12:00 + 1: New Year’s Day is skipped', '2025-12-31T12:00:00Z', 1, '2026-01-02T12:00:00Z'],
    ['Thu 24 Dec 2026 14:00 + 1: Boxing Day on a Saturday moves to Mon 28', '2026-12-24T14:00:00Z', 1, '2026-12-29T14:00:00Z'],
    ['Fri 24 Dec 2027 10:00 + 1: both substitutes, Mon 27 and Tue 28', '2027-12-24T10:00:00Z', 1, '2027-12-29T10:00:00Z'],
    ['Sat 7 Mar 2026 11:00 + 1: the clock starts Monday 00:00, ends Tuesday 00:00', '2026-03-07T11:00:00Z', 1, '2026-03-10T00:00:00Z'],
    ['Fri 6 Mar 2026 23:30 + 1: a late-Friday start ends late Monday', '2026-03-06T23:30:00Z', 1, '2026-03-09T23:30:00Z'],
    ['Fri 27 Mar 2026 16:00 GMT + 1: same London clock time after the spring change', '2026-03-27T16:00:00Z', 1, '2026-03-30T15:00:00Z'],
    ['Fri 23 Oct 2026 09:00 BST + 1: same London clock time after the autumn change', '2026-10-23T08:00:00Z', 1, '2026-10-26T09:00:00Z'],
    ['Thu 2 Apr 2026 17:00 BST + 1: Good Friday and Easter Monday are skipped', '2026-04-02T16:00:00Z', 1, '2026-04-07T16:00:00Z'],
    ['Good Friday 2026 10:00 + 1: a start on a bank holiday ends at the end of Tuesday', '2026-04-03T09:00:00Z', 1, '2026-04-07T23:00:00Z'],
    ['Fri 5 May 2023 10:00 BST + 1: the coronation holiday (a one-off) is skipped', '2023-05-05T09:00:00Z', 1, '2023-05-09T09:00:00Z'],
    ['Mon 1 Jun 2026 10:00 BST + 0: no time at all', '2026-06-01T09:00:00Z', 0, '2026-06-01T09:00:00Z'],
  ])('%s', (_, from, days, expected) => {
    expect(england.addWorkingDays(at(from), days).toISOString()).toBe(at(expected).toISOString());
  });

  it.each([
    ['48 working hours from Wed 24 Dec 2025 15:00', '2025-12-24T15:00:00Z', 48, '2025-12-30T15:00:00Z'],
    ['48 working hours from Sun 8 Mar 2026: Monday and Tuesday, whole', '2026-03-08T10:00:00Z', 48, '2026-03-11T00:00:00Z'],
    ['48 working hours from Fri 6 Mar 2026 23:30', '2026-03-06T23:30:00Z', 48, '2026-03-10T23:30:00Z'],
    ['48 working hours from Fri 27 Mar 2026 12:00 GMT, over the spring change', '2026-03-27T12:00:00Z', 48, '2026-03-31T11:00:00Z'],
    ['24 working hours from Fri 23 Oct 2026 20:00 BST, over the autumn change', '2026-10-23T19:00:00Z', 24, '2026-10-26T20:00:00Z'],
  ])('%s', (_, from, hours, expected) => {
    expect(england.addWorkingHours(at(from), hours).toISOString()).toBe(at(expected).toISOString());
  });

  it('measures working time between instants, skipping weekends and holidays', () => {
    expect(england.workingTimeBetween(at('2025-12-19T16:00:00Z'), at('2025-12-30T16:00:00Z'))).toBe(5 * DAY);
    expect(england.workingTimeBetween(at('2026-03-07T10:00:00Z'), at('2026-03-08T20:00:00Z'))).toBe(0);
    expect(england.workingTimeBetween(at('2026-03-27T12:00:00Z'), at('2026-03-30T11:00:00Z'))).toBe(24 * HOUR);
    expect(england.workingTimeBetween(at('2026-03-30T11:00:00Z'), at('2026-03-27T12:00:00Z'))).toBe(-24 * HOUR);
    expect(england.workingDaysBetween(at('2026-04-02T16:00:00Z'), at('2026-04-07T16:00:00Z'))).toBe(1);
  });

  it('reads the working day from the London date, not the UTC one', () => {
    expect(england.isWorkingDay(at('2026-03-29T23:30:00Z'))).toBe(true); // Mon 30 Mar 00:30 BST
    expect(england.isWorkingDay(at('2026-03-30T22:59:59Z'))).toBe(true);
    expect(england.isWorkingDay(at('2026-06-05T23:30:00Z'))).toBe(false); // Friday in UTC, Sat 6 Jun 00:30 BST
    expect(england.isWorkingDate('2026-12-25')).toBe(false);
    expect(england.isWorkingDate('2026-12-28')).toBe(false);
    expect(england.isWorkingDate('2026-12-29')).toBe(true);
  });
});

describe('calendar days, "by day N" and elapsed hours', () => {
  it('"by day 3" from Fri 27 Mar 2026 is 00:00 London on Mon 30 Mar, in BST', () => {
    expect(england.endOfDay(at('2026-03-27T10:30:00Z'), 3).toISOString()).toBe('2026-03-29T23:00:00.000Z');
  });
  it('"by day 9" from Fri 27 Mar 2026 is 00:00 London on Sun 5 Apr', () => {
    expect(england.endOfDay(at('2026-03-27T10:30:00Z'), 9).toISOString()).toBe('2026-04-04T23:00:00.000Z');
  });
  it('"by day 2" from Sat 24 Oct 2026 is 00:00 GMT on Mon 26 Oct, after the autumn change', () => {
    expect(england.endOfDay(at('2026-10-24T14:00:00Z'), 2).toISOString()).toBe('2026-10-26T00:00:00.000Z');
  });
  it('counts the day of the concern as day 1, even late in the evening London time', () => {
    // Sun 29 Mar 2026 23:30 BST is 22:30 UTC: day 1 is Sunday, the end of day 1 is Monday 00:00 BST.
    expect(england.endOfDay(at('2026-03-29T22:30:00Z'), 1).toISOString()).toBe('2026-03-29T23:00:00.000Z');
  });
  it('the next working instant: itself on a working day, else 00:00 London of the next working day', () => {
    expect(england.nextWorkingInstant(at('2026-04-02T16:00:00Z')).toISOString()).toBe('2026-04-02T16:00:00.000Z');
    // Sat 18 Apr 2026 00:00 BST → Mon 20 Apr 00:00 BST; Good Friday → Tue 7 Apr, past Easter Monday.
    expect(england.nextWorkingInstant(at('2026-04-17T23:00:00Z')).toISOString()).toBe('2026-04-19T23:00:00.000Z');
    expect(england.nextWorkingInstant(at('2026-04-03T09:00:00Z')).toISOString()).toBe('2026-04-06T23:00:00.000Z');
  });
  it('adds calendar days at the same London clock time', () => {
    expect(england.addCalendarDays(at('2026-03-27T10:30:00Z'), 5).toISOString()).toBe('2026-04-01T09:30:00.000Z');
    // 01:30 on 29 Mar 2026 does not exist in London: the clock jumps to 02:30 BST.
    expect(england.addCalendarDays(at('2026-03-28T01:30:00Z'), 1).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
  it('adds elapsed hours in real time, whatever the clock does', () => {
    expect(england.addElapsedHours(at('2026-03-28T12:00:00Z'), 24).toISOString()).toBe('2026-03-29T12:00:00.000Z');
  });
  it('rejects nonsense amounts with a clear error', () => {
    expect(() => england.addWorkingDays(at('2026-01-05T09:00:00Z'), -1)).toThrow(/≥ 0/);
    expect(() => england.endOfDay(at('2026-01-05T09:00:00Z'), 0)).toThrow(/day must be/);
  });
});

describe('Scotland and Northern Ireland', () => {
  it('Scotland keeps 2 January and St Andrew’s Day, not Easter Monday', () => {
    expect(scotland.addWorkingDays(at('2025-12-31T12:00:00Z'), 1).toISOString()).toBe('2026-01-05T12:00:00.000Z');
    expect(scotland.addWorkingDays(at('2026-04-02T16:00:00Z'), 1).toISOString()).toBe('2026-04-06T16:00:00.000Z');
    expect(scotland.addWorkingDays(at('2026-11-27T10:00:00Z'), 1).toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(scotland.holidays(2026)).toEqual([
      '2026-01-01', '2026-01-02', '2026-04-03', '2026-05-04', '2026-05-25', '2026-08-03', '2026-11-30', '2026-12-25', '2026-12-28',
    ]);
  });
  it('Northern Ireland keeps St Patrick’s Day and the Twelfth, with substitutes', () => {
    expect(northernIreland.addWorkingDays(at('2026-03-16T10:00:00Z'), 1).toISOString()).toBe('2026-03-18T10:00:00.000Z');
    // 12 July 2026 is a Sunday: Monday 13 July is the substitute.
    expect(northernIreland.addWorkingDays(at('2026-07-10T09:00:00Z'), 1).toISOString()).toBe('2026-07-14T09:00:00.000Z');
  });
});

describe('where the holidays come from', () => {
  it('agrees with the date-holidays library on every weekday holiday, 2000–2060, outside one-off years', () => {
    const regions: Record<Division, string> = { 'england-and-wales': 'ENG', scotland: 'SCT', 'northern-ireland': 'NIR' };
    const oneOffYears = new Set(builtInChanges.map((change) => Number(change.date.slice(0, 4))));
    for (const [division, region] of Object.entries(regions) as [Division, string][]) {
      const oracle = new Holidays('GB', region);
      const ours = createCalendar({ division });
      for (let year = 2000; year <= 2060; year += 1) {
        if (oneOffYears.has(year)) continue;
        const theirs = oracle
          .getHolidays(year)
          .filter((holiday) => holiday.type === 'public' || holiday.type === 'bank')
          .map((holiday) => holiday.date.slice(0, 10))
          .filter((date) => ![0, 6].includes(new Date(`${date}T12:00:00Z`).getUTCDay()));
        const weekdayHolidays = ours.holidays(year).filter((date) => ours.isWorkingDate(date) === false);
        expect(weekdayHolidays.filter((date) => ![0, 6].includes(new Date(`${date}T12:00:00Z`).getUTCDay())), `${division} ${year}`)
          .toEqual([...new Set(theirs)].sort());
      }
    }
  });

  it('applies the one-off table: 2022’s moved spring holiday, jubilee and state funeral', () => {
    expect(england.holidays(2022)).toEqual([
      '2022-01-03', '2022-04-15', '2022-04-18', '2022-05-02', '2022-06-02', '2022-06-03', '2022-08-29', '2022-09-19', '2022-12-26', '2022-12-27',
    ]);
    expect(england.isWorkingDate('2022-05-30')).toBe(true);
  });

  it('takes one-off changes from an operator without a code change', () => {
    const calendar = createCalendar({
      division: 'england-and-wales',
      changes: [
        { date: '2026-07-01', change: 'added', title: 'A proclaimed holiday', divisions: ['england-and-wales'] },
        { date: '2026-08-31', change: 'removed', title: 'Summer holiday moved', divisions: ['england-and-wales'] },
      ],
    });
    expect(calendar.isWorkingDate('2026-07-01')).toBe(false);
    expect(calendar.isWorkingDate('2026-08-31')).toBe(true);
    expect(calendar.addWorkingDays(at('2026-06-30T09:00:00Z'), 1).toISOString()).toBe('2026-07-02T09:00:00.000Z');
    const scottish = createCalendar({ division: 'scotland', changes: calendar === undefined ? [] : [
      { date: '2026-07-01', change: 'added', title: 'England only', divisions: ['england-and-wales'] },
    ] });
    expect(scottish.isWorkingDate('2026-07-01')).toBe(true);
  });

  it('lets the government feed’s dates win for the years it covers', () => {
    const calendar = createCalendar({
      division: 'england-and-wales',
      feed: {
        'england-and-wales': {
          division: 'england-and-wales',
          events: [
            { title: 'New Year’s Day', date: '2026-01-01', notes: '', bunting: true },
            { title: 'An extra day in the feed', date: '2026-06-01', notes: '', bunting: true },
          ],
        },
      },
    });
    expect(calendar.isWorkingDate('2026-06-01')).toBe(false);
    expect(calendar.isWorkingDate('2026-04-03')).toBe(true); // the feed for 2026 lacks Good Friday: it wins
    expect(calendar.isWorkingDate('2027-03-26')).toBe(false); // 2027 is not in the feed: the rules apply
  });
});

describe('invariants', () => {
  const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }).map((ms) => new Date(ms));
  const amount = fc.integer({ min: 0, max: 400 * DAY });

  it('is monotonic in the start and in the amount', () => {
    fc.assert(
      fc.property(instant, instant, amount, amount, (a, b, x, y) => {
        const [early, late] = a <= b ? [a, b] : [b, a];
        const [less, more] = x <= y ? [x, y] : [y, x];
        expect(england.addWorkingHours(early, less / HOUR) <= england.addWorkingHours(late, less / HOUR)).toBe(true);
        expect(england.addWorkingHours(early, less / HOUR) <= england.addWorkingHours(early, more / HOUR)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('gives back the amount: working time from T to T + x is x', () => {
    fc.assert(
      fc.property(instant, amount, (from, x) => {
        expect(england.workingTimeBetween(from, england.addWorkingHours(from, x / HOUR))).toBe(x);
      }),
      { numRuns: 1_000 },
    );
  });

  it('never ends inside a non-working day when the unit is working days', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 2_000 }), (from, days) => {
        const end = england.addWorkingDays(from, days);
        // The deadline is either within a working day or at the 24:00 that closes one.
        expect(england.isWorkingDay(new Date(end.getTime() - 1))).toBe(true);
      }),
      { numRuns: 1_000 },
    );
  });

  it('matches a plain day-by-day count for any span', () => {
    fc.assert(
      // whole seconds: the reference reads London time through toLocaleString, which drops milliseconds
      fc.property(instant.map((date) => new Date(Math.floor(date.getTime() / 1000) * 1000)), fc.integer({ min: 1, max: 1_500 }), (from, days) => {
        expect(england.addWorkingDays(from, days).toISOString()).toBe(dayByDay(from, days).toISOString());
      }),
      { numRuns: 300 },
    );
  });
});

/** The slow reference: walk London dates one at a time, counting working days. */
function dayByDay(from: Date, days: number): Date {
  const london = (date: Date) => date.toLocaleString('sv-SE', { timeZone: 'Europe/London' }).replace(' ', 'T');
  const [date, clock] = london(from).split('T') as [string, string];
  let cursor = new Date(`${date}T00:00:00Z`);
  let time = clock;
  if (!england.isWorkingDate(date)) {
    do cursor = new Date(cursor.getTime() + DAY);
    while (!england.isWorkingDate(cursor.toISOString().slice(0, 10)));
    time = '00:00:00';
    days -= 1;
    // a whole first working day is consumed; the result is the end of the last day counted
    let counted = 0;
    while (counted < days) {
      cursor = new Date(cursor.getTime() + DAY);
      if (england.isWorkingDate(cursor.toISOString().slice(0, 10))) counted += 1;
    }
    return fromLondonWall(`${new Date(cursor.getTime() + DAY).toISOString().slice(0, 10)}T00:00:00`);
  }
  let counted = 0;
  while (counted < days) {
    cursor = new Date(cursor.getTime() + DAY);
    if (england.isWorkingDate(cursor.toISOString().slice(0, 10))) counted += 1;
  }
  return fromLondonWall(`${cursor.toISOString().slice(0, 10)}T${time}`);
}

/** A London wall-clock time to an instant, through the platform's own time-zone data. */
function fromLondonWall(wall: string): Date {
  for (const offset of ['+01:00', '+00:00']) {
    const candidate = new Date(`${wall}${offset}`);
    if (candidate.toLocaleString('sv-SE', { timeZone: 'Europe/London' }).replace(' ', 'T') === wall) return candidate;
  }
  throw new Error(`no London instant for ${wall}`);
}

describe('bounded in time', () => {
  // A concern of 1900 or 0000 once made a workflow task count holidays for centuries until it timed
  // out, again and again; 9999 gave a deadline no search attribute can hold.
  it.each(['1900-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T00:00:00Z', '1999-12-31T23:59:59Z', '2100-01-01T00:00:00Z'])(
    'refuses %s at once, naming the range',
    (instant) => {
      const from = at(instant);
      const began = performance.now();
      for (const compute of [
        () => england.addWorkingDays(from, 5),
        () => england.addWorkingHours(from, 48),
        () => england.addCalendarDays(from, 3),
        () => england.endOfDay(from, 3),
        () => england.addElapsedHours(from, 1),
        () => england.nextWorkingInstant(from),
        () => england.isWorkingDay(from),
        () => england.workingTimeBetween(from, at('2026-06-01T00:00:00Z')),
        () => england.workingTimeBetween(at('2026-06-01T00:00:00Z'), from),
      ]) {
        expect(compute).toThrow(CalendarRangeError);
        expect(compute).toThrow(/outside the calendar's range, 2000-01-01 to 2100-01-01/);
      }
      expect(performance.now() - began).toBeLessThan(50);
    },
  );

  it('refuses a result past the range, and an absurd amount, without counting the days', () => {
    const began = performance.now();
    expect(() => england.addWorkingDays(at('2099-12-30T00:00:00Z'), 5)).toThrow(CalendarRangeError);
    expect(() => england.addWorkingDays(at('2026-06-01T00:00:00Z'), 1e9)).toThrow(CalendarRangeError);
    expect(() => england.addCalendarDays(at('2026-06-01T00:00:00Z'), 1e7)).toThrow(CalendarRangeError);
    expect(() => england.holidays(1900)).toThrow(CalendarRangeError);
    expect(() => england.isWorkingDate('0000-01-01')).toThrow(CalendarRangeError);
    expect(performance.now() - began).toBeLessThan(50);
  });

  it('works to the edges of the range', () => {
    expect(england.addWorkingDays(at('2000-01-04T09:00:00Z'), 1).toISOString()).toBe('2000-01-05T09:00:00.000Z');
    expect(england.workingDaysBetween(at('2000-01-01T00:00:00Z'), at('2099-12-31T00:00:00Z'))).toBeGreaterThan(25_000);
  });
});
