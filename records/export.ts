import type { Kysely, Selectable } from 'kysely';
import { boardDisputeIds, readStoredDispute, type StoredDispute } from './read';
import type { DisputesTable, RecordsDatabase } from './schema';
import { personalSeal } from './seal';

// A board's records for its own analysis: CSV (a header row, one row per dispute, report fields
// only) or JSON (the whole record of each dispute). Written as it is read, so 50,000 disputes
// never sit in memory at once.

export type ExportFormat = 'csv' | 'json';

export interface ExportRequest {
  board: string;
  /** Disputes started at or after this instant. */
  from?: Date | undefined;
  /** … and before this one. */
  to?: Date | undefined;
  format: ExportFormat;
}

export const csvColumns = [
  'dispute_id', 'board', 'policy', 'policy_version', 'category', 'risk', 'status', 'outcome', 'stage', 'tier',
  'concern_at', 'started_at', 'closed_at', 'working_days', 'calendar_days', 'raising_agency', 'agencies',
] as const;

/** RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled. A leading =,+,-,@ is
 *  neutralised, so a spreadsheet never runs a cell as a formula. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRow(row: Selectable<DisputesTable>): string {
  const agencies = (typeof row.agencies === 'string' ? JSON.parse(row.agencies) : row.agencies) as string[];
  const values: Record<(typeof csvColumns)[number], string | number | null> = {
    dispute_id: row.dispute_id,
    board: row.board,
    policy: row.policy_id,
    policy_version: row.policy_version,
    category: row.category,
    risk: row.risk,
    status: row.status,
    outcome: row.outcome,
    stage: row.stage,
    tier: row.tier,
    concern_at: row.concern_at.toISOString(),
    started_at: row.started_at.toISOString(),
    closed_at: row.closed_at?.toISOString() ?? null,
    working_days: row.working_days,
    calendar_days: row.calendar_days,
    raising_agency: agencies[0] ?? null,
    agencies: agencies.join(';'),
  };
  return csvColumns.map((column) => csvField(values[column])).join(',');
}

/** The whole record of one dispute as the JSON export writes it. */
export function exportedRecord(stored: StoredDispute) {
  const { view, ...rest } = stored;
  return { ...view, ...rest };
}

/**
 * Writes the export through `write`; returns how many disputes it held. `reading` is told the ids
 * of each batch of whole records (JSON) before any of them is read: the access log's hook.
 */
export async function exportRecords(
  db: Kysely<RecordsDatabase>,
  request: ExportRequest,
  write: (chunk: string) => void | Promise<void>,
  reading?: (disputeIds: string[]) => Promise<void>,
): Promise<number> {
  let count = 0;
  if (request.format === 'csv') await write(`${csvColumns.join(',')}\r\n`);
  else await write('[');
  for await (const rows of boardDisputeIds(db, request.board, request.from, request.to)) {
    if (request.format === 'csv') {
      await write(rows.map((row) => `${csvRow(row)}\r\n`).join(''));
      count += rows.length;
      continue;
    }
    await reading?.(rows.map((row) => row.dispute_id));
    for (const row of rows) {
      const stored = await readStoredDispute(db, row.dispute_id);
      if (!stored) continue;
      await write(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(exportedRecord(stored))}`);
      count += 1;
    }
  }
  if (request.format === 'json') await write(count === 0 ? ']\n' : '\n]\n');
  return count;
}

// -----------------------------------------------------------------------------------------------
// Subject access: everything a board holds about one person's reference.

export interface SubjectAccessRequest {
  board: string;
  personReference: string;
}

/** References compare as a person would read them: Unicode-normalised, case and spacing ignored. */
export function normaliseReference(reference: string): string {
  return reference.normalize('NFKC').trim().replace(/\s+/g, ' ').toUpperCase();
}

/**
 * The board's disputes about this reference. The reference is sealed, so SQL cannot search it: each
 * of the board's references is opened and compared (a keyed blind index would be faster, but would
 * let anyone reading the tables link one person's disputes without the key; the scan costs well under
 * a second on a board of 10,000 disputes, for a request a board answers within a month).
 */
export async function* subjectDisputeIds(db: Kysely<RecordsDatabase>, request: SubjectAccessRequest, batch = 2_000): AsyncGenerator<string> {
  const seal = personalSeal(db);
  const wanted = normaliseReference(request.personReference);
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('disputes')
      .innerJoin('dispute_personal', 'dispute_personal.dispute_id', 'disputes.dispute_id')
      .select(['disputes.dispute_id', 'dispute_personal.person_reference'])
      .where('disputes.board', '=', request.board)
      .where('disputes.dispute_id', '>', after)
      .orderBy('disputes.dispute_id')
      .limit(batch)
      .execute();
    if (rows.length === 0) return;
    for (const row of rows) {
      // An erased record holds no reference any more: nothing of the person is left to export.
      if (row.person_reference !== null && normaliseReference(seal.open('dispute_personal', 'person_reference', row.dispute_id, row.person_reference)) === wanted) yield row.dispute_id;
    }
    after = rows[rows.length - 1]!.dispute_id;
  }
}

/**
 * Writes, as one JSON document, the whole record (dispute, parties, events, decisions, notes, form)
 * of each of the board's disputes about the reference; returns how many.
 */
export async function exportSubjectAccess(
  db: Kysely<RecordsDatabase>,
  request: SubjectAccessRequest,
  write: (chunk: string) => void | Promise<void>,
  now = new Date(),
  reading?: (disputeIds: string[]) => Promise<void>,
): Promise<number> {
  let count = 0;
  await write(`{"board":${JSON.stringify(request.board)},"personReference":${JSON.stringify(request.personReference)},"exportedAt":"${now.toISOString()}","disputes":[`);
  for await (const disputeId of subjectDisputeIds(db, request)) {
    await reading?.([disputeId]);
    const stored = await readStoredDispute(db, disputeId);
    if (!stored) continue;
    await write(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(exportedRecord(stored))}`);
    count += 1;
  }
  await write(count === 0 ? ']}\n' : '\n]}\n');
  return count;
}
