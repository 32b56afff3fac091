import { z } from 'zod';
import { formatLondon } from '../../policies/calendar';
import type { PolicyRegistry } from '../../policies/load';
import type { RecordsStore } from '../../records/open';
import { purgePreview, purgeRecords, retentionByBoard, boardsWithoutRetention } from '../../records/purge';
import { UsageError } from './errors';

// `dispute records purge`: what the daily schedule does, by hand. `--dry-run` lists what would be
// erased and changes nothing; erasing now asks for `--yes`, since it cannot be undone.

export const PurgeOptions = z.strictObject({
  dryRun: z.boolean().optional(),
  yes: z.boolean().optional(),
  json: z.boolean().optional(),
  board: z.string().regex(/^[a-z0-9-]{1,80}$/, 'expected a board id such as rotherham-rsab').optional(),
});
export type PurgeOptions = z.infer<typeof PurgeOptions>;

const flags: Record<string, string> = { dryRun: 'dry-run', yes: 'yes', json: 'json', board: 'board' };

export async function recordsPurge(records: () => Promise<RecordsStore>, policies: () => PolicyRegistry, raw: Record<string, unknown>, out: (text: string) => void, now = new Date()): Promise<void> {
  const parsed = PurgeOptions.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--${flags[String(issue?.path[0])] ?? String(issue?.path[0] ?? 'board')}: ${issue?.message}`);
  }
  const options = parsed.data;
  if (!options.dryRun && !options.yes) {
    throw new UsageError('erasing cannot be undone: add --yes to erase now, or see what would be erased with `dispute records purge --dry-run`');
  }
  const retention = retentionByBoard(policies().list());
  if (options.board !== undefined && !retention.has(options.board)) {
    throw new UsageError(`--board: no policy names board '${options.board}' (known: ${[...retention.keys()].sort().join(', ')})`);
  }
  const { db } = await records();
  if (options.dryRun) {
    const due = await purgePreview(db, retention, now, { board: options.board });
    const without = (await boardsWithoutRetention(db, retention)).filter((board) => options.board === undefined || board === options.board);
    if (options.json) {
      out(JSON.stringify({ at: now.toISOString(), wouldErase: due, boardsWithoutPolicy: without }));
      return;
    }
    out(`${due.length} closed record(s) past their board's retention would have their personal fields erased (as of ${formatLondon(now)}); nothing was changed`);
    for (const record of due) out(`  ${record.disputeId.padEnd(24)} ${record.board.padEnd(32)} closed ${formatLondon(new Date(record.closedAt))}; kept until ${formatLondon(new Date(record.retentionEnded))}`);
    if (without.length) out(`boards with closed records and no policy (left alone): ${without.join(', ')}`);
    return;
  }
  const result = await purgeRecords(db, retention, now, { board: options.board });
  if (options.json) {
    out(JSON.stringify(result));
    return;
  }
  const boards = Object.entries(result.byBoard).map(([board, count]) => `${board} ${count}`);
  out(`erased the personal fields of ${result.erased} closed record(s)${boards.length ? ` (${boards.join(', ')})` : ''}`);
  if (result.boardsWithoutPolicy.length) out(`boards with closed records and no policy (left alone): ${result.boardsWithoutPolicy.join(', ')}`);
}
