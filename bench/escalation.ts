import { fileURLToPath } from 'node:url';
import { MockActivityEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createEmailActivities, mailTransport, messageIdFor, type MailSettings } from '../activities/email/activities';
import { renderEmail } from '../activities/email/templates';
import { releaseMail } from '../activities/email/transport';
import type { EmailBatch } from '../activities/email/types';
import { buildDisputeStart, disputeContext, startPreviewDispute } from '../client/disputes';
import { simulate } from '../client/simulate';
import { loadConfig } from '../runtime/config';
import { KeyRing } from '../runtime/key-ring';
import { startMailCatcher } from '../runtime/mail-catcher';
import { dataConverter, failureConverterPath } from '../runtime/payload-codec';
import { installQuietRuntime } from '../runtime/quiet-runtime';
import { startTimeSkippingEnv } from '../runtime/time-skipping';
import { createWorker, previewWorkflowsPath } from '../worker/create';
import { recordOutcome } from '../workflows/dispute/messages';
import { benchDispute } from './dispute-input';

// Issue 14's email and history goals, each beside a bare Temporal baseline measured in the same run:
// - one full four-stage escalation (Rotherham: each stage to its deadline, the chair decides an hour
//   into stage 4) with every email to a real in-process SMTP server, on the time-skipping server,
//   against a bare workflow with the same four deadlines as timers (bundling and server start excluded);
// - the 10-recipient "decided" batch: pooled and concurrent, against a connection per email sent
//   one after another (how it was sent before);
// - history events per policy for a full escalation (`dispute simulate --json`'s historyEvents)
//   against the bare four-timer workflow's.

const RUNS = 5;
const HOUR = 3_600_000;
const CONCERN = '2026-03-27T10:30:00Z';
/** Rotherham's stage 4 is entered then, from a concern at CONCERN (test/cli-simulate.test.ts). */
const ROTHERHAM_STAGE_4 = Date.parse('2026-04-09T10:30:00+01:00');
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (message: string) => console.error(message) };
type Row = { name: string; value: string };

const converter = () => dataConverter(KeyRing.parse(KeyRing.newLine('bench'), 'bench key'));
const mailTo = (catcher: { host: string; port: number }): MailSettings => ({ host: catcher.host, port: catcher.port, secure: false, from: 'Bench <bench@example.org>', messageIdDomain: 'bench.example.org' });

