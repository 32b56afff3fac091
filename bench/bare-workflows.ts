import { sleep } from '@temporalio/workflow';

// The bare Temporal baseline the escalation benchmarks measure beside the dispute: the same four
// stage deadlines as timers, and nothing else (no procedure, no emails, no records).

export async function bareEscalation(stageMs: number[]): Promise<number> {
  for (const ms of stageMs) await sleep(ms);
  return stageMs.length;
}
