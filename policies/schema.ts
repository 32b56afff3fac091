import { z } from 'zod';
import { Division } from './calendar/holidays';

// A board's procedure as data. The schema is the type: `Policy` below is inferred from it, and a
// policy file is parsed with it before anything reads it. Every object is strict: a stray key (a
// typo, or a YAML flow map cut at a comma) fails the file instead of being dropped.
// Fields added after the first disputes ran are optional: running disputes hold a snapshot of
// their policy without them, and keep the rules they started with.

// Sub-schemas used many times are built once and shared (a schema is immutable): the workflow's
// modules, this one among them, are evaluated again for every dispute a worker loads, so each
// schema built here is CPU spent per dispute.
const NonEmpty = z.string().min(1);
const Positive = z.number().positive();
const WholeFrom1 = z.number().int().min(1);

export const Slug = z.string().regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'expected a lower-case id like "board-manager"');

export const Risk = z.enum(['standard', 'high', 'imminent']);
export type Risk = z.infer<typeof Risk>;

export const Category = z.enum(['abuse', 'neglect', 'self-neglect', 'other']);
export type Category = z.infer<typeof Category>;

export const Tier = z.enum(['practitioner', 'line-manager', 'senior-manager', 'board']);
export type Tier = z.infer<typeof Tier>;

export const Contact = z.strictObject({
  name: NonEmpty,
  email: z.email(),
  title: NonEmpty.optional(),
});
export type Contact = z.infer<typeof Contact>;

/** Where a policy's words come from: a section number or a short quotation of the document. */
const Cite = z.string().min(3, 'cite the clause this encodes');

/** A number of units, the same for every risk level or one per level. */
export const Amount = z.union([
  Positive,
  z.strictObject({ standard: Positive, high: Positive, imminent: Positive }),
]);
export type Amount = z.infer<typeof Amount>;

/** What a deadline is measured from: the concern being raised (cumulative) or entering the stage. */
export const From = z.enum(['concern', 'stage-entry']);
export type From = z.infer<typeof From>;

export const DeadlineRule = z.discriminatedUnion('unit', [
  z.strictObject({ unit: z.literal('working-hours'), amount: Amount, from: From }),
  z.strictObject({ unit: z.literal('working-days'), amount: Amount, from: From }),
  z.strictObject({ unit: z.literal('calendar-days'), amount: Amount, from: From }),
  z.strictObject({ unit: z.literal('elapsed-hours'), amount: Amount, from: From }),
  /** "By day N": the end of day N, counting the day it is measured from as day 1. */
  z.strictObject({ unit: z.literal('end-of-day'), day: WholeFrom1, from: From }),
]);
export type DeadlineRule = z.infer<typeof DeadlineRule>;

export const Reminder = z.discriminatedUnion('kind', [
  /** When this fraction of the stage's time (measured in the deadline's own unit) has passed. */
  z.strictObject({ kind: z.literal('fraction'), fraction: z.number().gt(0).lt(1), text: NonEmpty.optional() }),
  /** At a fixed time, e.g. 24 hours after the concern; `text` says why, in the document's terms. */
  z.strictObject({ kind: z.literal('after'), rule: DeadlineRule, text: NonEmpty.optional() }),
  z.strictObject({ kind: z.literal('none') }),
]);
export type Reminder = z.infer<typeof Reminder>;

export const AgencyRole = z.enum(['designated-safeguarding-lead', 'board-representative']);
export type AgencyRole = z.infer<typeof AgencyRole>;

/** Who a notice goes to, besides the current tier (who always hears of their own stage). */
export const Recipient = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('officer'), officer: Slug }),
  z.strictObject({ kind: z.literal('agency-role'), role: AgencyRole, agencies: z.enum(['raising', 'all']) }),
  /** The lead responsible for the adult's existing safeguarding plan, when the dispute names one. */
  z.strictObject({ kind: z.literal('safeguarding-plan-lead') }),
  /** The people of a stage's tier in every agency (e.g. the line managers, told at stage 1). */
  z.strictObject({ kind: z.literal('tier'), stage: WholeFrom1 }),
  /** Everyone of the agencies involved so far: for records kept "in all agencies". */
  z.strictObject({ kind: z.literal('parties') }),
]);
export type Recipient = z.infer<typeof Recipient>;

/** What a notice carries: the board's form, the dispute's details, or the written account of the dispute and every attempt to resolve it. */
export const Attachment = z.enum(['record', 'dispute-details', 'written-account']);

