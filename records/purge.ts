import { sql, type Kysely, type Transaction } from 'kysely';
import { civilDate, DAY, dayNumber, fromLondon, toLondon } from '../policies/calendar/civil';
import { keepClosedYears, type Policy } from '../policies/schema';
import type { DisputeEvent } from '../workflows/dispute/model';
import { personalColumns } from './personal-columns';
import type { RecordsDatabase } from './schema';
import { personalSeal } from './seal';

// The end of a closed record's life: once its board's retention has passed, every personal column
// (records/personal-columns.ts) is erased and the dispute's facts stay for reports. Found and erased
// in bounded batches, each in one short transaction, so a backlog of years never holds a lock for
// long; a dispute already erased is never touched again, so running it twice changes nothing.

/**
 * When a record closed at `closedAt` has been kept `years` calendar years: the same London date and
 * clock time that many years on (29 February runs to 1 March), so it is always kept at least that long.
 */
export function retentionEnd(closedAt: Date, years: number): Date {
  const wall = toLondon(closedAt.getTime());
  const dayNo = Math.floor(wall / DAY);
  const { year, month, day } = civilDate(dayNo);
  return new Date(fromLondon(dayNumber(year + years, month, day) * DAY + (wall - dayNo * DAY)));
}

/**
 * Each board's retention, from its current policy (the newest version of each policy file): the
 * retention is the board's, so a dispute started under an older version follows today's setting.
 * Should two policies name one board and disagree, the longer wins: nothing is erased early.
 */
export function retentionByBoard(policies: readonly Pick<Policy, 'board' | 'retention'>[]): Map<string, number> {
  const years = new Map<string, number>();
  for (const policy of policies) years.set(policy.board.id, Math.max(years.get(policy.board.id) ?? 0, keepClosedYears(policy)));
  return years;
}

/**
 * The facts an event keeps once erased, by type: enums, instants, counters and agency ids, which
 * the reports and the timeline read. Free text, addresses and names go. A type added to the model
 * must be placed here (the compiler asks); a type this code does not know keeps its type only.
 */
type Facts = { [T in DisputeEvent['type']]: readonly Exclude<keyof Extract<DisputeEvent, { type: T }>, 'seq' | 'at' | 'stage' | 'by' | 'type'>[] };
export const eventFacts = {
  started: ['risk', 'category'],
  'stage-entered': ['reason', 'deadline'],
  reminder: ['deadline'],
  overdue: ['concludeBy', 'notice'],
  email: ['kind'],
  'email-queued': ['kind', 'heldUntil'],
  'email-sent': ['kind'],
  'email-cancelled': ['kind'],
  'email-rejected': ['kind'],
  'email-failed': ['kind'],
  outcome: ['decision'],
  representation: ['agencyId'],
  convened: ['route'],
  'risk-raised': ['from', 'risk'],
  'contact-changed': ['agencyId'],
  note: [],
  rejected: ['operation'],
  withdrawn: [],
  closed: ['outcome'],
  'question-asked': ['field', 'until'],
  'question-answered': ['field', 'choice'],
  'question-unanswered': ['field'],
  // The decision is the organisation's own words, like its rationale: only who gave one stays.
  'organisation-decision': ['agencyId'],
  'closing-held': ['awaiting', 'until'],
} as const satisfies Facts;

/**
 * Fields whose presence is a fact the closing record reads (records/closing.ts), kept with their
 * personal values gone: a panel was named (its members, emptied), and which organisations' records
 * an unresolved decision carried (their agency ids).
 */
const emptied: Record<string, (value: unknown) => unknown> = {
  'convened.members': () => [],
  'outcome.record': (record) => {
    const organisations = (record as { organisations?: { agencyId: string }[] }).organisations;
    return organisations ? { organisations: organisations.map((entry) => ({ agencyId: entry.agencyId })) } : undefined;
  },
};

/** An event's data once erased: its type and facts, in the order written; free text, addresses and names go. */
export function eventFactsOnly(type: string, data: Record<string, unknown>): Record<string, unknown> {
  const keep: readonly string[] = (eventFacts as Record<string, readonly string[]>)[type] ?? [];
  return Object.fromEntries(
    Object.entries(data).flatMap(([key, value]) => {
      if (key === 'type' || keep.includes(key)) return [[key, value]];
      const shape = emptied[`${type}.${key}`]?.(value);
      return shape === undefined ? [] : [[key, shape]];
    }),
  );
}

/**
 * The events' data is sealed (records/seal.ts), so its facts are kept by opening each event, keeping
 * the facts and sealing them again, never by reading it in SQL.
 */
async function eraseEventData(tx: Transaction<RecordsDatabase>, ids: readonly string[]): Promise<void> {
  const seal = personalSeal(tx);
  const events = await tx.selectFrom('dispute_events').select(['dispute_id', 'seq', 'type', 'data']).where('dispute_id', 'in', ids).execute();
  for (let index = 0; index < events.length; index += 500) {
    const rows = events.slice(index, index + 500).map((event) => {
      const data = JSON.parse(seal.open('dispute_events', 'data', event.dispute_id, event.data)) as Record<string, unknown>;
      const facts = seal.seal('dispute_events', 'data', event.dispute_id, JSON.stringify(eventFactsOnly(event.type, data)));
      return sql`(${event.dispute_id}::text, ${event.seq}::int, ${facts}::text)`;
    });
    await sql`update dispute_events as e set data = v.data from (values ${sql.join(rows)}) as v(dispute_id, seq, data)
      where e.dispute_id = v.dispute_id and e.seq = v.seq`.execute(tx);
  }
}

export interface PurgeCandidate {
  disputeId: string;
  board: string;
  closedAt: string;
  /** When the board's retention ended for it. */
  retentionEnded: string;
}

