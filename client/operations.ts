import { createHash } from 'node:crypto';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure, type TypedSearchAttributes } from '@temporalio/common';
import proto from '@temporalio/proto';
import { z } from 'zod';
import * as messages from '../workflows/dispute/messages';
import type { DisputeView, Ended } from '../workflows/dispute/model';
import { DisputeAgencies, DisputeBoard, DisputeDeadline, DisputePolicy, DisputeRisk, DisputeStage, DisputeStatus } from '../workflows/search-attributes';
import { base32 } from '../runtime/base32';
import { recordsLocation, type Config } from '../runtime/config';
import { loadKeyRing, type KeyRing } from '../runtime/key-ring';
import { dataConverter } from '../runtime/payload-codec';
import { temporalConnectOptions } from '../runtime/temporal-connection';
import { AccessLog, AccessLogUnavailable, type AccessEntry } from '../records/access-log';
import { lazyRecordsStore } from '../records/lazy';
import type { RecordsStore } from '../records/open';
import { listRecords, readStoredDispute, type RecordSummary } from '../records/read';
import { ListFilter } from '../records/filter';
import { buildDisputeStart, disputeContext, DisputeInputError, newDisputeId, NewDispute, startDispute, type DisputeContext } from './disputes';
import type { Visible } from './access';
import { knownParties, rememberParties } from './parties';

// What the API and the CLI both do to disputes, over a Temporal client. Errors come out as
// DisputeFailure, whose kind each interface maps to its own words (HTTP status, exit code).

export type FailureKind = 'invalid' | 'not-found' | 'forbidden' | 'conflict' | 'not-allowed' | 'key-reused' | 'unavailable';

export class DisputeFailure extends Error {
  override name = 'DisputeFailure';
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Temporal takes no more updates for this dispute's run (`history.maxTotalUpdates`): the dispute is
 * open, yet nothing more can be recorded on it. Its own type, so people are not told it is closed.
 */
export class UpdateLimitReached extends DisputeFailure {
  override name = 'UpdateLimitReached';
  constructor(readonly limit: string) {
    super('conflict', `nothing was changed: the dispute has taken the most updates Temporal takes for one dispute (${limit}); ask the board's officers`);
  }
}

export interface Disputes {
  client: Client;
  taskQueue: string;
  context: DisputeContext;
  /** The records store, opened on first use: where a dispute is read once Temporal no longer has it, and what lists query. */
  records?: () => Promise<RecordsStore>;
  /** Where reads of personal data are recorded (in the records store). Without one nothing is recorded: tests with no store only. */
  accessLog?: AccessLog;
}

/** Disputes on the configured Temporal, with the configured policies, directory and payload keys. */
export async function connectDisputes(
  config: Config,
  options: { connectTimeoutMs?: number; context?: DisputeContext; keyRing?: KeyRing; records?: () => Promise<RecordsStore> } = {},
): Promise<{ disputes: Disputes; close: () => Promise<void> }> {
  const context = options.context ?? disputeContext(config);
  const keyRing = options.keyRing ?? loadKeyRing(config);
  const connection = await Connection.connect({
    ...temporalConnectOptions(config),
    interceptors: boundedRetries(),
    ...(options.connectTimeoutMs ? { connectTimeout: options.connectTimeoutMs } : {}),
  });
  // A store given by the caller is the caller's to close (npm start shares one with its worker).
  const own = options.records ? null : lazyRecordsStore(recordsLocation(config), { keyRing });
  const records = options.records ?? own!.get;
  return {
    disputes: {
      client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(keyRing) }),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      context,
      records,
      accessLog: new AccessLog(records, keyRing),
    },
    close: async () => {
      await connection.close();
      await own?.close();
    },
  };
}

const rejectionKinds: Record<string, FailureKind> = {
  [messages.RejectionType.invalidPayload]: 'invalid',
  [messages.RejectionType.staleStage]: 'conflict',
  [messages.RejectionType.closed]: 'conflict',
  [messages.RejectionType.notAParty]: 'forbidden',
  [messages.RejectionType.notAllowed]: 'not-allowed',
  [messages.RejectionType.limitReached]: 'not-allowed',
};

