import { spawn } from 'node:child_process';
import { disputeContext } from '../client/disputes';
import { simulate } from '../client/simulate';
import { loadConfig } from '../runtime/config';

// What a dispute costs Temporal: history events for a full four-stage escalation (every stage
// runs to its deadline, then the board decides an hour into stage 4), per policy. And what the
// time-skipping proof of every timescale costs in wall time.

export async function historyBench(): Promise<{ name: string; value: string }[]> {
  const context = disputeContext(loadConfig());
  const rows = [];
  for (const policy of context.policies.list()) {
    const started = performance.now();
    const preview = await simulate({ policy: policy.id, concernAt: '2026-03-27T10:30:00Z', category: 'abuse', risk: 'standard', resolveAtStage: 4 }, context);
    const seconds = (performance.now() - started) / 1000;
    const stages = preview.events.filter((event) => event.type === 'stage-entered').length;
    rows.push({
      name: `${policy.id}: history events, ${stages} stages`,
      value: `${preview.historyEvents} events (${preview.requested} emails; simulate took ${seconds.toFixed(1)} s)`,
    });
  }
  return rows;
}

export async function suiteBench(): Promise<{ name: string; value: string }[]> {
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('npx', ['vitest', 'run', 'test/workflow'], { stdio: 'ignore' });
    child.once('exit', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  return [{ name: 'time-skipping suite (test/workflow), wall time', value: `${seconds.toFixed(0)} s${code === 0 ? '' : ` (FAILED, exit ${code})`}` }];
}
