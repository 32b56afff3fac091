import { sql, type Kysely, type Selectable } from 'kysely';
import type { Category, Risk } from '../policies/schema';
import type { DisputeEvent, DisputeRecord, DisputeView, Outcome, Status } from '../workflows/dispute/model';
import { closingFromEvents, writtenRecords } from './closing';
import type { DisputesTable, RecordsDatabase } from './schema';
import { personalSeal } from './seal';

// Reading the store back into the shapes the workflow answers with: the query's DisputeView (so
// GET /disputes/<id> is the same JSON from either), and the record the workflow returns at its close.
// Personal fields are opened here with the store's key ring (records/seal.ts).

const iso = (value: Date | null) => (value === null ? null : value.toISOString());
const parsed = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

/** What a personal text shows once the board's retention has erased it (records/purge.ts): lists read as empty. */
export const erasedText = '[erased]';

/** The whole stored record of one dispute: the view, the closing record and what only the store keeps. */
export interface StoredDispute {
  view: DisputeView;
  summary: string;
  startedAt: string;
  closedAt: string | null;
  outcome: Outcome | null;
  timeTaken: { workingDays: number; calendarDays: number } | null;
  agreedActions: string | null;
  decisions: DisputeRecord['decisions'];
  notes: { seq: number; at: string; by: string; text: string }[];
  form: DisputeRecord['form'];
  /** The board's outcome as its policy named it, where the board decided (workflows/dispute/record.ts). */
  boardOutcome?: DisputeRecord['boardOutcome'];
  /** The last stage's panel and representations, and the organisations' own records (records/closing.ts). */
  panel?: DisputeRecord['panel'];
  representations?: DisputeRecord['representations'];
  organisations?: DisputeRecord['organisations'];
  /** When the personal fields were erased at the end of the board's retention; null while kept. */
  erasedAt: string | null;
}

export async function readStoredDispute(db: Kysely<RecordsDatabase>, disputeId: string): Promise<StoredDispute | null> {
  const row = await db.selectFrom('disputes').innerJoin('dispute_personal', 'dispute_personal.dispute_id', 'disputes.dispute_id').selectAll().where('disputes.dispute_id', '=', disputeId).executeTakeFirst();
  if (!row) return null;
  const seal = personalSeal(db);
  type Table = Parameters<typeof seal.open>[0];
  // Erased columns (the end of the board's retention) hold null: texts read as erased, lists as empty.
  const open = <T>(table: Table, column: string, value: string | null, erased: T): T => (value === null ? erased : (JSON.parse(seal.open(table, column, disputeId, value)) as T));
  const text = (table: Table, column: string, value: string | null): string => (value === null ? erasedText : seal.open(table, column, disputeId, value));
  const [agencies, events, decisions, notes, form] = await Promise.all([
    db.selectFrom('dispute_agencies').selectAll().where('dispute_id', '=', disputeId).orderBy('position').execute(),
    db.selectFrom('dispute_events').selectAll().where('dispute_id', '=', disputeId).orderBy('seq').execute(),
    db.selectFrom('dispute_decisions').selectAll().where('dispute_id', '=', disputeId).orderBy('seq').execute(),
    db.selectFrom('dispute_notes').selectAll().where('dispute_id', '=', disputeId).orderBy('seq').execute(),
    db.selectFrom('dispute_forms').selectAll().where('dispute_id', '=', disputeId).executeTakeFirst(),
  ]);
  const view: DisputeView = {
    disputeId: row.dispute_id,
    policy: { id: row.policy_id, version: row.policy_version },
    board: row.board,
    personReference: text('dispute_personal', 'person_reference', row.person_reference),
    status: row.status as Status,
    stage: row.stage,
    tier: row.tier,
    risk: row.risk as Risk,
    category: row.category as Category,
    concernAt: row.concern_at_given,
    enteredStageAt: row.entered_stage_at.toISOString(),
    deadlines: { startBy: iso(row.start_by), concludeBy: iso(row.conclude_by), escalateAt: iso(row.escalate_at), remindAt: iso(row.remind_at) },
    awaiting: open<DisputeView['awaiting']>('dispute_personal', 'awaiting', row.awaiting, []),
    agencies: agencies.map((agency) => ({ id: agency.agency_id, name: agency.name, raising: agency.raising, people: open<string[]>('dispute_agencies', 'people', agency.people, []) })),
    events: events.map(
      (event) =>
        ({
          seq: event.seq,
          at: event.at.toISOString(),
          stage: event.stage,
          ...open<Record<string, unknown>>('dispute_events', 'data', event.data, { type: event.type }),
        }) as DisputeEvent,
    ),
  };
  const written = writtenRecords(view.events);
  const closing = closingFromEvents(view.events, view.agencies.map((agency) => agency.id), erasedText);
  return {
    view,
    summary: text('dispute_personal', 'summary', row.summary),
    startedAt: row.started_at.toISOString(),
    closedAt: iso(row.closed_at),
    outcome: row.outcome as Outcome | null,
    timeTaken: row.working_days === null || row.calendar_days === null ? null : { workingDays: row.working_days, calendarDays: row.calendar_days },
    agreedActions: row.personal_erased_at ? erasedText : seal.openNullable('dispute_personal', 'agreed_actions', disputeId, row.agreed_actions),
    decisions: decisions.map((d) => {
      const record = written.get(d.seq);
      return {
        stage: d.stage,
        decision: d.decision as DisputeRecord['decisions'][number]['decision'],
        by: text('dispute_decisions', 'by', d.by),
        at: d.at.toISOString(),
        text: text('dispute_decisions', 'text', d.text),
        ...(record ? { record } : {}),
      };
    }),
    notes: notes.map((n) => ({ seq: n.seq, at: n.at.toISOString(), by: text('dispute_notes', 'by', n.by), text: text('dispute_notes', 'text', n.text) })),
    form: form ? { name: form.name, reference: form.reference, fields: open<NonNullable<DisputeRecord['form']>['fields']>('dispute_forms', 'fields', form.fields, []) } : null,
    ...(row.board_outcome_name !== null && row.board_outcome_effect !== null
      ? { boardOutcome: { name: row.board_outcome_name, effect: row.board_outcome_effect as NonNullable<DisputeRecord['boardOutcome']>['effect'] } }
      : {}),
    ...closing,
    erasedAt: iso(row.personal_erased_at),
  };
}

