import { z } from 'zod';
import { fromLondon, isRealIsoDate } from '../../policies/calendar/civil';

const withOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const londonWall = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * An ISO-8601 instant. With `Z` or an offset it is exact; without one it is read as London time,
 * which is how people in the boards say when a concern arose.
 */
export const Instant = z.string().transform((text, context) => {
  if (withOffset.test(text) && isRealIsoDate(text.slice(0, 10))) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  const wall = londonWall.exec(text);
  if (wall && isRealIsoDate(text.slice(0, 10))) {
    const [year, month, day, hour, minute, second] = wall.slice(1).map((part) => Number(part ?? 0)) as number[];
    const ms = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
    const check = new Date(ms);
    if (check.getUTCMonth() === month! - 1 && check.getUTCDate() === day! && hour! < 24 && minute! < 60) {
      return new Date(fromLondon(ms));
    }
  }
  context.addIssue({ code: 'custom', message: `'${text}' is not an ISO-8601 instant such as 2026-03-27T10:30:00Z` });
  return z.NEVER;
});

