import { createCalendar } from './calendar';
import { evaluate, lastStage, timeline } from './deadlines';
import { Category, Risk, Tier, type Policy, type Recipient } from './schema';

export interface Problem {
  path: string;
  message: string;
}

const tierRank = new Map(Tier.options.map((tier, index) => [tier, index]));

// Instants that stress deadlines: an ordinary Monday, a late Friday before Christmas, a Saturday
// before the spring clock change, the Thursday before Easter.
const sampleConcerns = ['2026-06-01T08:00:00Z', '2025-12-19T17:30:00Z', '2026-03-28T11:00:00Z', '2026-04-02T15:00:00Z'];

/** What the schema cannot see: a policy whose parts contradict each other. */
export function checkPolicy(policy: Policy): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });

  policy.stages.forEach((stage, index) => {
    if (stage.stage !== index + 1) add(`stages.${index}.stage`, `expected stage ${index + 1}: stages are numbered 1, 2, 3… in order`);
    const previous = policy.stages[index - 1];
    if (previous && tierRank.get(stage.tier)! <= tierRank.get(previous.tier)!) {
      add(`stages.${index}.tier`, `stage ${stage.stage} (${stage.tier}) must be a higher tier than stage ${previous.stage} (${previous.tier})`);
    }
    if (index === 0 && stage.gate) add(`stages.0.gate`, 'the first stage cannot be gated: a dispute must have somewhere to start');
    const next = policy.stages[index + 1];
    if (next && !stage.concludeBy && !next.startBy) {
      add(`stages.${index}`, `stage ${stage.stage} has no conclude-by and stage ${next.stage} no latest start: a dispute nobody decides would never reach stage ${next.stage}`);
    }
    if (!next && !stage.concludeBy) add(`stages.${index}.concludeBy`, 'the last stage needs a conclude-by, so overdue notices can go out');
  });

  const officers = new Set(Object.keys(policy.officers));
  const checkRecipients = (path: string, recipients: Recipient[]) =>
    recipients.forEach((recipient, index) => {
      if (recipient.kind === 'officer' && !officers.has(recipient.officer)) {
        add(`${path}.${index}`, `notifies officer '${recipient.officer}', which the board does not define (it defines: ${[...officers].join(', ') || 'none'})`);
      }
    });
  policy.stages.forEach((stage, index) => {
    checkRecipients(`stages.${index}.onEnter`, stage.onEnter.map((notice) => notice.to));
    checkRecipients(`stages.${index}.onResolved`, stage.onResolved.map((notice) => notice.to));
  });
  checkRecipients('overdue.to', policy.overdue.to);
  if (policy.record) checkRecipients('record.sendTo', policy.record.sendTo);
  checkRecipients('onResolved', (policy.onResolved ?? []).map((notice) => notice.to));
  const board = policy.lastStage;
  if (board) {
    const named = [['convenedBy', board.convenedBy], ...(board.chairedBy ? [['chairedBy', board.chairedBy]] : []), ...board.recordedBy.officers.map((officer, index) => [`recordedBy.officers.${index}`, officer])];
    for (const [path, officer] of named) {
      if (!officers.has(officer!)) add(`lastStage.${path}`, `names officer '${officer}', which the board does not define (it defines: ${[...officers].join(', ') || 'none'})`);
    }
    if (policy.stages.at(-1)?.tier !== 'board') add('lastStage', "the last stage belongs to the board: its tier must be 'board'");
  }
  if (policy.officeHours && policy.officeHours !== 'any-time' && policy.officeHours.start >= policy.officeHours.end) add('officeHours', `office hours must start before they end (${policy.officeHours.start}–${policy.officeHours.end})`);
  const action = policy.imminentRisk.action;
  if (action.kind === 'notify') checkRecipients('imminentRisk.action.to', action.to);

  const stageNumbers = new Set(policy.stages.map((stage) => stage.stage));
  if (action.kind === 'jump-to-stage' && !stageNumbers.has(action.stage)) {
    add('imminentRisk.action.stage', `jumps to stage ${action.stage}, which the policy does not have`);
  }
  if (action.kind === 'jump-to-stage' && action.stage === lastStage(policy) + 1) {
    add('imminentRisk.action.stage', 'jumps beyond the last stage');
  }
  policy.stages.forEach((stage, index) =>
    stage.onEnter.forEach((notice, noticeIndex) => {
      if (notice.to.kind === 'tier' && !stageNumbers.has(notice.to.stage)) add(`stages.${index}.onEnter.${noticeIndex}.to.stage`, `names stage ${notice.to.stage}, which the policy does not have`);
    }),
  );
  policy.record?.stages.forEach((stage, index) => {
    if (!stageNumbers.has(stage)) add(`record.stages.${index}`, `names stage ${stage}, which the policy does not have`);
  });

  if (problems.length === 0) problems.push(...checkTimelines(policy));
  return problems;
}

/** Deadlines must never go backwards, for any risk or category, from awkward concern instants. */
function checkTimelines(policy: Policy): Problem[] {
  const problems: Problem[] = [];
  const calendar = createCalendar({ division: policy.board.division });
  for (const concern of sampleConcerns) {
    for (const risk of Risk.options) {
      for (const category of Category.options) {
        const stages = timeline(policy, calendar, { concernAt: new Date(concern), risk, category });
        let previous: { stage: number; startBy: Date; concludeBy: Date | null } | null = null;
        for (const [index, stage] of stages.entries()) {
          if (!stage.startBy) continue;
          const where = `stages.${index}`;
          const when = `(concern at ${concern}, ${risk} risk, ${category})`;
          if (stage.concludeBy && stage.concludeBy < stage.startBy) {
            problems.push({ path: where, message: `stage ${stage.stage} must be concluded before it starts ${when}` });
          }
          const declared = policy.stages[index]!.startBy;
          const latestStart = declared && evaluate(declared, { calendar, concernAt: new Date(concern), enteredAt: stage.startBy, risk });
          if (previous && latestStart && latestStart < previous.startBy) {
            problems.push({ path: `${where}.startBy`, message: `stage ${stage.stage}'s latest start comes before stage ${previous.stage} starts ${when}` });
          }
          if (previous && stage.startBy < previous.startBy) {
            problems.push({ path: where, message: `stage ${stage.stage} would start before stage ${previous.stage} ${when}` });
          }
          if (previous?.concludeBy && stage.concludeBy && stage.concludeBy < previous.concludeBy) {
            problems.push({ path: where, message: `stage ${stage.stage}'s conclude-by comes before stage ${previous.stage}'s ${when}` });
          }
          previous = { stage: stage.stage, startBy: stage.startBy, concludeBy: stage.concludeBy };
        }
        if (problems.length) return problems;
      }
    }
  }
  return problems;
}
