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

const countBy = <T extends string>(keys: T[]) => {
  const counts = new Map<T, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
};

/**
 * The figures of one board over one period. Per-stage times are counted on the board's calendar
 * (its bank holidays), from the stage-entered events to the next stage or the close.
 */
export async function reportFigures(db: Kysely<RecordsDatabase>, query: ReportQuery, calendar: Calendar): Promise<ReportFigures> {
  const { board, from, to } = query;
  const raisedRows = await db
    .selectFrom('disputes')
    .select(['dispute_id', 'stage', 'category', 'risk', 'agencies'])
    .where('board', '=', board)
    .where('started_at', '>=', from)
    .where('started_at', '<', to)
    .execute();
  const closedRows = await db
    .selectFrom('disputes')
    .select(['dispute_id', 'outcome', 'working_days'])
    .where('board', '=', board)
    .where('closed_at', '>=', from)
    .where('closed_at', '<', to)
    .execute();
  // Stage changes and deadline events in the period, with the stage-entered event before the period
  // that opened a stage left inside it (its start is needed to count the time spent).
  const stageEvents = await db
    .selectFrom('dispute_events')
    .innerJoin('disputes', 'disputes.dispute_id', 'dispute_events.dispute_id')
    .select(['dispute_events.dispute_id', 'dispute_events.seq', 'dispute_events.at', 'dispute_events.stage', 'dispute_events.type', sql<string | null>`dispute_events.data->>'reason'`.as('reason'), sql<number | null>`(dispute_events.data->>'notice')::int`.as('notice')])
    .where('disputes.board', '=', board)
    .where('dispute_events.type', 'in', ['stage-entered', 'closed', 'overdue'])
    .where('dispute_events.at', '<', to)
    .where((eb) => eb.or([eb('disputes.closed_at', 'is', null), eb('disputes.closed_at', '>=', from)]))
    .orderBy('dispute_events.dispute_id')
    .orderBy('dispute_events.seq')
    .execute();

  const parse = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as string[];
  const raisedAgencies = raisedRows.map((row) => parse(row.agencies));
  const byAgency = new Map<string, { raised: number; raisedBy: number }>();
  const pairs = new Map<string, number>();
  for (const agencies of raisedAgencies) {
    agencies.forEach((agency, index) => {
      const entry = byAgency.get(agency) ?? { raised: 0, raisedBy: 0 };
      entry.raised += 1;
      if (index === 0) entry.raisedBy += 1;
      byAgency.set(agency, entry);
      if (index > 0) pairs.set(`${agencies[0]}\n${agency}`, (pairs.get(`${agencies[0]}\n${agency}`) ?? 0) + 1);
    });
  }
  const maxStage = Math.max(0, ...raisedRows.map((row) => row.stage));
  const outcomes = countBy(closedRows.map((row) => row.outcome ?? 'open'));

  const perStage = new Map<number, number[]>();
  let deadlinesPassed = 0;
  let current: { dispute: string; stage: number; at: Date } | null = null;
  for (const event of stageEvents) {
    if (current && current.dispute !== event.dispute_id) current = null;
    const inPeriod = event.at >= from;
    if (inPeriod && event.type === 'stage-entered' && event.reason === 'deadline') deadlinesPassed += 1;
    if (inPeriod && event.type === 'overdue' && event.notice === 1) deadlinesPassed += 1;
    if (event.type === 'overdue') continue;
    if (current && inPeriod && (event.type === 'closed' || event.stage !== current.stage)) {
      const days = calendar.workingDaysBetween(current.at, event.at);
      const spent = perStage.get(current.stage);
      if (spent) spent.push(days);
      else perStage.set(current.stage, [days]);
    }
    current = event.type === 'stage-entered' ? { dispute: event.dispute_id, stage: event.stage, at: event.at } : null;
  }

  const sortedCounts = <K extends string>(counts: Map<K, number>) => [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    raised: raisedRows.length,
    closed: { resolved: outcomes.get('resolved') ?? 0, decided: outcomes.get('decided') ?? 0, withdrawn: outcomes.get('withdrawn') ?? 0, unresolved: outcomes.get('unresolved') ?? 0 },
    reachedStage: Array.from({ length: maxStage }, (_, index) => ({ stage: index + 1, count: raisedRows.filter((row) => row.stage >= index + 1).length })),
    toResolution: spread(closedRows.filter((row) => (row.outcome === 'resolved' || row.outcome === 'decided') && row.working_days !== null).map((row) => row.working_days!)),
    perStage: [...perStage].sort((a, b) => a[0] - b[0]).map(([stage, days]) => ({ stage, ...spread(days) })),
    deadlinesPassed,
    byAgency: [...byAgency].sort((a, b) => b[1].raised - a[1].raised || a[0].localeCompare(b[0])).map(([agency, counts]) => ({ agency, ...counts })),
    byPair: sortedCounts(pairs).map(([key, raised]) => {
      const [raising, other] = key.split('\n') as [string, string];
      return { raising, other, raised };
    }),
    byCategory: sortedCounts(countBy(raisedRows.map((row) => row.category))).map(([category, raised]) => ({ category, raised })),
    byRisk: sortedCounts(countBy(raisedRows.map((row) => row.risk))).map(([risk, raised]) => ({ risk, raised })),
  };
}
