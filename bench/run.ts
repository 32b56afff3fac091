import { calendarBench } from './calendar';
import { batchBench, escalationBench, historyEventsBench } from './escalation';
import { apiBench } from './api';
import { codecBench } from './codec';
import { historyBench, suiteBench } from './workflow';
import { recordsBench } from './records';
import { webBench } from './web';
import { memoryBench } from './memory';
import { burstBench } from './burst';
import { simulateBench } from './simulate';
import { replayBench } from './replay';

// `npm run bench`: prints each benchmark's figures; the README keeps the latest ones.
const benches: [string, () => { name: string; value: string }[] | Promise<{ name: string; value: string }[]>][] = [
  ['calendar', calendarBench],
  ['dispute history', historyBench],
  ['escalation with emails, against bare Temporal', escalationBench],
  ['decided batch of 10 emails', batchBench],
  ['history events per policy, against bare Temporal', historyEventsBench],
  ['API against the dev server', apiBench],
  ['payload codec', codecBench],
  ['time-skipping suite', suiteBench],
  ['records store', recordsBench],
  ['board pages over 50,000 records', webBench],
  ['open disputes on one worker', memoryBench],
  ['a burst of deadlines at one instant', burstBench],
  ['simulate beside policy list', simulateBench],
  ['replay of recorded histories (worker CPU per dispute)', replayBench],
];

const only = process.argv[2];
for (const [title, bench] of benches.filter(([title]) => !only || title.startsWith(only))) {
  console.log(`\n${title}`);
  for (const row of await bench()) console.log(`  ${row.name.padEnd(56)} ${row.value}`);
}
