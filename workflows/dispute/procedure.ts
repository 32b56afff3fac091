import type { z } from 'zod';
import type { EmailBatch, EmailFacts } from '../../activities/email/types';
import { CALENDAR_RANGE, createCalendar, formatLondon, type Calendar } from '../../policies/calendar';
import { domainOf } from '../../policies/directory-schema';
import { lastStage, nextStage, stageDeadlines, stageOf, startingStage } from '../../policies/deadlines';
import type { Contact, Notice, Policy, Recipient, Risk } from '../../policies/schema';
import {
  AnswerInput,
  ChangeContactInput,
  ConveneInput,
  noteLimits,
  noteShare,
  NoteInput,
  RepresentationInput,
  OutcomeInput,
  RaiseRiskInput,
  RationaleInput,
  WithdrawInput,
  type DisputeEvent,
  type DisputeRecord,
  type DisputeStart,
  type DisputeView,
  type EmailKind,
  type Outcome,
  type Status,
  type WrittenRecord,
} from './model';
import { involvedSoFar, isInvolved, isPartyOfStage, partiesOf, peopleOf, raisingPeople, recipientsOf, stageContacts, tierContacts, unique, type PartiesView } from './parties';
import { buildForm, buildRecord, disputeDetails, writtenAccount, writtenRecordLines } from './record';
import { officeHoursStart } from './office-hours';
import type { DisputeState } from './state';

// The procedure's rules, with no Temporal in them: the dispute's state plus "this decision, this
// deadline, this email result arrived" gives the new state and the effects to carry out. The
// workflow feeds it messages and timers and does what the effects say, in order: the order is the
// order of the workflow's commands, which recorded histories replay against.

/** Something the workflow must do in the world, in this order. */
export type Effect =
  /**
   * Send one batch of emails (an activity). `stage` is the stage it was sent at. An email that asks
   * someone for something waits for office hours (`notBefore`); the dispute's clock does not.
   */
  | { type: 'send'; batch: EmailBatch; stage: number; notBefore?: number }
  /** Publish the dispute's search attributes and current details. */
  | { type: 'publish'; publication: Publication };

export interface Publication {
  board: string;
  policy: string;
  stage: number;
  status: Status;
  risk: Risk;
  deadline: number | null;
  agencies: string[];
  details: string;
}

/** Why a message was refused; the workflow turns it into an ApplicationFailure of this type. */
export class Rejection extends Error {
  override name = 'Rejection';
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** The `type` a refusal carries, so clients can map it (e.g. to 409). Shared with messages.ts. */
export const RejectionType = {
  invalidPayload: 'InvalidPayload',
  staleStage: 'StaleStage',
  notAParty: 'NotAParty',
  closed: 'DisputeClosed',
  notAllowed: 'NotAllowed',
  /** One of `messageLimits` is reached: permanent for the dispute, so never worth a retry. */
  limitReached: 'LimitReached',
} as const;

export type Operation = 'recordOutcome' | 'raiseRisk' | 'withdraw' | 'changeContact' | 'addNote' | 'submitRepresentation' | 'convene' | 'answerForm' | 'recordRationale';
export interface OperationInputs {
  recordOutcome: OutcomeInput;
  raiseRisk: RaiseRiskInput;
  withdraw: WithdrawInput;
  changeContact: ChangeContactInput;
  addNote: NoteInput;
  submitRepresentation: RepresentationInput;
  convene: ConveneInput;
  answerForm: AnswerInput;
  recordRationale: RationaleInput;
}

/**
 * Which rules a dispute runs by. Disputes started before the board's stage and the written records
 * (issue 11) keep the first rules to the end, so their recorded histories replay unchanged.
 */
export interface ProcedureRules {
  /** Unknown fields refused rather than dropped, contact changes held to the agency's own people and domains, notes capped. */
  hardened: boolean;
  /** The event log says `email-queued` when a send is scheduled and `email-sent` when it is done. */
  emailQueuedThenSent: boolean;
  /** Asked only when a late start owes several overdue notices: whether to send the latest one only. */
  overdueAtMostOnce: () => boolean;
  /** The last stage is the board's; forms and written records as each document asks; office hours. */
  boardStage: boolean;
  /** An email that carries a form records the form as sent in its `email-queued` event (the store keeps a copy of each). */
  formCopies?: boolean;
  /** A form field asked of someone after closing (North Somerset's effectiveness) is asked by a link, and the completed form waits for the answer. */
  formQuestions?: boolean;
  /** A stage that closes unresolved (Leeds stage 3) waits for each organisation's own decision and rationale, chasing, rather than closing with "not recorded". */
  closingAwaitsOrganisations?: boolean;
  /**
   * No party acts in another's name: an outcome's `organisations` entries are the caller's own
   * agency's only; a contact change never names another party's person, and an officer's is held to
   * the agency's domains too. Asked only when it would refuse, so a running dispute's messages taken
   * before it replay as they were taken.
   */
  ownAgencyOnly?: () => boolean;
  /** Asked only when a message would pass one of `messageLimits`: whether to refuse it (disputes that took more before the limits keep them). */
  messageLimits?: () => boolean;
  /** Asked only when a note would pass its author's `noteShare`: whether to refuse it (disputes that took more before the shares keep them). */
  noteShares?: () => boolean;
}

/**
 * How many contact changes and representations a dispute takes. Temporal takes 2,000 updates in a
 * workflow run (`history.maxTotalUpdates`) and 51,200 history events; a party repeating one of
 * these without end would otherwise use them up, and no outcome could then be recorded by anyone.
 * Far above honest use (a contact leaves, falls ill, or a representation is corrected a few times):
 * per agency and stage, so one agency never uses up another's; in all, so together they stay a
 * small share of Temporal's 2,000 beside the notes (noteLimits) and the outcomes.
 */
export const messageLimits = { contactChangesPerAgencyStage: 10, contactChanges: 100, representationsPerAgency: 10 } as const;

/** The rules a new dispute runs by. */
export const currentRules: ProcedureRules = {
  hardened: true,
  emailQueuedThenSent: true,
  overdueAtMostOnce: () => true,
  boardStage: true,
  formCopies: true,
  formQuestions: true,
  closingAwaitsOrganisations: true,
  ownAgencyOnly: () => true,
  messageLimits: () => true,
  noteShares: () => true,
};

type EntryReason = 'started' | 'unresolved' | 'deadline' | 'imminent-risk';
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type NewEvent = DistributiveOmit<DisputeEvent, 'seq' | 'at' | 'stage'> & { stage?: number };

const riskRank: Record<Risk, number> = { standard: 0, high: 1, imminent: 2 };
const iso = (ms: number) => new Date(ms).toISOString();

export class DisputeProcedure {
  readonly policy: Policy;
  readonly calendar: Calendar;
  readonly state: DisputeState;
  private readonly last: number;
  private readonly emailCounters = new Map<string, number>();
  private effects: Effect[] = [];
  /** The instant the change being handled happens at: everything it causes is recorded then. */
  private at = 0;
  /** The workflow's clock while it is handled (later than `at` when a timer fires late). */
  private now = 0;

