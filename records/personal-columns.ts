import type { RecordsDatabase } from './schema';

// The one list of where personal data sits in the records store. Sealing (encryption at rest),
// erasure at the end of a board's retention and subject-access exports all read it, so a column
// added to a table is personal or not in one place. Everything else (board, agency, stage,
// category, risk, instants, outcome, time taken) stays in clear for reports.

type PersonalColumns = { [T in keyof RecordsDatabase]?: readonly (keyof RecordsDatabase[T] & string)[] };

export const personalColumns = {
  dispute_personal: ['person_reference', 'summary', 'agreed_actions', 'awaiting'],
  dispute_agencies: ['people'],
  dispute_events: ['by', 'data'],
  dispute_decisions: ['by', 'text'],
  dispute_notes: ['by', 'text'],
  dispute_forms: ['fields'],
  dispute_form_copies: ['fields', 'recipients'],
  // Sealed by records/access-log.ts itself, bound to the row's id.
  access_log: ['who'],
} as const satisfies PersonalColumns;
