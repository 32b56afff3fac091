import { Client } from '@temporalio/client';
import { buildDisputeStart, disputeContext, startDispute } from '../client/disputes';
import { cachedBundle } from '../client/simulate-bundle';
import { createCalendar } from '../policies/calendar';
import { calendarConfigFor } from '../policies/calendar/sources';
import { timeline } from '../policies/deadlines';
import { loadConfig } from '../runtime/config';
import { failureConverterPath } from '../runtime/payload-codec';
import { disputeState } from '../workflows/dispute/messages';
import { DisputeStage } from '../workflows/search-attributes';
import { workflowsPath } from '../worker/create';
import { startDiscardingSmtp, startWorkerProcess } from './worker-process';
import { benchDispute } from './dispute-input';
import { benchDevServer } from './dev-server';

// A burst of stage deadlines at one instant: N disputes whose stage 1 ends at the same second, on
// the dev server with one worker (a process of its own), beside N bare workflows with a timer to an
// instant, in the same run. Measured: when each is seen at stage 2 (its DisputeStage search
// attribute, polled through visibility every 100 ms), after the instant. BENCH_BURST sets N (500);
// BENCH_BURST_CACHE the project worker's workflow cache (unset: the product's default, 100, so past
// 100 disputes each escalation first loads its dispute again from its history).

const POLICY = 'rotherham-rsab';

export async function burstBench(): Promise<{ name: string; value: string }[]> {
  const n = Number(process.env.BENCH_BURST) || 500;
  const leadMs = Number(process.env.BENCH_BURST_LEAD_MS) || 60_000;
  const { env, keyLine } = await benchDevServer();
  // The bare baseline's client: no payload encryption, as a bare Temporal application has none.
  const plain = new Client({ connection: env.connection, namespace: 'default' });
  const smtp = await startDiscardingSmtp();
  const context = disputeContext(loadConfig());
  const { path: bundlePath } = await cachedBundle([workflowsPath, failureConverterPath], async () => {
    const { bundleWorkflowCode } = await import('@temporalio/worker');
    return (await bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } })).code;
  });
  const address = env.connection.options.address;
  const rows: { name: string; value: string }[] = [];
  const live = new Set<{ stop(): Promise<void> }>();

  /** When the count of `query` reaches each share of n, after `instant`. */
  const watch = async (query: string, instant: number) => {
    const reached = new Map<number, number>();
    const deadline = instant + 180_000;
    while (Date.now() < deadline) {
      const { count } = await env.client.workflow.count(query);
      const now = Date.now();
      for (const share of [0.5, 0.99, 1]) if (!reached.has(share) && count >= Math.ceil(share * n)) reached.set(share, now - instant);
      if (count >= n) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return reached;
  };

  const burst = async (kind: 'project' | 'bare') => {
    const taskQueue = `burst-${kind}`;
    const cache = kind === 'project' && process.env.BENCH_BURST_CACHE ? { maxCachedWorkflows: Number(process.env.BENCH_BURST_CACHE) } : {};
    const worker = await startWorkerProcess({ address, namespace: 'default', taskQueue, kind, keyLine, mail: smtp, ...cache, ...(bundlePath ? { bundlePath } : {}) });
    live.add(worker);
    const target = Math.ceil((Date.now() + leadMs) / 1000) * 1000;
    const instant = target;
    let concernAt: string | undefined;
    if (kind === 'project') {
      // The concern that puts stage 1's deadline at the target: working days keep the time of day, so some whole hours back.
      const policy = context.policies.find(POLICY)!;
      const calendar = createCalendar(calendarConfigFor(policy.board.division, context.holidays));
      for (let hours = 1; hours < 24 * 21 && !concernAt; hours++) {
        const candidate = new Date(target - hours * 3_600_000);
        const stage2 = timeline(policy, calendar, { concernAt: candidate, risk: 'standard', category: 'neglect' }).find((stage) => stage.stage === 2);
        if (stage2?.startBy?.getTime() === target) concernAt = candidate.toISOString();
      }
      if (!concernAt) throw new Error('no concern instant puts a stage 1 deadline at the target');
    }
    let next = 0;
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) {
          const i = next++;
          if (kind === 'bare') {
            await plain.workflow.start('bareDeadline', { taskQueue, workflowId: `deadline-${i}`, args: [target], typedSearchAttributes: [{ key: DisputeStage, value: 1 }] });
            continue;
          }
          const start = buildDisputeStart(benchDispute(concernAt!, { policy: POLICY }), context);
          await startDispute(env.client, taskQueue, start);
          ids.push(start.disputeId);
        }
      }),
    );
    if (Date.now() >= target) throw new Error(`starting ${n} took past the instant: raise BENCH_BURST_LEAD_MS`);
    const type = kind === 'project' ? 'dispute' : 'bareDeadline';
    const reached = await watch(`WorkflowType = '${type}' AND TaskQueue = '${taskQueue}' AND ${DisputeStage.name} = 2`, instant);
    const seconds = (share: number) => (reached.has(share) ? `${(reached.get(share)! / 1000).toFixed(2)} s` : 'not within 180 s');
    let check = '';
    if (kind === 'project') {
      // The instant the workflow itself kept for stage 2, to be sure it is the one measured from.
      const view = await env.client.workflow.getHandle(ids[0]!).query(disputeState).catch(() => null);
      const entered = view?.events.find((event) => event.type === 'stage-entered' && event.stage === 2)?.at;
      check = entered === undefined ? ' (stage 2 instant not read back)' : Date.parse(entered) === instant ? '' : ` (the workflow entered stage 2 at ${entered}, not the target)`;
    }
    await worker.idle(1_000);
    live.delete(worker);
    await worker.stop();
    return { p50: reached.get(0.5), p99: reached.get(0.99), text: `${seconds(0.5)} / ${seconds(0.99)} (all by ${seconds(1)})${check}` };
  };

  try {
    const ours = await burst('project');
    const theirs = await burst('bare');
    rows.push({ name: `${n} deadlines at one instant, project: at stage 2, p50 / p99 after it`, value: ours.text });
    rows.push({ name: `${n} bare timers at one instant: past it, p50 / p99`, value: theirs.text });
    if (ours.p99 !== undefined && theirs.p99) rows.push({ name: 'p99 ratio, project / bare', value: `${(ours.p99 / theirs.p99).toFixed(2)}×` });
  } finally {
    for (const worker of live) await worker.stop();
    await env.teardown();
    await smtp.close();
  }
  return rows;
}
