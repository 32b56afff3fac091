import type { Policy } from '../../policies/schema';
import { closingFromEvents } from '../../records/closing';
import { erasedText, type StoredDispute } from '../../records/read';
import type { DisputeEvent, DisputeView, WrittenRecord } from '../../workflows/dispute/model';
import { effectWords, formQuestion, writtenRecordLines } from '../../workflows/dispute/record';

// What the dispute page shows of the record beyond its stages, decisions and notes: the last
// stage's panel and the representations made to it, each organisation's own decision and rationale
// (Leeds stage 3) and who is still awaited, the board's outcome, and the form's question asked
// after closing (North Somerset's effectiveness). Everything is read from the dispute's events, as
// GET /disputes/<id> carries them to the same people, so the page shows no one more than the API
// does; and it reads the same whether the view came from the records store or the workflow.

type Event<T extends DisputeEvent['type']> = Extract<DisputeEvent, { type: T }>;

const lastOf = <T extends DisputeEvent['type']>(events: readonly DisputeEvent[], type: T): Event<T> | undefined =>
  events.filter((event): event is Event<T> => event.type === type).at(-1);

/** A decision's written record as labelled lines, the organisations named as the dispute names them. */
export function decisionLines(view: DisputeView, record: WrittenRecord | undefined) {
  return record ? writtenRecordLines(record, { parties: view.agencies.map((agency) => ({ agency })) }) : [];
}

export function disputeRecord(view: DisputeView, stored: StoredDispute | null, policy: Policy | undefined) {
  const { events } = view;
  const nameOf = (agencyId: string) => view.agencies.find((agency) => agency.id === agencyId)?.name ?? agencyId;
  const closing = closingFromEvents(
    events,
    view.agencies.map((agency) => agency.id),
    erasedText,
  );

  // A route may be chosen before anyone is named to the panel (North Somerset: mediation or a panel).
  const route = events.filter((event): event is Event<'convened'> => event.type === 'convened' && event.route !== undefined).at(-1)?.route ?? null;
  const panel = closing.panel ?? (route ? { route, members: [] } : null);

  const held = lastOf(events, 'closing-held');
  const organisations = (closing.organisations ?? []).map((entry) => ({ ...entry, agency: nameOf(entry.agencyId), given: entry.decision !== undefined }));
  const stillAwaited = organisations.filter((entry) => !entry.given).map((entry) => entry.agency);

  const decided = events.filter((event): event is Event<'outcome'> => event.type === 'outcome' && event.decision === 'decided').at(-1);
  const named = stored?.boardOutcome ?? (view.status === 'decided' && policy?.lastStage ? { name: policy.lastStage.outcome.name, effect: policy.lastStage.outcome.effect } : undefined);
  const boardOutcome =
    named && decided
      ? { name: named.name, effect: effectWords[named.effect], stage: decided.stage, by: decided.by ?? erasedText, at: decided.at, agreedActions: decided.agreedActions ?? erasedText, lines: decisionLines(view, decided.record) }
      : null;

  const asked = formQuestion(view, policy);
  const answered = lastOf(events, 'question-answered');
  const unanswered = lastOf(events, 'question-unanswered');
  const question = asked
    ? {
        ...asked,
        answer: asked.state === 'answered' && answered ? { choice: answered.choice, comment: answered.comment ?? null, by: answered.by ?? erasedText, at: answered.at } : null,
        settledAt: unanswered?.at ?? null,
      }
    : null;

  return {
    panel,
    representations: (closing.representations ?? []).map((entry) => ({ ...entry, agency: nameOf(entry.agencyId) })),
    organisations,
    // The close waits for the organisations' records only while the dispute is open.
    closingWait: held && view.status === 'open' ? { until: held.until, awaited: stillAwaited } : null,
    boardOutcome,
    question,
  };
}
