import type { Calendar } from '../../policies/calendar';
import { DAY, MINUTE } from '../../policies/calendar';
import { fromLondon, toLondon } from '../../policies/calendar/civil';
import type { OfficeHours } from '../../policies/schema';

// Emails that ask a person for something go out in office hours: a reminder due at 22:30 waits for
// 09:00 on the next working day. Only the email waits; the deadline it speaks of never moves.

export const defaultOfficeHours: OfficeHours = { start: '09:00', end: '17:00' };

function minutes(time: string): number {
  const [hours, mins] = time.split(':').map(Number);
  return hours! * 60 + mins!;
}

/**
 * When an email that asks for something may go out: null if `now` is within office hours on a
 * working day (London time), or the policy sends at any time; otherwise the opening of the next
 * office day.
 */
export function officeHoursStart(calendar: Calendar, hours: OfficeHours | undefined, now: number): number | null {
  const chosen = hours ?? defaultOfficeHours;
  if (chosen === 'any-time') return null;
  const { start, end } = chosen;
  const open = minutes(start);
  const close = minutes(end);
  const wall = toLondon(now);
  const day = Math.floor(wall / DAY);
  const minute = Math.floor((wall - day * DAY) / MINUTE);
  const working = calendar.isWorkingDay(new Date(now));
  if (working && minute >= open && minute < close) return null;
  const openingDay = working && minute < open ? day : Math.floor(toLondon(calendar.nextWorkingInstant(new Date(fromLondon((day + 1) * DAY))).getTime()) / DAY);
  return fromLondon(openingDay * DAY + open * MINUTE);
}