  /**
   * @param carryOut when given, each effect is handed to it the moment it arises (and the methods
   * return none): the workflow's commands then interleave with the patch markers the rules ask for
   * on the way, as they were first recorded.
   */
  constructor(
    readonly start: DisputeStart,
    readonly rules: ProcedureRules = currentRules,
    private readonly carryOut?: (effect: Effect) => void,
  ) {
    this.policy = start.policy;
    this.calendar = createCalendar(start.calendar);
    this.last = lastStage(this.policy);
    this.state = {
      status: 'open',
      stage: this.firstStage(),
      risk: start.risk,
      enteredAt: 0,
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
  }

  // ---------------------------------------------------------------------------------------------
  // What arrives

  /**
   * The dispute begins. A dispute registered after the concern arose starts its clock at the
   * concern, as the procedures do.
   */
  begin(now: number): Effect[] {
    const startedAt = Math.min(Date.parse(this.start.concernAt), now);
    // The start and the first stage are recorded at the concern; the emails when they are sent.
    return this.run(now, () => {
      const first = this.state.stage;
      this.record({ type: 'started', stage: first, risk: this.start.risk, category: this.start.category }, startedAt);
      this.enterStage(first, 'started', undefined, undefined, startedAt);
      const action = this.policy.imminentRisk.action;
      if (this.start.risk === 'imminent' && action.kind === 'notify') {
        this.notify(action.to, 'immediate-harm', { purpose: action.purpose });
      }
    });
  }

  /** The earliest instant something is due (a reminder, a deadline, an overdue notice); null for none. */
  nextWake(): number | null {
    const { state } = this;
    if (state.status !== 'open') return this.awaitingAnswer() ? state.question!.until : null;
    const times = [state.reminded ? null : state.remindAt, state.escalateAt, state.nextOverdueAt, state.closing?.nextChaseAt ?? null, state.closing?.until ?? null].filter(
      (t): t is number => t !== null,
    );
    return times.length ? Math.min(...times) : null;
  }

  /** What the Web UI shows on the timer: "Stage 2 deadline — Tue 7 Apr 2026 10:30 BST". */
  wakeSummary(wake: number): string {
    const { state } = this;
    if (state.status !== 'open') return `${this.policy.record?.name ?? 'Form'}: answer awaited until ${formatLondon(new Date(wake))}`;
    if (state.closing) return `Stage ${state.stage} closing: ${wake === state.closing.until ? 'organisations’ records awaited until' : 'chasing the organisations’ records'} — ${formatLondon(new Date(wake))}`;
    const what = wake === state.escalateAt ? 'deadline' : wake === state.nextOverdueAt ? 'overdue notice' : 'reminder';
    return `Stage ${state.stage} ${what} — ${formatLondon(new Date(wake))}`;
  }

  /** Time has reached `now`: whatever is due happens, recorded at the instant it was due. */
  tick(now: number): Effect[] {
    const { state } = this;
    if (state.status !== 'open') {
      // Closed, and the form's question has had its time: the form goes without the answer.
      const question = state.question;
      if (!this.awaitingAnswer() || now < question!.until) return [];
      return this.run(question!.until, () => this.questionUnanswered(), now);
    }
    const closing = state.closing;
    if (closing && now >= closing.until) return this.run(closing.until, () => this.closeAfterWaiting(), now);
    if (closing?.nextChaseAt != null && now >= closing.nextChaseAt) return this.run(closing.nextChaseAt, () => this.chaseOrganisations(), now);
    if (state.escalateAt !== null && now >= state.escalateAt) {
      return this.run(state.escalateAt, () => this.escalate('deadline'), now);
    }
    return this.run(now, () => {
      if (state.remindAt !== null && !state.reminded && now >= state.remindAt) {
        state.reminded = true;
        this.at = state.remindAt;
        this.record({ type: 'reminder', deadline: this.deadlineOf() ?? '' });
        this.email('reminder', stageContacts(this.view(), state.stage), { reason: this.reminderText(), ...this.asks() });
      }
      if (state.nextOverdueAt !== null && now >= state.nextOverdueAt) {
        // A dispute started late (or a worker long down) owes many notices: send the latest one only.
        const following = state.stage === this.last ? this.nextOverdueAfter(state.nextOverdueAt) : null;
        if (following !== null && following <= now && this.rules.overdueAtMostOnce()) {
          state.nextOverdueAt = this.latestOverdueBy(state.nextOverdueAt, now);
        }
        state.overdueSent += 1;
        this.at = state.nextOverdueAt;
        this.record({ type: 'overdue', concludeBy: iso(state.concludeBy!), notice: state.overdueSent });
        const officers = this.policy.overdue.to.flatMap((to) => recipientsOf(this.view(), to));
        if (this.boardStage() && state.stage === this.last) {
          // The board's officers are asked for its outcome; the parties are told it is overdue.
          const outcome = this.boardStage()!.outcome.name;
          const reason = `The last stage has passed its conclude-by; the board must record its ${outcome}.`;
          this.email('overdue', [...officers, ...this.recorders()], { reason, asksForDecision: true });
          this.email('overdue', stageContacts(this.view(), state.stage), { reason, asksForRepresentation: Boolean(this.boardStage()!.representations) });
        } else {
          this.email('overdue', [...stageContacts(this.view(), state.stage), ...officers], {
            reason:
              state.stage === this.last ? 'The last stage has passed its conclude-by; the board must record its decision.' : 'This stage has passed its conclude-by.',
            asksForDecision: true,
          });
        }
        state.nextOverdueAt = state.stage === this.last ? this.nextOverdueAfter(state.nextOverdueAt) : null;
        this.publish();
      }
    });
  }

  /** A batch of emails has been sent (some addresses may have been refused) or has failed for good. */
  emailSettled(
    now: number,
    sent: { stage: number; kind: EmailKind; to: string[] },
    result: { sent: string[]; rejected: { to: string; reason: string }[] } | { failed: string },
  ): void {
    this.run(now, () => {
      if ('failed' in result) {
        this.record({ type: 'email-failed', stage: sent.stage, kind: sent.kind, to: sent.to, reason: result.failed });
        return;
      }
      if (this.rules.emailQueuedThenSent && result.sent.length > 0) this.record({ type: 'email-sent', stage: sent.stage, kind: sent.kind, to: result.sent });
      for (const rejected of result.rejected) this.record({ type: 'email-rejected', stage: sent.stage, kind: sent.kind, to: rejected.to, reason: rejected.reason });
    });
  }

  /**
   * An email held for office hours is due: whether it still asks anything. One asking about a stage
   * the dispute has left, or a dispute now closed, is not sent, and the log says why.
   */
  heldEmailDue(now: number, held: { stage: number; kind: EmailKind; to: string[] }, cancelStale: () => boolean = () => true): boolean {
    if (this.heldEmailStillAsks(held)) return true;
    const closing = this.state.closing !== undefined && held.kind !== 'rationale';
    // Asked only when it matters, as the rule was first recorded (disputes before it sent them).
    if (!cancelStale()) return true;
    const reason =
      held.kind === 'question'
        ? this.state.question?.answer
          ? 'the question has been answered'
          : 'the time to answer has passed'
        : this.state.status !== 'open'
          ? `the dispute is closed (${this.state.status})`
          : closing && this.state.stage === held.stage
            ? `stage ${held.stage} has ended unresolved; only the organisations' records are awaited`
            : `the dispute has moved on to stage ${this.state.stage}`;
    this.run(now, () => this.record({ type: 'email-cancelled', stage: held.stage, kind: held.kind, to: held.to, reason }));
    return false;
  }

  /**
   * An email held for office hours is due: the addresses it still goes to (none: it is not sent).
   * The request for the organisations' records (Leeds stage 3) is not sent to an organisation that
   * recorded its own while it was held: its contacts are recorded as `email-cancelled`, saying so.
   * `onlyMissing` is asked only when that removes someone (disputes before the rule sent to all).
   */
  heldEmailRecipients(now: number, held: { stage: number; kind: EmailKind; to: string[] }, rules: { cancelStale?: () => boolean; onlyMissing?: () => boolean } = {}): string[] {
    if (!this.heldEmailDue(now, held, rules.cancelStale)) return [];
    if (held.kind !== 'rationale' || !this.state.closing) return held.to;
    const addresses = (contacts: Contact[]) => new Set(contacts.map((contact) => contact.email.toLowerCase()));
    const missing = this.missingOrganisations();
    const awaited = addresses(this.rationaleContacts(missing));
    const answered = this.start.parties
      .filter((party) => !missing.includes(party))
      .map((party) => {
        const theirs = addresses(this.rationaleContacts([party]));
        return { party, to: held.to.filter((address) => theirs.has(address.toLowerCase()) && !awaited.has(address.toLowerCase())) };
      })
      .filter((removal) => removal.to.length > 0);
    if (answered.length === 0 || !(rules.onlyMissing?.() ?? true)) return held.to;
    this.run(now, () => {
      for (const { party, to } of answered) {
        this.record({ type: 'email-cancelled', stage: held.stage, kind: held.kind, to, reason: `${party.agency.name} has recorded its decision and rationale` });
      }
    });
    const removed = new Set(answered.flatMap((removal) => removal.to));
    return held.to.filter((address) => !removed.has(address));
  }

  /** Whether an email held for office hours still asks something the dispute waits for (changes nothing). */
  heldEmailStillAsks(held: { stage: number; kind: EmailKind }): boolean {
    // While the close waits for the organisations, only the request for their records still asks anything.
    const closing = this.state.closing !== undefined && held.kind !== 'rationale';
    if (this.state.status === 'open' && this.state.stage === held.stage && !closing) return true;
    // The question asked after closing is what the closed dispute waits for.
    return held.kind === 'question' && this.awaitingAnswer();
  }

  /** A signal the procedure refused: kept in the event log, nothing else changes. */
  rejected(now: number, operation: Operation, reason: string): void {
    this.run(now, () => this.record({ type: 'rejected', operation, reason }));
  }

  /** Checks a message without changing anything; throws a Rejection saying why it cannot apply. */
  check<O extends Operation>(operation: O, payload: unknown, now: number): OperationInputs[O] {
    return this.checks[operation](payload, now) as OperationInputs[O];
  }

  /** Applies a checked message. */
  apply<O extends Operation>(operation: O, input: OperationInputs[O], now: number): Effect[] {
    return this.run(now, () => (this.appliers[operation] as (input: OperationInputs[O]) => void)(input));
  }

  // ---------------------------------------------------------------------------------------------
  // What the outside world reads

  /** The query's answer: the dispute as it stands. */
  snapshot(): DisputeView {
    const { start, state, policy } = this;
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
          ? start.parties.map((party) => ({ agencyId: party.agency.id, agency: party.agency.name, contacts: tierContacts(this.view(), party, state.stage) }))
          : [],
      agencies: start.parties.map((party, index) => ({
        id: party.agency.id,
        name: party.agency.name,
        raising: index === 0,
        // Who may act for the agency: lets an agency's system be held to its own people.
        people: peopleOf(this.view(), party).map((contact) => contact.email.toLowerCase()),
      })),
      events: state.events,
    };
  }

