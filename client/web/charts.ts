import { escapeHtml } from '../../runtime/html';

// Charts drawn on the server as inline SVG: no script, printable, and each shown beside the table
// it draws (the table is what a screen reader reads; the picture is hidden from it).

export interface Bar {
  label: string;
  value: number;
}

const WIDTH = 560;
const ROW = 28;
const LABEL = 220;

/** Horizontal bars, one row per label, the value written at the end of each bar. */
export function barChart(bars: readonly Bar[]): string {
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const span = WIDTH - LABEL - 60;
  const rows = bars.map((bar, index) => {
    const y = index * ROW;
    const width = Math.round((bar.value / max) * span);
    return (
      `<text x="${LABEL - 8}" y="${y + 19}" text-anchor="end">${escapeHtml(bar.label.length > 20 ? `${bar.label.slice(0, 19)}…` : bar.label)}</text>` +
      `<rect x="${LABEL}" y="${y + 4}" width="${width}" height="${ROW - 8}" class="board-chart__bar"/>` +
      `<text x="${LABEL + width + 6}" y="${y + 19}">${bar.value}</text>`
    );
  });
  return svg(Math.max(ROW, bars.length * ROW), rows.join(''));
}

/** A funnel: each stage's bar centred and as wide as its share of the first. */
export function funnelChart(stages: readonly Bar[]): string {
  const max = Math.max(1, ...stages.map((stage) => stage.value));
  const span = WIDTH - LABEL - 20;
  const rows = stages.map((stage, index) => {
    const y = index * ROW;
    const width = Math.max(2, Math.round((stage.value / max) * span));
    const x = LABEL + Math.round((span - width) / 2);
    return (
      `<text x="${LABEL - 8}" y="${y + 19}" text-anchor="end">${escapeHtml(stage.label)}</text>` +
      `<rect x="${x}" y="${y + 4}" width="${width}" height="${ROW - 8}" class="board-chart__bar board-chart__bar--funnel"/>` +
      `<text x="${LABEL + span / 2}" y="${y + 19}" text-anchor="middle" class="board-chart__inside">${stage.value}</text>`
    );
  });
  return svg(Math.max(ROW, stages.length * ROW), rows.join(''));
}

function svg(height: number, body: string): string {
  return `<svg class="board-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="100%" aria-hidden="true" focusable="false">${body}</svg>`;
}
