import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { EmailActivities } from '../../activities/email/activities';
import type { EmailBatch, EmailBatchResult } from '../../activities/email/types';
import { CalendarRangeError } from '../../policies/calendar';
import { DisputeAgencies, DisputeBoard, DisputeDeadline, DisputePolicy, DisputeRisk, DisputeStage, DisputeStatus } from '../search-attributes';
import * as messages from './messages';
import { DisputeStart, type DisputeRecord, type DisputeStartInput, type EmailKind } from './model';
import { describe, DisputeProcedure, Rejection, type Effect, type Operation, type OperationInputs, type Publication } from './procedure';
import { recordWriteQuery } from './record-query';
import { appliedPatches, type Applied } from './patches';
import { localWritesPatch, recordRow, recordsPatch, recordsUntilDonePatch, recordWrites } from './record-writes';

/**
 * Disputes started before this patch run the first rules to the end (their histories replay
 * unchanged); those started after run the board's stage, the written records and office hours.
 */
export const boardStagePatch = 'board-stage-and-written-records';

// Behaviour changes that running disputes must not see (their histories replay the old way).
const PATCH = {
  /** `previewClockOffsetMs` in the start input once shifted a real dispute's clock; now only the preview workflow has a clock of its own. */
  noPreviewClock: 'no-preview-clock-in-dispute',
  /** Unknown fields refused rather than dropped, contact changes held to the agency's own people and domains, notes capped. */
  hardened: 'hardened-messages',
  /** The event log says `email-queued` when a send is scheduled and `email-sent` when it is done. */
  emailQueuedThenSent: 'email-queued-then-sent',
  /** A dispute that starts late gets one overdue notice for the current moment, not one per working day missed. */
  overdueAtMostOnce: 'overdue-at-most-once',
  /** An email held for office hours is not sent once the stage it asks about has ended. */
  cancelStaleHeldEmails: 'cancel-stale-held-emails',
  /** An email carrying a form records the form in its `email-queued` event, for the store's copy of each form as sent. */
  formCopies: 'form-copies-in-event-log',
  /** When the dispute closes, the timers of emails held for office hours that asked about it are cancelled, so it completes at once. */
  cancelHeldTimersOnClose: 'cancel-held-timers-on-close',
  /** A form field asked of someone after closing (North Somerset's effectiveness): asked by a link, the completed form waits for the answer. */
  formQuestions: 'form-questions-after-closing',
  /** A stage that closes unresolved (Leeds stage 3) waits for each organisation's own decision and rationale, chasing, rather than closing with "not recorded". */
  closingAwaitsOrganisations: 'closing-awaits-organisations',
  /**
   * Fewer history events: the emails one step of the procedure sends go out as one activity, and the
   * timer for the next deadline stays set while its instant stands (an email sent, a note added).
   */
  fewerHistoryEvents: 'one-email-activity-per-transition',
  /**
   * Asked first, by every dispute: one started from here on records this one marker and takes every
   * patch above (and the records store's, record-writes.ts) as applied without asking for it, so
   * without a marker of its own; each marker costs the history two events (the marker and the
   * `TemporalChangeVersion` upsert the SDK's core adds to it, which no option turns off). A history
   * without this marker (a dispute started before) asks each patch on its own, where it was
   * recorded. A patch added after this one is asked on its own (patchesBeforeOneMarker).
   */
  onePatchMarker: 'one-marker-for-earlier-patches',
} as const;

/**
 * Patches made after `onePatchMarker`: outside `PATCH`, so not in the set it stands for; each is
 * asked on its own and records its own marker, so a dispute running when it ships keeps its path.
 */
const LATER_PATCH = {
  /** A held request for the organisations' records (Leeds stage 3) goes only to those still missing. */
  heldRationaleOnlyToMissing: 'held-rationale-only-to-missing',
  /** No party acts in another's name (procedure.ts `ownAgencyOnly`): asked only where it would refuse a message the first rules took. */
  ownAgencyOnly: 'own-agency-only',
  /**
   * Asked only when a contact change or representation would pass `messageLimits`: a dispute that
   * took more before the limits replays as recorded; from here on one beyond them is refused.
   */
  messageLimits: 'message-limits',
  /**
   * Asked only when a note would pass its author's share of the dispute's notes (model.ts
   * `noteShare`): a dispute whose agency took more before the shares replays as recorded.
   */
  noteShares: 'note-shares',
} as const;