  /** Whether the dispute, closed, still waits for the answer to its form's question. */
  awaitingAnswer(): boolean {
    const question = this.state.question;
    return this.state.status !== 'open' && question !== undefined && !question.answer && !question.unanswered;
  }

  /** What an accepted update answers. */
  accepted(): { status: Status; stage: number; concludeBy: string | null } {
    return { status: this.state.status, stage: this.state.stage, concludeBy: this.deadlineOf() };
  }

  /** The dispute's record, once it has closed. */
  result(): DisputeRecord {
    return buildRecord(this.start, this.state, this.calendar);
  }

  // ---------------------------------------------------------------------------------------------
  // Checks: each throws a Rejection, and changes nothing

  private readonly checks: { [O in Operation]: (payload: unknown, now: number) => OperationInputs[O] } = {
    recordOutcome: (payload, now) => {
      const { state, policy, last } = this;
      const input = this.parse(OutcomeInput, payload);
      this.mustBeOpen();
      if (input.stage !== state.stage) {
        reject(RejectionType.staleStage, `stage ${input.stage} is not current: the dispute is at stage ${state.stage}`);
      }
      const board = this.boardStage();
      if (board && state.stage === last) {
        // The last stage is the board's: its outcome is never a disputing agency's to record.
        if (!this.recorders().some((contact) => contact.email.toLowerCase() === input.by)) {
          reject(RejectionType.notAParty, `${input.by} may not record the outcome of stage ${last}: it is the board's ${board.outcome.name}, recorded by ${this.whoMayRecord()}`);
        }
      } else if (!isPartyOfStage(this.view(), input.by, state.stage, state.stage === last)) {
        reject(RejectionType.notAParty, `${input.by} is not a party of stage ${state.stage}`);
      }
      if (input.decision === 'decided' && state.stage !== last) {
        reject(RejectionType.notAllowed, `'decided' is the board's decision at stage ${last}; at stage ${state.stage} record resolved or unresolved`);
      }
      if (board && state.stage === last && input.decision === 'resolved') {
        reject(RejectionType.notAllowed, `stage ${last} is the board's: record its ${board.outcome.name} as 'decided'`);
      }
      if (input.decision === 'unresolved' && state.stage === last) {
        reject(RejectionType.notAllowed, `stage ${last} is the last: record the board's decision as 'decided'`);
      }
      if (input.decision === 'resolved' && stageOf(policy, state.stage).resolutionConfirms.includes('safety-measures') && input.safetyMeasuresConfirmed !== true) {
        reject(RejectionType.notAllowed, `a resolution at stage ${state.stage} must confirm that sufficient safety measures are in place (safetyMeasuresConfirmed: true)`);
      }
      if (input.reviewBy !== undefined && (input.decision !== 'unresolved' || Date.parse(input.reviewBy) <= now)) {
        reject(RejectionType.invalidPayload, 'reviewBy: an earlier review date goes with an unresolved decision and must be in the future');
      }
      // A deadline past the calendar's range could not be held by the search attribute: every task would fail.
      if (input.reviewBy !== undefined && Date.parse(input.reviewBy) >= CALENDAR_RANGE.to) {
        reject(RejectionType.invalidPayload, 'reviewBy: expected an instant before 2100-01-01');
      }
      if (state.closing) {
        reject(RejectionType.notAllowed, `stage ${state.stage} has ended unresolved; the dispute closes once each organisation's decision and rationale is recorded (still awaited: ${this.missingOrganisations().map((party) => party.agency.id).join(', ')})`);
      }
      if (this.rules.boardStage && !this.rules.closingAwaitsOrganisations && input.decision === 'unresolved' && this.closesWithOrganisations()) {
        const given = new Set((input.organisations ?? []).map((entry) => entry.agencyId));
        const missing = this.start.parties.filter((party) => !given.has(party.agency.id)).map((party) => party.agency.id);
        if (missing.length) {
          reject(
            RejectionType.notAllowed,
            `organisations: an unresolved stage ${state.stage} closes this dispute, so each organisation's decision and rationale must be recorded first; missing: ${missing.join(', ')}`,
          );
        }
      }
      if (this.rules.closingAwaitsOrganisations && input.decision === 'unresolved' && this.closesWithOrganisations()) this.mustGiveOwnEntries(input);
      return input;
    },
    submitRepresentation: (payload) => {
      const input = this.parse(RepresentationInput, payload);
      this.mustBeOpen();
      const board = this.boardStage();
      if (!board?.representations || this.state.stage !== this.last) {
        reject(RejectionType.notAllowed, `written representations go to the board at stage ${this.last}; the dispute is at stage ${this.state.stage}`);
      }
      const party = this.representing(input.by);
      if (!party) {
        reject(RejectionType.notAParty, `${input.by} is not a stage ${this.last} contact of an agency in this dispute: each agency's stage ${this.last} contact makes its representation`);
      }
      const made = (this.state.representations ?? []).filter((representation) => representation.agencyId === party.agency.id).length;
      if (made >= messageLimits.representationsPerAgency && this.rules.messageLimits?.()) {
        reject(RejectionType.limitReached, `text: ${party.agency.name} has made ${made} written representations to the board, the most one agency may make (${messageLimits.representationsPerAgency})`);
      }
      return input;
    },
    convene: (payload) => {
      const input = this.parse(ConveneInput, payload);
      this.mustBeOpen();
      const board = this.boardStage();
      if (!board || this.state.stage !== this.last) reject(RejectionType.notAllowed, `the board's stage is stage ${this.last}; the dispute is at stage ${this.state.stage}`);
      const officers = this.boardOfficers();
      const isOfficer = officers.some((contact) => contact.email.toLowerCase() === input.by);
      if (input.members && !isOfficer) {
        reject(RejectionType.notAParty, `${input.by} may not record the panel: the board's ${this.officerTitles([board.convenedBy, ...board.recordedBy.officers])} may`);
      }
      if (input.route !== undefined) {
        if (!board.routes) reject(RejectionType.notAllowed, `route: ${this.policy.board.shortName}'s procedure offers no choice of route`);
        if (!board.routes.options.includes(input.route)) reject(RejectionType.invalidPayload, `route: expected one of ${board.routes.options.join(', ')}`);
        const choosers = this.start.parties.map((party) => (board.routes!.chosenBy === 'board-representative' ? party.agency.boardRepresentative : party.agency.designatedSafeguardingLead));
        if (!isOfficer && !choosers.some((contact) => contact.email.toLowerCase() === input.by)) {
          reject(RejectionType.notAParty, `${input.by} may not choose the route: an agency's nominated ${board.routes.chosenBy === 'board-representative' ? 'board representative' : 'designated safeguarding lead'} does`);
        }
      }
      return input;
    },
    recordRationale: (payload) => {
      const input = this.parse(RationaleInput, payload);
      this.mustBeOpen();
      if (!this.rules.closingAwaitsOrganisations || !this.closesWithOrganisations()) {
        reject(RejectionType.notAllowed, `each organisation's own decision and rationale is recorded at a stage that closes the dispute when unresolved; stage ${this.state.stage} does not`);
      }
      const party = this.rationaleParty(input.by);
      if (!party) reject(RejectionType.notAParty, `${input.by} may not record an organisation's decision and rationale: its stage ${this.state.stage} contacts or its designated safeguarding lead do`);
      if (this.state.organisations?.some((entry) => entry.agencyId === party.agency.id)) {
        reject(RejectionType.notAllowed, `${party.agency.name}'s decision and rationale is already recorded`);
      }
      return input;
    },
    answerForm: (payload) => {
      const input = this.parse(AnswerInput, payload);
      const question = this.state.question;
      if (this.state.status === 'open') reject(RejectionType.notAllowed, `the form's question is asked once the dispute is resolved or decided; it is still open`);
      if (!question) reject(RejectionType.notAllowed, `this dispute's form asks nobody a question`);
      if (input.field !== question.field) reject(RejectionType.invalidPayload, `field: expected '${question.field}'`);
      if (input.by !== question.to.toLowerCase()) reject(RejectionType.notAParty, `${input.by} may not answer: the question was asked of the practitioner who raised the concern`);
      if (question.answer) reject(RejectionType.notAllowed, `the question has already been answered (${question.answer.choice}); a second answer is not taken`);
      if (question.unanswered) reject(RejectionType.closed, `the time to answer ended at ${iso(question.until)} and the ${this.policy.record!.name} has been sent`);
      const choices = this.askedField()!.ask!.choices;
      const choice = choices.find((offered) => offered.toLowerCase() === input.choice.toLowerCase());
      if (!choice) reject(RejectionType.invalidPayload, `choice: expected one of ${choices.join(', ')}`);
      return { ...input, choice };
    },
    raiseRisk: (payload) => {
      const input = this.parse(RaiseRiskInput, payload);
      this.mustBeOpen();
      this.mustBeInvolved(input.by);
      if (riskRank[input.risk] <= riskRank[this.state.risk]) {
        reject(RejectionType.notAllowed, `the risk is already ${this.state.risk}; it can only be raised`);
      }
      return input;
    },
    withdraw: (payload) => {
      const input = this.parse(WithdrawInput, payload);
      this.mustBeOpen();
      if (!raisingPeople(this.view()).some((c) => c.email.toLowerCase() === input.by)) {
        reject(RejectionType.notAParty, `only the raising agency (${this.start.parties[0]!.agency.name}) may withdraw the concern`);
      }
      return input;
    },
    changeContact: (payload) => {
      const input = this.parse(ChangeContactInput, payload);
      this.mustBeOpen();
      this.mustBeInvolved(input.by);
      if (!this.start.parties.some((party) => party.agency.id === input.agencyId)) {
        reject(RejectionType.invalidPayload, `agencyId: '${input.agencyId}' is not a party to this dispute`);
      }
      if (!this.policy.stages.some((stage) => stage.stage === input.stage)) {
        reject(RejectionType.invalidPayload, `stage: the policy has no stage ${input.stage}`);
      }
      if (this.rules.hardened) this.mayChangeContact(input);
      this.withinContactChangeLimits(input);
      return input;
    },
    addNote: (payload) => {
      const input = this.parse(NoteInput, payload);
      this.mustBeOpen();
      this.mustBeInvolved(input.by);
      if (this.rules.hardened) {
        this.withinNoteShare(input);
        const { notes } = this.state;
        const total = notes.reduce((sum, note) => sum + note.text.length, 0);
        if (notes.length >= noteLimits.count || total + input.text.length > noteLimits.totalChars) {
          reject(
            RejectionType.notAllowed,
            `text: the dispute's notes are full (${notes.length} notes, ${total} characters; at most ${noteLimits.count} notes of ${noteLimits.totalChars} characters in all)`,
          );
        }
      }
      return input;
    },
  };

