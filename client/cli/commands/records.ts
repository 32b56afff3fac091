import type { Command } from 'commander';
import { loadConfig, recordsLocation } from '../../../runtime/config';
import { UsageError } from '../errors';
import type { CommandContext } from '../main';

// Loaded when a subcommand runs: `--help` loads neither the Temporal client nor the records store.
async function load() {
  const [{ AccessLog }, { lazyRecordsStore }, { loadKeyRing }, { connectDisputes }, { exportAccess, printAccessLog }, { cliReader }, { recordsExport, recordsSync }, { PolicyRegistry }, { recordsPurge }] =
    await Promise.all([
      import('../../../records/access-log'),
      import('../../../records/lazy'),
      import('../../../runtime/key-ring'),
      import('../../operations'),
      import('../access-log'),
      import('../disputes'),
      import('../records'),
      import('../../../policies/load'),
      import('../purge'),
    ]);
  return { AccessLog, lazyRecordsStore, loadKeyRing, connectDisputes, exportAccess, printAccessLog, cliReader, recordsExport, recordsSync, PolicyRegistry, recordsPurge };
}

/** `dispute records sync | export | purge | access-log`: the records store, for operators and boards' analysts. */
export function register(program: Command, { out }: CommandContext): void {
  const records = program.command('records').description('the records store: every dispute’s record, kept after Temporal forgets it');
  records
    .command('sync')
    .description("writes the whole record of every open dispute Temporal has (after a restore, or for disputes started before the store)")
    .option('--all', 'closed disputes Temporal still keeps too')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { all?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const { connectDisputes, recordsSync } = await load();
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
    .description("a board's records for its own analysis: CSV (one row per dispute, no personal data) or JSON (whole records); with --person-reference, a subject access export")
    .option('--board <id>', 'board id, e.g. rotherham-rsab')
    .option('--from <date>', 'disputes started on or after (a date, London time, or an instant)')
    .option('--to <date>', 'disputes started on or before')
    .option('--format <format>', 'csv | json')
    .option('--output <file>', 'write to this file instead of stdout')
    .option('--person-reference <ref>', "subject access: every record of the board's about this person's reference, as JSON")
    .action(async (options: Record<string, unknown>) => {
      const config = loadConfig();
      const { AccessLog, lazyRecordsStore, loadKeyRing, exportAccess, cliReader, recordsExport } = await load();
      // CSV holds report fields only: it needs no key. Whole records open the sealed personal fields.
      const keyRing = options.format === 'csv' && options.personReference === undefined ? null : loadKeyRing(config, { local: true });
      const who = cliReader();
      const store = lazyRecordsStore(recordsLocation(config), { keyRing });
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
      const { AccessLog, lazyRecordsStore, loadKeyRing, printAccessLog } = await load();
      const store = lazyRecordsStore(recordsLocation(config), { keyRing: loadKeyRing(config, { local: true }) });
      try {
        await printAccessLog(async () => new AccessLog(store.get, loadKeyRing(config, { local: true })), options, out);
      } finally {
        await store.close();
      }
    });
  records
    .command('purge')
    .description("erases the personal fields of closed records past their board's retention (as the daily schedule does); the facts stay for reports")
    .option('--dry-run', 'list what would be erased, and change nothing')
    .option('--board <id>', "only this board's records")
    .option('--yes', 'erase now (it cannot be undone)')
    .option('--json', 'print JSON for scripts')
    .action(async (options: Record<string, unknown>) => {
      const config = loadConfig();
      const { lazyRecordsStore, loadKeyRing, PolicyRegistry, recordsPurge } = await load();
      // Erasing keeps each event's non-personal facts, sealed again: it opens them with the key ring.
      const store = lazyRecordsStore(recordsLocation(config), { keyRing: loadKeyRing(config, { local: true }) });
      try {
        await recordsPurge(store.get, () => PolicyRegistry.fromDirectory(config.POLICY_DIR), options, out);
      } finally {
        await store.close();
      }
    });
}
