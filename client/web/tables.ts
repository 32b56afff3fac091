import { csvField } from '../../records/export';
import type { ReportFigures } from '../../records/reports';
import type { Bar } from './charts';

// A report's figures as tables: each shown on the page (beside its chart), downloadable as CSV.

export interface ReportTable {
  id: string;
  caption: string;
  head: string[];
  rows: (string | number | null)[][];
  chart: 'bars' | 'funnel' | null;
  bars: Bar[];
}

export function reportTables(figures: ReportFigures, agencyName: (id: string) => string): ReportTable[] {
  const outcomes: [string, number][] = [
    ['Raised', figures.raised],
    ['Resolved', figures.closed.resolved],
    ['Decided by the board', figures.closed.decided],
    ['Withdrawn', figures.closed.withdrawn],
    ['Closed unresolved', figures.closed.unresolved],
    ['Deadlines passed without a decision', figures.deadlinesPassed],
  ];
  const table = (id: string, caption: string, head: string[], rows: ReportTable['rows'], chart: ReportTable['chart'], bars: Bar[] = []): ReportTable => ({ id, caption, head, rows, chart, bars });
  return [
    table('summary', 'Disputes raised and closed in the period', ['Measure', 'Disputes'], outcomes, 'bars', outcomes.map(([label, value]) => ({ label, value }))),
    table(
      'stages',
      'The stage reached by the disputes raised in the period',
      ['Stage', 'Disputes that reached it'],
      figures.reachedStage.map((row) => [`Stage ${row.stage}`, row.count]),
      'funnel',
      figures.reachedStage.map((row) => ({ label: `Stage ${row.stage}`, value: row.count })),
    ),
    table(
      'time',
      'Working days to resolution, and spent in each stage',
      ['Measure', 'Disputes', 'Median (working days)', '90th percentile (working days)'],
      [
        ['Concern to resolution', figures.toResolution.count, figures.toResolution.median, figures.toResolution.p90],
        ...figures.perStage.map((row) => [`In stage ${row.stage}`, row.count, row.median, row.p90]),
      ],
      null,
    ),
    table(
      'agencies',
      'Disputes by agency',
      ['Agency', 'Party to', 'Raised by'],
      figures.byAgency.map((row) => [agencyName(row.agency), row.raised, row.raisedBy]),
      'bars',
      figures.byAgency.map((row) => ({ label: agencyName(row.agency), value: row.raised })),
    ),
    table('pairs', 'Disputes by pair of agencies', ['Raising agency', 'Other agency', 'Disputes'], figures.byPair.map((row) => [agencyName(row.raising), agencyName(row.other), row.raised]), null),
    table('categories', 'Disputes by category', ['Category', 'Disputes'], figures.byCategory.map((row) => [row.category, row.raised]), 'bars', figures.byCategory.map((row) => ({ label: row.category, value: row.raised }))),
    table('risk', 'Disputes by risk', ['Risk', 'Disputes'], figures.byRisk.map((row) => [row.risk, row.raised]), 'bars', figures.byRisk.map((row) => ({ label: row.risk, value: row.raised }))),
  ];
}

export function tableCsv(table: ReportTable): string {
  return [table.head, ...table.rows].map((row) => row.map((value) => csvField(value)).join(',')).join('\r\n') + '\r\n';
}
