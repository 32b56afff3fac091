import type { Contact } from '../../policies/schema';
import type { EmailKind } from '../../workflows/dispute/model';

// The contract between the workflow and the email activity. Plain data: it goes into history.

export interface EmailFacts {
  disputeId: string;
  board: { name: string; shortName: string };
  stage: number;
  stageTitle: string;
  personReference: string;
  summary: string;
  agencies: string[];
  /** Why this email: e.g. "the stage 1 deadline passed with no decision". */
  reason?: string;
  /** The current stage's conclude-by, ISO. */
  concludeBy?: string | null;
  /** When the dispute escalates (or closes) on its own, ISO, where that differs from concludeBy. */
  escalateAt?: string | null;
  /** For board officers: why the policy tells them, and the clause. */
  purpose?: string;
  agreedActions?: string;
  decisionText?: string;
  /** The board's record form so far, where the notice carries it. */
  record?: { name: string; fields: { label: string; value: string }[] };
  /** Whether the recipient is asked for a decision (stage entered, reminder). */
  asksForDecision?: boolean;
  /** At the board's stage: the parties are asked for their written representation, not a decision. */
  asksForRepresentation?: boolean;
  /** The last stage's outcome as the policy names it, and whether it binds. */
  boardOutcome?: { name: string; effect: 'binding' | 'final' | 'recommendation' | 'unstated' };
  /** Leeds stage 3: the recipient's organisation is asked for its own decision and rationale before the dispute closes. */
  asksForRationale?: boolean;
  /** A closed dispute's form question for the recipient (North Somerset's effectiveness), answered by a link until `until`. */
  question?: { field: string; label: string; choices: string[]; until: string };
  /** The written record of a decision: rationale, outstanding issues, next steps. */
  writtenRecord?: { label: string; value: string }[];
}

export interface EmailBatch {
  kind: EmailKind;
  /** Distinguishes repeated emails of one kind at one stage (the 2nd overdue notice, …). */
  sequence: number;
  recipients: Contact[];
  facts: EmailFacts;
}

export interface EmailBatchResult {
  sent: string[];
  rejected: { to: string; reason: string }[];
}