  /** Parses a message: strictly, or (disputes started before messages were hardened) dropping unknown fields. */
  private parse<T>(schema: z.ZodType<T>, payload: unknown): T {
    const lenient = !this.rules.hardened && typeof (schema as Partial<z.ZodObject>).strip === 'function';
    return parse(lenient ? ((schema as unknown as z.ZodObject).strip() as unknown as z.ZodType<T>) : schema, payload);
  }

  /**
   * An agency's people change only their own agency's contacts, and the board's officers any; the
   * new addresses are the agency's own (its mail domains), never a board officer's nor another
   * party's person. Otherwise a party could name someone else as a contact and then act in their name.
   */
  private mayChangeContact(input: ChangeContactInput): void {
    const officers = Object.values(this.start.officers).map((officer) => officer.email.toLowerCase());
    const byOfficer = officers.includes(input.by);
    const party = this.start.parties.find((candidate) => candidate.agency.id === input.agencyId)!;
    const own = peopleOf(this.view(), party).map((contact) => contact.email.toLowerCase());
    if (!byOfficer && !own.includes(input.by)) {
      reject(RejectionType.notAParty, `by: ${input.by} may not change ${party.agency.name}'s contacts: only its own people or the board's officers may`);
    }
    // Snapshots from before the directory named domains: the domains the agency's own people use.
    const domains = party.agency.emailDomains ?? [...new Set(own.map(domainOf))];
    input.contacts.forEach((contact, index) => {
      const address = contact.email.toLowerCase();
      // The first rules held an officer's change to none of these.
      const refuse = byOfficer ? (message: string) => this.refuseUnlessFirstRules(message) : (message: string) => reject(RejectionType.notAParty, message);
      if (officers.includes(address)) refuse(`contacts.${index}.email: a board officer's address cannot be an agency's contact`);
      if (!domains.includes(domainOf(address))) refuse(`contacts.${index}.email: ${address} is not an address of ${party.agency.name} (${domains.join(', ')})`);
      const other = partiesOf(this.view(), address).find((candidate) => candidate !== party);
      if (other) this.refuseUnlessFirstRules(`contacts.${index}.email: ${address} is one of ${other.agency.name}'s people in this dispute, not ${party.agency.name}'s`);
    });
  }

  /** Only the caller's own agency's entries (the agency of `by`): one party never writes another's decision and rationale. */
  private mustGiveOwnEntries(input: OutcomeInput): void {
    const own = partiesOf(this.view(), input.by).map((party) => party.agency.id);
    (input.organisations ?? []).forEach((entry, index) => {
      if (!own.includes(entry.agencyId)) {
        this.refuseUnlessFirstRules(`organisations.${index}.agencyId: ${input.by} may record only ${own.join(', ') || 'its own agency'}'s decision and rationale, not ${entry.agencyId}'s: each organisation records its own`);
      }
    });
  }

  /** A refusal the first rules did not make: a dispute that took such a message before (`ownAgencyOnly`) replays taking it. */
  private refuseUnlessFirstRules(message: string): void {
    if (this.rules.ownAgencyOnly?.()) reject(RejectionType.notAParty, message);
  }

  /** Refuses a contact change beyond `messageLimits`: per agency and stage, then in all. */
  private withinContactChangeLimits(input: ChangeContactInput): void {
    const changes = this.state.events.filter((event) => event.type === 'contact-changed');
    const ofThisTier = changes.filter((event) => event.agencyId === input.agencyId && event.stage === input.stage).length;
    const perTier = messageLimits.contactChangesPerAgencyStage;
    if (ofThisTier >= perTier && this.rules.messageLimits?.()) {
      reject(RejectionType.limitReached, `contacts: this agency's stage ${input.stage} contacts have been changed ${ofThisTier} times in this dispute, the most allowed (${perTier})`);
    }
    if (changes.length >= messageLimits.contactChanges && this.rules.messageLimits?.()) {
      reject(RejectionType.limitReached, `contacts: this dispute's contacts have been changed ${changes.length} times, the most allowed (${messageLimits.contactChanges})`);
    }
  }

