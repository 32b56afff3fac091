import { z } from 'zod';
import { CALENDAR_RANGE, type CalendarConfig } from '../../policies/calendar/calendar';
import { Agency } from '../../policies/directory-schema';
import { Category, Contact, Policy, Risk } from '../../policies/schema';

// The dispute's data: what starts it, what may be sent to it, what it records. Clients parse with
// these schemas before they call; the workflow parses again, so a bad message never changes it.

const IsoInstant = z.iso.datetime({ offset: true });
// One schema per cap, shared by every field with that cap. Every cached dispute's workflow builds
// this module's schemas when it loads (README, "What one cached dispute holds"): a text field
// built anew was four zod instances each time.
const texts = new Map<number, z.ZodString>();
const Text = (max: number): z.ZodString => {
  let text = texts.get(max);
  if (!text) texts.set(max, (text = z.string().trim().min(1).max(max)));
  return text;
};

/** An agency that is party to the dispute, with the practitioner who deals with it at stage 1. */
export const Party = z.object({
  agency: Agency,
  practitioner: Contact,
});
export type Party = z.infer<typeof Party>;

export const DisputeStart = z.object({
  /** Readable, no personal data: board and a short id. Also the workflow ID. */
  disputeId: z.string().regex(/^[a-z0-9-]{6,80}$/, 'expected a lower-case id of letters, digits and dashes'),
  policy: Policy,
  calendar: z.custom<CalendarConfig>((value) => typeof value === 'object' && value !== null && 'division' in value, 'expected a calendar config'),
  /** The board's officers, with the contacts this deployment uses. */
  officers: z.record(z.string(), Contact),
  /** Bounded by the calendar's range: the boundary's tighter limits (skew, the policy's oldest concern) need a clock, which a replay must not read. */
  concernAt: IsoInstant.refine(
    (instant) => Date.parse(instant) >= CALENDAR_RANGE.from && Date.parse(instant) < CALENDAR_RANGE.to,
    'expected an instant from 2000-01-01 to 2100-01-01',
  ),
  category: Category,
  risk: Risk,
  /** Raising agency first; at least one other. */
  parties: z.array(Party).min(2),
  /** Pseudonymous reference for the adult, e.g. a case-system id; never a name. */
  personReference: Text(64),
  summary: Text(2000),
  startStage: z.number().int().min(1).optional(),
  /** CWAC stage 2: the lead of the adult's existing safeguarding plan, if there is one. */
  safeguardingPlanLead: Contact.optional(),
});
export type DisputeStart = z.infer<typeof DisputeStart>;
export type DisputeStartInput = z.input<typeof DisputeStart>;

export const Decision = z.enum(['resolved', 'unresolved', 'decided']);
export type Decision = z.infer<typeof Decision>;

// What may be sent to a dispute. Strict: a field the schema does not name is refused, never carried
// into the workflow's history (an unknown field of any size would otherwise be stored with it).
// Every text is capped, and so is what a dispute's notes may add up to.

const By = z.email().max(254).transform((email) => email.toLowerCase());
const Stage = z.number().int().min(1).max(20);

/** What a dispute's notes may add up to: beyond it a note is refused, so its history stays small. */
export const noteLimits = { count: 200, totalChars: 200_000 } as const;

/**
 * What one agency's people may add to a dispute's notes, and the board's officers together: so one
 * party never fills `noteLimits` and leaves the others none. Far above honest use (50 is a note every
 * working day of a ten-week dispute; 50,000 characters some 8,000 words); three agencies and the
 * board fit within the total, so in nearly every dispute nobody within its share meets the total.
 */
export const noteShare = { count: 50, totalChars: 50_000 } as const;

/** One organisation's own decision and rationale, where a stage that closes the dispute asks for each (Leeds stage 3). */
export const OrganisationDecision = z.strictObject({ agencyId: z.string().min(1).max(80), decision: Text(2000), rationale: Text(4000) });
export type OrganisationDecision = z.infer<typeof OrganisationDecision>;

/** An organisation's own decision and rationale, recorded by its stage-3 senior leader or safeguarding lead (Leeds stage 3). */
export const RationaleInput = z.strictObject({ by: By, decision: Text(2000), rationale: Text(4000) });
export type RationaleInput = z.infer<typeof RationaleInput>;

