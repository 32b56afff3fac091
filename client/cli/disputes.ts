import { hostname, userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import type { Reader } from '../../records/access-log';
import { formatLondon } from '../../policies/calendar';
import { DirectoryError } from '../../policies/directory';
import { PolicyError } from '../../policies/load';
import { loadConfig } from '../../runtime/config';
import { ConfigError } from '../../runtime/errors';
import type { DisputeEvent, DisputeView } from '../../workflows/dispute/model';
import { loadKeyRing } from '../../runtime/key-ring';
import { AnswerInput, RationaleInput } from '../../workflows/dispute/model';
import { act, connectDisputes, DisputeFailure, listDisputePage, openDispute, readDispute, recordAccess, type Disputes, type Operation } from '../operations';
import { listFilterFromFlags, listFlags } from './records';
import { UsageError } from './errors';
import { Instant } from './instant';

// The operators' commands: the same operations as the API, straight to Temporal (address and task
// queue from the environment; by default the ones `npm start` uses). --json everywhere for scripts.

export const disputeUsage = `usage:
  dispute start --policy <id> --concern-at <instant> --category <c> [--risk <r>] --agency <agencyId>:<name>:<email> (raising first, repeat)
                --reference <pseudonymous ref> --summary <text> [--json]
  dispute show <id> [--json]
  dispute list [--board <id>] [--stage <n>] [--status <s>] [--agency <id>] [--overdue] [--outcome <o>] [--category <c>] [--risk <r>]
               [--started-from <date>] [--started-to <date>] [--closed-from <date>] [--closed-to <date>] [--limit <n>] [--page <n>] [--json]
  dispute outcome <id> resolved|unresolved|decided --by <email> [--stage <n>] [--actions <text> | --reason <text>] [--safety-confirmed] [--json]
  dispute risk <id> high|imminent --by <email> --reason <text> [--json]
  dispute withdraw <id> --by <email> --reason <text> [--json]
  dispute note <id> --by <email> --text <text> [--json]
  dispute answer <id> --by <email> --field <id> --choice <text> [--comment <text>] [--json]
  dispute rationale <id> --by <email> --decision <text> --rationale <text> [--json]`;

export type DisputeCommand = 'start' | 'show' | 'list' | 'outcome' | 'risk' | 'withdraw' | 'note' | 'answer' | 'rationale';

type Values = Record<string, string | boolean | string[] | undefined>;

function parse(args: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options: { ...options, json: { type: 'boolean' } }, allowPositionals: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : error}\n${disputeUsage}`);
  }
}

function needed(value: unknown, flag: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${flag} is needed\n${disputeUsage}`);
  return value;
}

const OperatorName = z.string().trim().min(1, 'is empty').max(120, 'is longer than 120 characters').regex(/^[^\p{Cc}]*$/u, 'has control characters');

/**
 * Who the CLI's user is, for the access log: DISPUTE_OPERATOR (the operator's name, for a shared
 * account or a container), else the OS user at this host.
 */
export function cliReader(env: NodeJS.ProcessEnv = process.env): Reader {
  if (env.DISPUTE_OPERATOR !== undefined) {
    const parsed = OperatorName.safeParse(env.DISPUTE_OPERATOR);
    if (!parsed.success) throw new ConfigError(`DISPUTE_OPERATOR: ${parsed.error.issues[0]?.message}; expected the operator's name`);
    return { kind: 'cli-user', name: parsed.data };
  }
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return { kind: 'cli-user', name: `${user}@${hostname()}` };
}

async function connect(): Promise<{ disputes: Disputes; close: () => Promise<void> }> {
  const config = loadConfig();
  try {
    return await connectDisputes(config, { connectTimeoutMs: 5_000, keyRing: loadKeyRing(config, { local: true }) });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PolicyError || error instanceof DirectoryError) throw error;
    throw new UsageError(`cannot reach Temporal at ${config.TEMPORAL_ADDRESS}: is \`npm start\` running, or TEMPORAL_ADDRESS set?`);
  }
}

export async function disputeCommand(command: DisputeCommand, args: string[], out: (text: string) => void): Promise<void> {
  // Everything the person typed is checked before anything connects.
  const work = prepare(command, args, out);
  const { disputes, close } = await connect();
  try {
    await work(disputes);
  } catch (error) {
    if (error instanceof DisputeFailure) throw new UsageError(`${error.kind}: ${error.message}`);
    throw error;
  } finally {
    await close();
  }
}

