import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { formatLondon } from '../../policies/calendar';

// Nunjucks with GOV.UK Frontend's macros beside our own views; autoescaped.

export const govukDist = join(dirname(createRequire(import.meta.url).resolve('govuk-frontend')), '..');
export const viewsDir = fileURLToPath(new URL('./views', import.meta.url));

export function createRenderer() {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader([viewsDir, govukDist], { noCache: false }), { autoescape: true, throwOnUndefined: false });
  env.addFilter('london', (value: string | Date | null | undefined) => (value ? formatLondon(new Date(value)) : '—'));
  env.addFilter('days', (value: number | null | undefined) => (value === null || value === undefined ? '—' : String(Math.round(value * 10) / 10)));
  return (view: string, context: Record<string, unknown>) => env.render(view, context);
}
