import { sql, type Kysely, type Selectable } from 'kysely';
import type { Calendar } from '../policies/calendar';
import type { DisputesTable, RecordsDatabase } from './schema';

// What the board pages ask of the records store: the board's log (open disputes, most urgent
// first) and the figures of a report period. Report fields only: nothing personal is read here.

export interface LogQuery {
  board: string;
  /** Only disputes one of these agencies is party to (an agency person's view); undefined: all of the board's. */
  partyOf?: readonly string[] | undefined;
  agency?: string | undefined;
  status?: string | undefined;
  stage?: number | undefined;
  category?: string | undefined;
  /** Started at or after / before. */
  from?: Date | undefined;
  to?: Date | undefined;
  page: number;
  limit: number;
}

export type LogRow = Selectable<DisputesTable>;

function logFilter(db: Kysely<RecordsDatabase>, query: LogQuery) {
  let select = db.selectFrom('disputes').where('board', '=', query.board);
  if (query.partyOf) {
    const agencies = query.partyOf;
    if (agencies.length === 0) return select.where(sql<boolean>`false`);
    select = select.where((eb) => eb.or(agencies.map((agency) => eb(sql`agencies`, '@>', sql`${JSON.stringify([agency])}::jsonb`))));
  }
  if (query.agency) select = select.where(sql<boolean>`agencies @> ${JSON.stringify([query.agency])}::jsonb`);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.stage) select = select.where('stage', '=', query.stage);
  if (query.category) select = select.where('category', '=', query.category);
  if (query.from) select = select.where('started_at', '>=', query.from);
  if (query.to) select = select.where('started_at', '<', query.to);
  return select;
}

/** Imminent risk first, then high; then the nearest deadline; then the newest. */
export async function boardLog(db: Kysely<RecordsDatabase>, query: LogQuery): Promise<{ rows: LogRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    logFilter(db, query)
      .selectAll()
      .orderBy(sql`case risk when 'imminent' then 0 when 'high' then 1 else 2 end`)
      .orderBy(sql`deadline asc nulls last`)
      .orderBy('started_at', 'desc')
      .orderBy('dispute_id')
      .limit(query.limit)
      .offset((query.page - 1) * query.limit)
      .execute(),
    logFilter(db, query).select(sql<number>`count(*)::int`.as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: count.total };
}

// -----------------------------------------------------------------------------------------------
// Report figures.

export interface ReportQuery {
  board: string;
  /** [from, to): disputes raised, closed and deadlines passed in this span count. */
  from: Date;
  to: Date;
}

export interface Spread {
  count: number;
  median: number | null;
  p90: number | null;
}

export interface ReportFigures {
  raised: number;
  closed: { resolved: number; decided: number; withdrawn: number; unresolved: number };
  /** Of the disputes raised in the period: how many reached each stage (a funnel). */
  reachedStage: { stage: number; count: number }[];
  /** Working days from the concern to resolution (resolved or decided, closed in the period). */
  toResolution: Spread;
  /** Working days spent in each stage, for stages left (escalated or closed) in the period. */
  perStage: ({ stage: number } & Spread)[];
  /** Deadlines that passed with no decision: escalations at a deadline, first overdue notices. */
  deadlinesPassed: number;
  byAgency: { agency: string; raised: number; raisedBy: number }[];
  byPair: { raising: string; other: string; raised: number }[];
  byCategory: { category: string; raised: number }[];
  byRisk: { risk: string; raised: number }[];
}

/** Nearest-rank percentile of sorted values: the smallest value with at least p% of values at or below it. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);
  return { count: sorted.length, median: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)) };
}

/**
 * The figures of one board over one period. Per-stage times are counted on the board's calendar
 * (its bank holidays), from the stage-entered events to the next stage or the close.
 */
