import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Command } from 'commander';
import { loadDirectory } from '../../../policies/directory';
import { hashKey } from '../../api/keys';
import { UsageError } from '../errors';
import type { CommandContext } from '../main';

const usage = 'usage: dispute api-key --agency <agency id> | --board <board id> [--name <label>]';

/** `dispute api-key`: the pattern for a command in this folder, which main.ts registers on its own. */
export function register(program: Command, { argsAfter, out }: CommandContext): void {
  program
    .command('api-key')
    .description('makes an API key: printed once, with the line (its hash) for the keys file')
    .option('--agency <id>', 'the agency the key acts for')
    .option('--board <id>', 'the board the key acts for')
    .option('--name <label>', 'a label for the keys file')
    .action(() => apiKeyCommand(argsAfter('api-key'), out));
}

/** Makes a new API key: the key is printed once, for the agency; the keys file keeps only its hash. */
export function apiKeyCommand(args: string[], out: (text: string) => void): void {
  let values;
  try {
    values = parseArgs({ args, options: { agency: { type: 'string' }, board: { type: 'string' }, name: { type: 'string' } } }).values;
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : error}\n${usage}`);
  }
  if (Boolean(values.agency) === Boolean(values.board)) throw new UsageError(`one of --agency or --board is needed\n${usage}`);
  const directory = loadDirectory(process.env.DIRECTORY_FILE || undefined);
  if (values.agency && !directory.agencies.some((agency) => agency.id === values.agency)) throw new UsageError(`--agency: '${values.agency}' is not in the agency directory`);
  if (values.board && !directory.boards[values.board]) throw new UsageError(`--board: '${values.board}' is not in the agency directory`);
  const key = `dsk_${randomBytes(24).toString('base64url')}`;
  const who = values.agency ? `agency: ${values.agency}` : `board: ${values.board}`;
  out(`key (give it to the caller; it is not kept): ${key}`);
  out('line for the keys file:');
  out(`  - { name: ${JSON.stringify(values.name ?? values.agency ?? values.board)}, ${who}, sha256: ${hashKey(key)} }`);
}
