import type { ColumnType } from 'kysely';

// The records store's tables. Report fields (board, agency, stage, category, risk, instants,
// outcome) and personal fields (names, addresses, the person's reference, summary, notes, decision
// texts) live in separate columns: personal ones (records/personal-columns.ts) hold text sealed under
// the key ring (records/seal.ts), JSON sealed as its text.

type Instant = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;
/** Text sealed by records/seal.ts (JSON sealed as its text). */
type Sealed = string;

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
  /** When the board's retention ended and the personal columns were erased (records/purge.ts); null while kept. */
  personal_erased_at: Instant | null;
  /** Where the board decided: its outcome as the policy names it ("decision", "recommendation") and its effect; the policy's words, in clear. */
  board_outcome_name: ColumnType<string | null, string | null | undefined, string | null>;
  board_outcome_effect: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Personal fields of a dispute. Every personal column of every table is null once erased. */
export interface DisputePersonalTable {
  dispute_id: string;
  person_reference: Sealed | null;
  summary: Sealed | null;
  agreed_actions: Sealed | null;
  /** Who is awaited while open: names and addresses. */
  awaiting: Sealed | null;
}

export interface DisputeAgenciesTable {
  dispute_id: string;
  position: number;
  agency_id: string;
  name: string;
  raising: boolean;
  /** Personal: the addresses of the people who may act for the agency. */
  people: Sealed | null;
}

export interface DisputeEventsTable {
  dispute_id: string;
  seq: number;
  at: Instant;
  stage: number;
  type: string;
  /** Personal: who acted. */
  by: Sealed | null;
  /** Personal: the event as the workflow recorded it, less seq, at and stage (addresses, reasons, texts); once erased, its non-personal facts only (records/purge.ts). */
  data: Sealed;
  /** A deadline passed here (a stage entered on a passed deadline, or the first overdue notice): for reports, in clear. */
  deadline_passed: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface DisputeDecisionsTable {
  dispute_id: string;
  /** The outcome event's sequence number. */
  seq: number;
  stage: number;
  decision: string;
  at: Instant;
  by: Sealed | null;
  text: Sealed | null;
}

export interface DisputeNotesTable {
  dispute_id: string;
  seq: number;
  at: Instant;
  by: Sealed | null;
  text: Sealed | null;
}

/** The board's form the policy asks for, as filled at the last write. */
export interface DisputeFormsTable {
  dispute_id: string;
  name: string;
  reference: string;
  /** Personal: the fields and their values. */
  fields: Sealed | null;
}

/** Tables still holding values written before sealing (migration 0002): sealed at the next open with the key ring. */
export interface SealingPendingTable {
  table_name: string;
}

/**
 * Who read a dispute's personal data, when, and through what (records/access-log.ts). `who` is
 * sealed with the key ring: staff names and addresses are personal data too.
 */
export interface AccessLogTable {
  id: string;
  at: Instant;
  /** Null only where the read named no dispute (a list, a codec payload without a dispute id). */
  dispute_id: string | null;
  channel: string;
  action: string;
  /** What kind of principal read (agency-key, board-key, officer, agency-person, operator, cli-user): in clear, for counting. */
  who_kind: string;
  /** Personal: the reader's name or address, sealed (`<key id>:<base64url>`); null once erased. */
  who: string | null;
  /** Non-personal context: how many disputes a list returned, how many payloads a decode opened. */
  detail: string | null;
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
  /** Personal: the fields and their values, as sent (sealed; null once erased). */
  fields: Sealed | null;
  /** Personal: the addresses it went to (sealed; null once erased). */
  recipients: Sealed | null;
}

export interface RecordsDatabase {
  disputes: DisputesTable;
  dispute_personal: DisputePersonalTable;
  dispute_agencies: DisputeAgenciesTable;
  dispute_events: DisputeEventsTable;
  dispute_decisions: DisputeDecisionsTable;
  dispute_notes: DisputeNotesTable;
  dispute_forms: DisputeFormsTable;
  sealing_pending: SealingPendingTable;
  access_log: AccessLogTable;
  dispute_form_copies: DisputeFormCopiesTable;
}