/** Who each open dispute awaits (agencies, names, addresses), for the board's log. */
export async function readAwaiting(db: Kysely<RecordsDatabase>, disputeIds: string[]): Promise<Map<string, DisputeView['awaiting']>> {
  if (disputeIds.length === 0) return new Map();
  const seal = personalSeal(db);
  const rows = await db.selectFrom('dispute_personal').select(['dispute_id', 'awaiting']).where('dispute_id', 'in', disputeIds).execute();
  return new Map(rows.map((row) => [row.dispute_id, (row.awaiting === null ? [] : JSON.parse(seal.open('dispute_personal', 'awaiting', row.dispute_id, row.awaiting))) as DisputeView['awaiting']]));
}

/** The record as the workflow returned it at its close (null while the dispute is open). */
export function closingRecord(stored: StoredDispute): DisputeRecord | null {
  const { view } = stored;
  if (stored.outcome === null || stored.closedAt === null || stored.timeTaken === null) return null;
  return {
    disputeId: view.disputeId,
    policy: view.policy,
    board: view.board,
    personReference: view.personReference,
    outcome: stored.outcome,
    endedAtStage: view.stage,
    concernAt: view.concernAt,
    closedAt: stored.closedAt,
    timeTaken: stored.timeTaken,
    agreedActions: stored.agreedActions,
    decisions: stored.decisions,
    ...(stored.panel ? { panel: stored.panel } : {}),
    ...(stored.representations ? { representations: stored.representations } : {}),
    ...(stored.boardOutcome ? { boardOutcome: stored.boardOutcome } : {}),
    form: stored.form,
    ...(stored.organisations ? { organisations: stored.organisations } : {}),
    events: view.events,
  };
}

// -----------------------------------------------------------------------------------------------
// Lists: report fields only, filtered and paged in the database.

