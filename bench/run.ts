import { calendarBench } from './calendar';

// `npm run bench`: prints each benchmark's figures; the README keeps the latest ones.
const benches: [string, () => { name: string; value: string }[] | Promise<{ name: string; value: string }[]>][] = [
  ['calendar', calendarBench],
];

for (const [title, bench] of benches) {
  console.log(`\n${title}`);
  for (const row of await bench()) console.log(`  ${row.name.padEnd(44)} ${row.value}`);
}
