import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { EmailActivities } from '../../activities/email/activities';
import type { EmailBatch, EmailFacts } from '../../activities/email/types';
import { CALENDAR_RANGE, CalendarRangeError, createCalendar, formatLondon } from '../../policies/calendar';
import { domainOf } from '../../policies/directory-schema';
import { lastStage, nextStage, stageDeadlines, stageOf, startingStage } from '../../policies/deadlines';
import type { Contact, Recipient, Risk } from '../../policies/schema';
import { DisputeAgencies, DisputeBoard, DisputeDeadline, DisputePolicy, DisputeRisk, DisputeStage, DisputeStatus } from '../search-attributes';
import * as messages from './messages';
import {
  ChangeContactInput,
  DisputeStart,
  noteLimits,
  NoteInput,
  OutcomeInput,
  RaiseRiskInput,
  WithdrawInput,
  type DisputeEvent,
  type DisputeRecord,
  type DisputeStartInput,
  type DisputeView,
  type EmailKind,
  type Outcome,
} from './model';
import {
  involvedSoFar,
  isInvolved,
  isPartyOfStage,
  raisingPeople,
  recipientsOf,
  stageContacts,
  tierContacts,
  unique,
  type PartiesView,
} from './parties';
import { buildForm, buildRecord, disputeDetails } from './record';
import type { DisputeState } from './state';

const emailOptions = {
  startToCloseTimeout: '1 minute',
  // A worker that dies mid-batch is noticed in seconds; the retry resumes from the last heartbeat.
  heartbeatTimeout: '20 seconds',
  // A failing SMTP server never holds the dispute up: sends retry in the background for days.
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
} as const;
const { sendEmails } = proxyActivities<EmailActivities>(emailOptions);

const riskRank: Record<Risk, number> = { standard: 0, high: 1, imminent: 2 };

// Behaviour changes that running disputes must not see (their histories replay the old way).
const PATCH = {
  /** `previewClockOffsetMs` in the start input once shifted a real dispute's clock; now only the preview workflow has a clock of its own. */
  noPreviewClock: 'no-preview-clock-in-dispute',
  /** The event log says `email-queued` when a send is scheduled and `email-sent` when it is done. */
  emailQueuedThenSent: 'email-queued-then-sent',
  /** A dispute that starts late gets one overdue notice for the current moment, not one per working day missed. */
  overdueAtMostOnce: 'overdue-at-most-once',
} as const;

/** One dispute, from the concern to its record. */
export async function dispute(input: DisputeStartInput): Promise<DisputeRecord> {
  // Histories from before the preview workflow existed may carry a preview clock; they replay with it.
  const legacyOffset = (input as { previewClockOffsetMs?: unknown } | null)?.previewClockOffsetMs;
  const offset = !patched(PATCH.noPreviewClock) && Number.isSafeInteger(legacyOffset) ? (legacyOffset as number) : 0;
  return stopOnCalendarRange(() => runDispute(input, offset));
}

/** Only the simulator's worker registers the preview workflow (workflows/preview.ts), which may run on a shifted clock. */
export async function runPreview(input: DisputeStartInput, clockOffsetMs: number): Promise<DisputeRecord> {
  if (!Number.isSafeInteger(clockOffsetMs)) throw ApplicationFailure.nonRetryable('invalid preview: clockOffsetMs must be a whole number of milliseconds', messages.RejectionType.invalidPayload);
  return stopOnCalendarRange(() => runDispute(input, clockOffsetMs));
}

/** An instant outside the calendar's range can never succeed on retry: fail the dispute, never loop its task. */
async function stopOnCalendarRange<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CalendarRangeError) throw ApplicationFailure.nonRetryable(`invalid dispute: ${error.message}`, 'CalendarRange');
    throw error;
  }
}

