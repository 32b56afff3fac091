import { sql, type Kysely, type Migration } from 'kysely';

// Versioned migrations, run in name order at start-up by Kysely's Migrator. Never edit one that has
// shipped: add the next. One dialect (PostgreSQL) serves PGlite and the server alike. What is only
// read back whole is `json`, not `jsonb`: it keeps the text as written, so a stored dispute reads
// back byte for byte as the workflow gave it.

export const migrations: Record<string, Migration> = {
  '0001-disputes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('disputes')
        .addColumn('dispute_id', 'text', (c) => c.primaryKey())
        .addColumn('board', 'text', (c) => c.notNull())
        .addColumn('policy_id', 'text', (c) => c.notNull())
        .addColumn('policy_version', 'integer', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('risk', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text')
        .addColumn('stage', 'integer', (c) => c.notNull())
        .addColumn('tier', 'text', (c) => c.notNull())
        .addColumn('concern_at', 'timestamptz', (c) => c.notNull())
        // As the caller wrote it (with its offset): the API answers with exactly what it was given.
        .addColumn('concern_at_given', 'text', (c) => c.notNull())
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('entered_stage_at', 'timestamptz', (c) => c.notNull())
        .addColumn('start_by', 'timestamptz')
        .addColumn('conclude_by', 'timestamptz')
        .addColumn('escalate_at', 'timestamptz')
        .addColumn('remind_at', 'timestamptz')
        .addColumn('deadline', 'timestamptz')
        .addColumn('closed_at', 'timestamptz')
        .addColumn('working_days', 'double precision')
        .addColumn('calendar_days', 'double precision')
        .addColumn('agencies', 'jsonb', (c) => c.notNull())
        .addColumn('last_seq', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('disputes_board_started').on('disputes').columns(['board', 'started_at', 'dispute_id']).execute();
      await db.schema.createIndex('disputes_started').on('disputes').columns(['started_at', 'dispute_id']).execute();
      await db.schema.createIndex('disputes_closed').on('disputes').columns(['board', 'closed_at']).execute();
      await db.schema.createIndex('disputes_open_deadline').on('disputes').column('deadline').where(sql.ref('status'), '=', 'open').execute();
      await sql`create index disputes_agencies on disputes using gin (agencies jsonb_path_ops)`.execute(db);

      const child = (name: string) => db.schema.createTable(name).addColumn('dispute_id', 'text', (c) => c.notNull().references('disputes.dispute_id').onDelete('cascade'));
      await child('dispute_personal')
        .addColumn('person_reference', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('agreed_actions', 'text')
        .addColumn('awaiting', 'json', (c) => c.notNull())
        .addPrimaryKeyConstraint('dispute_personal_pk', ['dispute_id'])
        .execute();
      await child('dispute_agencies')
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('agency_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('raising', 'boolean', (c) => c.notNull())
        .addColumn('people', 'json', (c) => c.notNull())
        .addPrimaryKeyConstraint('dispute_agencies_pk', ['dispute_id', 'position'])
        .execute();
      await child('dispute_events')
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('stage', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('by', 'text')
        .addColumn('data', 'json', (c) => c.notNull())
        .addPrimaryKeyConstraint('dispute_events_pk', ['dispute_id', 'seq'])
        .execute();
      await child('dispute_decisions')
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('stage', 'integer', (c) => c.notNull())
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('dispute_decisions_pk', ['dispute_id', 'seq'])
        .execute();
      await child('dispute_notes')
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('dispute_notes_pk', ['dispute_id', 'seq'])
        .execute();
      await child('dispute_forms')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('reference', 'text', (c) => c.notNull())
        .addColumn('fields', 'json', (c) => c.notNull())
        .addPrimaryKeyConstraint('dispute_forms_pk', ['dispute_id'])
        .execute();
    },
  },
  '0003-form-copies': {
    async up(db: Kysely<unknown>) {
      // Each form as an email carried it, one row per send, keyed by the `email-queued` event's sequence.
      await db.schema
        .createTable('dispute_form_copies')
        .addColumn('dispute_id', 'text', (c) => c.notNull().references('disputes.dispute_id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('stage', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('reference', 'text')
        .addColumn('fields', 'json', (c) => c.notNull())
        .addColumn('recipients', 'json', (c) => c.notNull())
        .addPrimaryKeyConstraint('dispute_form_copies_pk', ['dispute_id', 'seq'])
        .execute();
    },
  },
};
