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
import type { Config } from '../runtime/config';
import { loadKeyRing, type KeyRing } from '../runtime/key-ring';
import { dataConverter } from '../runtime/payload-codec';
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
}

/** Disputes on the configured Temporal, with the configured policies, directory and payload keys. */
export async function connectDisputes(
  config: Config,
  options: { connectTimeoutMs?: number; context?: DisputeContext; keyRing?: KeyRing } = {},
): Promise<{ disputes: Disputes; close: () => Promise<void> }> {
  const context = options.context ?? disputeContext(config);
  const keyRing = options.keyRing ?? loadKeyRing(config);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, ...(options.connectTimeoutMs ? { connectTimeout: options.connectTimeoutMs } : {}) });
  return {
    disputes: { client: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: dataConverter(keyRing) }), taskQueue: config.TEMPORAL_TASK_QUEUE, context },
    close: () => connection.close(),
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
    translate(error, disputeId);
  }
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
    translate(error, disputeId);
  }
}

export const ListFilter = z.object({
  board: z.string().regex(/^[a-z0-9-]+$/, 'expected a board id such as rotherham-rsab').optional(),
  stage: z.coerce.number().int().min(1).max(9).optional(),
  status: z.enum(['open', 'resolved', 'unresolved', 'decided', 'withdrawn']).optional(),
  agency: z.string().regex(/^[a-z0-9-]+$/, 'expected an agency id such as rotherham-asc').optional(),
  overdue: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type ListFilter = z.output<typeof ListFilter>;

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

/** Lists disputes through Temporal visibility, on our search attributes only (no personal data there). */
export async function listDisputes(disputes: Disputes, filter: ListFilter, now = new Date()): Promise<DisputeSummary[]> {
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
