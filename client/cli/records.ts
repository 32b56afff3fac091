import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { z } from 'zod';
import { exportRecords, exportSubjectAccess } from '../../records/export';
import { ListFilter, RangeEnd, RangeStart } from '../../records/filter';
import { markEnded, saveRecord } from '../../records/write';
import { recordWriteQuery } from '../../workflows/dispute/record-query';
import type { RecordsStore } from '../../records/open';
import { endedStatus, type Disputes } from '../operations';
import { UsageError } from './errors';

/** The access log's hook for an export: called once before anything is read, it returns what records each batch of disputes. */
export type ExportAccess = (request: { board: string; format: 'csv' | 'json' }) => Promise<((disputeIds: string[]) => Promise<void>) | undefined>;

// `dispute records sync` and `dispute records export`, and the list's store filters as flags. Each
// command is a function of its parsed options; the CLI program wires them to words.

export const recordsUsage = `usage:
  dispute records sync [--all] [--json]      bring the records store up to date from Temporal's open disputes (--all: and its closed ones)
  dispute records export --board <id> [--from <date>] [--to <date>] --format csv|json [--output <file>]
  dispute records export --board <id> --person-reference <ref> [--output <file>]   subject access: everything the board holds about the reference, as JSON`;

/** Brings the store up to date from the disputes Temporal has: after a restore, or for disputes started before the store. */
export async function recordsSync(
  disputes: Disputes,
  options: { all?: boolean },
  out: (text: string) => void,
  json = false,
): Promise<{ synced: number; events: number; ended: number; failed: string[] }> {
  if (!disputes.records) throw new UsageError('no records store is configured');
  const { db } = await disputes.records();
  const query = options.all ? `WorkflowType = 'dispute'` : `WorkflowType = 'dispute' AND ExecutionStatus = 'Running'`;
  const result = { synced: 0, events: 0, ended: 0, failed: [] as string[] };
  for await (const execution of disputes.client.workflow.list({ query })) {
    try {
      const write = await disputes.client.workflow.getHandle(execution.workflowId).query(recordWriteQuery);
      const saved = await saveRecord(db, write);
      result.synced += 1;
      result.events += saved.events;
    } catch {
      // A dispute whose worker predates the store cannot answer the query yet: named, not fatal.
      result.failed.push(execution.workflowId);
    }
  }
  // Ended outside the procedure (an operator's terminate, Temporal's limits): the workflow wrote no
  // last row, so the store would go on calling it open.
  for await (const execution of disputes.client.workflow.list({ query: `WorkflowType = 'dispute' AND ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed'` })) {
    const status = endedStatus[execution.status.name];
    if (status && (await markEnded(db, execution.workflowId, status, execution.closeTime ?? new Date()))) result.ended += 1;
  }
  out(
    json
      ? JSON.stringify(result)
      : `synced ${result.synced} dispute(s), ${result.events} event(s) added` +
          `${result.ended ? `; ${result.ended} marked as ended outside the procedure` : ''}` +
          `${result.failed.length ? `; could not read ${result.failed.join(', ')}` : ''}`,
  );
  return result;
}

export const ExportOptions = z
  .object({
    board: z.string({ error: 'is needed' }).regex(/^[a-z0-9-]{1,80}$/, 'expected a board id such as rotherham-rsab'),
    from: RangeStart.optional(),
    to: RangeEnd.optional(),
    format: z.enum(['csv', 'json'], { error: 'expected csv or json' }),
    output: z.string().min(1).optional(),
    personReference: z.string().trim().min(1, 'is empty').max(64, 'is longer than 64 characters').optional(),
  })
  .superRefine((options, context) => {
    if (options.personReference && options.format !== 'json') context.addIssue({ code: 'custom', path: ['format'], message: 'a subject access export is JSON (whole records)' });
    if (options.personReference && (options.from || options.to)) context.addIssue({ code: 'custom', path: [options.from ? 'from' : 'to'], message: 'a subject access export covers everything held, at any date' });
    if (options.from && options.to && options.to <= options.from) context.addIssue({ code: 'custom', path: ['to'], message: 'the range runs backwards: --to must be after --from' });
  });

/**
 * Writes a board's records, to a file or to `out`. Only the store is needed, not Temporal. With
 * `access`, the reads are recorded first (JSON: each dispute; CSV, report fields only: the call).
 */
export async function recordsExport(records: () => Promise<RecordsStore>, raw: Record<string, unknown>, out: (text: string) => void, access?: ExportAccess): Promise<number> {
  // A subject access export is whole records: JSON unless said otherwise.
  const parsed = ExportOptions.safeParse(raw.personReference !== undefined && raw.format === undefined ? { ...raw, format: 'json' } : raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = String(issue?.path[0] ?? 'board').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
    throw new UsageError(`--${flag}: ${issue?.message}\n${recordsUsage}`);
  }
  const options = parsed.data;
  const { db } = await records();
  const reading = access ? await access(options) : undefined;
  const { personReference } = options;
  const run = (write: (chunk: string) => void | Promise<void>) =>
    personReference ? exportSubjectAccess(db, { board: options.board, personReference }, write, new Date(), reading) : exportRecords(db, options, write, reading);
  if (!options.output) {
    let text = '';
    const count = await run((chunk) => void (text += chunk));
    out(text.replace(/\r?\n$/, ''));
    return count;
  }
  // The export holds records' personal details in clear: its owner's alone, and never written over
  // (or through a link to) a file that is already there.
  const handle = await open(options.output, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--output: ${options.output} ${error.code === 'EEXIST' ? 'exists; an export is never written over a file, choose a new name' : `cannot be written (${error.code ?? error.message})`}`);
  });
  const file = createWriteStream('', { fd: handle.fd });
  const count = await run(async (chunk) => {
    if (!file.write(chunk)) await once(file, 'drain');
  });
  file.end();
  await once(file, 'finish');
  return count;
}

/** The list's flags (beyond board, stage, status, agency, overdue) and the filter fields they set. */
export const listFlags = {
  outcome: 'outcome',
  category: 'category',
  risk: 'risk',
  'started-from': 'startedFrom',
  'started-to': 'startedTo',
  'closed-from': 'closedFrom',
  'closed-to': 'closedTo',
  limit: 'limit',
  page: 'page',
} as const;

/** CLI flag values → the list filter; a bad one is a UsageError naming its flag. */
export function listFilterFromFlags(values: Record<string, unknown>): ListFilter {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || key === 'json') continue;
    const field = (listFlags as Record<string, string>)[key] ?? key;
    input[field] = key === 'overdue' ? (value === true || value === 'true' ? 'true' : 'false') : value;
  }
  const parsed = ListFilter.safeParse(input);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? '');
    const flag = Object.entries(listFlags).find(([, name]) => name === field)?.[0] ?? field;
    throw new UsageError(`--${flag}: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}
