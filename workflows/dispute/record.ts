import type { Calendar } from '../../policies/calendar/calendar';
import type { Policy } from '../../policies/schema';
import type { DisputeRecord, DisputeStart, DisputeView, Outcome, WrittenRecord } from './model';
import { involvedSoFar, tierContacts, tierRole, type PartiesView } from './parties';
import type { DisputeState } from './state';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const dateOnly = (ms: number) => iso(ms).slice(0, 10);

export function timeTaken(calendar: Calendar, start: DisputeStart, until: number) {
  const concernAt = new Date(start.concernAt);
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    workingDays: round(calendar.workingDaysBetween(concernAt, new Date(until))),
    calendarDays: round((until - concernAt.getTime()) / DAY),
  };
}

function describeManager(view: PartiesView, partyIndex: number, stage: number, at: number): string {
  const party = view.start.parties[partyIndex];
  if (!party) return '';
  const people = tierContacts(view, party, stage).map((contact) => contact.name).join(', ');
  return `${people}, ${tierRole(party, stage)}, ${party.agency.name}, ${dateOnly(at)}`;
}

/** The board's form, filled from the dispute so far (field ids are the policy's). */
export function buildForm(start: DisputeStart, state: DisputeState, calendar: Calendar, now: number) {
  const form = start.policy.record;
  if (!form) return null;
  const view: PartiesView = { start, overrides: state.overrides, stagesEntered: state.stagesEntered };
  const closed = state.status !== 'open';
  const taken = timeTaken(calendar, start, state.closedAt ?? now);
  const lastDecision = state.decisions[state.decisions.length - 1];
  const notes = state.notes.map((note) => `${dateOnly(note.at)} ${note.by}: ${note.text}`).join('\n');
  const raising = start.parties[0]!;
  const values: Record<string, string> = {
    'adult-at-risk': `Reference ${start.personReference} (the name is kept on the agencies' own records)`,
    person: `Reference ${start.personReference} (the name is kept on the agencies' own records)`,
    'reason-for-dispute': start.summary,
    evidence: notes,
    'agreed-outcomes': state.agreedActions ?? (lastDecision ? `${lastDecision.decision} at stage ${lastDecision.stage}: ${lastDecision.text}` : ''),
    'copied-to': [...new Set([...involvedSoFar(view).map((c) => c.email), ...state.copiedTo])].join(', '),
    'stage-resolved': closed && state.status !== 'withdrawn' ? String(state.stage) : '',
    'time-taken': closed ? `${taken.workingDays} working days (${taken.calendarDays} calendar days)` : '',
    notes,
    referrer: `${raising.practitioner.name}, ${tierRole(raising, 1)}, ${raising.agency.name}, ${dateOnly(Date.parse(start.concernAt))}`,
    'initiating-manager': describeManager(view, 0, Math.min(state.stage, 3), state.enteredAt),
    'receiving-manager': describeManager(view, 1, Math.min(state.stage, 3), state.enteredAt),
    effectiveness: '',
  };
  const question = state.question;
  if (question?.answer) {
    values[question.field] = `${question.answer.choice}${question.answer.comment ? ` — ${question.answer.comment}` : ''} (the raising practitioner, ${dateOnly(question.answer.at)})`;
  } else if (question?.unanswered) {
    values[question.field] = `not answered (asked of the raising practitioner on ${dateOnly(question.askedAt)}; no answer by ${dateOnly(question.until)})`;
  }
  if (state.status === 'decided' && start.policy.lastStage && state.decisions.at(-1)?.decision === 'decided') {
    // The board's outcome, named as its policy names it: "binding" only where the document says so.
    const board = start.policy.lastStage;
    values['agreed-outcomes'] = `${board.outcome.name} (${effectWords[board.outcome.effect]}): ${state.agreedActions ?? ''}`;
  }
  const written = state.decisions.at(-1)?.record;
  if (written) {
    const lines = writtenRecordLines(written, start).map((line) => `${line.label}: ${line.value}`);
    values.notes = [values.notes, ...lines].filter(Boolean).join('\n');
  }
  return {
    name: form.name,
    reference: form.reference,
    fields: form.fields.map((field) => ({ id: field.id, label: field.label, value: values[field.id] ?? '' })),
  };
}

/** How a board's outcome binds, in words (the form's agreed outcomes; the dispute page). */
export const effectWords = {
  binding: 'binding on all agencies concerned',
  final: 'final and binding on all organisations involved',
  recommendation: 'a recommendation, not a binding decision',
  unstated: 'the board’s outcome',
} as const;

/**
 * A closed dispute's form question (North Somerset's effectiveness) as its event log and policy
 * tell it: what the link form offers, and whether it is still awaited. Read from the events, so a
 * view from the records store answers the same as one from the workflow.
 */
export function formQuestion(view: Pick<DisputeView, 'events'>, policy: Policy | undefined) {
  const asked = view.events.find((event) => event.type === 'question-asked');
  if (!asked || asked.type !== 'question-asked') return null;
  const field = policy?.record?.fields.find((candidate) => candidate.id === asked.field);
  const settled = view.events.find((event) => event.type === 'question-answered' || event.type === 'question-unanswered');
  return {
    field: asked.field,
    to: asked.to,
    label: field?.label ?? asked.field,
    choices: field?.ask?.choices ?? [],
    until: asked.until,
    state: settled?.type === 'question-answered' ? ('answered' as const) : settled ? ('unanswered' as const) : ('awaited' as const),
  };
}