export const Notice = z.strictObject({
  to: Recipient,
  /** Why they are told, in the board's words; it opens the email. */
  purpose: NonEmpty,
  attach: Attachment.optional(),
  cite: Cite,
});
export type Notice = z.infer<typeof Notice>;

export const Gate = z.strictObject({
  /** The stage is entered only for these categories… */
  categories: z.array(Category).min(1),
  /** …otherwise an unresolved previous stage closes the dispute as unresolved. */
  otherwise: z.literal('close-unresolved'),
  cite: Cite,
});

export const Stage = z.strictObject({
  stage: WholeFrom1.max(9),
  tier: Tier,
  title: NonEmpty,
  who: NonEmpty,
  /** The latest start; where the next stage has one, the dispute escalates then rather than at concludeBy. */
  startBy: DeadlineRule.optional(),
  /** When the stage should be concluded: the earliest of these. */
  concludeBy: z.array(DeadlineRule).min(1).optional(),
  reminder: Reminder.optional(),
  onEnter: z.array(Notice).default([]),
  onResolved: z.array(Notice).default([]),
  gate: Gate.optional(),
  /** What a resolution at this stage must confirm, besides the agreed actions. */
  resolutionConfirms: z.array(z.enum(['safety-measures'])).default([]),
  /** Who acts for each agency at this stage: the directory's tier, or each agency's board representative. */
  contacts: z.enum(['tier', 'board-representative']).optional(),
  /** Where an unresolved stage closes the dispute: each organisation's decision and rationale must be recorded first. */
  closingRecord: z
    .strictObject({
      perOrganisation: z.literal(true),
      /**
       * How long the close waits for the organisations that have not recorded theirs, each chased
       * every working day (in office hours); after it the dispute closes saying who gave none, when
       * they were asked, and their board representatives are told.
       */
      awaitFor: z.strictObject({ unit: z.literal('working-days'), amount: WholeFrom1.max(30) }).optional(),
      cite: Cite,
    })
    .optional(),
  cite: Cite,
});
export type Stage = z.infer<typeof Stage>;

export const ImminentRisk = z.strictObject({
  action: z.discriminatedUnion('kind', [
    /** Go straight to a stage (if the dispute is below it). */
    z.strictObject({ kind: z.literal('jump-to-stage'), stage: z.number().int().min(2) }),
    /** Escalate to the next stage at once. */
    z.strictObject({ kind: z.literal('next-stage') }),
    /** Stay, and tell these people at once. */
    z.strictObject({ kind: z.literal('notify'), to: z.array(Recipient).min(1), purpose: NonEmpty }),
    /** Shorten the current and later stages to the imminent allowance of their per-stage deadlines. */
    z.strictObject({ kind: z.literal('shorten') }),
  ]),
  /** Whether the raiser may choose the stage a dispute with imminent risk starts at. */
  chooseStartStage: z.boolean().default(false),
  cite: Cite,
});

/**
 * A form field only a person can answer, asked of them by a link once the dispute has closed
 * (North Somerset: the raising practitioner says how effective the procedure was). The completed
 * form waits for the answer, at most `within`.
 */
export const AskedField = z.strictObject({
  of: z.literal('raising-practitioner'),
  /** The answers offered; a short comment may go with the choice. */
  choices: z.array(NonEmpty.max(80)).min(2).max(8),
  within: z.strictObject({ unit: z.literal('working-days'), amount: WholeFrom1.max(30) }),
  cite: Cite,
});
export type AskedField = z.infer<typeof AskedField>;

export const RecordForm = z.strictObject({
  name: NonEmpty,
  reference: NonEmpty,
  /** The stages at which the form is kept and sent. */
  stages: z.array(WholeFrom1).min(1),
  fields: z.array(z.strictObject({ id: Slug, label: NonEmpty, ask: AskedField.optional() })).min(1),
  /** Who receives the completed form when the dispute is resolved or decided. */
  sendTo: z.array(Recipient).default([]),
  /** Whether a copy goes to every party's people on entering each of the form's stages. */
  copyToParties: z.boolean().optional(),
  cite: Cite,
});

export const Officer = z.strictObject({
  title: NonEmpty,
  /** The published address where the document gives one; a deployment's directory may supply it instead. */
  email: z.email().optional(),
});

