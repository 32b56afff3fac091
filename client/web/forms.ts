import { z } from 'zod';
import { Category, Risk } from '../../policies/schema';
import { isRealIsoDate } from '../../policies/calendar/civil';
import { describeIssues } from '../../runtime/errors';

// Every form the pages post, and every query they read, parsed strictly: sizes capped, unknown
// fields refused (forms) or dropped (queries), each error naming the field.

const MAX_FIELDS = 60;

export class FormError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** application/x-www-form-urlencoded, keeping repeated fields (checkboxes) as arrays. */
export function parseFormBody(text: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = Object.create(null);
  let count = 0;
  for (const [key, value] of new URLSearchParams(text)) {
    if (++count > MAX_FIELDS) throw new FormError(`the form has more than ${MAX_FIELDS} fields`);
    const existing = fields[key];
    fields[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return fields;
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new FormError(describeIssues(parsed.error), parsed.error.issues[0]?.path.map(String).join('.') || undefined);
  return parsed.data;
}

const Csrf = z.string().max(100);
const Slug = z.string().regex(/^[a-z0-9-]{1,80}$/, 'expected an id such as rotherham-asc');
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);
// The calendar's years: a day or period outside them could not be turned into instants the pages query by.
const FIRST_YEAR = 2000;
const LAST_YEAR = 2099;
const IsoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine((day) => day >= `${FIRST_YEAR}-01-01` && day <= `${LAST_YEAR}-12-31`, `expected a date between ${FIRST_YEAR} and ${LAST_YEAR}`)
  .refine(isRealIsoDate, 'expected a real date (no 31 February)');
/** A year (2026), a quarter (2026-Q1) or custom, within the calendar's years. */
const Period = z
  .string()
  .regex(/^(\d{4}|\d{4}-Q[1-4]|custom)$/, 'expected a year (2026), a quarter (2026-Q1) or custom')
  .refine((period) => period === 'custom' || (Number(period.slice(0, 4)) >= FIRST_YEAR && Number(period.slice(0, 4)) <= LAST_YEAR), `expected a year between ${FIRST_YEAR} and ${LAST_YEAR}`);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

export const SignInForm = z.object({ csrf: Csrf, email: z.string().trim().max(254, 'at most 254 characters') }).strict();
/** `ended=lifetime`: sent here because the session reached its lifetime, which the page says. */
export const SignInQuery = z.object({ ended: optional(z.enum(['lifetime'])) }).strict();
export const CsrfOnly = z.object({ csrf: Csrf }).strict();
export const NoteForm = z.object({ csrf: Csrf, text: text(4000) }).strict();
export const ContactForm = z
  .object({ csrf: Csrf, agencyId: Slug, stage: z.coerce.number().int().min(1).max(9), name: text(200), email: z.email('expected an email address').max(254), reason: text(500) })
  .strict();
export const DecisionForm = z.object({ csrf: Csrf, stage: z.coerce.number().int().min(1).max(9), text: text(4000) }).strict();
export const RaiseForm = z
  .object({
    csrf: Csrf,
    formId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
    board: Slug,
    raising: Slug,
    agencies: z.preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(Slug).min(1, 'choose at least one other agency').max(20)),
    category: Category,
    risk: Risk,
    personReference: text(64).regex(/^[A-Za-z0-9][A-Za-z0-9 ./_-]*$/, "expected a case reference (letters, digits, - / . _), never a name"),
    summary: text(2000),
  })
  .strict();

const Page = z.coerce.number().int().min(1).max(100_000).catch(1);
export const LogQuery = z.object({
  board: optional(Slug),
  stage: optional(z.coerce.number().int().min(1).max(9)),
  agency: optional(Slug),
  status: z.preprocess((value) => (value === undefined || value === '' ? 'open' : value), z.enum(['open', 'resolved', 'unresolved', 'decided', 'withdrawn', 'all'])),
  category: optional(Category),
  from: optional(IsoDay),
  to: optional(IsoDay),
  page: Page.default(1),
});
export const ReportQuery = z.object({
  board: optional(Slug),
  period: optional(Period),
  from: optional(IsoDay),
  to: optional(IsoDay),
});
export const DisputeParams = z.object({ disputeId: z.string().regex(/^[a-z0-9-]{6,80}$/, 'expected a dispute id such as rsab-k3m9qz') });
export type ReportQueryInput = z.output<typeof ReportQuery>;
export const DoneQuery = z.object({ done: optional(z.enum(['note', 'contact', 'decision'])) });