/** A decision's written record, as labelled lines for an email or a form. */
export function writtenRecordLines(record: WrittenRecord, start: { parties: readonly { agency: { id: string; name: string } }[] }): { label: string; value: string }[] {
  const lines: { label: string; value: string }[] = [];
  if (record.rationale) lines.push({ label: 'Rationale', value: record.rationale });
  if (record.outstandingIssues) lines.push({ label: 'Outstanding issues and how they will be pursued', value: record.outstandingIssues });
  if (record.nextSteps || record.nextStepsBy) {
    lines.push({ label: 'Next steps', value: `${record.nextSteps ?? ''}${record.nextStepsBy ? ` (by ${record.nextStepsBy})` : ''}`.trim() });
  }
  for (const entry of record.organisations ?? []) {
    const name = start.parties.find((party) => party.agency.id === entry.agencyId)?.agency.name ?? entry.agencyId;
    lines.push({ label: `${name}: decision and rationale`, value: `${entry.decision} — ${entry.rationale}` });
  }
  return lines;
}

/**
 * "A written account of the dispute and what attempts have been made to resolve this" (NSAB 8.2),
 * for the board at the last stage: every stage, decision, written record, note and representation.
 */
export function writtenAccount(start: DisputeStart, state: DisputeState, calendar: Calendar) {
  const entered = state.events.filter((event) => event.type === 'stage-entered').map((event) => `stage ${event.stage} from ${event.at}`);
  return {
    name: 'Written account of the dispute and the attempts made to resolve it',
    fields: [
      { label: 'The dispute', value: start.summary },
      { label: 'Agencies', value: start.parties.map((party, index) => `${party.agency.name}${index === 0 ? ' (raised the concern)' : ''}`).join('; ') },
      { label: 'Concern raised', value: start.concernAt },
      { label: 'Category and risk', value: `${start.category}, ${state.risk} risk` },
      { label: 'Stages so far', value: entered.join('; ') },
      {
        label: 'Attempts to resolve it',
        value:
          state.decisions
            .map((d) => {
              const written = d.record ? writtenRecordLines(d.record, start).map((line) => `${line.label}: ${line.value}`).join('; ') : '';
              return `stage ${d.stage}, ${dateOnly(d.at)}: ${d.decision} by ${d.by}: ${d.text}${written ? ` (${written})` : ''}`;
            })
            .join('\n') || 'no decision was recorded: each stage ran to its deadline',
      },
      { label: 'Notes', value: state.notes.map((note) => `${dateOnly(note.at)} ${note.by}: ${note.text}`).join('\n') || 'none' },
      { label: 'Representations', value: (state.representations ?? []).map((r) => `${r.agencyId}, ${dateOnly(r.at)}: ${r.text}`).join('\n') || 'none yet' },
      { label: 'Time so far', value: `${timeTaken(calendar, start, state.closedAt ?? state.enteredAt).workingDays} working days` },
    ],
  };
}

/** "Details of the dispute" for a board officer's referral (CWAC stage 4). */
export function disputeDetails(start: DisputeStart, state: DisputeState) {
  return {
    name: 'Details of the dispute',
    fields: [
      { label: 'Concern raised', value: start.concernAt },
      { label: 'Category', value: start.category },
      { label: 'Risk', value: state.risk },
      { label: 'Agencies', value: start.parties.map((party) => party.agency.name).join('; ') },
      { label: 'Stages so far', value: state.stagesEntered.join(', ') },
      {
        label: 'Decisions so far',
        value: state.decisions.map((d) => `stage ${d.stage} ${d.decision} by ${d.by}: ${d.text}`).join('\n') || 'none',
      },
    ],
  };
}

export function buildRecord(start: DisputeStart, state: DisputeState, calendar: Calendar): DisputeRecord {
  const closedAt = state.closedAt ?? state.enteredAt;
  return {
    disputeId: start.disputeId,
    policy: { id: start.policy.id, version: start.policy.version },
    board: start.policy.board.id,
    personReference: start.personReference,
    outcome: state.status as Outcome,
    endedAtStage: state.stage,
    concernAt: start.concernAt,
    closedAt: iso(closedAt),
    timeTaken: timeTaken(calendar, start, closedAt),
    agreedActions: state.agreedActions,
    decisions: state.decisions.map((decision) => ({ ...decision, at: iso(decision.at) })),
    ...(start.policy.lastStage && state.panel !== undefined ? { panel: { route: state.route ?? null, members: state.panel.map((member) => member.email) } } : {}),
    ...(state.representations ? { representations: state.representations.map((r) => ({ ...r, at: iso(r.at) })) } : {}),
    ...(state.status === 'decided' && start.policy.lastStage ? { boardOutcome: { name: start.policy.lastStage.outcome.name, effect: start.policy.lastStage.outcome.effect } } : {}),
    form: buildForm(start, state, calendar, closedAt),
    ...(state.organisations || state.closing
      ? {
          organisations: start.parties.map((party) => {
            const given = state.organisations?.find((entry) => entry.agencyId === party.agency.id);
            return given
              ? { agencyId: given.agencyId, decision: given.decision, rationale: given.rationale, by: given.by, at: iso(given.at) }
              : { agencyId: party.agency.id, askedOn: (state.closing?.askedOn ?? []).map(iso) };
          }),
        }
      : {}),
    events: state.events,
  };
}