  /** Refuses a note that would pass its author's share of the dispute's notes (`noteShare`). */
  private withinNoteShare(input: NoteInput): void {
    const share = this.noteShareOf(input.by);
    const own = this.state.notes.filter((note) => note.share === share);
    const chars = own.reduce((sum, note) => sum + note.text.length, 0);
    if (own.length < noteShare.count && chars + input.text.length <= noteShare.totalChars) return;
    if (!this.rules.noteShares?.()) return;
    const [who, whoMay] = share === null ? ["the board's officers have", "the board's officers may"] : [`${this.start.parties.find((party) => party.agency.id === share)!.agency.name} has`, 'one agency may'];
    reject(
      RejectionType.limitReached,
      `text: ${who} added ${own.length} notes of ${chars} characters to this dispute; ${whoMay} add at most ${noteShare.count} notes of ${noteShare.totalChars} characters in all`,
    );
  }

  /**
   * Whose share a note by `by` counts against: the board officers' (null), else the agency `by` acts
   * for (the first, where an address was named for two). Kept on the note, as a later contact change
   * may replace the person who wrote it.
   */
  private noteShareOf(by: string): string | null {
    if (Object.values(this.start.officers).some((officer) => officer.email.toLowerCase() === by)) return null;
    return partiesOf(this.view(), by)[0]?.agency.id ?? null;
  }

  /** The overdue notice after the one due at `due`. */
  private nextOverdueAfter(due: number): number {
    // A notice a working day after Friday's midnight would otherwise land on Saturday.
    return this.calendar.nextWorkingInstant(this.calendar.addWorkingDays(new Date(due), this.policy.overdue.repeatEvery.amount)).getTime();
  }

  /** The last notice of the series from `due` that falls at or before `at`: bounded, as `due` is within the calendar's range. */
  private latestOverdueBy(due: number, at: number): number {
    let latest = due;
    for (let next = this.nextOverdueAfter(latest); next <= at; next = this.nextOverdueAfter(next)) latest = next;
    return latest;
  }

  private mustBeOpen(): void {
    if (this.state.status !== 'open') reject(RejectionType.closed, `the dispute is closed (${this.state.status})`);
  }

  private mustBeInvolved(by: string): void {
    if (!isInvolved(this.view(), by)) reject(RejectionType.notAParty, `${by} is not involved in this dispute`);
  }

  // ---------------------------------------------------------------------------------------------
  // Applying checked messages

  private readonly appliers: { [O in Operation]: (input: OperationInputs[O]) => void } = {
    recordOutcome: (input) => {
      const { state } = this;
      const text = input.agreedActions ?? input.reason ?? '';
      const written = writtenRecordOf(input);
      state.decisions.push({ stage: state.stage, decision: input.decision, by: input.by, at: this.at, text, ...(written ? { record: written } : {}) });
      this.record({
        type: 'outcome',
        by: input.by,
        decision: input.decision,
        ...(input.agreedActions ? { agreedActions: input.agreedActions } : {}),
        ...(input.reason ? { reason: input.reason } : {}),
        ...(written ? { record: written } : {}),
      });
      if (this.rules.closingAwaitsOrganisations && input.decision === 'unresolved' && this.closesWithOrganisations()) {
        // Each organisation's entry given with the decision counts as its record (the first one stands).
        for (const entry of input.organisations ?? []) {
          if (!this.start.parties.some((party) => party.agency.id === entry.agencyId) || state.organisations?.some((given) => given.agencyId === entry.agencyId)) continue;
          (state.organisations ??= []).push({ ...entry, by: input.by, at: this.at });
        }
      }
      if (input.decision === 'resolved') {
        state.agreedActions = input.agreedActions!;
        this.close('resolved', input.agreedActions!);
      } else if (input.decision === 'decided') {
        state.agreedActions = input.agreedActions!;
        this.close('decided', input.agreedActions!);
      } else {
        this.escalate('unresolved', `Stage ${state.stage} was recorded as unresolved: ${input.reason}`, input.reviewBy ? Date.parse(input.reviewBy) : undefined);
      }
    },
    recordRationale: (input) => {
      const party = this.rationaleParty(input.by)!;
      (this.state.organisations ??= []).push({ agencyId: party.agency.id, decision: input.decision, rationale: input.rationale, by: input.by, at: this.at });
      this.record({ type: 'organisation-decision', by: input.by, agencyId: party.agency.id, decision: input.decision, rationale: input.rationale });
      // The last one awaited closes the dispute.
      if (this.state.closing && this.missingOrganisations().length === 0) this.close('unresolved', this.state.closing.reason);
    },
    answerForm: (input) => {
      const question = this.state.question!;
      question.answer = { choice: input.choice, ...(input.comment ? { comment: input.comment } : {}), by: input.by, at: this.at };
      this.record({ type: 'question-answered', by: input.by, field: question.field, choice: input.choice, ...(input.comment ? { comment: input.comment } : {}) });
      this.sendCompletedForm();
    },
    raiseRisk: (input) => {
      const { state, policy, last } = this;
      const from = state.risk;
      state.risk = input.risk;
      const action = policy.imminentRisk.action;
      if (input.risk === 'imminent' && action.kind === 'jump-to-stage' && state.stage < action.stage) {
        this.record({ type: 'risk-raised', by: input.by, from, risk: input.risk, reason: input.reason, effect: `moved to stage ${action.stage}` });
        this.enterStage(action.stage, 'imminent-risk', `Imminent risk was raised: ${input.reason}`);
        return;
      }
      if (input.risk === 'imminent' && action.kind === 'next-stage' && state.stage < last) {
        this.record({ type: 'risk-raised', by: input.by, from, risk: input.risk, reason: input.reason, effect: 'moved to the next stage' });
        this.escalate('imminent-risk', `Imminent risk was raised: ${input.reason}`);
        return;
      }
      // Otherwise the stage stays; its time is shortened to the new level's allowance if sooner.
      const before = state.concludeBy ?? state.escalateAt;
      this.shorten();
      const after = state.concludeBy ?? state.escalateAt;
      let effect = after !== null && after !== before ? `deadline now ${iso(after)}` : 'deadlines unchanged';
      if (input.risk === 'imminent' && action.kind === 'notify') {
        const told = action.to.flatMap((to) => recipientsOf(this.view(), to));
        effect = `${effect}; told ${told.map((c) => c.email).join(', ')}`;
        this.record({ type: 'risk-raised', by: input.by, from, risk: input.risk, reason: input.reason, effect });
        this.notify(action.to, 'immediate-harm', { purpose: action.purpose, reason: input.reason });
      } else {
        this.record({ type: 'risk-raised', by: input.by, from, risk: input.risk, reason: input.reason, effect });
      }
      this.publish();
    },
    withdraw: (input) => {
      this.record({ type: 'withdrawn', by: input.by, reason: input.reason });
      this.close('withdrawn', `Withdrawn by ${this.start.parties[0]!.agency.name}: ${input.reason}`);
    },
    changeContact: (input) => {
      const { state } = this;
      state.overrides[input.agencyId] = { ...(state.overrides[input.agencyId] ?? {}), [input.stage]: input.contacts };
      this.record({ type: 'contact-changed', by: input.by, stage: input.stage, agencyId: input.agencyId, contacts: input.contacts.map((c) => c.email), reason: input.reason });
      if (input.stage === state.stage) {
        this.email('stage-entered', input.contacts, { reason: `You now act for your agency at this stage: ${input.reason}`, ...this.asks() });
      }
    },
    addNote: (input) => {
      this.state.notes.push({ by: input.by, at: this.at, text: input.text, share: this.noteShareOf(input.by) });
      this.record({ type: 'note', by: input.by, text: input.text });
    },
    submitRepresentation: (input) => {
      const party = this.representing(input.by)!;
      (this.state.representations ??= []).push({ agencyId: party.agency.id, by: input.by, at: this.at, text: input.text });
      this.record({ type: 'representation', by: input.by, agencyId: party.agency.id, text: input.text });
      this.email('representation', this.panelContacts(), { reason: `${party.agency.name}'s written representation to the board.`, decisionText: input.text });
    },
    convene: (input) => {
      const { state } = this;
      if (input.members) state.panel = unique(input.members);
      if (input.route) state.route = input.route;
      this.record({
        type: 'convened',
        by: input.by,
        ...(input.route ? { route: input.route } : {}),
        ...(input.members ? { members: input.members.map((member) => member.email) } : {}),
        ...(input.note ? { note: input.note } : {}),
      });
      const what = [input.route ? `Route: ${input.route}.` : '', input.members ? `Panel: ${input.members.map((member) => member.name).join(', ')}.` : '', input.note ?? ''].filter(Boolean).join(' ');
      this.email('convened', [...involvedSoFar(this.view()), ...this.panelContacts()], { reason: what });
      if (input.members) {
        const account = writtenAccount(this.start, this.state, this.calendar);
        this.email('officer-notice', input.members, {
          purpose: `You are recorded as a member of the panel for this dispute: you may record the board's ${this.boardStage()!.outcome.name}.`,
          record: { name: account.name, fields: account.fields },
          asksForDecision: true,
        });
      }
    },
  };

