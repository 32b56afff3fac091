import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// `dispute simulate` end to end beside `dispute policy list`, both as a board manager runs them (a
// process each, from the CLI's entry), alternated in the same run. The first simulate fills the
// bundle cache and is reported on its own; the rest read it. BENCH_SIMULATE_RUNS sets how many (3).

const cli = fileURLToPath(new URL('../bin/dispute.js', import.meta.url));

function seconds(args: string[]): number {
  const started = performance.now();
  execFileSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - started) / 1000;
}

export function simulateBench(): { name: string; value: string }[] {
  const runs = Number(process.env.BENCH_SIMULATE_RUNS) || 3;
  const simulate = ['simulate', '--policy', 'rotherham-rsab', '--concern-at', '2026-03-27T10:30:00Z', '--json'];
  const first = seconds(simulate);
  const list: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < runs; i++) {
    list.push(seconds(['policy', 'list']));
    cached.push(seconds(simulate));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return [
    { name: '`dispute policy list`, median', value: `${median(list).toFixed(2)} s` },
    { name: '`dispute simulate` (rotherham, nobody decides), bundle cached, median', value: `${median(cached).toFixed(2)} s (${(median(cached) / median(list)).toFixed(1)}× policy list)` },
    { name: '`dispute simulate`, first run of this bench (bundled unless cached already)', value: `${first.toFixed(2)} s` },
  ];
}