export async function escalationBench(): Promise<Row[]> {
  installQuietRuntime();
  const context = disputeContext(loadConfig());
  const policy = context.policies.find('rotherham-rsab')!;
  const data = converter();
  const env = await startTimeSkippingEnv(data);
  const catcher = await startMailCatcher();
  try {
    const [{ code }, { code: bareCode }] = await Promise.all([
      bundleWorkflowCode({ workflowsPath: previewWorkflowsPath, failureConverterPath, logger: quiet }),
      bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./bare-workflows.ts', import.meta.url)), logger: quiet }),
    ]);
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue: 'bench', workflowBundle: { code }, dataConverter: data, activities: createActivities({ mail: mailTo(catcher) }) });
    // Where the time goes: the same dispute with the email activities answering at once, sending nothing.
    const stubbed = await createWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: 'bench-stubbed',
      workflowBundle: { code },
      dataConverter: data,
      activities: {
        ...createActivities({ mail: mailTo(catcher) }),
        sendEmails: async (batch: EmailBatch) => ({ sent: batch.recipients.map((r) => r.email), rejected: [] }),
        sendEmailsTogether: async (batches: EmailBatch[]) => batches.map((batch) => ({ sent: batch.recipients.map((r) => r.email), rejected: [] })),
      },
    });
    const bare = await Worker.create({ connection: env.nativeConnection, namespace: 'default', taskQueue: 'bench-bare', workflowBundle: { code: bareCode }, dataConverter: data });
    // Rotherham's four stages to the chair's decision, as calendar days (the durations do not matter: time skips).
    const stageMs = [4, 7, 2, 1].map((days) => days * 24 * HOUR);

    const dispute = async (n: number, taskQueue = 'bench') => {
      const now = await env.currentTimeMs();
      const start = buildDisputeStart(
        benchDispute(CONCERN, { policy: policy.id, category: 'abuse', risk: 'standard' }),
        context,
        { disputeId: `bench-${n}-${now}`, now: Date.parse(CONCERN) },
      );
      const offset = Date.parse(CONCERN) - now;
      const before = catcher.messages.length;
      const started = performance.now();
      const handle = await startPreviewDispute(env.client, taskQueue, start, offset);
      await env.sleep(ROTHERHAM_STAGE_4 + HOUR - Date.parse(CONCERN));
      const chair = start.officers[policy.lastStage!.recordedBy.officers[0]!]!.email;
      await handle.executeUpdate(recordOutcome, { args: [{ stage: 4, decision: 'decided', by: chair, agreedActions: 'Benchmark.', safetyMeasuresConfirmed: true }] });
      const record = await handle.result();
      const ms = performance.now() - started;
      if (record.outcome !== 'decided') throw new Error(`the benchmark dispute ended ${record.outcome}`);
      return { ms, emails: catcher.messages.length - before, events: (await handle.fetchHistory()).events?.length ?? 0 };
    };
    const bareRun = async (n: number) => {
      const started = performance.now();
      const handle = await env.client.workflow.start('bareEscalation', { taskQueue: 'bench-bare', workflowId: `bare-${n}-${Date.now()}`, args: [stageMs] });
      await handle.result();
      return { ms: performance.now() - started, events: (await handle.fetchHistory()).events?.length ?? 0 };
    };

    const [ours, withoutEmail, theirs] = await worker.runUntil(() =>
      stubbed.runUntil(() =>
        bare.runUntil(async () => {
          await dispute(0); // warm up: the workers' first tasks load the bundles
          await dispute(100, 'bench-stubbed');
          await bareRun(0);
          const ours = [];
          const withoutEmail = [];
          const theirs = [];
          for (let n = 1; n <= RUNS; n++) {
            ours.push(await dispute(n));
            withoutEmail.push(await dispute(n + 100, 'bench-stubbed'));
            theirs.push(await bareRun(n));
          }
          return [ours, withoutEmail, theirs] as const;
        }),
      ),
    );
    const range = (values: number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms`;
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    return [
      {
        name: `full four-stage escalation, every email to real SMTP (${RUNS} runs)`,
        value: `${range(ours.map((r) => r.ms))} (median ${median(ours.map((r) => r.ms)).toFixed(0)} ms; ${ours[0]!.emails} emails, ${ours[0]!.events} history events)`,
      },
      {
        name: '  the same, the email activities stubbed (nothing sent)',
        value: `${range(withoutEmail.map((r) => r.ms))} (median ${median(withoutEmail.map((r) => r.ms)).toFixed(0)} ms)`,
      },
      {
        name: 'bare Temporal: the same four deadlines as timers',
        value: `${range(theirs.map((r) => r.ms))} (median ${median(theirs.map((r) => r.ms)).toFixed(0)} ms; ${theirs[0]!.events} history events)`,
      },
      { name: 'ratio (medians)', value: `${(median(ours.map((r) => r.ms)) / median(theirs.map((r) => r.ms))).toFixed(1)}×` },
    ];
  } finally {
    await env.teardown();
    await catcher.close();
  }
}

/** The "decided" email to the ten people involved by the end of a Rotherham escalation. */
function decidedBatch(): EmailBatch {
  const recipients = Array.from({ length: 10 }, (_, i) => ({ name: `Person ${i + 1}`, email: `person${i + 1}@rotherham-asc.example.org` }));
  return {
    kind: 'decided',
    sequence: 1,
    recipients,
    facts: {
      disputeId: 'rsab-bench1',
      board: { name: 'Rotherham Safeguarding Adults Board', shortName: 'RSAB' },
      stage: 4,
      stageTitle: 'Stage 4',
      personReference: 'BENCH',
      summary: 'Benchmark dispute.',
      agencies: ['Rotherham ASC (raised the concern)', 'Rotherham NHS'],
      decisionText: 'The panel decided.',
      agreedActions: 'Benchmark.',
      boardOutcome: { name: 'decision', effect: 'binding' },
    },
  };
}

export async function batchBench(): Promise<Row[]> {
  const catcher = await startMailCatcher();
  const settings = mailTo(catcher);
  const batch = decidedBatch();
  try {
    // As it was sent before: a new connection per email, one after another.
    const oneByOne = async () => {
      const transport = mailTransport(settings);
      const started = performance.now();
      for (const recipient of batch.recipients) {
        const email = renderEmail(batch, recipient.name);
        await transport.sendMail({ from: settings.from, to: { name: recipient.name, address: recipient.email }, subject: email.subject, text: email.text, html: email.html, messageId: messageIdFor(batch, recipient.email, settings.messageIdDomain) });
      }
      transport.close();
      return performance.now() - started;
    };
    const activities = createEmailActivities(settings);
    const environment = new MockActivityEnvironment();
    const pooled = async () => {
      const started = performance.now();
      await environment.run(activities.sendEmailsTogether, [batch]);
      return performance.now() - started;
    };
    await pooled(); // the pool's connections are opened once per worker, not per batch
    const ours: number[] = [];
    const before: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await pooled());
      before.push(await oneByOne());
    }
    const range = (values: number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms`;
    activities[releaseMail]();
    return [
      { name: `"decided" batch, 10 recipients: pooled, concurrent (${RUNS} runs)`, value: range(ours) },
      { name: '  the same, a new connection per email, one after another', value: range(before) },
    ];
  } finally {
    await catcher.close();
  }
}

/** The bare workflow's history: four timers, started, completed. */
async function bareHistoryEvents(): Promise<number> {
  installQuietRuntime();
  const data = converter();
  const env = await startTimeSkippingEnv(data);
  try {
    const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./bare-workflows.ts', import.meta.url)), logger: quiet });
    const bare = await Worker.create({ connection: env.nativeConnection, namespace: 'default', taskQueue: 'bench-bare', workflowBundle: { code }, dataConverter: data });
    return await bare.runUntil(async () => {
      const handle = await env.client.workflow.start('bareEscalation', { taskQueue: 'bench-bare', workflowId: `bare-${Date.now()}`, args: [[1, 2, 3, 4].map((days) => days * 24 * HOUR)] });
      await handle.result();
      return (await handle.fetchHistory()).events?.length ?? 0;
    });
  } finally {
    await env.teardown();
  }
}

export async function historyEventsBench(): Promise<Row[]> {
  const context = disputeContext(loadConfig());
  const rows: Row[] = [{ name: 'bare Temporal: a workflow of four timers', value: `${await bareHistoryEvents()}` }];
  for (const policy of context.policies.list()) {
    const preview = await simulate({ policy: policy.id, concernAt: CONCERN, category: 'abuse', risk: 'standard', resolveAtStage: 4 }, context);
    rows.push({ name: `${policy.id}: history events, full escalation`, value: `${preview.historyEvents} (${preview.requested} emails)` });
  }
  return rows;
}
