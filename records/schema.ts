import type { ColumnType } from 'kysely';

// The records store's tables. Report fields (board, agency, stage, category, risk, instants,
// outcome) and personal fields (names, addresses, the person's reference, summary, notes, decision
// texts) live in separate columns, so personal ones can be encrypted on their own later.

type Instant = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;

export interface DisputesTable {
  dispute_id: string;
  board: string;
  policy_id: string;
  policy_version: number;
  category: string;
  risk: string;
  status: string;
  outcome: string | null;
  stage: number;
  tier: string;
  concern_at: Instant;
  concern_at_given: string;
  started_at: Instant;
  entered_stage_at: Instant;
  start_by: Instant | null;
  conclude_by: Instant | null;
  escalate_at: Instant | null;
  remind_at: Instant | null;
  /** The open dispute's current deadline (conclude-by, else escalation): what "overdue" compares. */
  deadline: Instant | null;
  closed_at: Instant | null;
  working_days: number | null;
  calendar_days: number | null;
  /** Agency ids of the parties, raising first (a JSON array, for containment queries). */
  agencies: Json;
  /** The sequence number of the last event the row reflects: an older write never overwrites a newer one. */
  last_seq: number;
}

/** Personal fields of a dispute. */
export interface DisputePersonalTable {
  dispute_id: string;
  person_reference: string;
  summary: string;
  agreed_actions: string | null;
  /** Who is awaited while open: names and addresses. */
  awaiting: Json;
}

export interface DisputeAgenciesTable {
  dispute_id: string;
  position: number;
  agency_id: string;
  name: string;
  raising: boolean;
  /** Personal: the addresses of the people who may act for the agency. */
  people: Json;
}

export interface DisputeEventsTable {
  dispute_id: string;
  seq: number;
  at: Instant;
  stage: number;
  type: string;
  /** Personal: who acted. */
  by: string | null;
  /** Personal: the event as the workflow recorded it, less seq, at and stage (addresses, reasons, texts). */
  data: Json;
}

export interface DisputeDecisionsTable {
  dispute_id: string;
  /** The outcome event's sequence number. */
  seq: number;
  stage: number;
  decision: string;
  at: Instant;
  by: string;
  text: string;
}

export interface DisputeNotesTable {
  dispute_id: string;
  seq: number;
  at: Instant;
  by: string;
  text: string;
}

/** The board's form the policy asks for, as filled at the last write. */
export interface DisputeFormsTable {
  dispute_id: string;
  name: string;
  reference: string;
  /** Personal: the fields and their values. */
  fields: Json;
}

/** A copy of a form as an email carried it: one row per send, from the `email-queued` event that recorded it. */
export interface DisputeFormCopiesTable {
  dispute_id: string;
  /** The `email-queued` event's sequence number. */
  seq: number;
  at: Instant;
  stage: number;
  /** The email's kind (record, officer-notice, …). */
  kind: string;
  name: string;
  /** The policy form's reference, where the copy is that form (a written account has none). */
  reference: string | null;
  /** Personal: the fields and their values, as sent. */
  fields: Json;
  /** Personal: the addresses it went to. */
  recipients: Json;
}

export interface RecordsDatabase {
  disputes: DisputesTable;
  dispute_personal: DisputePersonalTable;
  dispute_agencies: DisputeAgenciesTable;
  dispute_events: DisputeEventsTable;
  dispute_decisions: DisputeDecisionsTable;
  dispute_notes: DisputeNotesTable;
  dispute_forms: DisputeFormsTable;
  dispute_form_copies: DisputeFormCopiesTable;
}
