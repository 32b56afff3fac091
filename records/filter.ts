import { z } from 'zod';
import { fromLondon } from '../policies/calendar/civil';
import { Category, Risk } from '../policies/schema';

// The list filters, as the API's query string and the CLI's flags give them: strings in, checked
// values out, every refusal naming its field.

const Id = (example: string) => z.string().regex(/^[a-z0-9-]{1,80}$/, `expected an id such as ${example}`);

const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);
const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * An instant (ISO 8601 with an offset) or a date (London midnight starting it). As the end of a
 * range a date includes its whole day. Bounded to 2000–2099, so nothing absurd reaches a query.
 */
const Bound = (end: boolean) =>
  z.string().max(40).transform((text, context) => {
    const date = dateOnly.exec(text);
    let ms = Number.NaN;
    if (date) {
      const [year, month, day] = date.slice(1).map(Number) as [number, number, number];
      const wall = Date.UTC(year, month - 1, day + (end ? 1 : 0));
      const check = new Date(Date.UTC(year, month - 1, day));
      if (check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day) ms = fromLondon(wall);
    } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
      ms = Date.parse(text);
    }
    if (Number.isNaN(ms)) {
      context.addIssue({ code: 'custom', message: 'expected a date (2026-04-01) or an instant with an offset (2026-04-01T10:30:00Z)' });
      return z.NEVER;
    }
    if (ms < EARLIEST || ms > LATEST) {
      context.addIssue({ code: 'custom', message: 'expected a date between 2000 and 2099' });
      return z.NEVER;
    }
    return new Date(ms);
  });
export const RangeStart = Bound(false);
export const RangeEnd = Bound(true);

export const ListFilter = z
  .object({
    board: Id('rotherham-rsab').optional(),
    agency: Id('rotherham-asc').optional(),
    // The last four: a workflow ended outside the procedure (the store lists none of them; Temporal visibility does).
    status: z.enum(['open', 'resolved', 'unresolved', 'decided', 'withdrawn', 'terminated', 'failed', 'timed-out', 'cancelled']).optional(),
    stage: z.coerce.number().int().min(1).max(9).optional(),
    outcome: z.enum(['resolved', 'unresolved', 'decided', 'withdrawn']).optional(),
    category: Category.optional(),
    risk: Risk.optional(),
    overdue: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
    startedFrom: RangeStart.optional(),
    startedTo: RangeEnd.optional(),
    closedFrom: RangeStart.optional(),
    closedTo: RangeEnd.optional(),
    /** Page size. */
    limit: z.coerce.number().int().min(1).max(500).default(100),
    /** From 1. */
    page: z.coerce.number().int().min(1).max(100_000).default(1),
  })
  .superRefine((filter, context) => {
    for (const [from, to] of [['startedFrom', 'startedTo'], ['closedFrom', 'closedTo']] as const) {
      const start = filter[from];
      const end = filter[to];
      if (start && end && end <= start) context.addIssue({ code: 'custom', path: [to], message: `the range runs backwards: ${to} must be after ${from}` });
    }
  });
export type ListFilter = z.output<typeof ListFilter>;