type Work = (disputes: Disputes) => Promise<void>;

function prepare(command: DisputeCommand, args: string[], out: (text: string) => void): Work {
  const print = (json: boolean | undefined, value: unknown, text: () => string) => out(json ? JSON.stringify(value) : text());
  switch (command) {
    case 'start': {
      const { values } = parse(args, {
        policy: { type: 'string' },
        'concern-at': { type: 'string' },
        category: { type: 'string' },
        risk: { type: 'string' },
        agency: { type: 'string', multiple: true },
        reference: { type: 'string' },
        summary: { type: 'string' },
      });
      const concernAt = Instant.safeParse(needed(values['concern-at'], 'concern-at'));
      if (!concernAt.success) throw new UsageError(`--concern-at: ${concernAt.error.issues[0]?.message}`);
      const agencies = ((values.agency as string[] | undefined) ?? []).map((text) => {
        const [agencyId, name, email] = text.split(':');
        if (!agencyId || !name || !email) throw new UsageError(`--agency: expected <agencyId>:<practitioner name>:<email>, not '${text}'`);
        return { agencyId, practitioner: { name, email } };
      });
      const input = {
        policy: needed(values.policy, 'policy'),
        concernAt: concernAt.data.toISOString(),
        category: needed(values.category, 'category') as never,
        ...(values.risk ? { risk: values.risk as never } : {}),
        agencies,
        personReference: needed(values.reference, 'reference'),
        summary: needed(values.summary, 'summary'),
      };
      return async (disputes) => {
        const { disputeId, created } = await openDispute(disputes, input);
        print(values.json as boolean, { disputeId, created }, () => `started ${disputeId}`);
      };
    }
    case 'show': {
      const { values, positionals } = parse(args, {});
      const disputeId = needed(positionals[0], 'dispute id (first argument)');
      const who = cliReader();
      return async (disputes) => {
        const view = await readDispute(disputes, disputeId);
        await recordAccess(disputes, [{ disputeId, channel: 'cli', action: 'show', who }], { why: true });
        print(values.json as boolean, view, () => describeDispute(view));
      };
    }
    case 'list': {
      const { values } = parse(args, {
        board: { type: 'string' }, stage: { type: 'string' }, status: { type: 'string' }, agency: { type: 'string' }, overdue: { type: 'boolean' },
        ...Object.fromEntries(Object.keys(listFlags).map((flag) => [flag, { type: 'string' as const }])),
      });
      const filter = listFilterFromFlags({ ...values, overdue: values.overdue ? true : undefined });
      const who = cliReader();
      return async (disputes) => {
        const page = await listDisputePage(disputes, filter);
        // Report fields only: one entry for the call.
        await recordAccess(disputes, [{ disputeId: null, channel: 'cli', action: 'list', who, detail: `${page.disputes.length} dispute(s), report fields only` }], { why: true });
        const found = page.disputes;
        print(values.json as boolean, page, () =>
          found.length === 0
            ? 'no disputes'
            : found
                .map((d) => `${d.disputeId.padEnd(22)} ${d.board.padEnd(32)} stage ${d.stage ?? '?'}  ${d.status.padEnd(10)} ${d.risk.padEnd(9)} ${d.deadline ? formatLondon(new Date(d.deadline)) : ''}`)
                .join('\n'),
        );
      };
    }
    default: {
      const { values, positionals } = parse(args, {
        by: { type: 'string' },
        stage: { type: 'string' },
        actions: { type: 'string' },
        reason: { type: 'string' },
        text: { type: 'string' },
        'safety-confirmed': { type: 'boolean' },
        field: { type: 'string' },
        choice: { type: 'string' },
        comment: { type: 'string' },
        decision: { type: 'string' },
        rationale: { type: 'string' },
      });
      const disputeId = needed(positionals[0], 'dispute id (first argument)');
      const by = needed(values.by, 'by');
      let operation: Operation;
      let payload: Record<string, unknown>;
      // The current stage, when --stage is not given, is read once connected.
      let stage: number | undefined;
      if (command === 'outcome') {
        const decision = needed(positionals[1], 'decision (resolved, unresolved or decided, after the id)');
        if (values.stage !== undefined) {
          stage = Number(values.stage);
          if (!Number.isInteger(stage) || stage < 1) throw new UsageError(`--stage: expected a stage number such as 2, not '${String(values.stage)}'`);
        }
        operation = 'recordOutcome';
        payload = {
          decision,
          by,
          ...(values.actions ? { agreedActions: values.actions } : {}),
          ...(values.reason ? { reason: values.reason } : {}),
          ...(values['safety-confirmed'] ? { safetyMeasuresConfirmed: true } : {}),
        };
      } else if (command === 'risk') {
        operation = 'raiseRisk';
        payload = { risk: needed(positionals[1], 'risk (high or imminent, after the id)'), by, reason: needed(values.reason, 'reason') };
      } else if (command === 'withdraw') {
        operation = 'withdraw';
        payload = { by, reason: needed(values.reason, 'reason') };
      } else if (command === 'answer') {
        operation = 'answerForm';
        payload = strictly(AnswerInput, {
          by,
          field: needed(values.field, 'field'),
          choice: needed(values.choice, 'choice'),
          ...(values.comment !== undefined ? { comment: values.comment } : {}),
        });
      } else if (command === 'rationale') {
        operation = 'recordRationale';
        payload = strictly(RationaleInput, { by, decision: needed(values.decision, 'decision'), rationale: needed(values.rationale, 'rationale') });
      } else {
        operation = 'addNote';
        payload = { by, text: needed(values.text, 'text') };
      }
      return async (disputes) => {
        if (operation === 'recordOutcome') payload = { stage: stage ?? (await readDispute(disputes, disputeId)).stage, ...payload };
        const accepted = await act(disputes, disputeId, operation, payload);
        print(values.json as boolean, accepted, () => `accepted: ${disputeId} is ${accepted.status} at stage ${accepted.stage}${accepted.concludeBy ? `, deadline ${formatLondon(new Date(accepted.concludeBy))}` : ''}`);
      };
    }
  }
}

