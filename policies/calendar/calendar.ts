import { DAY, HOUR, fromLondon, isWeekend, isoDate, parseIsoDate, toLondon, weekday } from './civil';
import type { BankHolidaysFeed, HolidayChange } from './holiday-files';
import { HolidayTable, builtInChanges, type Division } from './holidays';

/** What a calendar is made of; plain data, so a workflow can keep the one it started with. */
export interface CalendarConfig {
  division: Division;
  /** One-off changes on top of the built-in table (which always applies). */
  changes?: HolidayChange[];
  /** A UK government bank-holidays feed; its dates win for the years it covers. */
  feed?: BankHolidaysFeed;
}

/**
 * Working time in Europe/London for one UK division (spec section 1): working days are London
 * dates, Monday to Friday, not bank holidays; each accrues 24 working hours, 00:00 to 24:00.
 */
export interface Calendar {
  readonly division: Division;
  isWorkingDate(date: string): boolean;
  /** Whether the London date of an instant is a working day. */
  isWorkingDay(at: Date): boolean;
  /** The first instant at which the working time since `from` reaches `hours`. */
  addWorkingHours(from: Date, hours: number): Date;
  /** Exactly days × 24 working hours after `from`. */
  addWorkingDays(from: Date, days: number): Date;
  /** The same London clock time, `days` calendar days later. */
  addCalendarDays(from: Date, days: number): Date;
  /** "By day N", counting the day of `from` as day 1: 00:00 London on date(from) + N days. */
  endOfDay(from: Date, day: number): Date;
  /** Real elapsed time. */
  addElapsedHours(from: Date, hours: number): Date;
  /** `at` itself on a working day; otherwise 00:00 London of the next working day. */
  nextWorkingInstant(at: Date): Date;
  /** Working time between two instants, in milliseconds; negative when `to` is before `from`. */
  workingTimeBetween(from: Date, to: Date): number;
  /** Working days between two instants (working time / 24 h), fractional. */
  workingDaysBetween(from: Date, to: Date): number;
  /** Bank holidays of a year, as YYYY-MM-DD. */
  holidays(year: number): string[];
}

/**
 * The instants a calendar works with: a dispute's concern and deadlines lie well inside. Anything
 * outside is refused at once, so no input can make a computation run for years of days (the
 * holiday count walks year by year) or give an instant a search attribute cannot hold.
 */
export const CALENDAR_RANGE = { from: Date.UTC(2000, 0, 1), to: Date.UTC(2100, 0, 1) } as const;

/** An instant outside CALENDAR_RANGE; the workflow turns it into a non-retryable failure. */
export class CalendarRangeError extends RangeError {
  override name = 'CalendarRangeError';
}

function inRange(at: number, what: string): number {
  if (!Number.isFinite(at) || at < CALENDAR_RANGE.from || at >= CALENDAR_RANGE.to) {
    const shown = Number.isFinite(at) && Math.abs(at) <= 8.64e15 ? new Date(at).toISOString() : String(at);
    throw new CalendarRangeError(`${what} ${shown} is outside the calendar's range, 2000-01-01 to 2100-01-01 (UTC)`);
  }
  return at;
}

function yearInRange(year: number): number {
  if (!Number.isInteger(year) || year < 2000 || year > 2099) throw new CalendarRangeError(`year ${year} is outside the calendar's range, 2000 to 2099`);
  return year;
}

