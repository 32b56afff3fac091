import type { Command } from 'commander';
import type { CommandContext } from '../main';

// Loaded when it runs: `--help` does not load the Temporal client.
const keysCommand = async (...args: Parameters<typeof import('../keys').keysCommand>) => (await import('../keys')).keysCommand(...args);

/** `dispute keys`: payload keys, operator keys, and which keys open disputes still need. */
export function register(program: Command, { argsAfter, out }: CommandContext): void {
  const keys = program.command('keys').description('payload encryption keys and operator keys for the codec endpoint');
  keys
    .command('new')
    .description('makes a payload key: the line for PAYLOAD_KEYS (put first to encrypt new payloads with it)')
    .option('--id <key id>', 'the key id written in each payload it seals')
    .action(() => keysCommand(argsAfter('keys'), out));
  keys
    .command('operator')
    .description('makes an operator key for the codec endpoint: printed once, with the line (its hash) for the operator keys file')
    .requiredOption('--name <who>', 'the operator it belongs to')
    .action(() => keysCommand(argsAfter('keys'), out));
  keys
    .command('rotate-check')
    .description('which payload keys the open disputes still need, before an old key leaves PAYLOAD_KEYS')
    .option('--json', 'JSON output')
    .action(() => keysCommand(argsAfter('keys'), out));
}