/** Temporal's errors, in the dispute's words. Anything not recognised is rethrown. */
export function translate(error: unknown, disputeId?: string): never {
  if (error instanceof DisputeFailure) throw error;
  if (error instanceof DisputeInputError) throw new DisputeFailure('invalid', error.message, error.field);
  const text = error instanceof Error ? error.message : String(error);
  // Temporal answers an update to a closed workflow with NOT_FOUND; for a caller the dispute exists and is closed.
  if (/workflow execution already completed|completed workflow/i.test(text)) throw new DisputeFailure('conflict', 'the dispute is closed');
  if (error instanceof WorkflowNotFoundError) throw new DisputeFailure('not-found', `no dispute '${disputeId ?? error.workflowId}'`);
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const kind = rejectionKinds[error.cause.type ?? ''] ?? 'invalid';
    const field = /^([\w.]+): /.exec(error.cause.message)?.[1];
    throw new DisputeFailure(kind, error.cause.message, field);
  }
  if (isUnreachable(error)) throw new DisputeFailure('unavailable', 'Temporal is not answering; nothing was changed, try again shortly');
  refuseAtUpdateLimits(error);
  if (/not found/i.test(text) && disputeId) throw new DisputeFailure('not-found', `no dispute '${disputeId}'`);
  throw error;
}

/**
 * Temporal's own limits on a workflow's updates. Its total a run (`history.maxTotalUpdates`, 2,000
 * by default) is permanent for the dispute: 409, as a retry never succeeds (`messageLimits` keep a
 * dispute well inside it). Too many in flight at once (`history.maxInFlightUpdates`) passes: 503.
 */
function refuseAtUpdateLimits(error: unknown): void {
  for (const cause of causes(error)) {
    const { code, details, message } = cause as { code?: unknown; details?: unknown; message?: unknown };
    const text = `${typeof details === 'string' ? details : ''} ${typeof message === 'string' ? message : ''}`;
    // Server versions word it differently: "limit on number of total updates", "the total number of distinct updates".
    if (code === 9 /* FAILED_PRECONDITION */ && /total updates|total number of distinct updates/i.test(text)) {
      const limit = /has been reached \((\d+)\)/.exec(text)?.[1] ?? 'its limit';
      throw new UpdateLimitReached(limit);
    }
    if (code === 8 /* RESOURCE_EXHAUSTED */) throw new DisputeFailure('unavailable', 'Temporal is busy with other changes to this dispute; nothing was changed, try again shortly');
  }
}

/**
 * The client's gRPC retries, bounded to about a second: callers are answered 503 while Temporal is
 * down, and no retry is left sleeping past its call (it would fire on a closed connection).
 */
export function boundedRetries() {
  return [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 4 }))];
}

/** How long a call that needs no worker (describe, list, start) may take before Temporal counts as down. */
const reachableWithinMs = 1_500;
/** How long a query (which a worker answers) may take. */
const queryWithinMs = 10_000;

const unreachableCodes = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** A gRPC failure that means Temporal cannot be reached now (down, or not answering in time). */
function isUnreachable(error: unknown): boolean {
  for (const cause of causes(error)) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'number' && unreachableCodes.has(code)) return true;
  }
  return false;
}

/** An error and its causes, at most five deep: the SDK wraps a gRPC status in a failure or two. */
function* causes(error: unknown): Generator<unknown> {
  for (let cause: unknown = error, depth = 0; cause && depth < 5; cause = (cause as { cause?: unknown }).cause, depth++) yield cause;
}

/**
 * Runs Temporal calls with a deadline, so a Temporal that is down costs a caller seconds, not
 * minutes of retries. The gRPC deadline ends the call; the timer ends the wait, since the client's
 * retry backoff may sleep past the deadline before it gives up.
 */
