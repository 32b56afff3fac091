import type { DataConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CALENDAR_RANGE } from '../policies/calendar';
import { agenciesOfBoard } from '../policies/directory';
import type { Policy } from '../policies/schema';
import type { MailCatcher } from '../runtime/mail-catcher';
import { KeyRing } from '../runtime/key-ring';
import { dataConverter, failureConverterPath } from '../runtime/payload-codec';
import { disputeState, recordOutcome } from '../workflows/dispute/messages';
import type { DisputeEvent, DisputeView } from '../workflows/dispute/model';
import { buildDisputeStart, DisputeInputError, startPreviewDispute, type DisputeContext, type NewDispute } from './disputes';
import { cachedBundle } from './simulate-bundle';

// `dispute simulate`: the real workflow and the real email activities on the time-skipping server,
// emailing an in-process SMTP server, for a board manager who wants to see a policy play out.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface SimulationRequest {
  policy: string;
  concernAt: string;
  category: NewDispute['category'];
  risk: 'standard' | 'high' | 'imminent';
  /** A party of this stage records "resolved" (the board's decision at the last stage) an hour after it is entered. */
  resolveAtStage?: number;
}

export interface Simulation {
  policy: Policy;
  disputeId: string;
  events: DisputeEvent[];
  status: DisputeView['status'];
  /** Messages the in-process SMTP server received, one per recipient. */
  delivered: number;
  /** Messages the workflow asked to send. */
  requested: number;
  /** Events in the workflow's Temporal history when the preview stopped: what a dispute costs the server. */
  historyEvents: number;
  /** The history's size in bytes, as Temporal stores it (payloads encrypted). */
  historyBytes: number;
}

/** `converter` is for the codec benchmark, which compares a run without encryption. */
export async function simulate(request: SimulationRequest, context: DisputeContext, converter: DataConverter = previewConverter()): Promise<Simulation> {
  const policy = context.policies.find(request.policy);
  if (!policy) throw new DisputeInputError(`unknown policy '${request.policy}'; known: ${context.policies.list().map((p) => p.id).join(', ')}`, 'policy');
  if (request.resolveAtStage !== undefined && !policy.stages.some((stage) => stage.stage === request.resolveAtStage)) {
    throw new DisputeInputError(`--resolve-at-stage: ${policy.board.shortName}'s policy has stages ${policy.stages.map((s) => s.stage).join(', ')}`, 'resolveAtStage');
  }
  const concernAt = Date.parse(request.concernAt);
  if (!(concernAt >= CALENDAR_RANGE.from && concernAt < CALENDAR_RANGE.to)) {
    throw new DisputeInputError(`--concern-at: ${request.concernAt} is outside the calendar's range, 2000-01-01 to 2100-01-01`, 'concernAt');
  }
  const agencies = agenciesOfBoard(context.directory, policy.board.id);
  if (agencies.length < 2) throw new DisputeInputError(`the directory needs two agencies of ${policy.board.name} to preview its policy`, 'agencies');

  // The worker, the bundler, the test server's client and the mailer load only here: the other
  // commands (`dispute policy list`) share the CLI's entry and need none of them.
  const [{ installQuietRuntime }, { startMailCatcher }, { startTimeSkippingEnv }, { createWorker, previewWorkflowsPath }, { createActivities }] = await Promise.all([
    import('../runtime/quiet-runtime'),
    import('../runtime/mail-catcher'),
    import('../runtime/time-skipping'),
    import('../worker/create'),
    import('../activities'),
  ]);
  installQuietRuntime();
  const catcher = await startMailCatcher();
  let env: TestWorkflowEnvironment | undefined;
  try {
    env = await startTimeSkippingEnv(converter);
    // The preview bundle: only here (and in the tests) is a dispute's clock shifted. Cached on disk by its sources' hash.
    const { code } = await cachedBundle([previewWorkflowsPath, failureConverterPath], async () => {
      const { bundleWorkflowCode } = await import('@temporalio/worker');
      return (await bundleWorkflowCode({ workflowsPath: previewWorkflowsPath, failureConverterPath, logger: quietBundler })).code;
    });
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: 'simulate',
      workflowBundle: { code },
      dataConverter: converter,
      activities: createActivities({
        mail: { host: catcher.host, port: catcher.port, secure: false, from: 'Dispute preview <preview@example.org>', messageIdDomain: 'preview.example.org' },
      }),
    });
    const preview = await worker.runUntil(drive(env, catcher, policy, request, context, [agencies[0]!.id, agencies[1]!.id]));
    return { policy, ...preview };
  } finally {
    await env?.teardown();
    await catcher.close();
  }
}