  // ---------------------------------------------------------------------------------------------
  // Stages

  private firstStage(): number {
    const { policy, start } = this;
    return startingStage(policy, {
      risk: start.risk,
      ...(start.startStage !== undefined && policy.imminentRisk.chooseStartStage && start.risk === 'imminent' ? { startStage: start.startStage } : {}),
    });
  }

  private enterStage(stage: number, reason: EntryReason, detail?: string, reviewBy?: number, at = this.at): void {
    const { state, policy } = this;
    const previous = state.stagesEntered.length ? state.stage : null;
    const earlier = previous === null ? [] : involvedSoFar(this.view());
    state.stage = stage;
    state.enteredAt = at;
    state.stagesEntered.push(stage);
    state.reminded = false;
    state.overdueSent = 0;
    this.plan(state.enteredAt);
    if (reviewBy !== undefined) {
      state.concludeBy = state.concludeBy === null ? reviewBy : Math.min(state.concludeBy, reviewBy);
      state.escalateAt = state.escalateAt === null ? null : Math.min(state.escalateAt, reviewBy);
    }
    if (state.remindAt !== null && state.remindAt <= state.enteredAt) state.remindAt = null;
    this.planOverdue();
    this.record({ type: 'stage-entered', reason, deadline: this.deadlineOf() }, at);

    const tier = stageContacts(this.view(), stage);
    const why = detail ?? this.reasonText(reason, previous);
    const board = this.boardStage();
    if (board && stage === this.last) {
      this.email('stage-entered', tier, { reason: why, ...(board.representations ? { asksForRepresentation: true } : {}) });
    } else {
      this.email('stage-entered', tier, { reason: why, asksForDecision: true });
    }
    if (previous !== null) {
      this.email('escalated', earlier.filter((c) => !tier.some((t) => t.email === c.email)), { reason: why });
    }
    this.notices(stageOf(policy, stage).onEnter);
    const form = policy.record;
    if (this.rules.boardStage && form?.copyToParties && form.stages.includes(stage)) {
      const filled = buildForm(this.start, state, this.calendar, this.at)!;
      this.email('record', involvedSoFar(this.view()), { purpose: form.cite, record: { name: filled.name, fields: filled.fields } });
    }
    this.publish();
  }

  private reasonText(reason: EntryReason, previous: number | null): string {
    switch (reason) {
      case 'started':
        return this.state.stage === this.policy.stages[0]!.stage ? 'A new professional difference has been raised.' : `The dispute starts at stage ${this.state.stage}.`;
      case 'unresolved':
        return `Stage ${previous} was recorded as unresolved.`;
      case 'deadline':
        return `The stage ${previous} deadline passed with no decision recorded.`;
      case 'imminent-risk':
        return 'Imminent risk to the adult was raised.';
    }
  }

  private escalate(reason: 'unresolved' | 'deadline' | 'imminent-risk', detail?: string, reviewBy?: number): void {
    const next = nextStage(this.policy, this.state.stage, this.start.category);
    if (next) {
      this.enterStage(next.stage, reason, detail, reviewBy);
      return;
    }
    // A gated-out next stage (Leeds stage 4 for other practice issues): the dispute closes unresolved,
    // once each organisation has recorded its own decision and rationale.
    const text = `Stage ${this.state.stage} ended unresolved and the procedure has no further stage for a ${this.start.category} concern.`;
    if (this.rules.closingAwaitsOrganisations && this.closesWithOrganisations() && this.missingOrganisations().length > 0) this.awaitOrganisations(text);
    else this.close('unresolved', text);
  }

  private close(outcome: Outcome, text: string): void {
    const { state, policy } = this;
    state.status = outcome;
    state.closedAt = this.at;
    state.escalateAt = null;
    state.remindAt = null;
    state.nextOverdueAt = null;
    if (state.closing) state.closing.nextChaseAt = null;
    this.record({ type: 'closed', outcome });
    const everyone = involvedSoFar(this.view());
    if (!this.rules.boardStage) {
      switch (outcome) {
        case 'resolved':
          this.email('resolved', everyone, { agreedActions: state.agreedActions ?? '' });
          this.notices(stageOf(policy, state.stage).onResolved);
          break;
        case 'decided':
          this.email('decided', [...everyone, ...policy.overdue.to.flatMap((to) => recipientsOf(this.view(), to))], { decisionText: text });
          this.notices(stageOf(policy, state.stage).onResolved);
          break;
        case 'unresolved':
          this.email('closed-unresolved', everyone, { reason: text });
          break;
        case 'withdrawn':
          this.email('withdrawn', everyone, { reason: text });
          break;
      }
      this.publish();
      return;
    }
    const written = this.lastWrittenRecord();
    const board = this.boardStage();
    switch (outcome) {
      case 'resolved':
        this.email('resolved', everyone, { agreedActions: state.agreedActions ?? '', writtenRecord: written });
        break;
      case 'decided':
        this.email('decided', [...everyone, ...policy.overdue.to.flatMap((to) => recipientsOf(this.view(), to)), ...this.panelContacts()], {
          decisionText: text,
          writtenRecord: written,
          ...(board ? { boardOutcome: { name: board.outcome.name, effect: board.outcome.effect } } : {}),
        });
        break;
      case 'unresolved':
        if (this.rules.closingAwaitsOrganisations && stageOf(policy, state.stage).closingRecord) {
          // Each organisation's own record; and the board representatives of any that gave none are told.
          const silent = this.missingOrganisations();
          const lines = [...written.filter((line) => !line.label.endsWith(': decision and rationale')), ...this.organisationLines()];
          this.email('closed-unresolved', [...everyone, ...silent.map((party) => party.agency.boardRepresentative)], { reason: text, writtenRecord: lines });
        } else {
          this.email('closed-unresolved', everyone, { reason: text, writtenRecord: written.length ? written : this.organisationLines() });
        }
        break;
      case 'withdrawn':
        // Officers told of the dispute so far are told it is withdrawn, as the parties are.
        this.email('withdrawn', [...everyone, ...this.officersToldSoFar()], { reason: text });
        break;
    }
    if (outcome === 'resolved' || outcome === 'decided') {
      this.notices(stageOf(policy, state.stage).onResolved);
      this.notices(policy.onResolved ?? []);
      const form = policy.record;
      if (form && form.sendTo.length && state.stage >= Math.min(...form.stages)) {
        // A field only the raising practitioner can answer is asked first; the form goes with the answer.
        if (this.rules.formQuestions && this.askedField()) this.askQuestion();
        else this.sendCompletedForm();
      }
    }
    if (policy.debrief && outcome !== 'withdrawn') {
      this.email('debrief', everyone, { purpose: policy.debrief.purpose });
    }
    this.publish();
  }

  /** The parties whose own decision and rationale is not yet recorded. */
  private missingOrganisations() {
    return this.start.parties.filter((party) => !this.state.organisations?.some((entry) => entry.agencyId === party.agency.id));
  }

  /** The party a person records the decision and rationale for: one of its current stage's contacts, or its designated safeguarding lead. */
  private rationaleParty(by: string) {
    const address = by.toLowerCase();
    return this.start.parties.find((party) =>
      [...tierContacts(this.view(), party, this.state.stage), party.agency.designatedSafeguardingLead].some((contact) => contact.email.toLowerCase() === address),
    );
  }

