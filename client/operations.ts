import { createHash } from 'node:crypto';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import * as messages from '../workflows/dispute/messages';
import type { DisputeView } from '../workflows/dispute/model';
import { DisputeAgencies, DisputeBoard, DisputeDeadline, DisputePolicy, DisputeRisk, DisputeStage, DisputeStatus } from '../workflows/search-attributes';
import { base32 } from '../runtime/base32';
import { recordsLocation, type Config } from '../runtime/config';
import { lazyRecordsStore } from '../records/lazy';
import type { RecordsStore } from '../records/open';
import { listRecords, readStoredDispute, type RecordSummary } from '../records/read';
import { ListFilter } from '../records/filter';
import { buildDisputeStart, disputeContext, DisputeInputError, newDisputeId, startDispute, type DisputeContext, type NewDispute } from './disputes';

// What the API and the CLI both do to disputes, over a Temporal client. Errors come out as
// DisputeFailure, whose kind each interface maps to its own words (HTTP status, exit code).

export type FailureKind = 'invalid' | 'not-found' | 'forbidden' | 'conflict' | 'not-allowed';

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

export interface Disputes {
  client: Client;
  taskQueue: string;
  context: DisputeContext;
  /** The records store, opened on first use: where a dispute is read once Temporal no longer has it, and what lists query. */
  records?: () => Promise<RecordsStore>;
}

/** Disputes on the configured Temporal, with the configured policies and directory. */
export async function connectDisputes(
  config: Config,
  options: { connectTimeoutMs?: number; context?: DisputeContext; records?: () => Promise<RecordsStore> } = {},
): Promise<{ disputes: Disputes; close: () => Promise<void> }> {
  const context = options.context ?? disputeContext(config);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, ...(options.connectTimeoutMs ? { connectTimeout: options.connectTimeoutMs } : {}) });
  // A store given by the caller is the caller's to close (npm start shares one with its worker).
  const own = options.records ? null : lazyRecordsStore(recordsLocation(config));
  return {
    disputes: { client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }), taskQueue: config.TEMPORAL_TASK_QUEUE, context, records: options.records ?? own!.get },
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
};

/** Temporal's errors, in the dispute's words. Anything not recognised is rethrown. */
export function translate(error: unknown, disputeId?: string): never {
  if (error instanceof DisputeFailure) throw error;
  if (error instanceof DisputeInputError) throw new DisputeFailure('invalid', error.message, error.field);
  if (error instanceof WorkflowNotFoundError) throw new DisputeFailure('not-found', `no dispute '${disputeId ?? error.workflowId}'`);
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const kind = rejectionKinds[error.cause.type ?? ''] ?? 'invalid';
    const field = /^([\w.]+): /.exec(error.cause.message)?.[1];
    throw new DisputeFailure(kind, error.cause.message, kind === 'invalid' ? field : undefined);
  }
  const text = error instanceof Error ? error.message : String(error);
  if (/workflow execution already completed|completed workflow/i.test(text)) throw new DisputeFailure('conflict', 'the dispute is closed');
  if (/not found/i.test(text) && disputeId) throw new DisputeFailure('not-found', `no dispute '${disputeId}'`);
  throw error;
}

/**
 * Starts a dispute. With an idempotency key the dispute ID is derived from it (and from who asks),
 * so a retry finds the dispute the first call started instead of starting a second.
 */
export async function openDispute(disputes: Disputes, input: NewDispute, idempotency?: { caller: string; key: string }): Promise<{ disputeId: string; created: boolean }> {
  try {
    const policy = disputes.context.policies.find(String((input as { policy?: unknown }).policy ?? ''));
    const disputeId =
      idempotency && policy
        ? newDisputeId(policy.board.shortName, base32(createHash('sha256').update(`${idempotency.caller}\n${idempotency.key}`).digest()).slice(0, 10))
        : undefined;
    const start = buildDisputeStart(input, disputes.context, disputeId ? { disputeId } : {});
    try {
      await startDispute(disputes.client, disputes.taskQueue, start);
      return { disputeId: start.disputeId, created: true };
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError && disputeId) return { disputeId, created: false };
      throw error;
    }
  } catch (error) {
    translate(error);
  }
}

export async function readDispute(disputes: Disputes, disputeId: string): Promise<DisputeView> {
  try {
    return await disputes.client.workflow.getHandle(disputeId).query(messages.disputeState);
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

/** Temporal keeps a closed dispute for its retention only; the records store keeps it after. */
async function storedView(disputes: Disputes, disputeId: string): Promise<DisputeView | null> {
  if (!disputes.records) return null;
  return (await readStoredDispute((await disputes.records()).db, disputeId))?.view ?? null;
}

export const Operation = z.enum(['recordOutcome', 'raiseRisk', 'withdraw', 'changeContact', 'addNote']);
export type Operation = z.infer<typeof Operation>;

/** Sends an update and waits for its answer; the same `requestId` twice is applied once. */
export async function act(disputes: Disputes, disputeId: string, operation: Operation, payload: unknown, requestId?: string): Promise<messages.Accepted> {
  try {
    return await disputes.client.workflow
      .getHandle(disputeId)
      .executeUpdate(messages[operation] as typeof messages.recordOutcome, { args: [payload], ...(requestId ? { updateId: requestId } : {}) });
  } catch (error) {
    // A dispute Temporal no longer has, but the store does, is closed: nothing can be sent to it.
    const stored = error instanceof WorkflowNotFoundError ? await storedView(disputes, disputeId) : null;
    if (stored) throw new DisputeFailure('conflict', `the dispute is closed (${stored.status})`);
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

/** Lists disputes through Temporal visibility, on our search attributes only (no personal data there). */
export async function listDisputes(disputes: Disputes, filter: ListFilter, now = new Date()): Promise<DisputeSummary[]> {
  if (disputes.records) return (await listDisputePage(disputes, filter, now)).disputes;
  // Values are validated to [a-z0-9-], so they are safe inside the query's quotes.
  const clauses = [`WorkflowType = 'dispute'`];
  if (filter.board) clauses.push(`${DisputeBoard.name} = '${filter.board}'`);
  if (filter.stage) clauses.push(`${DisputeStage.name} = ${filter.stage}`);
  if (filter.status) clauses.push(`${DisputeStatus.name} = '${filter.status}'`);
  if (filter.agency) clauses.push(`${DisputeAgencies.name} = '${filter.agency}'`);
  if (filter.overdue === true) clauses.push(`${DisputeStatus.name} = 'open'`, `${DisputeDeadline.name} < '${now.toISOString()}'`);
  const found: DisputeSummary[] = [];
  for await (const execution of disputes.client.workflow.list({ query: clauses.join(' AND ') })) {
    const attributes = execution.typedSearchAttributes;
    const deadline = attributes.get(DisputeDeadline);
    found.push({
      disputeId: execution.workflowId,
      board: attributes.get(DisputeBoard) ?? '',
      policy: attributes.get(DisputePolicy) ?? '',
      stage: attributes.get(DisputeStage) ?? null,
      status: attributes.get(DisputeStatus) ?? '',
      risk: attributes.get(DisputeRisk) ?? '',
      deadline: deadline ? deadline.toISOString() : null,
      agencies: attributes.get(DisputeAgencies) ?? [],
      startedAt: execution.startTime.toISOString(),
    });
    if (found.length >= filter.limit) break;
  }
  return found;
}
