import { readdirSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '../../runtime/config';
import { isSettingError, oneLine } from '../../runtime/entry';
import type { DisputeCommand } from './disputes';
import { UsageError } from './errors';

// `dispute …`: commander gives every command and subcommand its --help and refuses what it does not
// know before anything runs; each command then checks its values (naming the flag) before it loads
// or connects to anything. A new command is one file in ./commands/ exporting
// `register(program, context)` (see commands/api-key.ts): it is found and registered on its own.

const out = (text: string) => process.stdout.write(`${text}\n`);

// Each command's module is loaded when it runs: `--help` and refusals answer without loading the
// Temporal SDK, the mail libraries or the calendar.
const policyCommand = async (...args: Parameters<typeof import('./policy').policyCommand>) => (await import('./policy')).policyCommand(...args);
const simulateCommand = async (...args: Parameters<typeof import('./simulate').simulateCommand>) => (await import('./simulate')).simulateCommand(...args);
const replyCommand = async (...args: Parameters<typeof import('./reply').replyCommand>) => (await import('./reply')).replyCommand(...args);
const disputeCommand = async (...args: Parameters<typeof import('./disputes').disputeCommand>) => (await import('./disputes')).disputeCommand(...args);
const json = new Option('--json', 'print JSON for scripts');

/** The arguments after the command's own name(s), as the person typed them. */
function argsAfter(...names: string[]): string[] {
  const argv = process.argv.slice(2);
  return argv.slice(names.length);
}

/** What a command module in ./commands/ is given besides the program. */
export interface CommandContext {
  /** The arguments after the command's own name(s), as typed: for a module that parses its own. */
  argsAfter: (...names: string[]) => string[];
  out: (text: string) => void;
}

/** Every module in ./commands/ (sources .ts, compiled .js), registered in name order. */
async function registerCommandModules(program: Command): Promise<void> {
  const dir = new URL('./commands/', import.meta.url);
  const files = readdirSync(dir).filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts')).sort();
  for (const file of files) {
    const module = (await import(new URL(file, dir).href)) as { register?: (program: Command, context: CommandContext) => void };
    module.register?.(program, { argsAfter, out });
  }
}

function build(): Command {
  const program = new Command('dispute')
    .description("Safeguarding Adults Boards' escalation procedures, run as durable Temporal workflows")
    .addHelpText('after', '\nSettings come from the environment (README "Configuration"). `dispute <command> --help` for each command.')
    .showSuggestionAfterError(false)
    // The environment is checked once the arguments are, before any command loads or connects.
    .hook('preAction', () => void loadConfig());

  const policy = program.command('policy').description("the boards' policies: list, show, timeline");
  policy.command('list').description('every policy with its version').action(() => policyCommand(['list'], out));
  policy
    .command('show')
    .argument('<id>', 'policy id, e.g. rotherham-rsab')
    .description('a policy: its stages and rules in words')
    .action(() => policyCommand(['show', ...argsAfter('policy', 'show')], out));
  policy
    .command('timeline')
    .argument('<id>', 'policy id')
    .description('when each stage starts and must be concluded by, if every earlier stage runs to its deadline')
    .option('--from <instant>', 'the concern instant (ISO-8601; no offset = London time)')
    .option('--risk <risk>', 'standard | high | imminent', 'standard')
    .option('--category <category>', 'abuse | neglect | self-neglect | other')
    .addOption(json)
    .action(() => policyCommand(['timeline', ...argsAfter('policy', 'timeline')], out));

  program
    .command('simulate')
    .description("previews a policy: the real workflow and emails on a time-skipping server, in seconds")
    .option('--policy <id>', 'policy id')
    .option('--concern-at <instant>', 'the concern instant (ISO-8601)')
    .option('--category <category>', 'abuse | neglect | self-neglect | other', 'neglect')
    .option('--risk <risk>', 'standard | high | imminent', 'standard')
    .option('--resolve-at-stage <n>', 'resolved an hour into this stage (default: nobody decides)')
    .addOption(json)
    .action(() => simulateCommand(argsAfter('simulate'), out));

  program
    .command('reply')
    .argument('[reply.eml]', 'a saved reply to send as it is')
    .description('tries a reply by email by hand: sends it to the inbound mail server over SMTP')
    .option('--to <address>', 'the reply address (reply+<token>@…)')
    .option('--from <email>', 'the sender')
    .option('--text <text>', 'the reply; first line RESOLVED or UNRESOLVED (\\n for new lines)')
    .action(() => replyCommand(argsAfter('reply'), out));

  // The operators' commands, against a running Temporal (TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE).
  const operator = (name: DisputeCommand, description: string) =>
    program
      .command(name)
      .description(`${description} (against a running Temporal)`)
      .addOption(json)
      .action(() => disputeCommand(name, argsAfter(name), out));
  operator('start', 'starts a dispute')
    .option('--policy <id>', 'policy id')
    .option('--concern-at <instant>', 'the concern instant (ISO-8601; no offset = London time)')
    .option('--category <category>', 'abuse | neglect | self-neglect | other')
    .option('--risk <risk>', 'standard | high | imminent')
    .option('--agency <agencyId:name:email>', 'a party and its practitioner, raising agency first (repeat)')
    .option('--reference <ref>', "the person's pseudonymous reference")
    .option('--summary <text>', 'a short summary');
  operator('show', 'a dispute: stage, deadlines and the event log in London time').argument('<id>', 'dispute id');
  operator('list', 'disputes from the records store, by board, agency, status, stage, outcome, category, risk, overdue, dates; a page at a time')
    .option('--board <id>', 'board id')
    .option('--stage <n>', 'current stage')
    .option('--status <status>', 'open | resolved | unresolved | decided | withdrawn')
    .option('--agency <id>', 'a party')
    .option('--overdue', 'open disputes past their deadline')
    .option('--outcome <outcome>', 'resolved | unresolved | decided | withdrawn')
    .option('--category <category>', 'abuse | neglect | self-neglect | other')
    .option('--risk <risk>', 'standard | high | imminent')
    .option('--started-from <date>', 'started on or after (a date, London time, or an instant)')
    .option('--started-to <date>', 'started on or before')
    .option('--closed-from <date>', 'closed on or after')
    .option('--closed-to <date>', 'closed on or before')
    .option('--limit <n>', 'page size, 1–500', '100')
    .option('--page <n>', 'page, from 1', '1');
  operator('outcome', 'records an outcome')
    .argument('<id>', 'dispute id')
    .argument('<decision>', 'resolved | unresolved | decided')
    .option('--by <email>', 'who decided')
    .option('--stage <n>', 'the stage decided (default: the current one)')
    .option('--actions <text>', 'agreed actions (resolved)')
    .option('--reason <text>', 'why (unresolved)')
    .option('--safety-confirmed', 'the safety measures are confirmed (Leeds stage 3)');
  operator('risk', 'raises the risk')
    .argument('<id>', 'dispute id')
    .argument('<risk>', 'high | imminent')
    .option('--by <email>', 'who raises it')
    .option('--reason <text>', 'why');
  operator('withdraw', 'withdraws a dispute (raising agency only)').argument('<id>', 'dispute id').option('--by <email>', 'who withdraws').option('--reason <text>', 'why');
  operator('note', 'adds a note').argument('<id>', 'dispute id').option('--by <email>', 'who writes').option('--text <text>', 'the note');
  // A command on one dispute, by one person: its id, and who acts.
  const byPerson = (name: DisputeCommand, description: string, by: string) => operator(name, description).argument('<id>', 'dispute id').option('--by <email>', by);
  byPerson('answer', "answers a closed dispute's form question (North Somerset: how effective the procedure was; the raising practitioner)", 'who answers (the person asked)')
    .option('--field <id>', 'the form field asked about, e.g. effectiveness')
    .option('--choice <text>', 'one of the question\'s choices, e.g. "Partly effective"')
    .option('--comment <text>', 'a comment (optional)');
  byPerson('rationale', "records an organisation's own decision and rationale where an unresolved stage closes the dispute (Leeds stage 3)", "who records it (the organisation's stage contact or safeguarding lead)")
    .option('--decision <text>', "the organisation's decision")
    .option('--rationale <text>', 'its rationale: attempts to resolve it, advice given, alternatives offered');
  return program;
}

/** Every command and subcommand: errors one line on stderr and exit code 2, help on stdout and 0. */
function configure(command: Command): void {
  command.exitOverride().configureOutput({ outputError: (text, write) => write(`dispute: ${text.replace(/^error: /, '').trim()}\n`) });
  for (const sub of command.commands) configure(sub);
}

async function main(): Promise<number> {
  const program = build();
  await registerCommandModules(program);
  configure(program);
  if (process.argv.length <= 2) {
    process.stderr.write(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      // A usage text may follow the message; one line is the rule, `--help` shows the rest.
      process.stderr.write(`dispute: ${error.message.split('\n')[0]}\n`);
      return 2;
    }
    if (isSettingError(error)) {
      process.stderr.write(`dispute: ${oneLine(error.message)}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main();