/** The patches `onePatchMarker` stands for: every one made before it, here and in record-writes.ts. Never add to this set. */
const patchesBeforeOneMarker: ReadonlySet<string> = new Set([
  ...Object.values(PATCH).filter((patchId) => patchId !== PATCH.onePatchMarker),
  boardStagePatch,
  recordsPatch,
  recordsUntilDonePatch,
  localWritesPatch,
]);

/**
 * Asked once, before anything else the dispute does (its marker is then in the first workflow
 * task, where replay finds it); the answer is kept for the run, since during replay a history without
 * the marker answers false, but the same call once the dispute runs live would answer true.
 */
function patchesOfThisDispute(): Applied {
  return appliedPatches(patched(PATCH.onePatchMarker), patchesBeforeOneMarker, patched);
}

// The shell around the procedure: it feeds the procedure the messages and the passing of time, and
// carries out what the procedure says (emails, search attributes), in the order it says.

const emailOptions = {
  startToCloseTimeout: '1 minute',
  // A worker that dies mid-batch is noticed in seconds; the retry resumes from the last heartbeat.
  heartbeatTimeout: '20 seconds',
  // A failing SMTP server never holds the dispute up: sends retry in the background for days.
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
} as const;
const { sendEmails, sendEmailsTogether } = proxyActivities<EmailActivities>(emailOptions);

type SendEffect = Extract<Effect, { type: 'send' }>;

/** One dispute, from the concern to its record. */
export async function dispute(input: DisputeStartInput): Promise<DisputeRecord> {
  // Histories from before the preview workflow existed may carry a preview clock; they replay with it.
  const applied = patchesOfThisDispute();
  const legacyOffset = (input as { previewClockOffsetMs?: unknown } | null)?.previewClockOffsetMs;
  const offset = !applied(PATCH.noPreviewClock) && Number.isSafeInteger(legacyOffset) ? (legacyOffset as number) : 0;
  return stopOnCalendarRange(() => runDispute(input, offset, applied));
}