async function within<T>(disputes: Disputes, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DisputeFailure('unavailable', `Temporal did not answer within ${ms / 1000} s; try again shortly`)), ms);
  });
  try {
    return await Promise.race([disputes.client.connection.withDeadline(Date.now() + ms, fn), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether Temporal answers now: a cheap call no worker is needed for. Throws 'unavailable' if not. */
export async function checkTemporal(disputes: Disputes): Promise<void> {
  try {
    await within(disputes, reachableWithinMs, () => disputes.client.workflowService.getSystemInfo({}));
  } catch (error) {
    translate(error);
  }
}

/**
 * A hash of what a start asked for, kept in the workflow's memo: a retry with the same key and a
 * different body is refused rather than silently answered with the first dispute. A hash holds no
 * personal data in readable form.
 */
function requestHash(idempotency: { caller: string; key: string }, input: NewDispute): string {
  const parsed = NewDispute.parse(input);
  const normal = { ...parsed, concernAt: new Date(parsed.concernAt).toISOString() };
  return createHash('sha256').update(`${idempotency.caller}\n${idempotency.key}\n${JSON.stringify(normal)}`).digest('hex');
}

/**
 * Starts a dispute. With an idempotency key the dispute ID is derived from it (and from who asks),
 * so a retry finds the dispute the first call started instead of starting a second, open or closed
 * (the start refuses a workflow ID that was ever used).
 */
export async function openDispute(
  disputes: Disputes,
  input: NewDispute,
  /** `sameRequest`: a retry must carry the same request (the API's contract); `npm start --demo` re-seeds with a new instant and only wants the first. */
  idempotency?: { caller: string; key: string; sameRequest?: boolean },
): Promise<{ disputeId: string; created: boolean }> {
  try {
    const policy = disputes.context.policies.find(String((input as { policy?: unknown }).policy ?? ''));
    const disputeId =
      idempotency && policy
        ? newDisputeId(policy.board.shortName, base32(createHash('sha256').update(`${idempotency.caller}\n${idempotency.key}`).digest()).slice(0, 10))
        : undefined;
    const start = buildDisputeStart(input, disputes.context, disputeId ? { disputeId } : {});
    const hash = idempotency ? requestHash(idempotency, input) : undefined;
    await checkTemporal(disputes);
    try {
      await within(disputes, queryWithinMs, () => startDispute(disputes.client, disputes.taskQueue, start, hash ? { memo: { requestHash: hash } } : {}));
      rememberParties(disputes.client, start.disputeId, { board: start.policy.board.id, agencies: start.parties.map((party) => party.agency.id) });
      return { disputeId: start.disputeId, created: true };
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError && disputeId && idempotency)) throw error;
      const first = await within(disputes, reachableWithinMs, () => disputes.client.workflow.getHandle(disputeId).describe());
      rememberParties(disputes.client, disputeId, partiesOfAttributes(first.typedSearchAttributes));
      const firstHash = first.memo?.requestHash;
      if (idempotency.sameRequest && typeof firstHash === 'string' && firstHash !== hash) {
        throw new DisputeFailure('key-reused', `Idempotency-Key '${idempotency.key}' was used for a different request; use a new key for a new dispute`, 'Idempotency-Key');
      }
      return { disputeId, created: false };
    }
  } catch (error) {
    translate(error);
  }
}

export const endedStatus: Partial<Record<string, Ended>> = { TERMINATED: 'terminated', FAILED: 'failed', TIMED_OUT: 'timed-out', CANCELLED: 'cancelled' };

/** Why a workflow ended outside the procedure, from its close event. */
async function endReason(disputes: Disputes, disputeId: string, ended: Ended): Promise<string> {
  const fallback = { terminated: 'terminated', failed: 'the workflow failed', 'timed-out': 'the workflow ran out of time', cancelled: 'cancelled' }[ended];
  try {
    const history = await within(disputes, reachableWithinMs, () =>
      disputes.client.workflowService.getWorkflowExecutionHistory({
        namespace: disputes.client.options.namespace,
        execution: { workflowId: disputeId },
        historyEventFilterType: proto.temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      }),
    );
    const event = history.history?.events?.[0];
    const reason =
      event?.workflowExecutionTerminatedEventAttributes?.reason ||
      event?.workflowExecutionFailedEventAttributes?.failure?.message ||
      (event?.workflowExecutionCanceledEventAttributes ? 'cancelled' : '');
    return reason ? `${fallback}: ${reason}` : fallback;
  } catch {
    return fallback;
  }
}

/**
 * How the dispute stands. A workflow ended outside the procedure (terminated, failed, timed out)
 * shows as such with the reason, never as the open dispute its last state would claim.
 */
export async function readDispute(disputes: Disputes, disputeId: string): Promise<DisputeView> {
  const view = await readDisputeView(disputes, disputeId);
  rememberParties(disputes.client, disputeId, { board: view.board, agencies: view.agencies.map((agency) => agency.id) });
  return view;
}

/** The workflow types that are disputes: the product's, and a preview's (`dispute simulate`, the tests). */
const disputeWorkflowTypes = new Set(['dispute', 'disputePreview']);

async function readDisputeView(disputes: Disputes, disputeId: string): Promise<DisputeView> {
  try {
    const handle = disputes.client.workflow.getHandle(disputeId);
    const description = await within(disputes, reachableWithinMs, () => handle.describe());
    // Another kind of workflow (a reply's answer) whose ID looks like a dispute's is no dispute: its
    // query would fail with an error nobody translates.
    if (!disputeWorkflowTypes.has(description.type)) throw new DisputeFailure('not-found', `no dispute '${disputeId}'`);
    const ended = endedStatus[description.status.name];
    if (!ended) return await within(disputes, queryWithinMs, () => handle.query(messages.disputeState));
    const statusReason = await endReason(disputes, disputeId, ended);
    const last = await within(disputes, reachableWithinMs * 2, () => handle.query(messages.disputeState)).catch(() => null);
    const attributes = description.typedSearchAttributes;
    const [policyId, version] = (attributes.get(DisputePolicy) ?? '@').split('@');
    const base: DisputeView = last ?? {
      disputeId,
      policy: { id: policyId ?? '', version: Number(version) || 0 },
      board: attributes.get(DisputeBoard) ?? '',
      personReference: '',
      status: ended,
      stage: attributes.get(DisputeStage) ?? 0,
      tier: '',
      risk: (attributes.get(DisputeRisk) ?? 'standard') as DisputeView['risk'],
      category: 'other',
      concernAt: '',
      enteredStageAt: '',
      deadlines: { startBy: null, concludeBy: null, escalateAt: null, remindAt: null },
      awaiting: [],
      agencies: (attributes.get(DisputeAgencies) ?? []).map((id, index) => ({ id, name: id, raising: index === 0, people: [] })),
      events: [],
    };
    return {
      ...base,
      status: ended,
      statusReason,
      awaiting: [],
      deadlines: { ...base.deadlines, escalateAt: null, remindAt: null },
    };
  } catch (error) {
    try {
      translate(error, disputeId);
    } catch (failure) {
      const stored = failure instanceof DisputeFailure && failure.kind === 'not-found' ? await storedView(disputes, disputeId) : null;
      if (stored) return stored;
      throw failure;
    }
  }
}

function partiesOfAttributes(attributes: TypedSearchAttributes): Visible {
  return { board: attributes.get(DisputeBoard) ?? '', agencies: attributes.get(DisputeAgencies) ?? [] };
}

/**
 * A dispute's board and agencies, for deciding who may act on it: remembered from its start or an
 * earlier read, else from its search attributes (one describe, no worker involved), else from the
 * records store; null when there is no such dispute. `fresh` asks Temporal even when remembered.
 */
export async function disputeParties(disputes: Disputes, disputeId: string, options: { fresh?: boolean } = {}): Promise<Visible | null> {
  const known = options.fresh ? undefined : knownParties(disputes.client, disputeId);
  if (known) return known;
  try {
    const description = await within(disputes, reachableWithinMs, () => disputes.client.workflow.getHandle(disputeId).describe());
    const parties = partiesOfAttributes(description.typedSearchAttributes);
    if (parties.board && parties.agencies.length) {
      rememberParties(disputes.client, disputeId, parties);
      return parties;
    }
    // Without its search attributes (never seen, but cheap to cover): the dispute's own view.
    const view = await readDispute(disputes, disputeId);
    return { board: view.board, agencies: view.agencies.map((agency) => agency.id) };
  } catch (error) {
    try {
      translate(error, disputeId);
    } catch (failure) {
      if (!(failure instanceof DisputeFailure && failure.kind === 'not-found')) throw failure;
      const stored = await storedView(disputes, disputeId);
      return stored ? { board: stored.board, agencies: stored.agencies.map((agency) => agency.id) } : null;
    }
  }
}

/** Temporal keeps a closed dispute for its retention only; the records store keeps it after. */
async function storedView(disputes: Disputes, disputeId: string): Promise<DisputeView | null> {
  if (!disputes.records) return null;
  return (await readStoredDispute((await disputes.records()).db, disputeId))?.view ?? null;
}

/**
 * Records reads before what they read is shown. A read whose entries cannot be written is refused
 * ('unavailable': 503, exit code 2): nothing is shown that the log does not know of.
 */
export async function recordAccess(
  disputes: Disputes,
  entries: readonly AccessEntry[],
  /** `why`: the store's own reason is added (for the CLI's operator; never for an API caller). */
  options: { why?: boolean } = {},
): Promise<void> {
  try {
    await disputes.accessLog?.record(entries);
  } catch (error) {
    if (!(error instanceof AccessLogUnavailable)) throw error;
    throw new DisputeFailure('unavailable', `the access log cannot be written just now, so nothing is shown; try again shortly${options.why ? `: ${error.message}` : ''}`);
  }
}

export const Operation = z.enum(['recordOutcome', 'raiseRisk', 'withdraw', 'changeContact', 'addNote', 'submitRepresentation', 'convene', 'answerForm', 'recordRationale']);
export type Operation = z.infer<typeof Operation>;

/** A value as JSON with its keys sorted, so two equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, field]) => field !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What the update `updateId` was sent with, from the dispute's history (decoded with the payload keys). */
async function updateInput(disputes: Disputes, disputeId: string, updateId: string): Promise<unknown> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await within(disputes, queryWithinMs, () =>
      disputes.client.workflowService.getWorkflowExecutionHistory({ namespace: disputes.client.options.namespace, execution: { workflowId: disputeId }, nextPageToken }),
    );
    for (const event of page.history?.events ?? []) {
      const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
      if (request?.meta?.updateId === updateId) {
        const converter = disputes.client.options.loadedDataConverter;
        let payloads = (request.input?.args?.payloads ?? []) as Parameters<(typeof converter.payloadCodecs)[number]['decode']>[0];
        for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
        return payloads[0] ? converter.payloadConverter.fromPayload(payloads[0]) : undefined;
      }
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return undefined;
}

/**
 * The answer an earlier request with this ID got, when this is a retry of it (even if the dispute
 * has closed since, perhaps by that very request); null if there was none. The same ID with a
 * different payload is refused: applying it would silently drop the difference.
 */
export async function earlierAnswer(disputes: Disputes, disputeId: string, requestId: string, payload: unknown, key: string): Promise<messages.Accepted | null> {
  try {
    const earlier = disputes.client.workflow.getHandle(disputeId).getUpdateHandle<messages.Accepted>(requestId);
    const answer = await within(disputes, reachableWithinMs, () => earlier.result()).then(
      (accepted) => ({ accepted }),
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return null;
        if (error instanceof WorkflowUpdateFailedError) return { failed: error };
        throw error;
      },
    );
    if (!answer) return null;
    if (canonical(await updateInput(disputes, disputeId, requestId)) !== canonical(payload)) {
      throw new DisputeFailure('key-reused', `Idempotency-Key '${key}' was used for a different request; use a new key for a new request`, 'Idempotency-Key');
    }
    if ('failed' in answer) throw answer.failed;
    return answer.accepted;
  } catch (error) {
    translate(error, disputeId);
  }
}

