import type { Kysely, Transaction } from 'kysely';
import type { RecordRow } from '../activities/records/types';
import type { DisputeEvent, SentForm } from '../workflows/dispute/model';
import type { RecordsDatabase } from './schema';
import { personalSeal } from './seal';

// A copy of each form as an email carried it, with who it went to and when: read from the event
// log's `email-queued` events, so the store's copies and the workflow's record agree by
// construction. Keyed by dispute and event sequence: a retried write adds nothing.

export interface FormCopy {
  seq: number;
  at: string;
  stage: number;
  kind: string;
  name: string;
  reference: string | null;
  fields: SentForm['fields'];
  recipients: string[];
}

/** The copies a run of events records, in order. `form` is the policy's form, whose reference a copy of it carries. */
export function formCopiesOf(events: DisputeEvent[], form: RecordRow['form']): FormCopy[] {
  return events.flatMap((event) =>
    event.type === 'email-queued' && event.form
      ? [
          {
            seq: event.seq,
            at: event.at,
            stage: event.stage,
            kind: event.kind,
            name: event.form.name,
            reference: form && form.name === event.form.name ? form.reference : null,
            fields: event.form.fields,
            recipients: event.to,
          },
        ]
      : [],
  );
}

export async function saveFormCopies(tx: Transaction<RecordsDatabase>, disputeId: string, events: DisputeEvent[], form: RecordRow['form']): Promise<number> {
  const seal = personalSeal(tx);
  const rows = formCopiesOf(events, form).map((copy) => seal.sealRow('dispute_form_copies', {
    dispute_id: disputeId,
    seq: copy.seq,
    at: copy.at,
    stage: copy.stage,
    kind: copy.kind,
    name: copy.name,
    reference: copy.reference,
    fields: JSON.stringify(copy.fields),
    recipients: JSON.stringify(copy.recipients),
  }));
  if (rows.length === 0) return 0;
  const inserted = await tx
    .insertInto('dispute_form_copies')
    .values(rows)
    .onConflict((c) => c.columns(['dispute_id', 'seq']).doNothing())
    .returning('seq')
    .execute();
  return inserted.length;
}

/** A dispute's stored copies, in the order they were sent. */
export async function readFormCopies(db: Kysely<RecordsDatabase>, disputeId: string): Promise<FormCopy[]> {
  const seal = personalSeal(db);
  // Erased at the end of the board's retention: the copy's facts stay, its fields and recipients go.
  const open = <T>(column: 'fields' | 'recipients', value: string | null): T => (value === null ? [] : JSON.parse(seal.open('dispute_form_copies', column, disputeId, value))) as T;
  const rows = await db.selectFrom('dispute_form_copies').selectAll().where('dispute_id', '=', disputeId).orderBy('seq').execute();
  return rows.map((row) => ({
    seq: row.seq,
    at: row.at.toISOString(),
    stage: row.stage,
    kind: row.kind,
    name: row.name,
    reference: row.reference,
    fields: open<FormCopy['fields']>('fields', row.fields),
    recipients: open<string[]>('recipients', row.recipients),
  }));
}