export const OutcomeInput = z
  .strictObject({
    stage: Stage,
    decision: Decision,
    by: By,
    agreedActions: Text(4000).optional(),
    reason: Text(4000).optional(),
    safetyMeasuresConfirmed: z.boolean().optional(),
    /** When escalating: an earlier date by which the next stage should conclude. */
    reviewBy: IsoInstant.optional(),
    // The written record every decision carries (Rotherham, Norfolk 4.1, North Somerset, Leeds).
    rationale: Text(4000).optional(),
    /** Outstanding issues, and how they will be pursued. */
    outstandingIssues: Text(4000).optional(),
    nextSteps: Text(4000).optional(),
    /** The timescale of the next steps. */
    nextStepsBy: z.iso.date().optional(),
    organisations: z.array(OrganisationDecision).max(20).optional(),
  })
  .superRefine((input, context) => {
    if (input.decision !== 'unresolved' && !input.agreedActions) {
      context.addIssue({ code: 'custom', path: ['agreedActions'], message: `a '${input.decision}' decision needs the agreed actions` });
    }
    if (input.decision === 'unresolved' && !input.reason) {
      context.addIssue({ code: 'custom', path: ['reason'], message: "an 'unresolved' decision needs the reason" });
    }
  });
export type OutcomeInput = z.infer<typeof OutcomeInput>;

export const RaiseRiskInput = z.strictObject({ risk: z.enum(['high', 'imminent']), by: By, reason: Text(2000) });
export type RaiseRiskInput = z.infer<typeof RaiseRiskInput>;

export const WithdrawInput = z.strictObject({ by: By, reason: Text(2000) });
export type WithdrawInput = z.infer<typeof WithdrawInput>;

/** A contact named in a message: the directory's Contact, strict and capped. */
export const NewContact = z.strictObject({
  name: Text(200),
  email: z.email().max(254),
  title: Text(200).optional(),
});

export const ChangeContactInput = z.strictObject({
  agencyId: z.string().min(1).max(80),
  stage: Stage,
  contacts: z.array(NewContact).min(1).max(10),
  by: By,
  reason: Text(500),
});
export type ChangeContactInput = z.infer<typeof ChangeContactInput>;

export const NoteInput = z.strictObject({ by: By, text: Text(4000) });
export type NoteInput = z.infer<typeof NoteInput>;

/** A party's written representation to the board at the last stage. */
export const RepresentationInput = z.strictObject({ by: By, text: Text(8000) });
export type RepresentationInput = z.infer<typeof RepresentationInput>;

/** How the last stage is convened: the panel's members, or (North Somerset) the route the board representative chooses. */
export const ConveneInput = z
  .strictObject({
    by: By,
    route: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/, 'expected a route such as "panel" or "mediation"').optional(),
    members: z.array(NewContact).min(1).max(12).optional(),
    note: Text(2000).optional(),
  })
  .refine((input) => input.route !== undefined || input.members !== undefined, { message: 'give the route, the panel members, or both', path: ['members'] });
export type ConveneInput = z.infer<typeof ConveneInput>;

/**
 * The answer to a form's question asked after closing (North Somerset: how effective the procedure
 * was), from the person it was asked of. `choice` must be one the policy offers (checked by the dispute).
 */
export const AnswerInput = z.strictObject({
  by: By,
  /** The form field answered, e.g. "effectiveness". */
  field: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'expected a field id such as "effectiveness"'),
  choice: Text(80),
  comment: Text(2000).optional(),
});
export type AnswerInput = z.infer<typeof AnswerInput>;

/** The written record a decision carries. */
export interface WrittenRecord {
  rationale?: string;
  outstandingIssues?: string;
  nextSteps?: string;
  nextStepsBy?: string;
  organisations?: OrganisationDecision[];
}

export type Status = 'open' | 'resolved' | 'unresolved' | 'decided' | 'withdrawn';
export type Outcome = Exclude<Status, 'open'>;
/** How a workflow ended that did not close by the procedure (terminated by an operator or by Temporal's limits): shown as such, never as open. */
export type Ended = 'terminated' | 'failed' | 'timed-out' | 'cancelled';

export type EmailKind =
  | 'stage-entered'
  | 'escalated'
  | 'officer-notice'
  | 'reminder'
  | 'overdue'
  | 'resolved'
  | 'decided'
  | 'closed-unresolved'
  | 'withdrawn'
  | 'immediate-harm'
  | 'confirmation'
  | 'record'
  | 'representation'
  | 'convened'
  | 'debrief'
  /** A closed dispute's form asks someone a question (North Somerset's effectiveness), by a link. */
  | 'question'
  /** Leeds stage 3: an organisation is asked (and chased) for its decision and rationale before the dispute closes. */
  | 'rationale';