/**
 * Sends an update and waits for its answer; the same `requestId` twice is applied once. The update
 * goes straight to the workflow (its validator decides); only when it fails is the dispute described,
 * to say why a closed one is closed.
 */
export async function act(disputes: Disputes, disputeId: string, operation: Operation, payload: unknown, requestId?: string, key = requestId): Promise<messages.Accepted> {
  if (requestId) {
    const earlier = await earlierAnswer(disputes, disputeId, requestId, payload, key!);
    if (earlier) return earlier;
  }
  const handle = disputes.client.workflow.getHandle(disputeId);
  try {
    return await handle.executeUpdate(messages[operation] as typeof messages.recordOutcome, { args: [payload], ...(requestId ? { updateId: requestId } : {}) });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError || error instanceof DisputeFailure) translate(error, disputeId);
    // Not applied: a closed (or ended, or unknown) workflow, or Temporal not answering.
    try {
      const description = await within(disputes, reachableWithinMs, () => handle.describe());
      if (description.status.name !== 'RUNNING') {
        const ended = endedStatus[description.status.name];
        const status = ended ? await endReason(disputes, disputeId, ended) : (description.typedSearchAttributes.get(DisputeStatus) ?? 'closed');
        throw new DisputeFailure('conflict', `the dispute is closed (${status})`);
      }
    } catch (described) {
      // A dispute Temporal no longer has, but the store does, is closed: nothing can be sent to it.
      const stored = described instanceof WorkflowNotFoundError ? await storedView(disputes, disputeId) : null;
      if (stored) throw new DisputeFailure('conflict', `the dispute is closed (${stored.status})`);
      if (described instanceof DisputeFailure || described instanceof WorkflowNotFoundError) translate(described, disputeId);
    }
    translate(error, disputeId);
  }
}

