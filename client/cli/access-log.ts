import { z } from 'zod';
import { formatLondon } from '../../policies/calendar';
import { AccessLogUnavailable, type AccessLog, type Reader, type ShownAccess } from '../../records/access-log';
import { UsageError } from './errors';
import type { ExportAccess } from './records';

// `dispute records access-log --dispute <id>`: who has read a dispute's personal data, newest
// first; and the export's entries in that log.

export const accessLogUsage = 'usage: dispute records access-log --dispute <id> [--json]';

const AccessLogOptions = z.object({
  dispute: z.string({ error: 'is needed' }).regex(/^[a-z0-9-]{6,80}$/, 'expected a dispute id such as rsab-k3m9qz'),
  json: z.boolean().optional(),
});

/** Entries read from the store at a time: the whole log is printed, a page at a time. */
const BATCH = 500;

/** Prints one dispute's access log; returns how many entries it held. */
export async function printAccessLog(log: () => Promise<AccessLog>, raw: Record<string, unknown>, out: (text: string) => void): Promise<number> {
  const parsed = AccessLogOptions.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--${String(issue?.path[0] ?? 'dispute')}: ${issue?.message}\n${accessLogUsage}`);
  }
  const { dispute, json } = parsed.data;
  const accessLog = await log();
  const entries: ShownAccess[] = [];
  let total = 0;
  for (let page = 1; ; page += 1) {
    const read = await accessLog.read(dispute, page, BATCH);
    total = read.total;
    entries.push(...read.entries);
    if (read.entries.length < BATCH) break;
  }
  if (json) out(JSON.stringify({ disputeId: dispute, total, entries }));
  else if (entries.length === 0) out(`no reads of ${dispute} recorded`);
  else out(entries.map(line).join('\n'));
  return entries.length;
}

function line(entry: ShownAccess): string {
  return `${formatLondon(new Date(entry.at)).padEnd(27)} ${entry.channel.padEnd(6)} ${entry.action.padEnd(7)} ${entry.who} (${entry.whoKind})${entry.detail ? `  ${entry.detail}` : ''}`;
}

/**
 * The export's hook: a JSON export records each dispute whose whole record it is about to read; a
 * CSV export (report fields only) records the call once, without a dispute. An entry that cannot be
 * written stops the export before that batch is read.
 */
export function exportAccess(log: () => AccessLog, who: Reader): ExportAccess {
  let opened: AccessLog | undefined;
  const record = async (entries: Parameters<AccessLog['record']>[0]) => {
    try {
      await (opened ??= log()).record(entries);
    } catch (error) {
      if (error instanceof AccessLogUnavailable) throw new UsageError(`unavailable: nothing more is exported: ${error.message}`);
      throw error;
    }
  };
  return async ({ board, format }) => {
    if (format === 'csv') {
      await record([{ disputeId: null, channel: 'export', action: 'export', who, detail: `${board}: csv, report fields only` }]);
      return undefined;
    }
    return (disputeIds) => record(disputeIds.map((disputeId) => ({ disputeId, channel: 'export', action: 'export', who, detail: `${board}: json, whole record` })));
  };
}
