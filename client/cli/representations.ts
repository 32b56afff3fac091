import { parseArgs } from 'node:util';
import { formatLondon } from '../../policies/calendar';
import { act, type Disputes } from '../operations';
import { UsageError } from './errors';

// The board's stage from the command line: a party's written representation, and how the stage is
// convened (the panel's members; North Somerset's choice of mediation or a panel).

export const representationsUsage = `usage:
  dispute representation <id> --by <email> --text <text> [--json]
  dispute convene <id> --by <email> [--route mediation|panel] [--member "<name>:<email>" …] [--note <text>] [--json]`;

type Out = (text: string) => void;

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: { by: { type: 'string' }, text: { type: 'string' }, route: { type: 'string' }, member: { type: 'string', multiple: true }, note: { type: 'string' }, json: { type: 'boolean' } },
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : error}\n${representationsUsage}`);
  }
}

function needed(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`${what} is needed\n${representationsUsage}`);
  return value;
}

/** `dispute representation` and `dispute convene`, against a running Temporal. */
export async function representationsCommand(command: 'representation' | 'convene', args: string[], disputes: Disputes, out: Out): Promise<void> {
  const { values, positionals } = parse(args);
  const disputeId = needed(positionals[0], 'the dispute id (first argument)');
  const by = needed(values.by, '--by');
  let accepted;
  if (command === 'representation') {
    accepted = await act(disputes, disputeId, 'submitRepresentation', { by, text: needed(values.text, '--text') });
  } else {
    const members = (values.member ?? []).map((text) => {
      const at = text.lastIndexOf(':');
      if (at < 1) throw new UsageError(`--member: expected "<name>:<email>", not '${text}'`);
      return { name: text.slice(0, at), email: text.slice(at + 1) };
    });
    accepted = await act(disputes, disputeId, 'convene', {
      by,
      ...(values.route ? { route: values.route } : {}),
      ...(members.length ? { members } : {}),
      ...(values.note ? { note: values.note } : {}),
    });
  }
  out(
    values.json
      ? JSON.stringify(accepted)
      : `accepted: ${disputeId} is ${accepted.status} at stage ${accepted.stage}${accepted.concludeBy ? `, deadline ${formatLondon(new Date(accepted.concludeBy))}` : ''}`,
  );
}
