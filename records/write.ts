import { sql, type Kysely, type Transaction } from 'kysely';
import type { RecordWrite } from '../activities/records/types';
import type { DisputeEvent, Ended } from '../workflows/dispute/model';
import { saveFormCopies } from './form-copies';
import type { RecordsDatabase } from './schema';
import { personalSeal, type PersonalSeal } from './seal';

// One write from the workflow: its new events, and the dispute's row as it now stands. Idempotent,
// keyed by dispute ID and event sequence: a retried or repeated write adds nothing, and a row
// older than the stored one (a late retry) never overwrites it. All of it, or none of it. Personal
// fields are sealed before they leave this process (records/seal.ts).

const json = (value: unknown) => JSON.stringify(value);

/**
 * A dispute whose workflow ended outside the procedure (terminated, failed, timed out): its row says
 * so, never open. The workflow wrote nothing as it ended, so this comes from Temporal (records sync).
 */
export async function markEnded(db: Kysely<RecordsDatabase>, disputeId: string, status: Ended, closedAt: Date): Promise<boolean> {
  const result = await db
    .updateTable('disputes')
    .set({ status, outcome: status, deadline: null, closed_at: closedAt })
    .where('dispute_id', '=', disputeId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function saveRecord(db: Kysely<RecordsDatabase>, write: RecordWrite): Promise<{ events: number; rowUpdated: boolean }> {
  const seal = personalSeal(db);
  return db.transaction().execute(async (tx) => {
    const rowUpdated = await saveRow(tx, seal, write);
    if (!rowUpdated && (await erased(tx, write.row.view.disputeId))) return { events: 0, rowUpdated };
    const events = await saveEvents(tx, seal, write.row.view.disputeId, write.events);
    await saveFormCopies(tx, write.row.view.disputeId, write.events, write.row.form);
    return { events, rowUpdated };
  });
}

/** Erased at the end of its board's retention (records/purge.ts): nothing more is written to it. */
async function erased(tx: Transaction<RecordsDatabase>, disputeId: string): Promise<boolean> {
  const row = await tx.selectFrom('disputes').select('personal_erased_at').where('dispute_id', '=', disputeId).executeTakeFirst();
  return Boolean(row?.personal_erased_at);
}

async function saveRow(tx: Transaction<RecordsDatabase>, seal: PersonalSeal, { row, lastSeq }: RecordWrite): Promise<boolean> {
  const { view } = row;
  const id = view.disputeId;
  const open = view.status === 'open';
  const values = {
    dispute_id: id,
    board: view.board,
    policy_id: view.policy.id,
    policy_version: view.policy.version,
    category: view.category,
    risk: view.risk,
    status: view.status,
    outcome: open ? null : view.status,
    stage: view.stage,
    tier: view.tier,
    concern_at: view.concernAt,
    concern_at_given: view.concernAt,
    started_at: row.startedAt,
    entered_stage_at: view.enteredStageAt,
    start_by: view.deadlines.startBy,
    conclude_by: view.deadlines.concludeBy,
    escalate_at: view.deadlines.escalateAt,
    remind_at: view.deadlines.remindAt,
    deadline: open ? (view.deadlines.concludeBy ?? view.deadlines.escalateAt) : null,
    closed_at: row.closedAt,
    working_days: row.timeTaken?.workingDays ?? null,
    calendar_days: row.timeTaken?.calendarDays ?? null,
    agencies: json(view.agencies.map((agency) => agency.id)),
    last_seq: lastSeq,
    board_outcome_name: row.boardOutcome?.name ?? null,
    board_outcome_effect: row.boardOutcome?.effect ?? null,
  };
  const { dispute_id: _id, ...changes } = values;
  // The row moves only forwards: a write whose events are older than the stored row's is ignored.
  // An erased record is final: a late sync never writes its personal fields back.
  const updated = await tx
    .insertInto('disputes')
    .values(values)
    .onConflict((conflict) => conflict.column('dispute_id').doUpdateSet(changes).where('disputes.last_seq', '<=', lastSeq).where('disputes.personal_erased_at', 'is', null))
    .returning('dispute_id')
    .executeTakeFirst();
  if (!updated) return false;

  const { dispute_id: _p, ...personal } = seal.sealRow('dispute_personal', {
    dispute_id: id,
    person_reference: view.personReference,
    summary: row.summary,
    agreed_actions: row.agreedActions,
    awaiting: json(view.awaiting),
  });
  await tx.insertInto('dispute_personal').values({ dispute_id: id, ...personal }).onConflict((c) => c.column('dispute_id').doUpdateSet(personal)).execute();
  for (const [position, agency] of view.agencies.entries()) {
    const fields = { agency_id: agency.id, name: agency.name, raising: agency.raising, people: seal.seal('dispute_agencies', 'people', id, json(agency.people)) };
    await tx.insertInto('dispute_agencies').values({ dispute_id: id, position, ...fields }).onConflict((c) => c.columns(['dispute_id', 'position']).doUpdateSet(fields)).execute();
  }
  if (row.form) {
    const form = { name: row.form.name, reference: row.form.reference, fields: seal.seal('dispute_forms', 'fields', id, json(row.form.fields)) };
    await tx.insertInto('dispute_forms').values({ dispute_id: id, ...form }).onConflict((c) => c.column('dispute_id').doUpdateSet(form)).execute();
  }
  return true;
}

async function saveEvents(tx: Transaction<RecordsDatabase>, seal: PersonalSeal, disputeId: string, events: DisputeEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const rows = events.map((event) => {
    const { seq, at, stage, ...data } = event;
    const deadlinePassed = (event.type === 'stage-entered' && event.reason === 'deadline') || (event.type === 'overdue' && event.notice === 1);
    return seal.sealRow('dispute_events', { dispute_id: disputeId, seq, at, stage, type: event.type, by: event.by ?? null, data: json(data), deadline_passed: deadlinePassed });
  });
  let added = 0;
  for (let index = 0; index < rows.length; index += 500) {
    const inserted = await tx
      .insertInto('dispute_events')
      .values(rows.slice(index, index + 500))
      .onConflict((c) => c.columns(['dispute_id', 'seq']).doNothing())
      .returning('seq')
      .execute();
    added += inserted.length;
  }
  // Decisions and notes are read from their events, so they agree with the log by construction.
  const decisions = events.flatMap((event) =>
    event.type === 'outcome'
      ? [seal.sealRow('dispute_decisions', { dispute_id: disputeId, seq: event.seq, stage: event.stage, decision: event.decision, at: event.at, by: event.by ?? '', text: event.agreedActions ?? event.reason ?? '' })]
      : [],
  );
  if (decisions.length) await tx.insertInto('dispute_decisions').values(decisions).onConflict((c) => c.columns(['dispute_id', 'seq']).doNothing()).execute();
  const notes = events.flatMap((event) => (event.type === 'note' ? [seal.sealRow('dispute_notes', { dispute_id: disputeId, seq: event.seq, at: event.at, by: event.by ?? '', text: event.text })] : []));
  if (notes.length) await tx.insertInto('dispute_notes').values(notes).onConflict((c) => c.columns(['dispute_id', 'seq']).doNothing()).execute();
  return added;
}

/** How many events the store holds for a dispute, and the last sequence number (for sync and tests). */
export async function storedEvents(db: Kysely<RecordsDatabase>, disputeId: string): Promise<{ count: number; lastSeq: number }> {
  const row = await db
    .selectFrom('dispute_events')
    .select([sql<number>`count(*)::int`.as('count'), sql<number>`coalesce(max(seq), 0)::int`.as('lastSeq')])
    .where('dispute_id', '=', disputeId)
    .executeTakeFirstOrThrow();
  return row;
}
