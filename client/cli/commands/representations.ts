import type { Command } from 'commander';
import { loadConfig } from '../../../runtime/config';
import { UsageError } from '../errors';
import type { CommandContext } from '../main';

/** `dispute representation` and `dispute convene`: the board's stage from the command line. */
export function register(program: Command, { argsAfter, out }: CommandContext): void {
  const run = (command: 'representation' | 'convene') => async () => {
    // Loaded when it runs: `--help` does not load the Temporal client.
    const [{ connectDisputes, DisputeFailure }, { representationsCommand }] = await Promise.all([import('../../operations'), import('../representations')]);
    const config = loadConfig();
    let connected;
    try {
      connected = await connectDisputes(config, { connectTimeoutMs: 5_000 });
    } catch {
      throw new UsageError(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS}: is \`npm start\` running, or TEMPORAL_ADDRESS set?`);
    }
    try {
      await representationsCommand(command, argsAfter(command), connected.disputes, out);
    } catch (error) {
      if (error instanceof DisputeFailure) throw new UsageError(`${error.kind}: ${error.message}`);
      throw error;
    } finally {
      await connected.close();
    }
  };
  program
    .command('representation')
    .argument('<id>', 'dispute id')
    .description("a party's written representation to the board at the last stage (by its last-stage contact)")
    .requiredOption('--by <email>', 'who makes it')
    .requiredOption('--text <text>', 'the representation')
    .option('--json', 'print JSON for scripts')
    .action(run('representation'));
  program
    .command('convene')
    .argument('<id>', 'dispute id')
    .description("the last stage's panel members (a board officer), or the route (North Somerset: a board representative)")
    .requiredOption('--by <email>', 'who records it')
    .option('--route <route>', 'mediation | panel, where the policy offers a choice')
    .option('--member <name:email>', 'a panel member, "Name:email" (repeat the option for each)')
    .option('--note <text>', 'a note')
    .option('--json', 'print JSON for scripts')
    .action(run('convene'));
}