  /** Who is asked for an organisation's decision and rationale: its stage contacts and its designated safeguarding lead. */
  private rationaleContacts(parties: ReturnType<DisputeProcedure['missingOrganisations']>): Contact[] {
    return parties.flatMap((party) => [...tierContacts(this.view(), party, this.state.stage), party.agency.designatedSafeguardingLead]);
  }

  /** The stage ended unresolved with no further stage: the close waits (bounded) for the organisations not yet recorded, asking them now. */
  private awaitOrganisations(reason: string): void {
    const { state } = this;
    const wait = stageOf(this.policy, state.stage).closingRecord!.awaitFor?.amount ?? 5;
    const until = this.calendar.addWorkingDays(new Date(this.at), wait).getTime();
    state.escalateAt = null;
    state.concludeBy = null;
    state.remindAt = null;
    state.nextOverdueAt = null;
    state.closing = { reason, since: this.at, until, nextChaseAt: null, askedOn: [] };
    this.record({ type: 'closing-held', awaiting: this.missingOrganisations().map((party) => party.agency.id), until: iso(until) });
    this.chaseOrganisations();
  }

  /** Asks the organisations still missing (at once, then every working day in office hours) until the close's wait ends. */
  private chaseOrganisations(): void {
    const closing = this.state.closing!;
    closing.askedOn.push(this.at);
    const next = this.calendar.nextWorkingInstant(this.calendar.addWorkingDays(new Date(this.at), 1)).getTime();
    closing.nextChaseAt = next < closing.until ? next : null;
    const first = closing.askedOn.length === 1;
    this.email('rationale', this.rationaleContacts(this.missingOrganisations()), {
      reason: `${closing.reason} ${first ? 'Your organisation is asked' : 'A reminder: your organisation is still asked'} to record its decision and rationale by ${formatLondon(new Date(closing.until))}; after that the dispute closes recording that none was given, and your board representative is told.`,
      asksForRationale: true,
    });
    this.publish();
  }

  /** The wait is over: the dispute closes, recording who gave no decision or rationale. */
  private closeAfterWaiting(): void {
    this.close('unresolved', this.state.closing!.reason);
  }

  /** The completed form, to those the policy's `record.sendTo` names. */
  private sendCompletedForm(): void {
    const form = this.policy.record!;
    const filled = buildForm(this.start, this.state, this.calendar, this.at)!;
    this.notify(form.sendTo, 'officer-notice', { purpose: `The completed ${form.name}, sent after the issue has been resolved. (${form.cite})`, record: { name: filled.name, fields: filled.fields } });
  }

  /** The form's field asked of someone after closing, if it has one. */
  private askedField() {
    return this.policy.record?.fields.find((field) => field.ask);
  }

  /** Asks the raising practitioner the form's question, by a link, and waits (bounded) for the answer. */
  private askQuestion(): void {
    const field = this.askedField()!;
    const ask = field.ask!;
    const raising = this.start.parties[0]!;
    // The practitioner who raised it, or whoever the raising agency named in their place.
    const person = tierContacts(this.view(), raising, this.policy.stages[0]!.stage)[0] ?? raising.practitioner;
    const until = this.calendar.addWorkingDays(new Date(this.at), ask.within.amount).getTime();
    this.state.question = { field: field.id, to: person.email, askedAt: this.at, until };
    this.record({ type: 'question-asked', field: field.id, to: person.email, until: iso(until) });
    this.email('question', [person], {
      reason: `The dispute you raised has been ${this.state.status} at stage ${this.state.stage}. The board's ${this.policy.record!.name} asks you one question before it is completed and sent.`,
      purpose: ask.cite,
      question: { field: field.id, label: field.label, choices: ask.choices, until: iso(until) },
    });
  }

  /** Nobody answered in time: the form goes, saying so. */
  private questionUnanswered(): void {
    const question = this.state.question!;
    question.unanswered = true;
    this.record({ type: 'question-unanswered', field: question.field });
    this.sendCompletedForm();
  }

  private plan(enteredAt: number): void {
    const { state } = this;
    const deadlines = stageDeadlines(
      this.policy,
      state.stage,
      { calendar: this.calendar, concernAt: new Date(this.start.concernAt), enteredAt: new Date(enteredAt), risk: state.risk },
      this.start.category,
    );
    state.startBy = deadlines.startBy?.getTime() ?? null;
    state.concludeBy = deadlines.concludeBy?.getTime() ?? null;
    state.escalateAt = deadlines.escalateAt?.getTime() ?? null;
    state.remindAt = deadlines.remindAt?.getTime() ?? null;
  }

  private planOverdue(): void {
    const { concludeBy, escalateAt } = this.state;
    // A conclude-by that passes before the dispute moves on (or at the last stage) is overdue.
    this.state.nextOverdueAt = concludeBy !== null && (escalateAt === null || concludeBy < escalateAt) ? concludeBy : null;
  }

  private shorten(): void {
    const { state } = this;
    const shortened = stageDeadlines(
      this.policy,
      state.stage,
      { calendar: this.calendar, concernAt: new Date(this.start.concernAt), enteredAt: new Date(this.at), risk: state.risk },
      this.start.category,
    );
    const sooner = (current: number | null, candidate: Date | null) => (current === null ? null : candidate === null ? current : Math.min(current, candidate.getTime()));
    state.concludeBy = sooner(state.concludeBy, shortened.concludeBy);
    state.escalateAt = sooner(state.escalateAt, shortened.escalateAt);
    if (!state.reminded && state.remindAt !== null) state.remindAt = sooner(state.remindAt, shortened.remindAt);
    this.planOverdue();
  }

  // ---------------------------------------------------------------------------------------------
  // Effects

  /** Runs one change at instant `at` and hands back the effects it caused, in order. */
  private run(at: number, change: () => void, now = at): Effect[] {
    this.at = at;
    this.now = now;
    this.effects = [];
    change();
    const effects = this.effects;
    this.effects = [];
    return effects;
  }

  private emit(effect: Effect): void {
    if (this.carryOut) this.carryOut(effect);
    else this.effects.push(effect);
  }

  private view(): PartiesView {
    return { start: this.start, overrides: this.state.overrides, stagesEntered: this.state.stagesEntered };
  }

  private record(event: NewEvent, at = this.at): void {
    const { state } = this;
    state.events.push({ seq: state.events.length + 1, at: iso(at), stage: state.stage, ...event } as DisputeEvent);
    state.version += 1;
  }