export function createCalendar(config: CalendarConfig): Calendar {
  const table = new HolidayTable({
    division: config.division,
    changes: [...builtInChanges, ...(config.changes ?? [])],
    feed: config.feed,
  });
  const isWorking = (day: number) => !isWeekend(day) && !table.isHoliday(day);

  const nextWorkingDay = (day: number) => nthWorkingDayAfter(day, 1);

  /** Weekdays strictly after `day`, up to and including `to`. */
  const weekdaysIn = (day: number, to: number) => weekdayIndex(to + 1) - weekdayIndex(day + 1);

  /** The n-th working day strictly after `day` (n ≥ 1): weekday arithmetic, then skip holidays. */
  function nthWorkingDayAfter(day: number, n: number): number {
    let candidate = nthWeekdayAfter(day, n);
    let missing = table.weekdayHolidaysIn(day, candidate);
    while (missing > 0) {
      const next = nthWeekdayAfter(candidate, missing);
      missing = table.weekdayHolidaysIn(candidate, next);
      candidate = next;
    }
    return candidate;
  }

  function addWorkingTime(from: Date, amount: number): Date {
    if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`working time must be ≥ 0, not ${amount}`);
    inRange(from.getTime(), 'the start');
    // Working time is at most calendar time, so an end past the range shows before any day is counted.
    inRange(from.getTime() + amount, 'the end');
    const wall = toLondon(from.getTime());
    let day = Math.floor(wall / DAY);
    let clock = wall - day * DAY;
    if (amount === 0) return new Date(from.getTime());
    if (!isWorking(day)) {
      // The clock starts at 00:00 of the next working day.
      day = nextWorkingDay(day);
      clock = 0;
    }
    const leftToday = DAY - clock;
    if (amount <= leftToday) return result(fromLondon(day * DAY + clock + amount));
    const remaining = amount - leftToday;
    const wholeDays = Math.ceil(remaining / DAY);
    const target = nthWorkingDayAfter(day, wholeDays);
    return result(fromLondon(target * DAY + remaining - (wholeDays - 1) * DAY));
  }

  function workingTimeBetween(from: Date, to: Date): number {
    inRange(from.getTime(), 'the start');
    inRange(to.getTime(), 'the end');
    if (to.getTime() < from.getTime()) return -workingTimeBetween(to, from);
    const a = toLondon(from.getTime());
    const b = toLondon(to.getTime());
    const dayA = Math.floor(a / DAY);
    const dayB = Math.floor(b / DAY);
    if (dayA === dayB) return isWorking(dayA) ? b - a : 0;
    const first = isWorking(dayA) ? (dayA + 1) * DAY - a : 0;
    const last = isWorking(dayB) ? b - dayB * DAY : 0;
    const between = weekdaysIn(dayA, dayB - 1) - table.weekdayHolidaysIn(dayA, dayB - 1);
    return first + between * DAY + last;
  }

  const result = (at: number) => new Date(inRange(at, 'the result'));

  return {
    division: config.division,
    isWorkingDate: (date) => {
      const day = parseIsoDate(date);
      inRange(day * DAY, 'the date');
      return isWorking(day);
    },
    isWorkingDay: (at) => isWorking(Math.floor(toLondon(inRange(at.getTime(), 'the instant')) / DAY)),
    addWorkingHours: (from, hours) => addWorkingTime(from, hours * HOUR),
    addWorkingDays: (from, days) => addWorkingTime(from, days * DAY),
    addCalendarDays: (from, days) => result(fromLondon(toLondon(inRange(from.getTime(), 'the start')) + days * DAY)),
    endOfDay: (from, day) => {
      if (!Number.isInteger(day) || day < 1) throw new RangeError(`day must be a whole number ≥ 1, not ${day}`);
      return result(fromLondon((Math.floor(toLondon(inRange(from.getTime(), 'the start')) / DAY) + day) * DAY));
    },
    addElapsedHours: (from, hours) => result(inRange(from.getTime(), 'the start') + hours * HOUR),
    nextWorkingInstant: (at) => {
      const day = Math.floor(toLondon(inRange(at.getTime(), 'the instant')) / DAY);
      return isWorking(day) ? new Date(at.getTime()) : result(fromLondon(nextWorkingDay(day) * DAY));
    },
    workingTimeBetween,
    workingDaysBetween: (from, to) => workingTimeBetween(from, to) / DAY,
    holidays: (year) => table.holidaysOf(yearInRange(year)).map(isoDate),
  };
}

/** How many weekdays fall before `day` (from a Monday long ago): the inverse of weekdayAt. */
function weekdayIndex(day: number): number {
  const sinceMonday = day - MONDAY;
  const weeks = Math.floor(sinceMonday / 7);
  return weeks * 5 + Math.min(sinceMonday - weeks * 7, 5);
}

/** The day of the weekday with index n. */
function weekdayAt(n: number): number {
  const weeks = Math.floor(n / 5);
  return MONDAY + weeks * 7 + (n - weeks * 5);
}

/** The n-th weekday strictly after `day`. */
function nthWeekdayAfter(day: number, n: number): number {
  return weekdayAt(weekdayIndex(day + 1) + n - 1);
}

// 1969-12-29 was a Monday; any Monday serves as the origin.
const MONDAY = -3;
void weekday;
