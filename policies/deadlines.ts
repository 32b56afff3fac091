import type { Calendar } from './calendar';
import { DAY } from './calendar';
import type { Amount, Category, DeadlineRule, Policy, Reminder, Risk, Stage } from './schema';

// Pure functions from a policy and instants to instants; the workflow calls them too, so they do
// no I/O and read no clock.

export interface DeadlineContext {
  calendar: Calendar;
  concernAt: Date;
  /** When the stage being measured was entered. */
  enteredAt: Date;
  risk: Risk;
}

export function amountFor(amount: Amount, risk: Risk): number {
  return typeof amount === 'number' ? amount : amount[risk];
}

export function evaluate(rule: DeadlineRule, context: DeadlineContext): Date {
  const base = rule.from === 'concern' ? context.concernAt : context.enteredAt;
  const { calendar } = context;
  switch (rule.unit) {
    case 'working-hours':
      return calendar.addWorkingHours(base, amountFor(rule.amount, context.risk));
    case 'working-days':
      return calendar.addWorkingDays(base, amountFor(rule.amount, context.risk));
    case 'calendar-days':
      return calendar.addCalendarDays(base, amountFor(rule.amount, context.risk));
    case 'elapsed-hours':
      return calendar.addElapsedHours(base, amountFor(rule.amount, context.risk));
    case 'end-of-day':
      return calendar.endOfDay(base, rule.day);
  }
}

function earliest(dates: Date[]): Date | null {
  return dates.reduce<Date | null>((min, date) => (min === null || date < min ? date : min), null);
}

export function stageOf(policy: Policy, stage: number): Stage {
  const found = policy.stages.find((candidate) => candidate.stage === stage);
  if (!found) throw new RangeError(`policy ${policy.id} has no stage ${stage}`);
  return found;
}

export function lastStage(policy: Policy): number {
  return policy.stages[policy.stages.length - 1]!.stage;
}

/** The stage after `stage` that a dispute of this category can enter, or null where there is none. */
export function nextStage(policy: Policy, stage: number, category?: Category): Stage | null {
  const next = policy.stages.find((candidate) => candidate.stage === stage + 1);
  if (!next) return null;
  if (next.gate && category !== undefined && !next.gate.categories.includes(category)) return null;
  return next;
}

export interface StageDeadlines {
  /** The latest start, where the policy gives one. */
  startBy: Date | null;
  /** When the stage should be concluded (the earliest of its rules). */
  concludeBy: Date | null;
  /** When the dispute escalates (or, at the last reachable stage, closes) on its own. */
  escalateAt: Date | null;
  /** When the current tier is reminded; null for none. */
  remindAt: Date | null;
}

/** The deadlines of a stage entered at `enteredAt`. */
export function stageDeadlines(policy: Policy, stage: number, context: DeadlineContext, category?: Category): StageDeadlines {
  const current = stageOf(policy, stage);
  const startBy = current.startBy ? evaluate(current.startBy, context) : null;
  const concludeBy = earliest((current.concludeBy ?? []).map((rule) => evaluate(rule, context)));
  const next = nextStage(policy, stage, category);
  const gatedOut = next === null && policy.stages.some((candidate) => candidate.stage === stage + 1);
  // The next stage's latest start is when this one gives way; otherwise this one's conclude-by.
  const nextStart = next?.startBy ? evaluate(next.startBy, { ...context }) : null;
  let escalateAt = nextStart ?? concludeBy;
  if (next === null && !gatedOut) escalateAt = null; // the last stage waits for its decision
  if (gatedOut) escalateAt = concludeBy; // closes as unresolved when its time runs out
  if (escalateAt && escalateAt < context.enteredAt) escalateAt = context.enteredAt;
  const remindAt = reminderAt(current.reminder ?? policy.reminder, context, concludeBy ?? escalateAt, current);
  return { startBy, concludeBy, escalateAt, remindAt };
}

function reminderAt(reminder: Reminder, context: DeadlineContext, deadline: Date | null, stage: Stage): Date | null {
  switch (reminder.kind) {
    case 'none':
      return null;
    case 'after': {
      const at = evaluate(reminder.rule, context);
      return deadline && at >= deadline ? null : at;
    }
    case 'fraction': {
      if (!deadline || deadline <= context.enteredAt) return null;
      const unit = (stage.concludeBy ?? [])[0]?.unit ?? 'working-days';
      const { calendar, enteredAt } = context;
      if (unit === 'working-days' || unit === 'working-hours') {
        const working = calendar.workingTimeBetween(enteredAt, deadline);
        if (working <= 0) return null;
        return calendar.addWorkingHours(enteredAt, (working * reminder.fraction) / (DAY / 24));
      }
      return new Date(enteredAt.getTime() + (deadline.getTime() - enteredAt.getTime()) * reminder.fraction);
    }
  }
}

export interface TimelineStage {
  stage: number;
  /** When the stage is entered if every earlier stage runs to its deadline; null if never entered. */
  startBy: Date | null;
  concludeBy: Date | null;
}

export interface TimelineInput {
  concernAt: Date;
  risk: Risk;
  category?: Category;
  /** Where the policy lets the raiser choose (imminent risk): the stage to start at. */
  startStage?: number;
}

/** The stage a new dispute starts at, given its risk (imminent risk at the start counts as raised at once). */
export function startingStage(policy: Policy, input: Pick<TimelineInput, 'risk' | 'startStage'>): number {
  const first = policy.stages[0]!.stage;
  if (input.startStage !== undefined) return input.startStage;
  if (input.risk !== 'imminent') return first;
  const action = policy.imminentRisk.action;
  if (action.kind === 'jump-to-stage') return Math.max(first, action.stage);
  if (action.kind === 'next-stage') return Math.min(first + 1, lastStage(policy));
  return first;
}

/**
 * Every stage's start and conclude-by for a dispute nobody decides: each stage is entered when the
 * previous one gives way.
 */
export function timeline(policy: Policy, calendar: Calendar, input: TimelineInput): TimelineStage[] {
  const start = startingStage(policy, input);
  const result: TimelineStage[] = [];
  let enteredAt: Date | null = null;
  let reachable = true;
  for (const stage of policy.stages) {
    if (stage.stage < start || !reachable) {
      result.push({ stage: stage.stage, startBy: null, concludeBy: null });
      continue;
    }
    if (stage.stage > start && stage.gate && input.category !== undefined && !stage.gate.categories.includes(input.category)) {
      reachable = false;
      result.push({ stage: stage.stage, startBy: null, concludeBy: null });
      continue;
    }
    const entered: Date = enteredAt ?? input.concernAt;
    const context: DeadlineContext = { calendar, concernAt: input.concernAt, enteredAt: entered, risk: input.risk };
    const deadlines = stageDeadlines(policy, stage.stage, context, input.category);
    result.push({ stage: stage.stage, startBy: entered, concludeBy: deadlines.concludeBy });
    enteredAt = deadlines.escalateAt;
    if (enteredAt === null) reachable = false;
  }
  return result;
}
