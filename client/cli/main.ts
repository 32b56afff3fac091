import { DirectoryError } from '../../policies/directory';
import { PolicyError } from '../../policies/load';
import { ConfigError } from '../../runtime/errors';
import { UsageError } from './errors';
import { policyCommand } from './policy';
import { simulateCommand } from './simulate';
import { apiKeyCommand } from './api-key';
import { replyCommand } from './reply';
import { disputeCommand, disputeUsage } from './disputes';

const usage = `usage: dispute <command>
  policy list | show <id> | timeline <id> --from <instant> [--risk …] [--json]
  simulate --policy <id> --concern-at <instant> [--category …] [--risk …] [--resolve-at-stage <n>] [--json]
  api-key --agency <id> | --board <id>   (a new API key, and the line for the keys file)
  reply <reply.eml> | --to <address> --from <email> --text <text>   (try a reply by email, by hand)
  start | show | list | outcome | risk | withdraw | note   (against a running Temporal; \`dispute help\` for each)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  try {
    switch (command) {
      case 'policy':
        policyCommand(rest, out);
        return 0;
      case 'reply':
        await replyCommand(rest, out);
        return 0;
      case 'api-key':
        apiKeyCommand(rest, out);
        return 0;
      case 'simulate':
        await simulateCommand(rest, out);
        return 0;
      case 'start':
      case 'show':
      case 'list':
      case 'outcome':
      case 'risk':
      case 'withdraw':
      case 'note':
        await disputeCommand(command, rest, out);
        return 0;
      case undefined:
      case 'help':
      case '--help':
        out(command === undefined ? usage : `${usage}\n\n${disputeUsage}`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'\n${usage}`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof PolicyError || error instanceof ConfigError || error instanceof DirectoryError) {
      process.stderr.write(`dispute: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