/** A form as an email carried it (the board's record form, a written account, the dispute's details). */
export interface SentForm {
  name: string;
  fields: { id?: string; label: string; value: string }[];
}

export type DisputeEvent = { seq: number; at: string; stage: number; by?: string } & (
  | { type: 'started'; risk: Risk; category: Category }
  | { type: 'stage-entered'; reason: 'started' | 'unresolved' | 'deadline' | 'imminent-risk'; deadline: string | null }
  | { type: 'reminder'; deadline: string }
  | { type: 'overdue'; concludeBy: string; notice: number }
  /** Disputes started before `email-queued` existed: the email was scheduled (not necessarily sent). */
  | { type: 'email'; kind: EmailKind; to: string[] }
  /** `heldUntil`: an email that asks for something, waiting for office hours. */
  | { type: 'email-queued'; kind: EmailKind; to: string[]; heldUntil?: string; form?: SentForm }
  | { type: 'email-sent'; kind: EmailKind; to: string[] }
  /** An email held for office hours whose question had been answered (the stage ended) before it could go. */
  | { type: 'email-cancelled'; kind: EmailKind; to: string[]; reason: string }
  | { type: 'email-rejected'; kind: EmailKind; to: string; reason: string }
  | { type: 'email-failed'; kind: EmailKind; to: string[]; reason: string }
  | { type: 'outcome'; decision: Decision; agreedActions?: string; reason?: string; record?: WrittenRecord }
  | { type: 'representation'; agencyId: string; text: string }
  | { type: 'convened'; route?: string; members?: string[]; note?: string }
  | { type: 'risk-raised'; from: Risk; risk: Risk; reason: string; effect: string }
  | { type: 'contact-changed'; agencyId: string; contacts: string[]; reason: string }
  | { type: 'note'; text: string }
  | { type: 'rejected'; operation: string; reason: string }
  | { type: 'withdrawn'; reason: string }
  | { type: 'closed'; outcome: Outcome }
  /** After closing: a form's question asked of someone (`to`), answered by `until` or the form goes without it. */
  | { type: 'question-asked'; field: string; to: string; until: string }
  | { type: 'question-answered'; field: string; choice: string; comment?: string }
  | { type: 'question-unanswered'; field: string }
  /** An organisation's own decision and rationale (Leeds stage 3). */
  | { type: 'organisation-decision'; agencyId: string; decision: string; rationale: string }
  /** The stage ended unresolved with no further stage: the close waits until `until` for these organisations' decisions and rationales. */
  | { type: 'closing-held'; awaiting: string[]; until: string }
);
export type DisputeEventType = DisputeEvent['type'];

/** What the query returns: the dispute as it stands. */
export interface DisputeView {
  disputeId: string;
  policy: { id: string; version: number };
  board: string;
  personReference: string;
  status: Status | Ended;
  /** Why it ended so, for an `Ended` status. */
  statusReason?: string;
  stage: number;
  tier: string;
  risk: Risk;
  category: Category;
  concernAt: string;
  enteredStageAt: string;
  deadlines: { startBy: string | null; concludeBy: string | null; escalateAt: string | null; remindAt: string | null };
  awaiting: { agencyId: string; agency: string; contacts: Contact[] }[];
  agencies: { id: string; name: string; raising: boolean; people: string[] }[];
  events: DisputeEvent[];
}

/** The dispute's record, returned when it closes: what the boards' forms ask for. */
export interface DisputeRecord {
  disputeId: string;
  policy: { id: string; version: number };
  board: string;
  personReference: string;
  outcome: Outcome;
  endedAtStage: number;
  concernAt: string;
  closedAt: string;
  timeTaken: { workingDays: number; calendarDays: number };
  agreedActions: string | null;
  decisions: { stage: number; decision: Decision; by: string; at: string; text: string; record?: WrittenRecord }[];
  /** The last stage's outcome as the policy names it ("decision", "recommendation") and whether it binds. */
  boardOutcome?: { name: string; effect: 'binding' | 'final' | 'recommendation' | 'unstated' };
  representations?: { agencyId: string; by: string; at: string; text: string }[];
  panel?: { route: string | null; members: string[] };
  form: { name: string; reference: string; fields: { id: string; label: string; value: string }[] } | null;
  /** Each organisation's own decision and rationale, where the closing stage asks for them (Leeds stage 3); `askedOn` for one that gave none. */
  organisations?: { agencyId: string; decision?: string; rationale?: string; by?: string; at?: string; askedOn?: string[] }[];
  events: DisputeEvent[];
}
