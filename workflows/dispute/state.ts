import type { Contact, Risk } from '../../policies/schema';
import type { Decision, DisputeEvent, Status, WrittenRecord } from './model';
import type { ContactOverrides } from './parties';

/** The workflow's own memory of one dispute; instants as epoch milliseconds. */
export interface DisputeState {
  status: Status;
  stage: number;
  risk: Risk;
  enteredAt: number;
  stagesEntered: number[];
  startBy: number | null;
  concludeBy: number | null;
  escalateAt: number | null;
  remindAt: number | null;
  reminded: boolean;
  nextOverdueAt: number | null;
  overdueSent: number;
  overrides: ContactOverrides;
  decisions: { stage: number; decision: Decision; by: string; at: number; text: string; record?: WrittenRecord }[];
  /** The last stage: the panel members recorded on the dispute, the route chosen, the representations. */
  panel?: Contact[];
  route?: string;
  representations?: { agencyId: string; by: string; at: number; text: string }[];
  agreedActions: string | null;
  /** `share`: the agency whose share of the notes it counts against, or null for the board's officers'. */
  notes: { by: string; at: number; text: string; share: string | null }[];
  /** Everyone a notice went to, for the record's "copied to". */
  copiedTo: string[];
  closedAt: number | null;
  /** Each organisation's own decision and rationale (Leeds stage 3). */
  organisations?: { agencyId: string; decision: string; rationale: string; by: string; at: number }[];
  /** The stage ended unresolved with no further stage: the close waits for the organisations' records until `until`. */
  closing?: { reason: string; since: number; until: number; nextChaseAt: number | null; askedOn: number[] };
  /** A form's question asked after closing, and its answer (or that none came by `until`). */
  question?: { field: string; to: string; askedAt: number; until: number; answer?: { choice: string; comment?: string; by: string; at: number }; unanswered?: boolean };
  events: DisputeEvent[];
  /** Bumped by every change, so the main loop re-plans its timers. */
  version: number;
}
