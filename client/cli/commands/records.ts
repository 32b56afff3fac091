import type { Command } from 'commander';
import { AccessLog } from '../../../records/access-log';
import { lazyRecordsStore } from '../../../records/lazy';
import { loadConfig, recordsLocation } from '../../../runtime/config';
import { loadKeyRing } from '../../../runtime/key-ring';
import { connectDisputes } from '../../operations';
import { exportAccess, printAccessLog } from '../access-log';
import { cliReader } from '../disputes';
import { UsageError } from '../errors';
import type { CommandContext } from '../main';
import { recordsExport, recordsSync } from '../records';

/** `dispute records sync | export | access-log`: the records store, for operators and boards' analysts. */
export function register(program: Command, { out }: CommandContext): void {
  const records = program.command('records').description('the records store: every dispute’s record, kept after Temporal forgets it');
  records
    .command('sync')
    .description("writes the whole record of every open dispute Temporal has (after a restore, or for disputes started before the store)")
    .option('--all', 'closed disputes Temporal still keeps too')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { all?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const connected = await connectDisputes(config, { connectTimeoutMs: 5_000 }).catch(() => {
        throw new UsageError(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS}: is \`npm start\` running, or TEMPORAL_ADDRESS set?`);
      });
      try {
        await recordsSync(connected.disputes, { all: options.all ?? false }, out, options.json ?? false);
      } finally {
        await connected.close();
      }
    });
  records
    .command('export')
    .description("a board's records for its own analysis: CSV (one row per dispute, no personal data) or JSON (whole records)")
    .option('--board <id>', 'board id, e.g. rotherham-rsab')
    .option('--from <date>', 'disputes started on or after (a date, London time, or an instant)')
    .option('--to <date>', 'disputes started on or before')
    .option('--format <format>', 'csv | json')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(async (options: Record<string, unknown>) => {
      const config = loadConfig();
      const who = cliReader();
      const store = lazyRecordsStore(recordsLocation(config));
      try {
        await recordsExport(store.get, options, out, exportAccess(() => new AccessLog(store.get, loadKeyRing(config, { local: true })), who));
      } finally {
        await store.close();
      }
    });
  records
    .command('access-log')
    .description("who has read a dispute's personal data (API, command line, board pages, export, Temporal Web UI), newest first")
    .option('--dispute <id>', 'dispute id, e.g. rsab-k3m9qz')
    .option('--json', 'print JSON for scripts')
    .action(async (options: Record<string, unknown>) => {
      const config = loadConfig();
      const store = lazyRecordsStore(recordsLocation(config));
      try {
        await printAccessLog(async () => new AccessLog(store.get, loadKeyRing(config, { local: true })), options, out);
      } finally {
        await store.close();
      }
    });
}