/**
 * A body the API would take, parsed by the same schema before anything connects; a refusal names the
 * flag (the flags are the body's fields by the same names).
 */
function strictly<T extends Record<string, unknown>>(schema: z.ZodType<T>, body: Record<string, unknown>): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UsageError(`--${String(issue?.path[0] ?? 'by')}: ${issue?.message ?? 'invalid'}`);
}

function describeDispute(view: DisputeView): string {
  const lines = [
    `${view.disputeId} — ${view.board} (policy ${view.policy.id} v${view.policy.version}); person ${view.personReference}`,
    `${view.status === 'open' ? 'open' : `closed: ${view.status}`} at stage ${view.stage} (${view.tier}), ${view.risk} risk, ${view.category}`,
    `agencies: ${view.agencies.map((agency) => `${agency.name}${agency.raising ? ' (raising)' : ''}`).join('; ')}`,
  ];
  if (view.status === 'open') {
    lines.push(`stage entered ${formatLondon(new Date(view.enteredStageAt))}`);
    const { concludeBy, escalateAt, remindAt } = view.deadlines;
    if (concludeBy) lines.push(`concluded by  ${formatLondon(new Date(concludeBy))}`);
    if (escalateAt && escalateAt !== concludeBy) lines.push(`escalates at  ${formatLondon(new Date(escalateAt))}`);
    if (remindAt) lines.push(`reminder at   ${formatLondon(new Date(remindAt))}`);
    lines.push(`awaiting: ${view.awaiting.map((party) => `${party.agency}: ${party.contacts.map((c) => c.email).join(', ')}`).join('; ')}`);
  }
  lines.push('', 'timeline:');
  for (const event of view.events) lines.push(`  ${formatLondon(new Date(event.at)).padEnd(27)} stage ${event.stage}  ${eventLine(event)}`);
  return lines.join('\n');
}

function eventLine(event: DisputeEvent): string {
  const { seq: _seq, at: _at, stage: _stage, type, ...rest } = event;
  const by = 'by' in rest && rest.by ? ` by ${rest.by}` : '';
  const details = Object.entries(rest)
    .filter(([key]) => key !== 'by')
    // A form as sent is named here; its fields are in the JSON (`--json`).
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : key === 'form' ? `"${(value as { name: string }).name}"` : String(value)}`)
    .join(' ');
  return `${type}${by}${details ? `  ${details}` : ''}`;
}
