import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatLondon } from '../../policies/calendar';
import { loadHolidaySources } from '../../policies/calendar/sources';
import { loadDirectory } from '../../policies/directory';
import { PolicyRegistry } from '../../policies/load';
import { Category, Risk } from '../../policies/schema';
import type { DisputeEvent } from '../../workflows/dispute/model';
import { DisputeInputError } from '../disputes';
import { simulate, type Simulation } from '../simulate';
import { option, UsageError } from './errors';
import { Instant } from './instant';

const usage = `usage:
  dispute simulate --policy <id> --concern-at <ISO-8601 instant> [--category abuse|neglect|self-neglect|other]
                   [--risk standard|high|imminent] [--resolve-at-stage <n>] [--json]`;

export async function simulateCommand(args: string[], out: (text: string) => void): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        policy: { type: 'string' },
        'concern-at': { type: 'string' },
        category: { type: 'string' },
        risk: { type: 'string' },
        'resolve-at-stage': { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : error}\n${usage}`);
  }
  const { values } = parsed;
  if (!values.policy) throw new UsageError(`--policy: a policy id is needed\n${usage}`);
  if (!values['concern-at']) throw new UsageError('--concern-at: the concern instant is needed, e.g. --concern-at 2026-03-27T10:30:00Z');
  const concernAt = option(Instant, values['concern-at'], 'concern-at');
  // A category the Leeds gate lets through, so a preview shows every stage unless told otherwise.
  const category = option(Category, values.category ?? 'neglect', 'category');
  const risk = option(Risk, values.risk ?? 'standard', 'risk');
  const resolveAtStage =
    values['resolve-at-stage'] === undefined ? undefined : option(z.coerce.number().int().min(1), values['resolve-at-stage'], 'resolve-at-stage');

  const context = {
    policies: PolicyRegistry.fromDirectory(process.env.POLICY_DIR || undefined),
    directory: loadDirectory(),
    holidays: loadHolidaySources({ holidaysFile: process.env.HOLIDAYS_FILE, feedFile: process.env.BANK_HOLIDAYS_FEED_FILE }),
  };
  let simulation: Simulation;
  try {
    simulation = await simulate(
      { policy: values.policy, concernAt: concernAt.toISOString(), category, risk, ...(resolveAtStage !== undefined ? { resolveAtStage } : {}) },
      context,
    );
  } catch (error) {
    if (error instanceof DisputeInputError) throw new UsageError(error.message);
    throw error;
  }
  if (values.json) {
    // historyEvents: what the preview cost the Temporal server, in events of the workflow's history.
    out(JSON.stringify({ policy: simulation.policy.id, events: simulation.events.map(jsonEvent), historyEvents: simulation.historyEvents }));
    return;
  }
  const { policy } = simulation;
  out(`${policy.board.name} — ${policy.id} v${policy.version}: preview of dispute ${simulation.disputeId}`);
  out(`concern at ${formatLondon(concernAt)}, ${category}, ${risk} risk; ${resolveAtStage ? `resolved an hour into stage ${resolveAtStage}` : 'nobody decides'}`);
  out('');
  for (const event of simulation.events) out(`${formatLondon(new Date(event.at)).padEnd(27)} stage ${event.stage}  ${describeEvent(event)}`);
  out('');
  out(`${simulation.delivered} of ${simulation.requested} emails were delivered to the preview's own SMTP server; the dispute is ${simulation.status}.`);
}

/** One event as the JSON output carries it: type, instant, stage, then what is particular to it. */
function jsonEvent(event: DisputeEvent): Record<string, unknown> {
  const { seq: _seq, type, at, stage, ...rest } = event;
  return { type, at, stage, ...rest };
}

function describeEvent(event: DisputeEvent): string {
  switch (event.type) {
    case 'started':
      return `dispute started (${event.category}, ${event.risk} risk)`;
    case 'stage-entered':
      return `stage entered (${event.reason}); ${event.deadline ? `deadline ${formatLondon(new Date(event.deadline))}` : 'no deadline'}`;
    case 'reminder':
      return `reminder: deadline ${formatLondon(new Date(event.deadline))}`;
    case 'overdue':
      return `overdue notice ${event.notice}: was due ${formatLondon(new Date(event.concludeBy))}`;
    case 'email':
    case 'email-queued':
      return `  email ${event.kind} queued → ${event.to.join(', ')}`;
    case 'email-sent':
      return `  email ${event.kind} sent → ${event.to.join(', ')}`;
    case 'email-rejected':
      return `  email ${event.kind} refused for ${event.to}: ${event.reason}`;
    case 'email-failed':
      return `  email ${event.kind} failed: ${event.reason}`;
    case 'outcome':
      return `${event.decision} recorded by ${event.by}`;
    case 'closed':
      return `closed: ${event.outcome}`;
    default:
      return event.type;
  }
}
