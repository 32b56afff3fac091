import type { Calendar } from '../../policies/calendar/calendar';
import type { DisputeRecord, DisputeStart, Outcome } from './model';
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
  return {
    name: form.name,
    reference: form.reference,
    fields: form.fields.map((field) => ({ id: field.id, label: field.label, value: values[field.id] ?? '' })),
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
    form: buildForm(start, state, calendar, closedAt),
    events: state.events,
  };
}
