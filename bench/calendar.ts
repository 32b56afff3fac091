import { createCalendar } from '../policies/calendar';

// Cost of working-day arithmetic against the span: the target is that adding 2,000 working days
// stays within a few times the cost of adding 5.

function nsPerCall(run: (i: number) => unknown, calls: number): number {
  for (let i = 0; i < calls / 10; i += 1) run(i); // warm up, and fill the holiday tables
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i += 1) run(i);
  return Number(process.hrtime.bigint() - started) / calls;
}

export function calendarBench(): { name: string; value: string }[] {
  const calendar = createCalendar({ division: 'england-and-wales' });
  const base = Date.UTC(2026, 0, 5, 9, 0);
  const starts = Array.from({ length: 1024 }, (_, i) => new Date(base + i * 37 * 60 * 60 * 1000));
  const calls = 200_000;
  const rows: { name: string; value: string }[] = [];
  const five = nsPerCall((i) => calendar.addWorkingDays(starts[i % 1024]!, 5), calls);
  const twoThousand = nsPerCall((i) => calendar.addWorkingDays(starts[i % 1024]!, 2_000), calls);
  const between = nsPerCall((i) => calendar.workingTimeBetween(starts[i % 1024]!, starts[(i + 500) % 1024]!), calls);
  rows.push({ name: 'addWorkingDays(5)', value: `${five.toFixed(0)} ns` });
  rows.push({ name: 'addWorkingDays(2000)', value: `${twoThousand.toFixed(0)} ns` });
  rows.push({ name: 'ratio 2000 / 5', value: `${(twoThousand / five).toFixed(2)}×` });
  rows.push({ name: 'workingTimeBetween (span up to ~2 years)', value: `${between.toFixed(0)} ns` });
  return rows;
}