async function drive(
  env: TestWorkflowEnvironment,
  catcher: MailCatcher,
  policy: Policy,
  request: SimulationRequest,
  context: DisputeContext,
  [raising, other]: [string, string],
): Promise<Omit<Simulation, 'policy'>> {
  const concernAt = new Date(request.concernAt);
  const offset = concernAt.getTime() - (await env.currentTimeMs());
  const start = buildDisputeStart(
    {
      policy: policy.id,
      concernAt: concernAt.toISOString(),
      category: request.category,
      risk: request.risk,
      agencies: [
        { agencyId: raising, practitioner: { name: 'Alex Practitioner', email: `practitioner@${raising}.example.org` } },
        { agencyId: other, practitioner: { name: 'Sam Practitioner', email: `practitioner@${other}.example.org` } },
      ],
      personReference: 'PREVIEW',
      summary: `A preview of ${policy.board.shortName}'s timescales.`,
    },
    context,
    // The preview's clock starts at the concern.
    { now: concernAt.getTime() },
  );
  const handle = await startPreviewDispute(env.client, 'simulate', start, offset);
  const previewNow = async () => (await env.currentTimeMs()) + offset;
  const skipTo = async (instant: number) => {
    const wait = instant - (await previewNow());
    if (wait > 0) await env.sleep(wait);
  };
  /** Waits in real time until the workflow has nothing in hand, then reads its state. */
  const settled = async (): Promise<DisputeView> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { raw, status } = await handle.describe();
      const busy = status.name === 'RUNNING' && ((raw.pendingActivities?.length ?? 0) > 0 || raw.pendingWorkflowTask != null);
      if (!busy || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return handle.query(disputeState);
  };
  const last = Math.max(...policy.stages.map((stage) => stage.stage));

  let view = await settled();
  // Each step skips to the dispute's next deadline; a cap keeps a policy bug from looping forever.
  for (let step = 0; step < 500 && view.status === 'open'; step++) {
    if (view.stage === last && view.events.some((event) => event.type === 'overdue' && event.stage === last)) break;
    if (view.stage === request.resolveAtStage) {
      await skipTo(Date.parse(view.enteredStageAt) + HOUR);
      const party = start.parties[1]!;
      // The last stage's outcome is the board's: its officer records it, as the policy names.
      const officer = view.stage === last && policy.lastStage ? start.officers[policy.lastStage.recordedBy.officers[0]!]?.email : undefined;
      const by = officer ?? (view.stage === 1 ? party.practitioner.email : (view.awaiting.find((a) => a.agencyId === party.agency.id)?.contacts[0]?.email ?? party.practitioner.email));
      await handle.executeUpdate(recordOutcome, {
        args: [
          {
            stage: view.stage,
            decision: view.stage === last ? 'decided' : 'resolved',
            by,
            agreedActions: 'Preview: the agreed actions would be written here.',
            safetyMeasuresConfirmed: true,
          },
        ],
      });
      await handle.result();
      view = await handle.query(disputeState);
      break;
    }
    const now = await previewNow();
    const { remindAt, escalateAt, concludeBy } = view.deadlines;
    const next = [remindAt, escalateAt, concludeBy]
      .filter((at): at is string => at !== null)
      .map((at) => Date.parse(at))
      .filter((at) => at > now)
      .sort((a, b) => a - b)[0];
    if (next === undefined) break; // nothing more happens by itself
    // A minute past: the workflow records timer events at their due instant, not when it wakes.
    await skipTo(next + MINUTE);
    view = await settled();
  }

  const requested = view.events.reduce((sum, event) => sum + (event.type === 'email-queued' ? event.to.length : 0), 0);
  const refused = view.events.filter((event) => event.type === 'email-rejected').length;
  const deadline = Date.now() + 10_000;
  while (catcher.messages.length < requested - refused && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const history = await handle.fetchHistory();
  const { default: proto } = await import('@temporalio/proto');
  const historyBytes = proto.temporal.api.history.v1.History.encode(history).finish().length;
  return { disputeId: start.disputeId, events: view.events, status: view.status, delivered: catcher.messages.length, requested, historyEvents: history.events?.length ?? 0, historyBytes };
}

/** A throwaway key: the preview's server lives as long as the call, and its data is invented. */
function previewConverter(): DataConverter {
  return dataConverter(KeyRing.parse(KeyRing.newLine('preview'), 'preview key'));
}

const quietBundler = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
