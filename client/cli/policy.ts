import { parseArgs } from 'node:util';
import { createCalendar, formatLondon } from '../../policies/calendar';
import { calendarConfigFor, loadHolidaySources } from '../../policies/calendar/sources';
import { timeline } from '../../policies/deadlines';
import { describePolicy } from '../../policies/describe';
import { PolicyRegistry } from '../../policies/load';
import { Category, Risk } from '../../policies/schema';
import { option, UsageError } from './errors';
import { Instant } from './instant';

const usage = `usage:
  dispute policy list
  dispute policy show <id>
  dispute policy timeline <id> --from <ISO-8601 instant> [--risk standard|high|imminent] [--category abuse|neglect|self-neglect|other] [--json]`;

function registry(): PolicyRegistry {
  return PolicyRegistry.fromDirectory(process.env.POLICY_DIR || undefined);
}

function policyById(id: string | undefined) {
  if (!id) throw new UsageError(`a policy id is needed\n${usage}`);
  const policies = registry();
  const policy = policies.find(id);
  if (!policy) throw new UsageError(`unknown policy '${id}'; known: ${policies.list().map((p) => p.id).join(', ')}`);
  return policy;
}

export function policyCommand(args: string[], out: (text: string) => void): void {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      for (const policy of registry().list()) {
        out(`${policy.id.padEnd(34)} v${policy.version}  ${policy.board.name}`);
      }
      return;
    }
    case 'show': {
      out(describePolicy(policyById(rest[0])));
      return;
    }
    case 'timeline': {
      let parsed;
      try {
        parsed = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { from: { type: 'string' }, risk: { type: 'string' }, category: { type: 'string' }, json: { type: 'boolean' } },
        });
      } catch (error) {
        throw new UsageError(`${error instanceof Error ? error.message : error}\n${usage}`);
      }
      const policy = policyById(parsed.positionals[0]);
      if (parsed.values.from === undefined) throw new UsageError('--from: the concern instant is needed, e.g. --from 2026-03-27T10:30:00Z');
      const concernAt = option(Instant, parsed.values.from, 'from');
      const risk = option(Risk, parsed.values.risk ?? 'standard', 'risk');
      const category = parsed.values.category === undefined ? undefined : option(Category, parsed.values.category, 'category');
      const sources = loadHolidaySources({ holidaysFile: process.env.HOLIDAYS_FILE, feedFile: process.env.BANK_HOLIDAYS_FEED_FILE });
      const calendar = createCalendar(calendarConfigFor(policy.board.division, sources));
      const stages = timeline(policy, calendar, { concernAt, risk, ...(category ? { category } : {}) });
      if (parsed.values.json) {
        out(
          JSON.stringify({
            policy: policy.id,
            stages: stages.map((stage) => ({
              stage: stage.stage,
              startBy: stage.startBy?.toISOString() ?? null,
              concludeBy: stage.concludeBy?.toISOString() ?? null,
            })),
          }),
        );
        return;
      }
      out(`${policy.board.name}, concern at ${formatLondon(concernAt)}, ${risk} risk${category ? `, ${category}` : ''}`);
      out('(each stage as if every earlier stage ran to its deadline; London time)');
      out('');
      out(`${'stage'.padEnd(7)}${'tier'.padEnd(16)}${'starts'.padEnd(28)}concluded by`);
      for (const stage of stages) {
        const tier = policy.stages.find((s) => s.stage === stage.stage)?.tier ?? '';
        const starts = stage.startBy ? formatLondon(stage.startBy) : 'not reached';
        const concludes = stage.concludeBy ? formatLondon(stage.concludeBy) : '—';
        out(`${String(stage.stage).padEnd(7)}${tier.padEnd(16)}${starts.padEnd(28)}${stage.startBy ? concludes : ''}`);
      }
      return;
    }
    default:
      throw new UsageError(sub ? `unknown policy command '${sub}'\n${usage}` : usage);
  }
}
