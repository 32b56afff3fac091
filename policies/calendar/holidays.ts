import { z } from 'zod';
import { civilDate, dayNumber, isWeekend, isoDate, parseIsoDate, weekday } from './civil';
import type { BankHolidaysFeed, HolidayChange } from './holiday-files';

export const Division = z.enum(['england-and-wales', 'scotland', 'northern-ireland']);
export type Division = z.infer<typeof Division>;

const ALL: Division[] = ['england-and-wales', 'scotland', 'northern-ireland'];

/** Royal and national one-offs since 1999, as proclaimed; operators add more by configuration. */
export const builtInChanges: HolidayChange[] = [
  { date: '1999-12-31', change: 'added', title: 'Millennium celebrations', divisions: ALL },
  { date: '2002-05-27', change: 'removed', title: 'Spring bank holiday moved to 4 June', divisions: ALL },
  { date: '2002-06-03', change: 'added', title: 'Golden Jubilee', divisions: ALL },
  { date: '2002-06-04', change: 'added', title: 'Spring bank holiday (moved)', divisions: ALL },
  { date: '2011-04-29', change: 'added', title: 'Royal wedding', divisions: ALL },
  { date: '2012-05-28', change: 'removed', title: 'Spring bank holiday moved to 4 June', divisions: ALL },
  { date: '2012-06-04', change: 'added', title: 'Spring bank holiday (moved)', divisions: ALL },
  { date: '2012-06-05', change: 'added', title: 'Diamond Jubilee', divisions: ALL },
  { date: '2020-05-04', change: 'removed', title: 'Early May bank holiday moved to 8 May (VE Day)', divisions: ALL },
  { date: '2020-05-08', change: 'added', title: 'Early May bank holiday (VE Day)', divisions: ALL },
  { date: '2022-05-30', change: 'removed', title: 'Spring bank holiday moved to 2 June', divisions: ALL },
  { date: '2022-06-02', change: 'added', title: 'Spring bank holiday (moved)', divisions: ALL },
  { date: '2022-06-03', change: 'added', title: 'Platinum Jubilee', divisions: ALL },
  { date: '2022-09-19', change: 'added', title: 'State Funeral of Queen Elizabeth II', divisions: ALL },
  { date: '2023-05-08', change: 'added', title: 'Coronation of King Charles III', divisions: ALL },
];

/** Easter Sunday (Gregorian; the anonymous algorithm, as in Meeus). */
export function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return dayNumber(year, month, day);
}

function firstMonday(year: number, month: number): number {
  const first = dayNumber(year, month, 1);
  return first + ((7 - weekday(first)) % 7);
}

function lastMonday(year: number, month: number): number {
  const last = dayNumber(year, month + 1, 1) - 1;
  return last - weekday(last);
}

/**
 * A year's bank holidays by rule. Fixed-date holidays that fall at a weekend are replaced by a
 * substitute: the next weekday not already a holiday (which gives Christmas, Boxing Day, New Year
 * and Scotland's 2 January their usual substitutes).
 */
export function ruleBasedHolidays(year: number, division: Division): number[] {
  const easter = easterSunday(year);
  const fixed = [dayNumber(year, 1, 1), dayNumber(year, 12, 25), dayNumber(year, 12, 26)];
  const movable = [easter - 2, firstMonday(year, 5), lastMonday(year, 5)];
  if (division === 'scotland') {
    fixed.push(dayNumber(year, 1, 2), dayNumber(year, 11, 30));
    movable.push(firstMonday(year, 8));
  } else {
    movable.push(easter + 1, lastMonday(year, 8));
  }
  if (division === 'northern-ireland') fixed.push(dayNumber(year, 3, 17), dayNumber(year, 7, 12));

  const taken = new Set<number>(movable);
  const atWeekend: number[] = [];
  for (const day of fixed.sort((a, b) => a - b)) {
    if (isWeekend(day) || taken.has(day)) atWeekend.push(day);
    else taken.add(day);
  }
  for (const day of atWeekend) {
    let substitute = day + 1;
    while (isWeekend(substitute) || taken.has(substitute)) substitute += 1;
    taken.add(substitute);
  }
  return [...taken].sort((a, b) => a - b);
}

export interface HolidaySource {
  division: Division;
  changes: HolidayChange[];
  feed?: BankHolidaysFeed | undefined;
}

/**
 * Bank holidays of one division, kept as one sorted array of day numbers so that counting the
 * holidays in any span is two binary searches, whatever its length.
 */
export class HolidayTable {
  private firstYear = 0;
  private lastYear = -1;
  private days: number[] = [];
  private readonly feedYears = new Map<number, number[]>();
  private readonly changesByYear = new Map<number, HolidayChange[]>();

  constructor(private readonly source: HolidaySource) {
    for (const change of source.changes) {
      if (!change.divisions.includes(source.division)) continue;
      const year = civilDate(parseIsoDate(change.date)).year;
      this.changesByYear.set(year, [...(this.changesByYear.get(year) ?? []), change]);
    }
    for (const event of source.feed?.[source.division]?.events ?? []) {
      const day = parseIsoDate(event.date);
      const year = civilDate(day).year;
      this.feedYears.set(year, [...(this.feedYears.get(year) ?? []), day]);
    }
  }

  /** Every holiday of a year, sorted: the feed's dates where it covers the year, else rules and changes. */
  holidaysOf(year: number): number[] {
    const fromFeed = this.feedYears.get(year);
    if (fromFeed) return [...new Set(fromFeed)].sort((a, b) => a - b);
    const days = new Set(ruleBasedHolidays(year, this.source.division));
    for (const change of this.changesByYear.get(year) ?? []) {
      const day = parseIsoDate(change.date);
      if (change.change === 'added') days.add(day);
      else days.delete(day);
    }
    return [...days].sort((a, b) => a - b);
  }

  isHoliday(day: number): boolean {
    this.cover(day, day);
    const index = upperBound(this.days, day) - 1;
    return index >= 0 && this.days[index] === day;
  }

  /** How many weekday holidays fall in the day numbers (from, to]. */
  weekdayHolidaysIn(from: number, to: number): number {
    if (to <= from) return 0;
    this.cover(from, to);
    return upperBound(this.days, to) - upperBound(this.days, from);
  }

  private cover(from: number, to: number): void {
    const first = civilDate(from).year;
    const last = civilDate(to).year;
    if (this.lastYear >= this.firstYear && first >= this.firstYear && last <= this.lastYear) return;
    const start = this.lastYear >= this.firstYear ? Math.min(first, this.firstYear) : first;
    const end = Math.max(last, this.lastYear);
    const days: number[] = [];
    for (let year = start; year <= end; year += 1) {
      for (const day of this.holidaysOf(year)) if (!isWeekend(day)) days.push(day);
    }
    this.days = days;
    this.firstYear = start;
    this.lastYear = end;
  }
}

/** Index of the first element greater than value. */
function upperBound(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

export { isoDate };