  private facts(extra: Partial<EmailFacts> = {}): EmailFacts {
    const { start, state, policy } = this;
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

  private email(kind: EmailKind, to: Contact[], extra: Partial<EmailFacts> = {}): void {
    const recipients = unique(to);
    if (recipients.length === 0) return;
    const stage = this.state.stage;
    const key = `${stage}:${kind}`;
    const sequence = (this.emailCounters.get(key) ?? 0) + 1;
    this.emailCounters.set(key, sequence);
    const batch: EmailBatch = { kind, sequence, recipients, facts: this.facts(extra) };
    const asks = batch.facts.asksForDecision || batch.facts.asksForRepresentation || batch.facts.asksForRationale || batch.facts.question !== undefined;
    const notBefore = this.rules.boardStage && asks ? officeHoursStart(this.calendar, this.policy.officeHours, this.now) : null;
    const addresses = recipients.map((contact) => contact.email);
    const form = this.rules.formCopies && extra.record ? { form: { name: extra.record.name, fields: extra.record.fields.map((field) => ({ ...field })) } } : {};
    if (this.rules.emailQueuedThenSent) this.record({ type: 'email-queued', kind, to: addresses, ...(notBefore !== null ? { heldUntil: iso(notBefore) } : {}), ...form });
    else this.record({ type: 'email', kind, to: addresses });
    this.emit({ type: 'send', batch, stage, ...(notBefore !== null ? { notBefore } : {}) });
  }

  private notify(recipients: Recipient[], kind: EmailKind, extra: Partial<EmailFacts>): void {
    const people = unique(recipients.flatMap((recipient) => recipientsOf(this.view(), recipient)));
    this.state.copiedTo.push(...people.map((person) => person.email));
    this.email(kind, people, extra);
  }

  private notices(notices: Notice[]): void {
    for (const notice of notices) {
      const attachment =
        notice.attach === 'record'
          ? buildForm(this.start, this.state, this.calendar, this.at)
          : notice.attach === 'dispute-details'
            ? disputeDetails(this.start, this.state)
            : notice.attach === 'written-account'
              ? writtenAccount(this.start, this.state, this.calendar)
              : null;
      // At the board's stage, the officers who record its outcome are asked for it.
      const asks =
        this.boardStage() && this.state.status === 'open' && this.state.stage === this.last && notice.to.kind === 'officer' && this.boardStage()!.recordedBy.officers.includes(notice.to.officer);
      this.notify([notice.to], 'officer-notice', {
        purpose: notice.purpose,
        ...(attachment ? { record: { name: attachment.name, fields: attachment.fields } } : {}),
        ...(asks ? { asksForDecision: true } : {}),
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The board's stage

  /** The policy's last stage as the board's, under the rules this dispute runs by; null otherwise. */
  private boardStage() {
    return this.rules.boardStage ? (this.policy.lastStage ?? null) : null;
  }

  private officer(id: string): Contact | undefined {
    return this.start.officers[id];
  }

  private officerTitles(ids: string[]): string {
    return [...new Set(ids)].map((id) => this.policy.officers[id]?.title ?? id).join(' or ');
  }

  /** The board's officers named for the last stage: who convenes, chairs and records it. */
  private boardOfficers(): Contact[] {
    const board = this.boardStage();
    if (!board) return [];
    return unique([board.convenedBy, ...(board.chairedBy ? [board.chairedBy] : []), ...board.recordedBy.officers].flatMap((id) => this.officer(id) ?? []));
  }

  /** Who may record the last stage's outcome: the officers the policy names, and the panel recorded on the dispute. */
  private recorders(): Contact[] {
    const board = this.boardStage();
    if (!board) return [];
    return unique([...board.recordedBy.officers.flatMap((id) => this.officer(id) ?? []), ...(board.recordedBy.panel ? (this.state.panel ?? []) : [])]);
  }

  private whoMayRecord(): string {
    const board = this.boardStage()!;
    const officers = board.recordedBy.officers.map((id) => {
      const contact = this.officer(id);
      return `the ${this.policy.officers[id]?.title ?? id}${contact ? ` (${contact.email})` : ''}`;
    });
    return [...officers, ...(board.recordedBy.panel ? ['a member of the panel recorded on this dispute'] : [])].join(', or ');
  }

  /** Everyone the representations and the panel's business go to. */
  private panelContacts(): Contact[] {
    return unique([...this.boardOfficers(), ...(this.state.panel ?? [])]);
  }

  /** The party a person makes a representation for: they must be its last-stage contact. */
  private representing(by: string) {
    const address = by.toLowerCase();
    return this.start.parties.find((party) => tierContacts(this.view(), party, this.last).some((contact) => contact.email.toLowerCase() === address));
  }

  private officersToldSoFar(): Contact[] {
    const told = new Set(this.state.copiedTo.map((email) => email.toLowerCase()));
    return Object.values(this.start.officers).filter((contact) => told.has(contact.email.toLowerCase()));
  }

  /** Whether an unresolved decision at the current stage closes the dispute, and the stage asks for each organisation's rationale first. */
  private closesWithOrganisations(): boolean {
    const current = stageOf(this.policy, this.state.stage);
    return Boolean(current.closingRecord) && nextStage(this.policy, this.state.stage, this.start.category) === null && this.state.stage !== this.last;
  }

  private lastWrittenRecord(): { label: string; value: string }[] {
    const decision = this.state.decisions[this.state.decisions.length - 1];
    return decision?.record ? writtenRecordLines(decision.record, this.start) : [];
  }

  /** Each organisation's decision and rationale, or that it was not recorded before the stage ran out. */
  private organisationLines(): { label: string; value: string }[] {
    if (!stageOf(this.policy, this.state.stage).closingRecord) return [];
    if (this.rules.closingAwaitsOrganisations) {
      return this.start.parties.map((party) => {
        const given = this.state.organisations?.find((entry) => entry.agencyId === party.agency.id);
        const asked = (this.state.closing?.askedOn ?? []).map((at) => iso(at).slice(0, 10));
        return {
          label: `${party.agency.name}: decision and rationale`,
          value: given ? `${given.decision} — ${given.rationale}` : `no decision or rationale given${asked.length ? ` (asked on ${asked.join(', ')})` : ''}`,
        };
      });
    }
    return this.start.parties.map((party) => ({ label: `${party.agency.name}: decision and rationale`, value: 'not recorded before the stage’s time ran out' }));
  }

  private reminderText(): string {
    const reminder = stageOf(this.policy, this.state.stage).reminder ?? this.policy.reminder;
    if (reminder.kind !== 'none' && reminder.text) return reminder.text;
    if (reminder.kind === 'fraction' && reminder.fraction !== 0.5) return `${Math.round(reminder.fraction * 100)}% of this stage’s time has passed.`;
    return 'Half of this stage’s time has passed.';
  }

  /** What a reminder asks of the current tier: at the board's stage the parties are asked for representations, not the outcome. */
  private asks(): Partial<EmailFacts> {
    const board = this.boardStage();
    if (board && this.state.stage === this.last) return board.representations ? { asksForRepresentation: true } : {};
    return { asksForDecision: true };
  }

  private deadlineOf(): string | null {
    const deadline = this.state.concludeBy ?? this.state.escalateAt;
    return deadline === null ? null : iso(deadline);
  }

  private publish(): void {
    const { state, policy, start } = this;
    const deadline = state.status === 'open' ? (state.concludeBy ?? state.escalateAt ?? state.closing?.until ?? null) : null;
    const current = stageOf(policy, state.stage);
    const awaiting = start.parties.map((party) => party.agency.name).join('; ');
    this.emit({
      type: 'publish',
      publication: {
        board: policy.board.id,
        policy: `${policy.id}@${policy.version}`,
        stage: state.stage,
        status: state.status,
        risk: state.risk,
        deadline,
        agencies: start.parties.map((party) => party.agency.id),
        details:
          state.status === 'open'
            ? `**Stage ${state.stage} — ${current.title}** (${current.tier}, ${state.risk} risk)\n\n` +
              `Deadline: ${deadline === null ? 'none' : formatLondon(new Date(deadline))}\n\nAwaiting a decision from: ${awaiting}`
            : `**Closed: ${state.status}** at stage ${state.stage}`,
      },
    });
  }
}

function writtenRecordOf(input: OutcomeInput): WrittenRecord | null {
  const record: WrittenRecord = {
    ...(input.rationale ? { rationale: input.rationale } : {}),
    ...(input.outstandingIssues ? { outstandingIssues: input.outstandingIssues } : {}),
    ...(input.nextSteps ? { nextSteps: input.nextSteps } : {}),
    ...(input.nextStepsBy ? { nextStepsBy: input.nextStepsBy } : {}),
    ...(input.organisations?.length ? { organisations: input.organisations } : {}),
  };
  return Object.keys(record).length ? record : null;
}

/** At most this long: a rejection's reason is kept in the event log, and a hostile payload's field names (an unknown key can be any size) are echoed in it. */
const maxReasonChars = 500;

/** A payload's problems, field by field, in one line of at most 500 characters. */
export function describe(error: z.ZodError): string {
  const text = error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; ');
  return text.length > maxReasonChars ? `${text.slice(0, maxReasonChars - 1)}…` : text;
}

/**
 * Without zod's compiled fast path: a worker loads the workflow's modules afresh for each dispute it
 * takes into its cache (and disputes sleep for days, so most messages find theirs evicted), so the
 * fast path would be generated and compiled for one or two parses and thrown away. Interpreted, a
 * message's parse costs ~1–2.5 ms less CPU per dispute loaded; the result is the same.
 */
const oneParse = { jitless: true } as const;

function parse<T>(schema: z.ZodType<T>, payload: unknown): T {
  const parsed = schema.safeParse(payload, oneParse);
  if (!parsed.success) reject(RejectionType.invalidPayload, describe(parsed.error));
  return parsed.data as T;
}

function reject(type: string, message: string): never {
  throw new Rejection(type, message);
}
