import type { Kysely, Selectable } from 'kysely';
import { boardDisputeIds, readStoredDispute, type StoredDispute } from './read';
import type { DisputesTable, RecordsDatabase } from './schema';

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