async function runDispute(input: DisputeStartInput, offset: number): Promise<DisputeRecord> {
  const parsedStart = DisputeStart.safeParse(input);
  if (!parsedStart.success) {
    throw ApplicationFailure.nonRetryable(`invalid dispute: ${describe(parsedStart.error)}`, messages.RejectionType.invalidPayload);
  }
  const start = parsedStart.data;
  const { policy } = start;
  // Disputes started before messages were hardened keep the old rules on replay: unknown fields
  // dropped rather than refused, any involved person may change any contact, notes uncapped.
  const hardened = patched('hardened-messages');
  const parse = <T>(schema: z.ZodType<T>, payload: unknown): T => parseWith(hardened || !isObjectSchema(schema) ? schema : (schema.strip() as z.ZodType<T>), payload);
  const calendar = createCalendar(start.calendar);
  const now = () => Date.now() + offset;
  const emailQueuedThenSent = patched(PATCH.emailQueuedThenSent);
  const last = lastStage(policy);
  const firstStage = startingStage(policy, {
    risk: start.risk,
    ...(start.startStage !== undefined && policy.imminentRisk.chooseStartStage && start.risk === 'imminent'
      ? { startStage: start.startStage }
      : {}),
  });

  const state: DisputeState = {
    status: 'open',
    stage: firstStage,
    risk: start.risk,
    enteredAt: now(),
    stagesEntered: [],
    startBy: null,
    concludeBy: null,
    escalateAt: null,
    remindAt: null,
    reminded: false,
    nextOverdueAt: null,
    overdueSent: 0,
    overrides: {},
    decisions: [],
    agreedActions: null,
    notes: [],
    copiedTo: [],
    closedAt: null,
    events: [],
    version: 0,
  };
  const view = (): PartiesView => ({ start, overrides: state.overrides, stagesEntered: state.stagesEntered });
  const pendingEmails: Promise<void>[] = [];
  const emailCounters = new Map<string, number>();

  // ---------------------------------------------------------------------------------------------
  // The record

  /** Timer-driven events carry the instant they were due, so the record reads to the millisecond. */
  /** While a deadline is being handled: its due instant, which everything it causes is recorded at. */
  let dueInstant: number | null = null;

  function record(event: DistributiveOmit<DisputeEvent, 'seq' | 'at' | 'stage'> & { stage?: number }, at = dueInstant ?? now()): void {
    state.events.push({ seq: state.events.length + 1, at: iso(at), stage: state.stage, ...event } as DisputeEvent);
    state.version += 1;
  }

  // ---------------------------------------------------------------------------------------------
  // Email

  function facts(extra: Partial<EmailFacts> = {}): EmailFacts {
    const current = stageOf(policy, state.stage);
    return {
      disputeId: start.disputeId,
      board: { name: policy.board.name, shortName: policy.board.shortName },
      stage: state.stage,
      stageTitle: current.title,
      personReference: start.personReference,
      summary: start.summary,
      agencies: start.parties.map((party, index) => `${party.agency.name}${index === 0 ? ' (raised the concern)' : ''}`),
      concludeBy: state.concludeBy === null ? null : iso(state.concludeBy),
      escalateAt: state.escalateAt === null ? null : iso(state.escalateAt),
      ...extra,
    };
  }

  function email(kind: EmailKind, to: Contact[], extra: Partial<EmailFacts> = {}): void {
    const recipients = unique(to);
    if (recipients.length === 0) return;
    const key = `${state.stage}:${kind}`;
    const sequence = (emailCounters.get(key) ?? 0) + 1;
    emailCounters.set(key, sequence);
    const batch: EmailBatch = { kind, sequence, recipients, facts: facts(extra) };
    const stage = state.stage;
    record({ type: emailQueuedThenSent ? 'email-queued' : 'email', kind, to: recipients.map((contact) => contact.email) });
    pendingEmails.push(
      // The summary the Web UI shows names the kind and how many, never who.
      sendEmails.executeWithOptions({ ...emailOptions, summary: `Email: ${kind}, stage ${stage}, ${recipients.length} recipient(s)` }, [batch]).then(
        (result) => {
          if (emailQueuedThenSent && result.sent.length > 0) record({ type: 'email-sent', stage, kind, to: result.sent });
          for (const rejected of result.rejected) record({ type: 'email-rejected', stage, kind, to: rejected.to, reason: rejected.reason });
        },
        (error: unknown) => {
          const reason = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
          record({ type: 'email-failed', stage, kind, to: recipients.map((c) => c.email), reason });
        },
      ),
    );
  }

  function notify(recipients: Recipient[], kind: EmailKind, extra: Partial<EmailFacts>): void {
    const people = unique(recipients.flatMap((recipient) => recipientsOf(view(), recipient)));
    state.copiedTo.push(...people.map((person) => person.email));
    email(kind, people, extra);
  }

  function noticesFor(notices: typeof policy.stages[number]['onEnter']): void {
    for (const notice of notices) {
      const attachment =
        notice.attach === 'record' ? buildForm(start, state, calendar, now()) : notice.attach === 'dispute-details' ? disputeDetails(start, state) : null;
      notify([notice.to], 'officer-notice', {
        purpose: notice.purpose,
        ...(attachment ? { record: { name: attachment.name, fields: attachment.fields } } : {}),
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Stages

  function plan(enteredAt: number): void {
    const deadlines = stageDeadlines(
      policy,
      state.stage,
      { calendar, concernAt: new Date(start.concernAt), enteredAt: new Date(enteredAt), risk: state.risk },
      start.category,
    );
    state.startBy = deadlines.startBy?.getTime() ?? null;
    state.concludeBy = deadlines.concludeBy?.getTime() ?? null;
    state.escalateAt = deadlines.escalateAt?.getTime() ?? null;
    state.remindAt = deadlines.remindAt?.getTime() ?? null;
  }

  function planOverdue(): void {
    const { concludeBy, escalateAt } = state;
    // A conclude-by that passes before the dispute moves on (or at the last stage) is overdue.
    state.nextOverdueAt = concludeBy !== null && (escalateAt === null || concludeBy < escalateAt) ? concludeBy : null;
  }

  function enterStage(
    stage: number,
    reason: 'started' | 'unresolved' | 'deadline' | 'imminent-risk',
    detail?: string,
    reviewBy?: number,
    at = now(),
  ): void {
    const previous = state.stagesEntered.length ? state.stage : null;
    const earlier = previous === null ? [] : involvedSoFar(view());
    state.stage = stage;
    state.enteredAt = at;
    state.stagesEntered.push(stage);
    state.reminded = false;
    state.overdueSent = 0;
    plan(state.enteredAt);
    if (reviewBy !== undefined) {
      state.concludeBy = state.concludeBy === null ? reviewBy : Math.min(state.concludeBy, reviewBy);
      state.escalateAt = state.escalateAt === null ? null : Math.min(state.escalateAt, reviewBy);
    }
    if (state.remindAt !== null && state.remindAt <= state.enteredAt) state.remindAt = null;
    planOverdue();
    record({ type: 'stage-entered', reason, deadline: deadlineOf() }, at);

    const tier = stageContacts(view(), stage);
    const why = detail ?? reasonText(reason, previous);
    email('stage-entered', tier, { reason: why, asksForDecision: true });
    if (previous !== null) {
      email('escalated', earlier.filter((c) => !tier.some((t) => t.email === c.email)), { reason: why });
    }
    noticesFor(stageOf(policy, stage).onEnter);
    publish();
  }

  function reasonText(reason: 'started' | 'unresolved' | 'deadline' | 'imminent-risk', previous: number | null): string {
    switch (reason) {
      case 'started':
        return state.stage === policy.stages[0]!.stage ? 'A new professional difference has been raised.' : `The dispute starts at stage ${state.stage}.`;
      case 'unresolved':
        return `Stage ${previous} was recorded as unresolved.`;
      case 'deadline':
        return `The stage ${previous} deadline passed with no decision recorded.`;
      case 'imminent-risk':
        return 'Imminent risk to the adult was raised.';
    }
  }

  function escalate(reason: 'unresolved' | 'deadline' | 'imminent-risk', detail?: string, reviewBy?: number, at = now()): void {
    const next = nextStage(policy, state.stage, start.category);
    if (next) {
      enterStage(next.stage, reason, detail, reviewBy, at);
      return;
    }
    // A gated-out next stage (Leeds stage 4 for other practice issues): the dispute closes unresolved.
    close('unresolved', `Stage ${state.stage} ended unresolved and the procedure has no further stage for a ${start.category} concern.`, at);
  }

  function close(outcome: Outcome, text: string, at = now()): void {
    state.status = outcome;
    state.closedAt = at;
    state.escalateAt = null;
    state.remindAt = null;
    state.nextOverdueAt = null;
    record({ type: 'closed', outcome }, at);
    const everyone = involvedSoFar(view());
    switch (outcome) {
      case 'resolved':
        email('resolved', everyone, { agreedActions: state.agreedActions ?? '' });
        noticesFor(stageOf(policy, state.stage).onResolved);
        break;
      case 'decided':
        email('decided', [...everyone, ...policy.overdue.to.flatMap((to) => recipientsOf(view(), to))], { decisionText: text });
        noticesFor(stageOf(policy, state.stage).onResolved);
        break;
      case 'unresolved':
        email('closed-unresolved', everyone, { reason: text });
        break;
      case 'withdrawn':
        email('withdrawn', everyone, { reason: text });
        break;
    }
    publish();
  }

  // ---------------------------------------------------------------------------------------------
  // Time

  function nextWake(): number | null {
    const times = [state.reminded ? null : state.remindAt, state.escalateAt, state.nextOverdueAt].filter((t): t is number => t !== null);
    return times.length ? Math.min(...times) : null;
  }

  /** What the Web UI shows on the timer: "Stage 2 deadline — Tue 7 Apr 2026 10:30 BST". */
  function wakeSummary(wake: number): string {
    const what = wake === state.escalateAt ? 'deadline' : wake === state.nextOverdueAt ? 'overdue notice' : 'reminder';
    return `Stage ${state.stage} ${what} — ${formatLondon(new Date(wake))}`;
  }

  function onTime(): void {
    try {
      handleDeadlines();
    } finally {
      dueInstant = null;
    }
  }

  function handleDeadlines(): void {
    const at = now();
    if (state.escalateAt !== null && at >= state.escalateAt) {
      dueInstant = state.escalateAt;
      escalate('deadline', undefined, undefined, state.escalateAt);
      return;
    }
    if (state.remindAt !== null && !state.reminded && at >= state.remindAt) {
      state.reminded = true;
      dueInstant = state.remindAt;
      record({ type: 'reminder', deadline: deadlineOf() ?? '' });
      email('reminder', stageContacts(view(), state.stage), { reason: 'Half of this stage’s time has passed.', asksForDecision: true });
    }
    if (state.nextOverdueAt !== null && at >= state.nextOverdueAt) {
      // A dispute started late (or a worker long down) owes many notices: send the latest one only.
      const following = state.stage === last ? nextOverdueAfter(state.nextOverdueAt) : null;
      if (following !== null && following <= at && patched(PATCH.overdueAtMostOnce)) {
        state.nextOverdueAt = latestOverdueBy(state.nextOverdueAt, at);
      }
      state.overdueSent += 1;
      dueInstant = state.nextOverdueAt;
      record({ type: 'overdue', concludeBy: iso(state.concludeBy!), notice: state.overdueSent });
      const officers = policy.overdue.to.flatMap((to) => recipientsOf(view(), to));
      email('overdue', [...stageContacts(view(), state.stage), ...officers], {
        reason: state.stage === last ? 'The last stage has passed its conclude-by; the board must record its decision.' : 'This stage has passed its conclude-by.',
        asksForDecision: true,
      });
      state.nextOverdueAt = state.stage === last ? nextOverdueAfter(state.nextOverdueAt) : null;
      publish();
    }
  }

  /** The overdue notice after the one due at `due`. */
  function nextOverdueAfter(due: number): number {
    // A notice a working day after Friday's midnight would otherwise land on Saturday.
    return calendar.nextWorkingInstant(calendar.addWorkingDays(new Date(due), policy.overdue.repeatEvery.amount)).getTime();
  }

  /** The last notice of the series from `due` that falls at or before `at`: bounded, as `due` is within the calendar's range. */
  function latestOverdueBy(due: number, at: number): number {
    let latest = due;
    for (let next = nextOverdueAfter(latest); next <= at; next = nextOverdueAfter(next)) latest = next;
    return latest;
  }

  // ---------------------------------------------------------------------------------------------
  // What the outside world sees: query, search attributes, current details

  function deadlineOf(): string | null {
    const deadline = state.concludeBy ?? state.escalateAt;
    return deadline === null ? null : iso(deadline);
  }

  function publish(): void {
    const deadline = state.status === 'open' ? (state.concludeBy ?? state.escalateAt) : null;
    upsertSearchAttributes([
      { key: DisputeBoard, value: policy.board.id },
      { key: DisputePolicy, value: `${policy.id}@${policy.version}` },
      { key: DisputeStage, value: state.stage },
      { key: DisputeStatus, value: state.status },
      { key: DisputeRisk, value: state.risk },
      { key: DisputeDeadline, value: deadline === null ? null : new Date(deadline) },
      { key: DisputeAgencies, value: start.parties.map((party) => party.agency.id) },
    ] as Parameters<typeof upsertSearchAttributes>[0]);
    const current = stageOf(policy, state.stage);
    const awaiting = start.parties.map((party) => party.agency.name).join('; ');
    setCurrentDetails(
      state.status === 'open'
        ? `**Stage ${state.stage} — ${current.title}** (${current.tier}, ${state.risk} risk)\n\n` +
            `Deadline: ${deadline === null ? 'none' : formatLondon(new Date(deadline))}\n\nAwaiting a decision from: ${awaiting}`
        : `**Closed: ${state.status}** at stage ${state.stage}`,
    );
  }

  function snapshot(): DisputeView {
    return {
      disputeId: start.disputeId,
      policy: { id: policy.id, version: policy.version },
      board: policy.board.id,
      personReference: start.personReference,
      status: state.status,
      stage: state.stage,
      tier: stageOf(policy, state.stage).tier,
      risk: state.risk,
      category: start.category,
      concernAt: start.concernAt,
      enteredStageAt: iso(state.enteredAt),
      deadlines: {
        startBy: state.startBy === null ? null : iso(state.startBy),
        concludeBy: state.concludeBy === null ? null : iso(state.concludeBy),
        escalateAt: state.escalateAt === null ? null : iso(state.escalateAt),
        remindAt: state.remindAt === null || state.reminded ? null : iso(state.remindAt),
      },
      awaiting:
        state.status === 'open'
          ? start.parties.map((party) => ({ agencyId: party.agency.id, agency: party.agency.name, contacts: tierContacts(view(), party, state.stage) }))
          : [],
      agencies: start.parties.map((party, index) => ({
        id: party.agency.id,
        name: party.agency.name,
        raising: index === 0,
        // Who may act for the agency: lets an agency's system be held to its own people.
        people: unique([
          party.practitioner,
          ...party.agency.tiers.flatMap((tier) => tier.contacts),
          ...Object.values(state.overrides[party.agency.id] ?? {}).flat(),
          party.agency.designatedSafeguardingLead,
          party.agency.boardRepresentative,
        ]).map((contact) => contact.email.toLowerCase()),
      })),
      events: state.events,
    };
  }

  function accepted(): messages.Accepted {
    return { status: state.status, stage: state.stage, concludeBy: deadlineOf() };
  }

  // ---------------------------------------------------------------------------------------------
  // Messages: each is checked (nothing changes if it fails), then applied

  function mustBeOpen(): void {
    if (state.status !== 'open') reject(messages.RejectionType.closed, `the dispute is closed (${state.status})`);
  }

  function mustBeInvolved(by: string): void {
    if (!isInvolved(view(), by)) reject(messages.RejectionType.notAParty, `${by} is not involved in this dispute`);
  }

  const operations = {
    recordOutcome: {
      check(payload: unknown): OutcomeInput {
        const input = parse(OutcomeInput, payload);
        mustBeOpen();
        if (input.stage !== state.stage) {
          reject(messages.RejectionType.staleStage, `stage ${input.stage} is not current: the dispute is at stage ${state.stage}`);
        }
        if (!isPartyOfStage(view(), input.by, state.stage, state.stage === last)) {
          reject(messages.RejectionType.notAParty, `${input.by} is not a party of stage ${state.stage}`);
        }
        if (input.decision === 'decided' && state.stage !== last) {
          reject(messages.RejectionType.notAllowed, `'decided' is the board's decision at stage ${last}; at stage ${state.stage} record resolved or unresolved`);
        }
        if (input.decision === 'unresolved' && state.stage === last) {
          reject(messages.RejectionType.notAllowed, `stage ${last} is the last: record the board's decision as 'decided'`);
        }
        if (input.decision === 'resolved' && stageOf(policy, state.stage).resolutionConfirms.includes('safety-measures') && input.safetyMeasuresConfirmed !== true) {
          reject(messages.RejectionType.notAllowed, `a resolution at stage ${state.stage} must confirm that sufficient safety measures are in place (safetyMeasuresConfirmed: true)`);
        }
        if (input.reviewBy !== undefined && (input.decision !== 'unresolved' || Date.parse(input.reviewBy) <= now())) {
          reject(messages.RejectionType.invalidPayload, 'reviewBy: an earlier review date goes with an unresolved decision and must be in the future');
        }
        // A deadline past the calendar's range could not be held by the search attribute: every task would fail.
        if (input.reviewBy !== undefined && Date.parse(input.reviewBy) >= CALENDAR_RANGE.to) {
          reject(messages.RejectionType.invalidPayload, 'reviewBy: expected an instant before 2100-01-01');
        }
        return input;
      },
      apply(input: OutcomeInput): void {
        const text = input.agreedActions ?? input.reason ?? '';
        state.decisions.push({ stage: state.stage, decision: input.decision, by: input.by, at: now(), text });
        record({
          type: 'outcome',
          by: input.by,
          decision: input.decision,
          ...(input.agreedActions ? { agreedActions: input.agreedActions } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
        });
        if (input.decision === 'resolved') {
          state.agreedActions = input.agreedActions!;
          close('resolved', input.agreedActions!);
        } else if (input.decision === 'decided') {
          state.agreedActions = input.agreedActions!;
          close('decided', input.agreedActions!);
        } else {
          escalate('unresolved', `Stage ${state.stage} was recorded as unresolved: ${input.reason}`, input.reviewBy ? Date.parse(input.reviewBy) : undefined);
        }
      },
    },
    raiseRisk: {
      check(payload: unknown): RaiseRiskInput {
        const input = parse(RaiseRiskInput, payload);
        mustBeOpen();
        mustBeInvolved(input.by);
        if (riskRank[input.risk] <= riskRank[state.risk]) {
          reject(messages.RejectionType.notAllowed, `the risk is already ${state.risk}; it can only be raised`);
        }
        return input;
      },
      apply(input: RaiseRiskInput): void {
        const from = state.risk;
        state.risk = input.risk;
        const action = policy.imminentRisk.action;
        if (input.risk === 'imminent' && action.kind === 'jump-to-stage' && state.stage < action.stage) {
          record({ type: 'risk-raised', by: input.by, from, risk: input.risk, reason: input.reason, effect: `moved to stage ${action.stage}` });
          enterStage(action.stage, 'imminent-risk', `Imminent risk was raised: ${input.reason}`);
          return;
        }
        if (input.risk === 'imminent' && action.kind === 'next-stage' && state.stage < last) {
          record({ type: 'risk-raised', by: input.by, from, risk: input.risk, reason: input.reason, effect: 'moved to the next stage' });
          escalate('imminent-risk', `Imminent risk was raised: ${input.reason}`);
          return;
        }
        // Otherwise the stage stays; its time is shortened to the new level's allowance if sooner.
        const before = state.concludeBy ?? state.escalateAt;
        shorten();
        const after = state.concludeBy ?? state.escalateAt;
        let effect = after !== null && after !== before ? `deadline now ${iso(after)}` : 'deadlines unchanged';
        if (input.risk === 'imminent' && action.kind === 'notify') {
          const told = action.to.flatMap((to) => recipientsOf(view(), to));
          effect = `${effect}; told ${told.map((c) => c.email).join(', ')}`;
          record({ type: 'risk-raised', by: input.by, from, risk: input.risk, reason: input.reason, effect });
          notify(action.to, 'immediate-harm', { purpose: action.purpose, reason: input.reason });
        } else {
          record({ type: 'risk-raised', by: input.by, from, risk: input.risk, reason: input.reason, effect });
        }
        publish();
      },
    },
    withdraw: {
      check(payload: unknown): WithdrawInput {
        const input = parse(WithdrawInput, payload);
        mustBeOpen();
        if (!raisingPeople(view()).some((c) => c.email.toLowerCase() === input.by)) {
          reject(messages.RejectionType.notAParty, `only the raising agency (${start.parties[0]!.agency.name}) may withdraw the concern`);
        }
        return input;
      },
      apply(input: WithdrawInput): void {
        record({ type: 'withdrawn', by: input.by, reason: input.reason });
        close('withdrawn', `Withdrawn by ${start.parties[0]!.agency.name}: ${input.reason}`);
      },
    },
    changeContact: {
      check(payload: unknown): ChangeContactInput {
        const input = parse(ChangeContactInput, payload);
        mustBeOpen();
        mustBeInvolved(input.by);
        if (!start.parties.some((party) => party.agency.id === input.agencyId)) {
          reject(messages.RejectionType.invalidPayload, `agencyId: '${input.agencyId}' is not a party to this dispute`);
        }
        if (!policy.stages.some((stage) => stage.stage === input.stage)) {
          reject(messages.RejectionType.invalidPayload, `stage: the policy has no stage ${input.stage}`);
        }
        if (hardened) mayChangeContact(input);
        return input;
      },
      apply(input: ChangeContactInput): void {
        state.overrides[input.agencyId] = { ...(state.overrides[input.agencyId] ?? {}), [input.stage]: input.contacts };
        record({ type: 'contact-changed', by: input.by, stage: input.stage, agencyId: input.agencyId, contacts: input.contacts.map((c) => c.email), reason: input.reason });
        if (input.stage === state.stage) {
          email('stage-entered', input.contacts, { reason: `You now act for your agency at this stage: ${input.reason}`, asksForDecision: true });
        }
      },
    },
    addNote: {
      check(payload: unknown): NoteInput {
        const input = parse(NoteInput, payload);
        mustBeOpen();
        mustBeInvolved(input.by);
        if (hardened) {
          const total = state.notes.reduce((sum, note) => sum + note.text.length, 0);
          if (state.notes.length >= noteLimits.count || total + input.text.length > noteLimits.totalChars) {
            reject(
              messages.RejectionType.notAllowed,
              `text: the dispute's notes are full (${state.notes.length} notes, ${total} characters; at most ${noteLimits.count} notes of ${noteLimits.totalChars} characters in all)`,
            );
          }
        }
        return input;
      },
      apply(input: NoteInput): void {
        state.notes.push({ by: input.by, at: now(), text: input.text });
        record({ type: 'note', by: input.by, text: input.text });
      },
    },
  };

  /**
   * An agency's people change only their own agency's contacts, and only to addresses of their own
   * agency (its mail domains), never to a board officer's; the board's officers may change any.
   * Otherwise an agency could name someone else as its contact and then act in their name.
   */
  function mayChangeContact(input: ChangeContactInput): void {
    const officers = Object.values(start.officers).map((officer) => officer.email.toLowerCase());
    if (officers.includes(input.by)) return;
    const party = start.parties.find((candidate) => candidate.agency.id === input.agencyId)!;
    const own = unique([
      party.practitioner,
      ...party.agency.tiers.flatMap((tier) => tier.contacts),
      ...Object.values(state.overrides[party.agency.id] ?? {}).flat(),
      party.agency.designatedSafeguardingLead,
      party.agency.boardRepresentative,
    ]).map((contact) => contact.email.toLowerCase());
    if (!own.includes(input.by)) {
      reject(messages.RejectionType.notAParty, `by: ${input.by} may not change ${party.agency.name}'s contacts: only its own people or the board's officers may`);
    }
    // Snapshots from before the directory named domains: the domains the agency's own people use.
    const domains = party.agency.emailDomains ?? [...new Set(own.map(domainOf))];
    input.contacts.forEach((contact, index) => {
      const address = contact.email.toLowerCase();
      if (officers.includes(address)) {
        reject(messages.RejectionType.notAParty, `contacts.${index}.email: a board officer's address cannot be an agency's contact`);
      }
      if (!domains.includes(domainOf(address))) {
        reject(messages.RejectionType.notAParty, `contacts.${index}.email: ${address} is not an address of ${party.agency.name} (${domains.join(', ')})`);
      }
    });
  }

  function shorten(): void {
    const shortened = stageDeadlines(
      policy,
      state.stage,
      { calendar, concernAt: new Date(start.concernAt), enteredAt: new Date(now()), risk: state.risk },
      start.category,
    );
    const sooner = (current: number | null, candidate: Date | null) =>
      current === null ? null : candidate === null ? current : Math.min(current, candidate.getTime());
    state.concludeBy = sooner(state.concludeBy, shortened.concludeBy);
    state.escalateAt = sooner(state.escalateAt, shortened.escalateAt);
    if (!state.reminded && state.remindAt !== null) state.remindAt = sooner(state.remindAt, shortened.remindAt);
    planOverdue();
  }

  type Operation<T> = { check(payload: unknown): T; apply(input: T): void };
  function register<T>(name: keyof typeof operations, update: typeof messages.recordOutcome, signal: typeof messages.recordOutcomeSignal, operation: Operation<T>) {
    setHandler(
      update,
      (payload: unknown) => {
        operation.apply(operation.check(payload));
        return accepted();
      },
      { validator: (payload: unknown) => void operation.check(payload) },
    );
    setHandler(signal, (payload: unknown) => {
      let input: T;
      try {
        input = operation.check(payload);
      } catch (error) {
        const reason = error instanceof ApplicationFailure ? error.message : String(error);
        const type = error instanceof ApplicationFailure ? error.type : 'Error';
        // The log line names the operation and the rejection type only: reasons may quote personal data.
        log.warn('signal rejected', { operation: name, type });
        record({ type: 'rejected', operation: name, reason });
        return;
      }
      operation.apply(input);
    });
  }
  register('recordOutcome', messages.recordOutcome, messages.recordOutcomeSignal, operations.recordOutcome);
  register('raiseRisk', messages.raiseRisk, messages.raiseRiskSignal, operations.raiseRisk);
  register('withdraw', messages.withdraw, messages.withdrawSignal, operations.withdraw);
  register('changeContact', messages.changeContact, messages.changeContactSignal, operations.changeContact);
  register('addNote', messages.addNote, messages.addNoteSignal, operations.addNote);
  setHandler(messages.disputeState, snapshot);

  // ---------------------------------------------------------------------------------------------
  // The dispute's life

  // A dispute registered after the concern arose starts its clock at the concern, as the procedures do.
  const startedAt = Math.min(Date.parse(start.concernAt), now());
  record({ type: 'started', stage: firstStage, risk: start.risk, category: start.category }, startedAt);
  enterStage(firstStage, 'started', undefined, undefined, startedAt);
  if (start.risk === 'imminent' && policy.imminentRisk.action.kind === 'notify') {
    notify(policy.imminentRisk.action.to, 'immediate-harm', { purpose: policy.imminentRisk.action.purpose });
  }

  while (state.status === 'open') {
    const wake = nextWake();
    const seen = state.version;
    if (wake !== null && wake <= now()) {
      onTime();
      continue;
    }
    const changed = wake === null ? await condition(() => state.version !== seen).then(() => true) : await condition(() => state.version !== seen, wake - now(), { summary: wakeSummary(wake) });
    if (!changed) onTime();
  }

  await Promise.all(pendingEmails); // each send records its own failure; none throws
  return buildRecord(start, state, calendar);
}

// -----------------------------------------------------------------------------------------------

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** At most this long: a rejection's reason is kept in the event log, and a hostile payload's field names (an unknown key can be any size) are echoed in it. */
const maxReasonChars = 500;

function describe(error: z.ZodError): string {
  const text = error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ');
  return text.length > maxReasonChars ? `${text.slice(0, maxReasonChars - 1)}…` : text;
}

function isObjectSchema(schema: z.ZodType): schema is z.ZodObject {
  return typeof (schema as Partial<z.ZodObject>).strip === 'function';
}

function parseWith<T>(schema: z.ZodType<T>, payload: unknown): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) reject(messages.RejectionType.invalidPayload, describe(parsed.error));
  return parsed.data as T;
}

function reject(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}
