import { z } from 'zod';
import { Division } from './calendar/holidays';

// A board's procedure as data. The schema is the type: `Policy` below is inferred from it, and a
// policy file is parsed with it before anything reads it.

export const Slug = z.string().regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'expected a lower-case id like "board-manager"');

export const Risk = z.enum(['standard', 'high', 'imminent']);
export type Risk = z.infer<typeof Risk>;

export const Category = z.enum(['abuse', 'neglect', 'self-neglect', 'other']);
export type Category = z.infer<typeof Category>;

export const Tier = z.enum(['practitioner', 'line-manager', 'senior-manager', 'board']);
export type Tier = z.infer<typeof Tier>;

export const Contact = z.object({
  name: z.string().min(1),
  email: z.email(),
  title: z.string().min(1).optional(),
});
export type Contact = z.infer<typeof Contact>;

/** Where a policy's words come from: a section number or a short quotation of the document. */
const Cite = z.string().min(3, 'cite the clause this encodes');

/** A number of units, the same for every risk level or one per level. */
export const Amount = z.union([
  z.number().positive(),
  z.object({ standard: z.number().positive(), high: z.number().positive(), imminent: z.number().positive() }),
]);
export type Amount = z.infer<typeof Amount>;

/** What a deadline is measured from: the concern being raised (cumulative) or entering the stage. */
export const From = z.enum(['concern', 'stage-entry']);
export type From = z.infer<typeof From>;

export const DeadlineRule = z.discriminatedUnion('unit', [
  z.object({ unit: z.literal('working-hours'), amount: Amount, from: From }),
  z.object({ unit: z.literal('working-days'), amount: Amount, from: From }),
  z.object({ unit: z.literal('calendar-days'), amount: Amount, from: From }),
  z.object({ unit: z.literal('elapsed-hours'), amount: Amount, from: From }),
  /** "By day N": the end of day N, counting the day it is measured from as day 1. */
  z.object({ unit: z.literal('end-of-day'), day: z.number().int().min(1), from: From }),
]);
export type DeadlineRule = z.infer<typeof DeadlineRule>;

export const Reminder = z.discriminatedUnion('kind', [
  /** When this fraction of the stage's time (measured in the deadline's own unit) has passed. */
  z.object({ kind: z.literal('fraction'), fraction: z.number().gt(0).lt(1) }),
  /** At a fixed time, e.g. 24 hours after the concern. */
  z.object({ kind: z.literal('after'), rule: DeadlineRule }),
  z.object({ kind: z.literal('none') }),
]);
export type Reminder = z.infer<typeof Reminder>;

export const AgencyRole = z.enum(['designated-safeguarding-lead', 'board-representative']);
export type AgencyRole = z.infer<typeof AgencyRole>;

/** Who a notice goes to, besides the current tier (who always hears of their own stage). */
export const Recipient = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('officer'), officer: Slug }),
  z.object({ kind: z.literal('agency-role'), role: AgencyRole, agencies: z.enum(['raising', 'all']) }),
  /** The lead responsible for the adult's existing safeguarding plan, when the dispute names one. */
  z.object({ kind: z.literal('safeguarding-plan-lead') }),
]);
export type Recipient = z.infer<typeof Recipient>;

export const Attachment = z.enum(['record', 'dispute-details']);

export const Notice = z.object({
  to: Recipient,
  /** Why they are told, in the board's words; it opens the email. */
  purpose: z.string().min(1),
  attach: Attachment.optional(),
  cite: Cite,
});
export type Notice = z.infer<typeof Notice>;

export const Gate = z.object({
  /** The stage is entered only for these categories… */
  categories: z.array(Category).min(1),
  /** …otherwise an unresolved previous stage closes the dispute as unresolved. */
  otherwise: z.literal('close-unresolved'),
  cite: Cite,
});

export const Stage = z.object({
  stage: z.number().int().min(1).max(9),
  tier: Tier,
  title: z.string().min(1),
  who: z.string().min(1),
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
  cite: Cite,
});
export type Stage = z.infer<typeof Stage>;

export const ImminentRisk = z.object({
  action: z.discriminatedUnion('kind', [
    /** Go straight to a stage (if the dispute is below it). */
    z.object({ kind: z.literal('jump-to-stage'), stage: z.number().int().min(2) }),
    /** Escalate to the next stage at once. */
    z.object({ kind: z.literal('next-stage') }),
    /** Stay, and tell these people at once. */
    z.object({ kind: z.literal('notify'), to: z.array(Recipient).min(1), purpose: z.string().min(1) }),
    /** Shorten the current and later stages to the imminent allowance of their per-stage deadlines. */
    z.object({ kind: z.literal('shorten') }),
  ]),
  /** Whether the raiser may choose the stage a dispute with imminent risk starts at. */
  chooseStartStage: z.boolean().default(false),
  cite: Cite,
});

export const RecordForm = z.object({
  name: z.string().min(1),
  reference: z.string().min(1),
  /** The stages at which the form is kept and sent. */
  stages: z.array(z.number().int().min(1)).min(1),
  fields: z.array(z.object({ id: Slug, label: z.string().min(1) })).min(1),
  sendTo: z.array(Recipient).default([]),
  cite: Cite,
});

export const Officer = z.object({
  title: z.string().min(1),
  /** The published address where the document gives one; a deployment's directory may supply it instead. */
  email: z.email().optional(),
});

export const Policy = z.object({
  id: Slug,
  version: z.number().int().min(1),
  /** The date this version was adopted by the board, YYYY-MM-DD. */
  adopted: z.iso.date(),
  board: z.object({
    id: Slug,
    name: z.string().min(1),
    shortName: z.string().min(1),
    division: Division,
  }),
  source: z.object({ document: z.string().min(1), title: z.string().min(1), issued: z.string().min(1) }),
  officers: z.record(Slug, Officer),
  stages: z.array(Stage).min(2),
  reminder: Reminder.default({ kind: 'fraction', fraction: 0.5 }),
  imminentRisk: ImminentRisk,
  /** At the last stage, after its conclude-by passes: who is told, and how often again. */
  overdue: z.object({
    to: z.array(Recipient).min(1),
    repeatEvery: z.object({ unit: z.literal('working-days'), amount: z.number().positive() }),
    cite: Cite,
  }),
  record: RecordForm.optional(),
  /**
   * The oldest concern a dispute may be started for, in calendar days before the start. A concern
   * older than this belongs to a review, not to the escalation procedure's clock.
   */
  concernMaxAgeDays: z.number().int().min(1).max(3650).default(90),
  /** Notes a person reading the policy should know: defaults chosen where the document is silent. */
  notes: z.array(z.string()).default([]),
});
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;