export { ListFilter };

export interface DisputeSummary {
  disputeId: string;
  board: string;
  policy: string;
  stage: number | null;
  status: string;
  /** Why it ended so, for a workflow ended outside the procedure. */
  statusReason?: string;
  risk: string;
  deadline: string | null;
  agencies: string[];
  startedAt: string;
}

/** One page of disputes from the records store (by every filter), or from Temporal visibility where no store is configured. */
export async function listDisputePage(disputes: Disputes, filter: ListFilter, now = new Date()): Promise<{ disputes: (DisputeSummary | RecordSummary)[]; page: number; limit: number; total: number | null }> {
  if (!disputes.records) return { disputes: await listDisputes(disputes, filter, now), page: 1, limit: filter.limit, total: null };
  const { disputes: found, total } = await listRecords((await disputes.records()).db, filter, now);
  return { disputes: found, page: filter.page, limit: filter.limit, total };
}

/** Temporal's execution status, as visibility queries spell it, for statuses outside the procedure. */
const executionStatusOf: Record<Ended, string> = { terminated: 'Terminated', failed: 'Failed', 'timed-out': 'TimedOut', cancelled: 'Canceled' };

/**
 * Lists disputes through Temporal visibility, on our search attributes only (no personal data there).
 * A workflow ended outside the procedure keeps its last search attributes (`open`), so the
 * execution's own status decides.
 */
