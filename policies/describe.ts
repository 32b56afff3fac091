import { keepClosedYears, type Amount, type DeadlineRule, type Policy, type Recipient, type Reminder } from './schema';

// Policy rules in words, for people: the CLI's `policy show` and, later, emails.

function amountText(amount: Amount, unit: string): string {
  if (typeof amount === 'number') return `${amount} ${plural(unit, amount)}`;
  const { standard, high, imminent } = amount;
  return `${standard} ${plural(unit, standard)} (high risk ${high}, imminent ${imminent})`;
}

function plural(unit: string, amount: number): string {
  return amount === 1 ? unit.replace(/s$/, '') : unit;
}

export function describeRule(rule: DeadlineRule): string {
  const from = rule.from === 'concern' ? 'the concern' : 'entering the stage';
  switch (rule.unit) {
    case 'working-hours':
      return `${amountText(rule.amount, 'working hours')} after ${from}`;
    case 'working-days':
      return `${amountText(rule.amount, 'working days')} after ${from}`;
    case 'calendar-days':
      return `${amountText(rule.amount, 'days')} after ${from}`;
    case 'elapsed-hours':
      return `${amountText(rule.amount, 'hours')} after ${from}`;
    case 'end-of-day':
      return `by the end of day ${rule.day} (day 1 being the day of ${rule.from === 'concern' ? 'the concern' : 'entering the stage'})`;
  }
}

export function describeRecipient(policy: Policy, recipient: Recipient): string {
  switch (recipient.kind) {
    case 'officer':
      return policy.officers[recipient.officer]?.title ?? recipient.officer;
    case 'agency-role': {
      const role = recipient.role === 'designated-safeguarding-lead' ? 'designated safeguarding lead' : 'board representative';
      return recipient.agencies === 'raising' ? `the raising agency's ${role}` : `each agency's ${role}`;
    }
    case 'safeguarding-plan-lead':
      return "the lead for the adult's existing safeguarding plan (if there is one)";
    case 'tier':
      return `each agency's stage ${recipient.stage} contacts`;
    case 'parties':
      return "everyone involved so far in every agency";
  }
}

function describeReminder(reminder: Reminder): string {
  switch (reminder.kind) {
    case 'none':
      return 'none';
    case 'fraction':
      return `when ${Math.round(reminder.fraction * 100)}% of the stage's time has passed`;
    case 'after':
      return `${describeRule(reminder.rule)}${reminder.text ? ` (“${reminder.text}”)` : ''}`;
  }
}

const effects = {
  binding: 'binding on all agencies concerned',
  final: 'final and binding on all organisations involved',
  recommendation: 'not a binding decision',
  unstated: 'the document does not say whether it binds',
} as const;

function officerTitle(policy: Policy, id: string): string {
  return policy.officers[id]?.title ?? id;
}