/** Only the simulator's worker registers the preview workflow (workflows/preview.ts), which may run on a shifted clock. */
export async function runPreview(input: DisputeStartInput, clockOffsetMs: number): Promise<DisputeRecord> {
  const applied = patchesOfThisDispute();
  if (!Number.isSafeInteger(clockOffsetMs)) throw ApplicationFailure.nonRetryable('invalid preview: clockOffsetMs must be a whole number of milliseconds', messages.RejectionType.invalidPayload);
  return stopOnCalendarRange(() => runDispute(input, clockOffsetMs, applied));
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

async function runDispute(input: DisputeStartInput, offset: number, applied: Applied): Promise<DisputeRecord> {
  const parsedStart = DisputeStart.safeParse(input);
  if (!parsedStart.success) {
    throw ApplicationFailure.nonRetryable(`invalid dispute: ${describe(parsedStart.error)}`, messages.RejectionType.invalidPayload);
  }
  const start = parsedStart.data;
  const now = () => Date.now() + offset;
  /** While an update's validator runs (never during replay): nothing it does may add a command, not even a patch marker. */
  let validating = false;

  // The order of these calls is the order their markers were recorded in: keep it.
  const hardened = applied(PATCH.hardened);
  const emailQueuedThenSent = applied(PATCH.emailQueuedThenSent);
  const procedure = new DisputeProcedure(
    start,
    {
      hardened,
      emailQueuedThenSent,
      // Asked only when a late start owes more than one notice, as the patch was first recorded.
      overdueAtMostOnce: () => applied(PATCH.overdueAtMostOnce),
      boardStage: applied(boardStagePatch),
      formCopies: applied(PATCH.formCopies),
      formQuestions: applied(PATCH.formQuestions),
      closingAwaitsOrganisations: applied(PATCH.closingAwaitsOrganisations),
      // A validator's refusal leaves no history, so it needs no marker; a handler or a signal asks.
      ownAgencyOnly: () => validating || applied(LATER_PATCH.ownAgencyOnly),
      messageLimits: () => validating || applied(LATER_PATCH.messageLimits),
      noteShares: () => validating || applied(LATER_PATCH.noteShares),
    },
    // Each effect is carried out as it arises, so commands and patch markers keep their recorded order.
    (effect) => carryOut([effect]),
  );
  const fewerEvents = applied(PATCH.fewerHistoryEvents);
  /** While a step of the procedure runs (and fewerEvents): what it asks for, carried out once it has run. */
  let collecting: { dueNow: SendEffect[]; publication: Publication | null } | null = null;
  const pendingEmails: Promise<void>[] = [];
  /** Emails held for office hours, by the scope of their timer, until it fires. */
  const heldEmails = new Map<CancellationScope, { stage: number; kind: EmailKind; to: string[] }>();
  // The records store follows the event log; writes never hold the dispute up.
  const recordNow = () => recordRow(start, procedure.state, procedure.calendar, procedure.snapshot(), now());
  const records = recordWrites(() => procedure.state.events, recordNow, applied);

  function carryOut(effects: Effect[]): void {
    for (const effect of effects) {
      if (effect.type !== 'send') {
        if (collecting) collecting.publication = effect.publication;
        else publish(effect.publication);
      } else if (collecting && !(effect.notBefore !== undefined && effect.notBefore > now())) collecting.dueNow.push(effect);
      else send(effect);
    }
  }

  /**
   * One step of the procedure (begin, a tick, a message applied). With fewerEvents, once it has run
   * the search attributes are published once (as the step left them) and the batches it makes due
   * now go out as one activity; a batch held for office hours waits on its own.
   */
  function step(run: () => Effect[]): void {
    if (!fewerEvents) return carryOut(run());
    const collected: NonNullable<typeof collecting> = { dueNow: [], publication: null };
    collecting = collected;
    try {
      carryOut(run());
    } finally {
      collecting = null;
    }
    if (collected.publication) publish(collected.publication);
    if (collected.dueNow.length > 0) sendTogether(collected.dueNow);
  }

  /** The batches due now, as one activity; the event log still records each batch as it settles. */
  function sendTogether(effects: SendEffect[]): void {
    const sent = effects.map(({ batch, stage }) => ({ stage, kind: batch.kind, to: batch.recipients.map((contact) => contact.email) }));
    const kinds = [...new Set(effects.map((effect) => effect.batch.kind))].join(', ');
    const recipients = effects.reduce((sum, effect) => sum + effect.batch.recipients.length, 0);
    const summary = `Emails: ${kinds}, stage ${effects[0]!.stage}, ${effects.length} batch(es), ${recipients} recipient(s)`;
    pendingEmails.push(
      sendEmailsTogether.executeWithOptions({ ...emailOptions, summary }, [effects.map((effect) => effect.batch)]).then(
        (results) => sent.forEach((batch, i) => procedure.emailSettled(now(), batch, results[i]!)),
        (error: unknown) => {
          // Given up (after days of retries): batches the last attempt (or heartbeat) says were finished are on record as sent.
          const cause = error instanceof ActivityFailure ? error.cause : undefined;
          const progress = (cause instanceof ApplicationFailure ? cause.details?.[0] : cause instanceof TimeoutFailure ? cause.lastHeartbeatDetails : undefined) as EmailBatchResult[] | undefined;
          const reason = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
          sent.forEach((batch, i) => {
            const done = progress?.[i];
            const finished = done && done.sent.length + done.rejected.length === batch.to.length;
            procedure.emailSettled(now(), batch, finished ? { sent: done.sent, rejected: done.rejected } : { failed: reason });
          });
        },
      ),
    );
  }

  function send({ batch, stage, notBefore }: SendEffect): void {
    const sent = { stage, kind: batch.kind, to: batch.recipients.map((contact) => contact.email) };
    const wait = notBefore === undefined ? 0 : notBefore - now();
    // An email that asks someone for something waits for office hours; the dispute's clock runs on.
    // Scheduled at once when it need not wait: the order of commands is the order of the effects.
    // The summary the Web UI shows names the kind and how many, never who.
    const execute = (going: EmailBatch = batch) =>
      sendEmails.executeWithOptions({ ...emailOptions, summary: `Email: ${going.kind}, stage ${stage}, ${going.recipients.length} recipient(s)` }, [going]);
    if (wait > 0) {
      // Its own scope, so the timer can be cancelled when the dispute closes (`cancelHeldTimers`).
      const scope = new CancellationScope();
      const timer = scope.run(() => sleep(wait, { summary: `Email: ${batch.kind}, stage ${stage}, waits for office hours` }));
      heldEmails.set(scope, sent);
      const held = timer.then(
        async () => {
          heldEmails.delete(scope);
          const to = procedure.heldEmailRecipients(now(), sent, {
            cancelStale: () => applied(PATCH.cancelStaleHeldEmails),
            onlyMissing: () => applied(LATER_PATCH.heldRationaleOnlyToMissing),
          });
          if (to.length === 0) return;
          const going = new Set(to);
          const released = { ...sent, to };
          await execute({ ...batch, recipients: batch.recipients.filter((contact) => going.has(contact.email)) }).then(
            (result) => procedure.emailSettled(now(), released, { sent: result.sent, rejected: result.rejected }),
            (error: unknown) => procedure.emailSettled(now(), released, { failed: error instanceof ActivityFailure && error.cause ? error.cause.message : String(error) }),
          );
        },
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
      pendingEmails.push(held);
      return;
    }
    pendingEmails.push(
      execute().then(
        (result) => procedure.emailSettled(now(), sent, { sent: result.sent, rejected: result.rejected }),
        (error: unknown) => procedure.emailSettled(now(), sent, { failed: error instanceof ActivityFailure && error.cause ? error.cause.message : String(error) }),
      ),
    );
  }

  /**
   * The dispute has closed (or its form's question is settled): an email still held for office
   * hours that asks nothing any more would not be sent anyway (`heldEmailDue`), so its timer is
   * cancelled now, with the same `email-cancelled` record, and the workflow completes at once
   * instead of at 09:00. One that still asks (the effectiveness question, awaited) keeps its timer.
   * Disputes that closed before this rule kept their timers (the patch is asked only when one lapses).
   */
  function cancelHeldTimers(): void {
    const lapsed = [...heldEmails].filter(([, sent]) => !procedure.heldEmailStillAsks(sent));
    if (lapsed.length === 0 || !applied(PATCH.cancelHeldTimersOnClose)) return;
    for (const [scope, sent] of lapsed) {
      procedure.heldEmailDue(now(), sent);
      scope.cancel();
      heldEmails.delete(scope);
    }
  }

  function publish(publication: Publication): void {
    upsertSearchAttributes([
      { key: DisputeBoard, value: publication.board },
      { key: DisputePolicy, value: publication.policy },
      { key: DisputeStage, value: publication.stage },
      { key: DisputeStatus, value: publication.status },
      { key: DisputeRisk, value: publication.risk },
      { key: DisputeDeadline, value: publication.deadline === null ? null : new Date(publication.deadline) },
      { key: DisputeAgencies, value: publication.agencies },
    ] as Parameters<typeof upsertSearchAttributes>[0]);
    setCurrentDetails(publication.details);
  }

  function checked<O extends Operation>(operation: O, payload: unknown): OperationInputs[O] {
    try {
      return procedure.check(operation, payload, now());
    } catch (error) {
      if (error instanceof Rejection) throw ApplicationFailure.create({ type: error.type, message: error.message, nonRetryable: true });
      throw error;
    }
  }

  function register<O extends Operation>(operation: O, update: typeof messages.recordOutcome, signal: typeof messages.recordOutcomeSignal): void {
    setHandler(
      update,
      (payload: unknown) => {
        step(() => procedure.apply(operation, checked(operation, payload), now()));
        return procedure.accepted();
      },
      {
        validator: (payload: unknown) => {
          validating = true;
          try {
            checked(operation, payload);
          } finally {
            validating = false;
          }
        },
      },
    );
    setHandler(signal, (payload: unknown) => {
      let input: OperationInputs[O];
      try {
        input = checked(operation, payload);
      } catch (error) {
        const reason = error instanceof ApplicationFailure ? error.message : String(error);
        const type = error instanceof ApplicationFailure ? error.type : 'Error';
        // The log line names the operation and the rejection type only: reasons may quote personal data.
        log.warn('signal rejected', { operation, type });
        procedure.rejected(now(), operation, reason);
        return;
      }
      step(() => procedure.apply(operation, input, now()));
    });
  }
  register('recordOutcome', messages.recordOutcome, messages.recordOutcomeSignal);
  register('raiseRisk', messages.raiseRisk, messages.raiseRiskSignal);
  register('withdraw', messages.withdraw, messages.withdrawSignal);
  register('changeContact', messages.changeContact, messages.changeContactSignal);
  register('addNote', messages.addNote, messages.addNoteSignal);
  register('submitRepresentation', messages.submitRepresentation, messages.submitRepresentationSignal);
  register('convene', messages.convene, messages.conveneSignal);
  register('answerForm', messages.answerForm, messages.answerFormSignal);
  register('recordRationale', messages.recordRationale, messages.recordRationaleSignal);
  setHandler(messages.disputeState, () => procedure.snapshot());
  setHandler(recordWriteQuery, () => ({ row: recordNow(), lastSeq: procedure.state.events.length, events: procedure.state.events }));

  step(() => procedure.begin(now()));
  // Every change bumps the state's version, so the wait below looks again after any of them: the
  // old rules re-plan the timer each time, fewerEvents keeps it while the instant it waits for stands.
  const timer = wakeTimer(now);
  while (procedure.state.status === 'open') {
    records.kick();
    const wake = procedure.nextWake();
    const seen = procedure.state.version;
    if (wake !== null && wake <= now()) {
      step(() => procedure.tick(now()));
      continue;
    }
    if (fewerEvents) {
      const fired = timer.set(wake, wake === null ? '' : procedure.wakeSummary(wake));
      await condition(() => procedure.state.version !== seen || fired());
      if (fired()) step(() => procedure.tick(now()));
      continue;
    }
    const changed =
      wake === null
        ? await condition(() => procedure.state.version !== seen).then(() => true)
        : await condition(() => procedure.state.version !== seen, wake - now(), { summary: procedure.wakeSummary(wake) });
    if (!changed) step(() => procedure.tick(now()));
  }
  timer.set(null, '');

  cancelHeldTimers();
  // Closed: the form's question (North Somerset's effectiveness) has until its time is up to be answered.
  while (procedure.awaitingAnswer()) {
    records.kick();
    const wake = procedure.nextWake()!;
    if (wake <= now()) {
      step(() => procedure.tick(now()));
      continue;
    }
    const seen = procedure.state.version;
    if (!(await condition(() => procedure.state.version !== seen, wake - now(), { summary: procedure.wakeSummary(wake) }))) step(() => procedure.tick(now()));
  }
  cancelHeldTimers();
  await Promise.all(pendingEmails); // each send records its own failure; none throws
  await records.flushed();
  return procedure.result();
}

/**
 * One timer for the dispute's next wake: set again only when the instant changes (a decision moved
 * the deadline), not each time the dispute records something, so history keeps one timer per wake.
 */
function wakeTimer(now: () => number) {
  let current: { at: number; scope: CancellationScope; fired: boolean } | null = null;
  return {
    /** Waits for `at` on the dispute's clock (null: for nothing); returns whether the timer for it has fired. */
    set(at: number | null, summary: string): () => boolean {
      // A timer that fired before its instant on this clock (never expected) is set again, not spun on.
      if (current && (current.at !== at || current.fired)) {
        if (!current.fired) current.scope.cancel();
        current = null;
      }
      if (at === null) return () => false;
      if (!current) {
        const timer = { at, scope: new CancellationScope(), fired: false };
        timer.scope
          .run(() => sleep(Math.max(1, at - now()), { summary }))
          .then(
            () => (timer.fired = true),
            () => undefined, // cancelled: a new instant has its own timer
          );
        current = timer;
      }
      const timer = current;
      return () => timer.fired;
    },
  };
}
