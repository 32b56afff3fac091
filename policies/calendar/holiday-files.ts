import { z } from 'zod';
import { parseIsoDate } from './civil';
import { Division } from './holidays';

// The holiday files an operator maintains, as read at start (policies/calendar/sources.ts). Kept
// apart from the holiday rules: workflow code imports the rules, and every schema a module builds
// is built again for each workflow the worker loads (one module scope per workflow), so schemas
// only the loader needs stay out of the workflow's modules.

const IsoDate = z.string().refine(
  (text) => {
    try {
      parseIsoDate(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a real date as YYYY-MM-DD' },
);

/** A one-off change to the rule-based holidays: a holiday added (a jubilee) or removed (a moved one). */
export const HolidayChange = z.object({
  date: IsoDate,
  change: z.enum(['added', 'removed']),
  title: z.string().min(1),
  divisions: z.array(Division).min(1).default(['england-and-wales', 'scotland', 'northern-ireland']),
});
export type HolidayChange = z.infer<typeof HolidayChange>;
export type HolidayChangeInput = z.input<typeof HolidayChange>;

/** The UK government's bank-holidays feed: one entry per division, each with its events. */
export const BankHolidaysFeed = z.partialRecord(
  Division,
  z.object({
    division: Division,
    events: z.array(z.object({ title: z.string(), date: IsoDate, notes: z.string().optional(), bunting: z.boolean().optional() })),
  }),
);
export type BankHolidaysFeed = z.infer<typeof BankHolidaysFeed>;