export interface RecordsQuery {
  board?: string | undefined;
  agency?: string | undefined;
  status?: string | undefined;
  stage?: number | undefined;
  outcome?: Outcome | undefined;
  category?: string | undefined;
  risk?: string | undefined;
  overdue?: boolean | undefined;
  startedFrom?: Date | undefined;
  startedTo?: Date | undefined;
  closedFrom?: Date | undefined;
  closedTo?: Date | undefined;
  limit: number;
  page: number;
}

export interface RecordSummary {
  disputeId: string;
  board: string;
  policy: string;
  stage: number | null;
  status: string;
  risk: string;
  deadline: string | null;
  agencies: string[];
  startedAt: string;
  category: string;
  outcome: string | null;
  closedAt: string | null;
}

function filtered(db: Kysely<RecordsDatabase>, query: Omit<RecordsQuery, 'limit' | 'page'>, now: Date) {
  let select = db.selectFrom('disputes');
  if (query.board) select = select.where('board', '=', query.board);
  if (query.agency) select = select.where(sql<boolean>`agencies @> ${JSON.stringify([query.agency])}::jsonb`);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.stage) select = select.where('stage', '=', query.stage);
  if (query.outcome) select = select.where('outcome', '=', query.outcome);
  if (query.category) select = select.where('category', '=', query.category);
  if (query.risk) select = select.where('risk', '=', query.risk);
  if (query.overdue === true) select = select.where('status', '=', 'open').where('deadline', '<', now);
  if (query.overdue === false) select = select.where((eb) => eb.or([eb('status', '!=', 'open'), eb('deadline', 'is', null), eb('deadline', '>=', now)]));
  if (query.startedFrom) select = select.where('started_at', '>=', query.startedFrom);
  if (query.startedTo) select = select.where('started_at', '<', query.startedTo);
  if (query.closedFrom) select = select.where('closed_at', '>=', query.closedFrom);
  if (query.closedTo) select = select.where('closed_at', '<', query.closedTo);
  return select;
}

function summaryOf(row: Selectable<DisputesTable>): RecordSummary {
  return {
    disputeId: row.dispute_id,
    board: row.board,
    policy: `${row.policy_id}@${row.policy_version}`,
    stage: row.stage,
    status: row.status,
    risk: row.risk,
    deadline: iso(row.deadline),
    agencies: parsed<string[]>(row.agencies),
    startedAt: row.started_at.toISOString(),
    category: row.category,
    outcome: row.outcome,
    closedAt: iso(row.closed_at),
  };
}

/** Newest first; `page` counts from 1. */
export async function listRecords(db: Kysely<RecordsDatabase>, query: RecordsQuery, now = new Date()): Promise<{ disputes: RecordSummary[]; total: number }> {
  const { limit, page, ...filters } = query;
  const [rows, count] = await Promise.all([
    filtered(db, filters, now)
      .selectAll()
      .orderBy('started_at', 'desc')
      .orderBy('dispute_id', 'desc')
      .limit(limit)
      .offset((page - 1) * limit)
      .execute(),
    filtered(db, filters, now).select(sql<number>`count(*)::int`.as('total')).executeTakeFirstOrThrow(),
  ]);
  return { disputes: rows.map(summaryOf), total: count.total };
}

/** Ids of a board's disputes started in [from, to), oldest first, in batches: for the export. */
export async function* boardDisputeIds(db: Kysely<RecordsDatabase>, board: string, from?: Date, to?: Date, batch = 1000): AsyncGenerator<Selectable<DisputesTable>[]> {
  let after: { started: Date; id: string } | null = null;
  for (;;) {
    let select = filtered(db, { board, startedFrom: from, startedTo: to }, new Date());
    if (after) {
      const { started, id } = after;
      select = select.where((eb) => eb.or([eb('started_at', '>', started), eb.and([eb('started_at', '=', started), eb('dispute_id', '>', id)])]));
    }
    const rows = await select.selectAll().orderBy('started_at').orderBy('dispute_id').limit(batch).execute();
    if (rows.length === 0) return;
    yield rows;
    const last = rows[rows.length - 1]!;
    after = { started: last.started_at, id: last.dispute_id };
  }
}