export async function reportFigures(db: Kysely<RecordsDatabase>, query: ReportQuery, calendar: Calendar): Promise<ReportFigures> {
  const { board, from, to } = query;
  // Counted in the database, so 50,000 records never cross into this process one by one.
  const raised = () => db.selectFrom('disputes').where('board', '=', board).where('started_at', '>=', from).where('started_at', '<', to);
  const closed = () => db.selectFrom('disputes').where('board', '=', board).where('closed_at', '>=', from).where('closed_at', '<', to);
  const count = sql<number>`count(*)::int`.as('count');
  const [byStage, byCategory, byRisk, parties, pairs, outcomes, resolution, deadlines, stageSpans] = await Promise.all([
    raised().select(['stage', count]).groupBy('stage').execute(),
    raised().select(['category', count]).groupBy('category').execute(),
    raised().select(['risk', count]).groupBy('risk').execute(),
    sql<{ agency: string; raising: boolean; count: number }>`
      select party.agency, party.position = 1 as raising, count(*)::int as count
      from disputes d, jsonb_array_elements_text(d.agencies) with ordinality as party(agency, position)
      where d.board = ${board} and d.started_at >= ${from} and d.started_at < ${to}
      group by 1, 2`.execute(db),
    sql<{ raising: string; other: string; count: number }>`
      select d.agencies->>0 as raising, party.agency as other, count(*)::int as count
      from disputes d, jsonb_array_elements_text(d.agencies) with ordinality as party(agency, position)
      where d.board = ${board} and d.started_at >= ${from} and d.started_at < ${to} and party.position > 1
      group by 1, 2`.execute(db),
    closed().select(['outcome', count]).groupBy('outcome').execute(),
    // Nearest rank is percentile_disc: the first value whose cumulative share reaches p.
    closed()
      .where('outcome', 'in', ['resolved', 'decided'])
      .where('working_days', 'is not', null)
      .select([count, sql<number | null>`percentile_disc(0.5) within group (order by working_days)`.as('median'), sql<number | null>`percentile_disc(0.9) within group (order by working_days)`.as('p90')])
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('dispute_events')
      .innerJoin('disputes', 'disputes.dispute_id', 'dispute_events.dispute_id')
      .select(count)
      .where('disputes.board', '=', board)
      .where('dispute_events.at', '>=', from)
      .where('dispute_events.at', '<', to)
      // Set as the event was written: its data is sealed, and reports need no key.
      .where('dispute_events.deadline_passed', '=', true)
      .executeTakeFirstOrThrow(),
    // Each stage left in the period (for another stage, or at the close), with when it was entered.
    sql<{ stage: number; entered: number; left: number }>`
      select stage, extract(epoch from at) * 1000 as entered, extract(epoch from next_at) * 1000 as left
      from (
        select e.stage, e.type, e.at,
          lead(e.at) over w as next_at, lead(e.stage) over w as next_stage, lead(e.type) over w as next_type
        from dispute_events e join disputes d on d.dispute_id = e.dispute_id
        where d.board = ${board} and e.type in ('stage-entered', 'closed') and e.at < ${to}
          and (d.closed_at is null or d.closed_at >= ${from})
        window w as (partition by e.dispute_id order by e.seq)
      ) spans
      where type = 'stage-entered' and next_at >= ${from} and next_at < ${to} and (next_type = 'closed' or next_stage <> stage)`.execute(db),
  ]);

  const perStage = new Map<number, number[]>();
  for (const span of stageSpans.rows) {
    const days = calendar.workingDaysBetween(new Date(Number(span.entered)), new Date(Number(span.left)));
    const spent = perStage.get(span.stage);
    if (spent) spent.push(days);
    else perStage.set(span.stage, [days]);
  }
  const outcome = (name: string) => outcomes.find((row) => row.outcome === name)?.count ?? 0;
  const maxStage = Math.max(0, ...byStage.map((row) => row.stage));
  const round = (value: number | null) => (value === null ? null : Math.round(Number(value) * 100) / 100);
  const byAgency = new Map<string, { raised: number; raisedBy: number }>();
  for (const row of parties.rows) {
    const entry = byAgency.get(row.agency) ?? { raised: 0, raisedBy: 0 };
    entry.raised += row.count;
    if (row.raising) entry.raisedBy += row.count;
    byAgency.set(row.agency, entry);
  }
  const sorted = <T extends { count: number }>(rows: T[], key: (row: T) => string) => [...rows].sort((a, b) => b.count - a.count || key(a).localeCompare(key(b)));
  return {
    raised: byStage.reduce((sum, row) => sum + row.count, 0),
    closed: { resolved: outcome('resolved'), decided: outcome('decided'), withdrawn: outcome('withdrawn'), unresolved: outcome('unresolved') },
    reachedStage: Array.from({ length: maxStage }, (_, index) => ({ stage: index + 1, count: byStage.filter((row) => row.stage >= index + 1).reduce((sum, row) => sum + row.count, 0) })),
    toResolution: { count: resolution.count, median: round(resolution.median), p90: round(resolution.p90) },
    perStage: [...perStage].sort((a, b) => a[0] - b[0]).map(([stage, days]) => ({ stage, ...spread(days) })),
    deadlinesPassed: deadlines.count,
    byAgency: [...byAgency].sort((a, b) => b[1].raised - a[1].raised || a[0].localeCompare(b[0])).map(([agency, counts]) => ({ agency, ...counts })),
    byPair: sorted(pairs.rows, (row) => `${row.raising}\n${row.other}`).map((row) => ({ raising: row.raising, other: row.other, raised: row.count })),
    byCategory: sorted(byCategory, (row) => row.category).map((row) => ({ category: row.category, raised: row.count })),
    byRisk: sorted(byRisk, (row) => row.risk).map((row) => ({ risk: row.risk, raised: row.count })),
  };
}
