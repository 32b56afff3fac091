import { calendarBench } from './calendar';
import { historyBench, suiteBench } from './workflow';

// `npm run bench`: prints each benchmark's figures; the README keeps the latest ones.
const benches: [string, () => { name: string; value: string }[] | Promise<{ name: string; value: string }[]>][] = [
  ['calendar', calendarBench],
  ['dispute history', historyBench],
  ['time-skipping suite', suiteBench],
];

for (const [title, bench] of benches) {
  console.log(`\n${title}`);
  for (const row of await bench()) console.log(`  ${row.name.padEnd(56)} ${row.value}`);
}
