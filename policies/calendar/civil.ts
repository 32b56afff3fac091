// Civil dates as integer day numbers (days since 1970-01-01) and London's UK offset, computed by
// rule, so that nothing depends on the machine's time zone or ICU data. Safe in workflow code.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface CivilDate {
  year: number;
  month: number; // 1–12
  day: number; // 1–31
}

/** Day number of a civil date (proleptic Gregorian); H. Hinnant's days_from_civil. */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day number; H. Hinnant's civil_from_days. */
export function civilDate(dayNo: number): CivilDate {
  const z = dayNo + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 0 = Monday … 6 = Sunday. Day 0 (1970-01-01) was a Thursday. */
export function weekday(dayNo: number): number {
  return (((dayNo + 3) % 7) + 7) % 7;
}

export function isWeekend(dayNo: number): boolean {
  return weekday(dayNo) >= 5;
}

export function isoDate(dayNo: number): string {
  const { year, month, day } = civilDate(dayNo);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function parseIsoDate(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new RangeError(`'${text}' is not a date in the form YYYY-MM-DD`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const dayNo = dayNumber(year, month, day);
  const back = civilDate(dayNo);
  if (back.month !== month || back.day !== day) throw new RangeError(`'${text}' is not a real date`);
  return dayNo;
}

/** Whether the text is a date that exists (V8 reads 2026-02-30 as 2 March; a person who typed it made a mistake). */
export function isRealIsoDate(text: string): boolean {
  try {
    parseIsoDate(text);
    return true;
  } catch {
    return false;
  }
}

/** The last Sunday of a month, as a day number. */
function lastSunday(year: number, month: number): number {
  const last = dayNumber(year, month + 1, 1) - 1;
  return last - ((weekday(last) + 1) % 7);
}

/**
 * London's offset from UTC at an instant: British Summer Time (UTC+1) from 01:00 UTC on the last
 * Sunday of March to 01:00 UTC on the last Sunday of October (the rule since 1996).
 */
export function londonOffset(instantMs: number): number {
  const { year } = civilDate(Math.floor(instantMs / DAY));
  const bstStart = lastSunday(year, 3) * DAY + HOUR;
  const bstEnd = lastSunday(year, 10) * DAY + HOUR;
  return instantMs >= bstStart && instantMs < bstEnd ? HOUR : 0;
}

/** London wall-clock time, as milliseconds since 1970-01-01T00:00 on London's clock. */
export function toLondon(instantMs: number): number {
  return instantMs + londonOffset(instantMs);
}

/**
 * The instant a London wall-clock time names. In the repeated autumn hour the earlier (BST)
 * instant is taken; a time in the skipped spring hour is read with GMT, i.e. moved an hour on.
 */
export function fromLondon(wallMs: number): number {
  const asBst = wallMs - HOUR;
  if (londonOffset(asBst) === HOUR) return asBst;
  return wallMs;
}
