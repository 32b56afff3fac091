import { z } from 'zod';
import type { DisputeEvent, DisputeRecord, DisputeView } from '../../workflows/dispute/model';

// The contract between the workflow and the records activity. Plain data: it goes into history,
// so a write carries only the events since the last one, and the dispute's row as it now stands.

export interface RecordRow {
  /** The dispute as the workflow's query shows it, less the events. */
  view: Omit<DisputeView, 'events'>;
  summary: string;
  startedAt: string;
  closedAt: string | null;
  timeTaken: { workingDays: number; calendarDays: number } | null;
  agreedActions: string | null;
  form: { name: string; reference: string; fields: { id: string; label: string; value: string }[] } | null;
  /** Where the board decided, its outcome as the policy names it (absent from writes made before it was carried). */
  boardOutcome?: DisputeRecord['boardOutcome'] | null;
}

export interface RecordWrite {
  row: RecordRow;
  /** The sequence number of the last event the row reflects. */
  lastSeq: number;
  /** Events not yet handed to a write, in order. */
  events: DisputeEvent[];
}

// The activity parses what it is given before anything is stored: a write that does not parse is
// refused whole (and not retried), never half-applied.
const Iso = z.iso.datetime({ offset: true });
const Text = z.string().max(20_000);
const Id = z.string().regex(/^[a-z0-9-]{1,80}$/);

// A form as an email carried it: its notes and evidence may run to the dispute's whole notes (200,000 characters).
const SentForm = z.strictObject({
  name: Text,
  fields: z.array(z.strictObject({ id: z.string().max(80).optional(), label: Text, value: z.string().max(450_000) })).max(100),
});

const Event = z
  .object({
    seq: z.number().int().min(1),
    at: Iso,
    stage: z.number().int().min(1).max(9),
    type: z.string().regex(/^[a-z-]{1,40}$/),
    by: z.string().max(320).optional(),
  })
  .catchall(z.unknown())
  // The form is checked here rather than in the shape, so the event's keys keep the order the workflow gave them.
  .superRefine(({ form, ...event }, context) => {
    if (JSON.stringify(event).length > 40_000) context.addIssue({ code: 'custom', message: 'an event is larger than 40 kB' });
    if (form === undefined) return;
    const parsed = SentForm.safeParse(form);
    if (!parsed.success) for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', path: ['form', ...issue.path], message: issue.message });
    else if (JSON.stringify(form).length > 1_000_000) context.addIssue({ code: 'custom', path: ['form'], message: 'a form is larger than 1 MB' });
  });

const Contact = z.object({ name: Text, email: z.string().max(320) }).catchall(z.unknown());

export const RecordWriteSchema = z.object({
  lastSeq: z.number().int().min(0),
  events: z.array(Event).max(10_000),
  row: z.object({
    view: z.object({
      disputeId: Id,
      policy: z.object({ id: Id, version: z.number().int().min(1) }),
      board: Id,
      personReference: z.string().min(1).max(64),
      status: z.enum(['open', 'resolved', 'unresolved', 'decided', 'withdrawn']),
      stage: z.number().int().min(1).max(9),
      tier: z.string().max(200),
      risk: z.enum(['standard', 'high', 'imminent']),
      category: z.string().max(80),
      concernAt: Iso,
      enteredStageAt: Iso,
      deadlines: z.object({ startBy: Iso.nullable(), concludeBy: Iso.nullable(), escalateAt: Iso.nullable(), remindAt: Iso.nullable() }),
      awaiting: z.array(z.object({ agencyId: Id, agency: Text, contacts: z.array(Contact) })).max(50),
      agencies: z.array(z.object({ id: Id, name: Text, raising: z.boolean(), people: z.array(z.string().max(320)).max(500) })).min(1).max(50),
    }),
    summary: z.string().min(1).max(2000),
    startedAt: Iso,
    closedAt: Iso.nullable(),
    timeTaken: z.object({ workingDays: z.number(), calendarDays: z.number() }).nullable(),
    agreedActions: Text.nullable(),
    form: z.object({ name: Text, reference: Text, fields: z.array(z.object({ id: z.string(), label: Text, value: Text })).max(100) }).nullable(),
    boardOutcome: z.strictObject({ name: z.string().min(1).max(200), effect: z.enum(['binding', 'final', 'recommendation', 'unstated']) }).nullable().optional(),
  }),
});