/** The last stage is the board's: who convenes it, who records its outcome, what the outcome is. */
export const BoardStage = z.strictObject({
  /** The officer who convenes the panel or refers the matter on. */
  convenedBy: Slug,
  /** The officer who chairs it, where the document names one. */
  chairedBy: Slug.optional(),
  /** Who may record the outcome: these officers, and (if `panel`) the panel members recorded on the dispute. */
  recordedBy: z.strictObject({ officers: z.array(Slug).min(1), panel: z.boolean() }),
  /** The smallest panel the document allows, where it sets one. */
  panelSize: WholeFrom1.optional(),
  outcome: z.strictObject({
    /** What the document calls it: "decision", "recommendation". Capped as the records store caps it (the closing record carries it). */
    name: NonEmpty.max(200),
    /** binding: on all agencies; final: final and binding; recommendation: not binding; unstated: the document does not say. */
    effect: z.enum(['binding', 'final', 'recommendation', 'unstated']),
    cite: Cite,
  }),
  /** Each party's last-stage contact may send a written representation, which goes to the panel. */
  representations: z.strictObject({ cite: Cite }).optional(),
  /** Where the document offers routes (mediation or a panel): who chooses. */
  routes: z.strictObject({ options: z.array(Slug).min(2), chosenBy: AgencyRole, cite: Cite }).optional(),
  cite: Cite,
});
export type BoardStage = z.infer<typeof BoardStage>;

/**
 * When emails that ask a person for something may go out: hours in London time on working days, or
 * 'any-time' for a board that wants them sent as soon as they are due, at any hour on any day.
 */
export const OfficeHours = z.union([
  z.literal('any-time'),
  z.strictObject({
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM'),
    end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM'),
  }),
]);
export type OfficeHours = z.infer<typeof OfficeHours>;

export const Debrief = z.strictObject({ purpose: NonEmpty, cite: Cite });

export const Policy = z.strictObject({
  id: Slug,
  version: WholeFrom1,
  /** The date this version was adopted by the board, YYYY-MM-DD. */
  adopted: z.iso.date(),
  board: z.strictObject({
    id: Slug,
    name: NonEmpty,
    shortName: NonEmpty,
    division: Division,
  }),
  source: z.strictObject({ document: NonEmpty, title: NonEmpty, issued: NonEmpty }),
  officers: z.record(Slug, Officer),
  stages: z.array(Stage).min(2),
  reminder: Reminder.default({ kind: 'fraction', fraction: 0.5 }),
  imminentRisk: ImminentRisk,
  /** At the last stage, after its conclude-by passes: who is told, and how often again. */
  overdue: z.strictObject({
    to: z.array(Recipient).min(1),
    repeatEvery: z.strictObject({ unit: z.literal('working-days'), amount: Positive }),
    cite: Cite,
  }),
  record: RecordForm.optional(),
  lastStage: BoardStage.optional(),
  /** Told when a dispute is resolved or decided at any stage (e.g. board representatives, for learning). */
  onResolved: z.array(Notice).optional(),
  /** A prompt to debrief, to everyone involved, after the dispute closes. */
  debrief: Debrief.optional(),
  /** Default 09:00–17:00; 'any-time' sends such emails at once. */
  officeHours: OfficeHours.optional(),
  /**
   * The oldest concern a dispute may be started for, in calendar days before the start. A concern
   * older than this belongs to a review, not to the escalation procedure's clock.
   */
  concernMaxAgeDays: WholeFrom1.max(3650).default(90),
  /**
   * How long the board keeps a closed dispute's record: whole years after it closed (London
   * calendar), then its personal fields are erased and its facts kept for reports. Absent: the
   * default below. The board's current policy decides, for every dispute it has closed.
   */
  retention: z
    .strictObject({
      keepClosedYears: z
        .number({ error: 'expected whole years, from 1 to 100' })
        .int('expected whole years, from 1 to 100')
        .min(1, 'expected whole years, from 1 to 100')
        .max(100, 'expected whole years, from 1 to 100'),
      cite: Cite.optional(),
    })
    .optional(),
  /** Notes a person reading the policy should know: defaults chosen where the document is silent. */
  notes: z.array(z.string()).default([]),
});
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;

/** Closed records are kept this many years when a policy does not say: six years after closing, the usual term for adult safeguarding case records. */
export const defaultKeepClosedYears = 6;

/** The years a board keeps a closed dispute's record, with the default applied. */
export function keepClosedYears(policy: Pick<Policy, 'retention'>): number {
  return policy.retention?.keepClosedYears ?? defaultKeepClosedYears;
}