export interface PurgeOptions {
  /** Only this board's records. */
  board?: string | undefined;
  /** Disputes per batch (and per transaction). */
  batchSize?: number | undefined;
}

/** Closed records past their board's retention and not yet erased, oldest first, a batch at a time. */
export async function* purgeCandidates(db: Kysely<RecordsDatabase>, retention: ReadonlyMap<string, number>, now: Date, options: PurgeOptions = {}): AsyncGenerator<PurgeCandidate[]> {
  const batchSize = options.batchSize ?? 100;
  const boards = [...retention].filter(([board]) => options.board === undefined || board === options.board).sort(([a], [b]) => a.localeCompare(b));
  for (const [board, years] of boards) {
    // A generous bound for the index (the exact test is retentionEnd, below): N years and two days back.
    const { year, month, day } = civilDate(Math.floor(now.getTime() / DAY));
    const bound = new Date((dayNumber(year - years, month, day) + 2) * DAY);
    let after: { closedAt: Date; id: string } | null = null;
    for (;;) {
      let select = db
        .selectFrom('disputes')
        .select(['dispute_id', 'closed_at'])
        .where('board', '=', board)
        .where('personal_erased_at', 'is', null)
        .where('closed_at', 'is not', null)
        .where('closed_at', '<', bound)
        .where('status', '!=', 'open');
      if (after) {
        const { closedAt, id } = after;
        select = select.where((eb) => eb.or([eb('closed_at', '>', closedAt), eb.and([eb('closed_at', '=', closedAt), eb('dispute_id', '>', id)])]));
      }
      const rows = await select.orderBy('closed_at').orderBy('dispute_id').limit(batchSize).execute();
      const due: PurgeCandidate[] = [];
      for (const row of rows) {
        const ended = retentionEnd(row.closed_at!, years);
        if (ended > now) break; // ordered by closing: every later one is kept too
        due.push({ disputeId: row.dispute_id, board, closedAt: row.closed_at!.toISOString(), retentionEnded: ended.toISOString() });
      }
      if (due.length > 0) yield due;
      if (due.length < batchSize) break;
      const last = rows[rows.length - 1]!;
      after = { closedAt: last.closed_at!, id: last.dispute_id };
    }
  }
}

/** Boards with closed, unerased records that no policy names: left alone (no retention is known), and said. */
export async function boardsWithoutRetention(db: Kysely<RecordsDatabase>, retention: ReadonlyMap<string, number>): Promise<string[]> {
  const rows = await db.selectFrom('disputes').select('board').distinct().where('personal_erased_at', 'is', null).where('closed_at', 'is not', null).orderBy('board').execute();
  return rows.map((row) => row.board).filter((board) => !retention.has(board));
}

/**
 * Erases these disputes' personal columns, in one transaction. Only disputes not yet erased are
 * touched (a concurrent purge erases each once); returns the IDs erased.
 */
export async function eraseDisputes(db: Kysely<RecordsDatabase>, disputeIds: readonly string[], now: Date): Promise<string[]> {
  if (disputeIds.length === 0) return [];
  return db.transaction().execute(async (tx) => {
    const claimed = await tx
      .updateTable('disputes')
      .set({ personal_erased_at: now })
      .where('dispute_id', 'in', disputeIds)
      .where('personal_erased_at', 'is', null)
      .returning('dispute_id')
      .execute();
    const ids = claimed.map((row) => row.dispute_id);
    if (ids.length === 0) return [];
    await eraseEventData(tx, ids);
    for (const [table, columns] of Object.entries(personalColumns)) {
      const erased: readonly string[] = table === 'dispute_events' ? columns.filter((column) => column !== 'data') : columns;
      if (erased.length === 0) continue;
      const assignments = sql.join(erased.map((column) => sql`${sql.ref(column)} = null`));
      await sql`update ${sql.table(table)} set ${assignments} where dispute_id in (${sql.join(ids)})`.execute(tx);
    }
    return ids;
  });
}

export interface PurgeResult {
  erased: number;
  byBoard: Record<string, number>;
  /** Boards with closed records and no policy: nothing of theirs was erased. */
  boardsWithoutPolicy: string[];
}

/** Erases every closed record past its board's retention, a batch per transaction; counts only. */
export async function purgeRecords(
  db: Kysely<RecordsDatabase>,
  retention: ReadonlyMap<string, number>,
  now: Date,
  options: PurgeOptions & { onBatch?: (erasedSoFar: number) => void } = {},
): Promise<PurgeResult> {
  const result: PurgeResult = { erased: 0, byBoard: {}, boardsWithoutPolicy: await boardsWithoutRetention(db, retention) };
  for await (const batch of purgeCandidates(db, retention, now, options)) {
    const erased = await eraseDisputes(
      db,
      batch.map((candidate) => candidate.disputeId),
      now,
    );
    for (const id of erased) {
      const board = batch.find((candidate) => candidate.disputeId === id)!.board;
      result.byBoard[board] = (result.byBoard[board] ?? 0) + 1;
    }
    result.erased += erased.length;
    options.onBatch?.(result.erased);
  }
  if (options.board !== undefined) result.boardsWithoutPolicy = result.boardsWithoutPolicy.filter((board) => board === options.board);
  return result;
}

/** What a purge would erase now, changing nothing. */
export async function purgePreview(db: Kysely<RecordsDatabase>, retention: ReadonlyMap<string, number>, now: Date, options: PurgeOptions = {}): Promise<PurgeCandidate[]> {
  const all: PurgeCandidate[] = [];
  for await (const batch of purgeCandidates(db, retention, now, options)) all.push(...batch);
  return all;
}