/** A person-readable summary of a policy's stages and rules. */
export function describePolicy(policy: Policy): string {
  const lines: string[] = [];
  lines.push(`${policy.board.name} (${policy.board.shortName}) — policy ${policy.id}, version ${policy.version}, adopted ${policy.adopted}`);
  lines.push(`Source: ${policy.source.title} (${policy.source.issued}; ${policy.source.document})`);
  lines.push(`Working days: ${policy.board.division}, London time`);
  lines.push('');
  lines.push('Officers:');
  for (const [id, officer] of Object.entries(policy.officers)) {
    lines.push(`  ${id}: ${officer.title}${officer.email ? ` <${officer.email}>` : ''}`);
  }
  for (const stage of policy.stages) {
    lines.push('');
    lines.push(`Stage ${stage.stage} — ${stage.title} [${stage.tier}]`);
    lines.push(`  Who: ${stage.who}`);
    if (stage.startBy) lines.push(`  Starts no later than: ${describeRule(stage.startBy)}`);
    if (stage.concludeBy) lines.push(`  Concluded by: ${stage.concludeBy.map(describeRule).join(', or if sooner ')}`);
    lines.push(`  Reminder: ${describeReminder(stage.reminder ?? policy.reminder)}`);
    if (stage.gate) lines.push(`  Only for: ${stage.gate.categories.join(', ')}; otherwise an unresolved stage ${stage.stage - 1} closes the dispute`);
    for (const notice of stage.onEnter) lines.push(`  On entering, tell ${describeRecipient(policy, notice.to)}: ${notice.purpose}`);
    for (const notice of stage.onResolved) lines.push(`  On resolution, tell ${describeRecipient(policy, notice.to)}: ${notice.purpose}`);
    if (stage.resolutionConfirms.includes('safety-measures')) lines.push('  A resolution must confirm that sufficient safety measures are in place');
    lines.push(`  (${stage.cite})`);
  }
  lines.push('');
  const action = policy.imminentRisk.action;
  const imminent = {
    'jump-to-stage': action.kind === 'jump-to-stage' ? `go straight to stage ${action.stage}` : '',
    'next-stage': 'escalate to the next stage at once',
    notify: action.kind === 'notify' ? `stay, and tell ${action.to.map((to) => describeRecipient(policy, to)).join(', ')} at once` : '',
    shorten: "shorten the current and later stages to their imminent-risk allowance, from the moment it is raised",
  }[action.kind];
  lines.push(`Imminent risk: ${imminent}${policy.imminentRisk.chooseStartStage ? '; the raiser may choose the starting stage' : ''}`);
  const board = policy.lastStage;
  const recorders = board ? board.recordedBy.officers.map((id) => officerTitle(policy, id)) : [];
  lines.push(
    `Overdue (a stage's conclude-by passes before the dispute moves on, or at the last stage): tell the stage's contacts and ${policy.overdue.to.map((to) => describeRecipient(policy, to)).join(' and ')}` +
      `${recorders.length ? ` (at the last stage also ${recorders.join(' and ')})` : ''}; at the last stage again every ${policy.overdue.repeatEvery.amount} working day(s) until its ${board?.outcome.name ?? 'decision'} is recorded`,
  );
  if (board) {
    lines.push('');
    lines.push(`The last stage is the board's:`);
    lines.push(`  Convened by: ${officerTitle(policy, board.convenedBy)}${board.chairedBy ? `; chaired by ${officerTitle(policy, board.chairedBy)}` : ''}${board.panelSize ? `; a panel of at least ${board.panelSize}` : ''}`);
    lines.push(`  Its outcome is a ${board.outcome.name} (${effects[board.outcome.effect]}), recorded by ${[...recorders, ...(board.recordedBy.panel ? ['a panel member recorded on the dispute'] : [])].join(', or ')}; never by a disputing agency`);
    if (board.representations) lines.push("  Each party's last-stage contact may send a written representation, which goes to the panel");
    if (board.routes) lines.push(`  ${board.routes.chosenBy === 'board-representative' ? "An agency's board representative" : "An agency's designated safeguarding lead"} chooses: ${board.routes.options.join(' or ')}`);
    lines.push(`  (${board.cite})`);
  }
  if (policy.record) {
    lines.push(`Record: ${policy.record.name} (${policy.record.reference}) at stages ${policy.record.stages.join(', ')}`);
    lines.push(`  Fields: ${policy.record.fields.map((field) => field.label).join('; ')}`);
    if (policy.record.copyToParties) lines.push(`  A copy to every party's people on entering stage ${policy.record.stages.join(', ')}`);
    if (policy.record.sendTo.length) lines.push(`  Completed, when the dispute is resolved or decided, to ${policy.record.sendTo.map((to) => describeRecipient(policy, to)).join(', ')}`);
  }
  for (const notice of policy.onResolved ?? []) lines.push(`On resolution at any stage, tell ${describeRecipient(policy, notice.to)}: ${notice.purpose}`);
  if (policy.debrief) lines.push(`After it closes, a debrief prompt to everyone involved: ${policy.debrief.purpose}`);
  const hours = policy.officeHours ?? { start: '09:00', end: '17:00' };
  if (hours === 'any-time') lines.push('Emails that ask someone for something go out at any hour, on any day; deadlines never move');
  else lines.push(`Emails that ask someone for something go out ${hours.start}–${hours.end} London time on working days${policy.officeHours ? '' : ' (the default)'}; deadlines never move`);
  const years = keepClosedYears(policy);
  lines.push(
    `Closed records are kept ${years} ${years === 1 ? 'year' : 'years'} after closing${policy.retention ? '' : ' (the default)'}, then their personal details are erased; the facts stay for reports${policy.retention?.cite ? ` (${policy.retention.cite})` : ''}`,
  );
  if (policy.notes.length) {
    lines.push('');
    lines.push('Notes:');
    for (const note of policy.notes) lines.push(`  - ${note}`);
  }
  return lines.join('\n');
}
