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
  '0002-sealed-personal': {
    // Personal columns become text sealed under the key ring (records/seal.ts). No key is at hand
    // here, so values already stored are marked as plain ('!plain:', which no sealed value starts
    // with) and listed in sealing_pending; the next open with the key ring seals them.
    async up(db: Kysely<unknown>) {
      // Reports count missed deadlines from the events; the event's own data is sealed now, so the fact is kept in clear beside it.
      await db.schema.alterTable('dispute_events').addColumn('deadline_passed', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
      await sql`update dispute_events set deadline_passed = true
        where (type = 'stage-entered' and data->>'reason' = 'deadline') or (type = 'overdue' and data->>'notice' = '1')`.execute(db);
      // The personal columns as they stood at 0001 (the list in personal-columns.ts may grow after).
      const columns: Record<string, { text: string[]; json: string[] }> = {
        dispute_personal: { text: ['person_reference', 'summary', 'agreed_actions'], json: ['awaiting'] },
        dispute_agencies: { text: [], json: ['people'] },
        dispute_events: { text: ['by'], json: ['data'] },
        dispute_decisions: { text: ['by', 'text'], json: [] },
        dispute_notes: { text: ['by', 'text'], json: [] },
        dispute_forms: { text: [], json: ['fields'] },
      };
      await db.schema.createTable('sealing_pending').addColumn('table_name', 'text', (c) => c.primaryKey()).execute();
      for (const [table, { text, json }] of Object.entries(columns)) {
        for (const column of json) {
          await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type text using ${sql.lit('!plain:')} || ${sql.ref(column)}::text`.execute(db);
        }
        if (text.length) {
          await sql`update ${sql.table(table)} set ${sql.join(text.map((column) => sql`${sql.ref(column)} = ${sql.lit('!plain:')} || ${sql.ref(column)}`))}`.execute(db);
        }
        await sql`insert into sealing_pending (table_name) select ${table} where exists (select 1 from ${sql.table(table)})`.execute(db);
      }
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
        // Sealed under the key ring (records/seal.ts), and null once erased at the end of retention.
        .addColumn('fields', 'text')
        .addColumn('recipients', 'text')
        .addPrimaryKeyConstraint('dispute_form_copies_pk', ['dispute_id', 'seq'])
        .execute();
    },
  },
  '0004-access-log': {
    // Who read which dispute's personal data (records/access-log.ts). No foreign key to disputes:
    // a codec decode or a just-raised dispute may be read before the store has its row.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('access_log')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('dispute_id', 'text')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('who_kind', 'text', (c) => c.notNull())
        // Null once erased (the store's personal columns may be erased at the end of retention).
        .addColumn('who', 'text')
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('access_log_dispute').on('access_log').columns(['dispute_id', 'at', 'id']).execute();
      await db.schema.createIndex('access_log_at').on('access_log').column('at').execute();
    },
  },
  '0005-retention': {
    // Erasure at the end of a board's retention: when, and personal columns that may hold null (an
    // erased value). Which dispute is due is found by board and closing instant among the unerased.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('disputes').addColumn('personal_erased_at', 'timestamptz').execute();
      await sql`create index disputes_unerased_closed on disputes (board, closed_at, dispute_id) where personal_erased_at is null and closed_at is not null`.execute(db);
      const relaxed = {
        dispute_personal: ['person_reference', 'summary', 'awaiting'],
        dispute_agencies: ['people'],
        dispute_decisions: ['by', 'text'],
        dispute_notes: ['by', 'text'],
        dispute_forms: ['fields'],
      };
      for (const [table, columns] of Object.entries(relaxed)) {
        for (const column of columns) await db.schema.alterTable(table).alterColumn(column, (c) => c.dropNotNull()).execute();
      }
    },
  },
  '0006-board-outcome': {
    // The board's outcome as its policy named it, where the board decided: the one part of the closing
    // record that is neither a column nor in the events, and that the policy file may not keep.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('disputes').addColumn('board_outcome_name', 'text').addColumn('board_outcome_effect', 'text').execute();
    },
  },
};