export async function listDisputes(disputes: Disputes, filter: ListFilter, now = new Date()): Promise<DisputeSummary[]> {
  if (disputes.records) return (await listDisputePage(disputes, filter, now)).disputes;
  // Values are validated to [a-z0-9-], so they are safe inside the query's quotes.
  const clauses = [`WorkflowType = 'dispute'`];
  if (filter.board) clauses.push(`${DisputeBoard.name} = '${filter.board}'`);
  if (filter.stage) clauses.push(`${DisputeStage.name} = ${filter.stage}`);
  if (filter.status && filter.status in executionStatusOf) clauses.push(`ExecutionStatus = '${executionStatusOf[filter.status as Ended]}'`);
  else if (filter.status) clauses.push(`${DisputeStatus.name} = '${filter.status}'`);
  if (filter.status === 'open' || filter.overdue === true) clauses.push(`ExecutionStatus = 'Running'`);
  if (filter.agency) clauses.push(`${DisputeAgencies.name} = '${filter.agency}'`);
  if (filter.overdue === true) clauses.push(`${DisputeStatus.name} = 'open'`, `${DisputeDeadline.name} < '${now.toISOString()}'`);
  try {
    await checkTemporal(disputes);
    return await within(disputes, queryWithinMs, async () => {
      const found: DisputeSummary[] = [];
      for await (const execution of disputes.client.workflow.list({ query: clauses.join(' AND ') })) {
        const attributes = execution.typedSearchAttributes;
        const deadline = attributes.get(DisputeDeadline);
        const ended = endedStatus[execution.status.name];
        found.push({
          disputeId: execution.workflowId,
          board: attributes.get(DisputeBoard) ?? '',
          policy: attributes.get(DisputePolicy) ?? '',
          stage: attributes.get(DisputeStage) ?? null,
          status: ended ?? attributes.get(DisputeStatus) ?? '',
          ...(ended ? { statusReason: await endReason(disputes, execution.workflowId, ended) } : {}),
          risk: attributes.get(DisputeRisk) ?? '',
          deadline: deadline && !ended ? deadline.toISOString() : null,
          agencies: attributes.get(DisputeAgencies) ?? [],
          startedAt: execution.startTime.toISOString(),
        });
        if (found.length >= filter.limit) break;
      }
      return found;
    });
  } catch (error) {
    translate(error);
  }
}
