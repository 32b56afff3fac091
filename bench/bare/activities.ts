import { Context } from '@temporalio/activity';

// What the bare deadline workflow does when its timer fires: reports the instant, to the benchmark
// in the same process, through `onEscalated`.

export const seen: { onEscalated?: (workflowId: string, at: number) => void } = {};

export async function escalated(): Promise<void> {
  seen.onEscalated?.(Context.current().info.workflowExecution!.workflowId, Date.now());
}
