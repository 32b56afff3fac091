import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { eventually } from './support/eventually';
import { runCli } from './support/processes';
import { lazyRecordsStore, type LazyRecordsStore } from '../records/lazy';
import { startPostgres, type TestPostgres } from './records/postgres';
import { testKeyRing } from './support/temporal';
import { buildDisputeStart, startDispute, type NewDispute } from '../client/disputes';
import { act, readDispute, type Disputes } from '../client/operations';
import { contactsAt, officer, realClockContext, twoAgencies } from './support/disputes';

// The operators' commands as a person runs them, against a real dev server and worker. The records
// store is a real PostgreSQL: the worker writes to it, the CLI (another process) lists from it.
let dev: DevWorker;
let postgres: TestPostgres;
let store: LazyRecordsStore;
let databaseUrl: string;

beforeAll(async () => {
  postgres = await startPostgres();
  databaseUrl = await postgres.database();
  store = lazyRecordsStore({ databaseUrl }, { keyRing: testKeyRing });
  dev = await startDevWorker({ records: store.get });
});

afterAll(async () => {
  await dev?.close();
  await store?.close();
  await postgres?.destroy();
});

const dispute = (...args: string[]) => runCli(args, { TEMPORAL_ADDRESS: dev.env.address, TEMPORAL_NAMESPACE: dev.env.namespace, TEMPORAL_TASK_QUEUE: dev.taskQueue, DATABASE_URL: databaseUrl });

const OTHER = 'robin.other@norfolk-asc.example.org';

describe('dispute start | show | list | outcome | risk | withdraw | note', () => {
  it('starts a dispute, shows it in London time, moves it on, and lists it', async () => {
    // Real time on the dev server: the concern is now, so every deadline is ahead.
    const now = new Date().toISOString();
    const started = await dispute(
      'start', '--policy', 'norfolk-nsab', '--concern-at', now, '--category', 'abuse',
      '--agency', 'norfolk-gp:Pat Raiser:pat.raiser@norfolk-gp.example.org', '--agency', `norfolk-asc:Robin Other:${OTHER}`,
      '--reference', 'NCC-CLI-1', '--summary', 'A GP challenges a closed referral.', '--json',
    );
    expect(started.stderr).toBe('');
    const { disputeId } = JSON.parse(started.stdout) as { disputeId: string };
    expect(disputeId).toMatch(/^nsab-/);

    const shown = await dispute('show', disputeId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${disputeId} — norfolk-nsab`);
    expect(shown.stdout).toContain('open at stage 1');
    // A deadline is 00:00 London of the day after its last working day, so it can read Saturday (started on a Sunday: CI failed on it).
    expect(shown.stdout).toMatch(/concluded by {2}(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} \w{3} \d{4} \d\d:\d\d (GMT|BST)\n/);
    expect(shown.stdout).toMatch(/timeline:\n {2}\w{3} \d{1,2} \w{3} \d{4} \d\d:\d\d (GMT|BST) +stage 1 {2}started/);

    const unresolved = await dispute('outcome', disputeId, 'unresolved', '--by', OTHER, '--reason', 'No agreement on the enquiry.', '--json');
    expect(JSON.parse(unresolved.stdout)).toMatchObject({ status: 'open', stage: 2 });
    const note = await dispute('note', disputeId, '--by', OTHER, '--text', 'Called the practice.');
    expect(note.stdout).toMatch(/^accepted: .* is open at stage 2/);
    const risk = await dispute('risk', disputeId, 'high', '--by', OTHER, '--reason', 'Further concerns.', '--json');
    expect(JSON.parse(risk.stdout).stage).toBe(2);

    const stale = await dispute('outcome', disputeId, 'resolved', '--stage', '1', '--by', OTHER, '--actions', 'x');
    expect(stale.code).toBe(2);
    expect(stale.stderr.trim()).toBe('dispute: conflict: stage 1 is not current: the dispute is at stage 2');

    const listIds = async () => {
      const result = await dispute('list', '--board', 'norfolk-nsab', '--stage', '2', '--json');
      return (JSON.parse(result.stdout) as { disputes: { disputeId: string }[] }).disputes.map((d) => d.disputeId);
    };
    const listed = await eventually(listIds, (ids) => ids.includes(disputeId));
    expect(listed).toContain(disputeId);
    const table = await dispute('list', '--agency', 'norfolk-gp');
    expect(table.stdout).toMatch(new RegExp(`${disputeId} +norfolk-nsab +stage 2 +open +high`));

    const withdrawn = await dispute('withdraw', disputeId, '--by', 'pat.raiser@norfolk-gp.example.org', '--reason', 'Agreed outside the procedure.', '--json');
    expect(JSON.parse(withdrawn.stdout).status).toBe('withdrawn');
  }, 90_000);

  it('bad input and unknown disputes: one line on stderr, exit code 2', async () => {
    const unknown = await dispute('show', 'nsab-nothere');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe("dispute: not-found: no dispute 'nsab-nothere'");
    const badAgency = await dispute('start', '--policy', 'norfolk-nsab', '--concern-at', '2026-11-23T10:30', '--category', 'abuse', '--agency', 'norfolk-gp', '--reference', 'x', '--summary', 'y');
    expect(badAgency.code).toBe(2);
    expect(badAgency.stderr).toMatch(/^dispute: --agency: expected <agencyId>:<practitioner name>:<email>/);
    const badStage = await dispute('list', '--stage', 'two');
    expect(badStage.code).toBe(2);
    expect(badStage.stderr).toMatch(/^dispute: --stage: /);
  }, 60_000);
});

describe('dispute answer | rationale', () => {
  const disputes = (): Disputes => ({ client: dev.env.client, taskQueue: dev.taskQueue, context: realClockContext });
  async function started(input: Omit<NewDispute, 'concernAt'>): Promise<string> {
    const start = buildDisputeStart({ ...input, concernAt: new Date().toISOString() } as NewDispute, realClockContext);
    await startDispute(dev.env.client, dev.taskQueue, start);
    return start.disputeId;
  }

  it('answer: North Somerset’s question after the board decided, as the API takes it; a choice the question does not offer is refused', async () => {
    const disputeId = await started({ policy: 'north-somerset-nssab', category: 'neglect', risk: 'imminent', startStage: 4, agencies: twoAgencies('nsomerset'), personReference: 'NS-CLI-1', summary: 'To the panel.' });
    const qaLead = officer('north-somerset-nssab', 'qa-lead');
    await act(disputes(), disputeId, 'convene', { by: 'board-rep@nsomerset-asc.example.org', route: 'panel' });
    await act(disputes(), disputeId, 'convene', { by: qaLead, members: [{ name: 'Panel One', email: 'panel.one@nsomerset-police.example.org' }] });
    await act(disputes(), disputeId, 'recordOutcome', { stage: 4, decision: 'decided', by: qaLead, agreedActions: 'A joint review.', rationale: 'The panel heard both.' });
    const raiser = 'pat.raiser@nsomerset-asc.example.org';

    const wrongChoice = await dispute('answer', disputeId, '--by', raiser, '--field', 'effectiveness', '--choice', 'Brilliant');
    expect(wrongChoice.code).toBe(2);
    // The dispute's own refusal, naming the field as the flag names it.
    expect(wrongChoice.stderr).toMatch(/^dispute: invalid: choice: expected one of .*Partly effective.*\n$/);

    const answered = await dispute('answer', disputeId, '--by', raiser, '--field', 'effectiveness', '--choice', 'Partly effective', '--comment', 'Convene sooner.');
    expect(answered.stderr).toBe('');
    expect(answered.code).toBe(0);
    expect(answered.stdout).toMatch(new RegExp(`^accepted: ${disputeId} is decided at stage 4`));
    const view = await readDispute(disputes(), disputeId);
    expect(view.events).toContainEqual(expect.objectContaining({ type: 'question-answered', by: raiser, field: 'effectiveness', choice: 'Partly effective', comment: 'Convene sooner.' }));
  }, 90_000);

  it('rationale: a Leeds organisation’s own decision and rationale at stage 3 closes the dispute once both are in', async () => {
    const disputeId = await started({ policy: 'leeds-sab', category: 'other', risk: 'standard', agencies: twoAgencies('leeds', 'vcs', 'asc'), personReference: 'LCC-CLI-1', summary: 'A closed referral.' });
    const unresolved = (stage: number, by: string, extra: Record<string, unknown> = {}) => act(disputes(), disputeId, 'recordOutcome', { stage, decision: 'unresolved', by, reason: `No agreement at stage ${stage}.`, ...extra });
    await unresolved(1, 'robin.other@leeds-asc.example.org');
    await unresolved(2, contactsAt('leeds', 'asc', 2)[0]!);
    await unresolved(3, contactsAt('leeds', 'asc', 3)[0]!, { organisations: [{ agencyId: 'leeds-asc', decision: 'The closure stands.', rationale: 'Threshold not met.' }] });
    const vcs = contactsAt('leeds', 'vcs', 3)[0]!;

    const stranger = await dispute('rationale', disputeId, '--by', 'nobody@leeds-vcs.example.org', '--decision', 'Reopen.', '--rationale', 'New disclosures.');
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toMatch(/^dispute: forbidden: .*nobody@leeds-vcs\.example\.org.*\n$/);

    const recorded = await dispute('rationale', disputeId, '--by', vcs, '--decision', 'The referral should be reopened.', '--rationale', 'New disclosures since closure.', '--json');
    expect(recorded.stderr).toBe('');
    expect(JSON.parse(recorded.stdout)).toMatchObject({ status: 'unresolved' });
    const view = await readDispute(disputes(), disputeId);
    expect(view.events).toContainEqual(expect.objectContaining({ type: 'organisation-decision', by: vcs, agencyId: 'leeds-vcs', decision: 'The referral should be reopened.', rationale: 'New disclosures since closure.' }));
  }, 90_000);

  it('bad input: one line on stderr naming the flag, exit 2, before anything connects', async () => {
    const nowhere = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const cases: [string[], RegExp][] = [
      [['answer', 'nssab-x', '--by', 'a@example.org', '--field', 'effectiveness'], /^dispute: --choice is needed\n$/],
      [['answer', 'nssab-x', '--by', 'a@example.org', '--field', 'Effective ness', '--choice', 'Effective'], /^dispute: --field: expected a field id such as "effectiveness"\n$/],
      [['answer', 'nssab-x', '--by', 'not an address', '--field', 'effectiveness', '--choice', 'Effective'], /^dispute: --by: .+\n$/],
      [['answer', 'nssab-x', '--by', 'a@example.org', '--field', 'effectiveness', '--choice', 'x'.repeat(81)], /^dispute: --choice: .+\n$/],
      [['rationale', 'leeds-sab-x', '--by', 'a@example.org', '--decision', 'Reopen.'], /^dispute: --rationale is needed\n$/],
      [['rationale', 'leeds-sab-x', '--by', 'a@example.org', '--decision', 'Reopen.', '--rationale', 'x'.repeat(4001)], /^dispute: --rationale: .+\n$/],
      [['rationale', 'leeds-sab-x', '--by', 'a@example.org', '--decision', 'Reopen.', '--rationale', 'Why.', '--choice', 'x'], /^dispute: unknown option '--choice'\n$/],
    ];
    for (const [args, expected] of cases) {
      const result = await dispute(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stdout, args.join(' ')).toBe('');
      expect(result.stderr, args.join(' ')).toMatch(expected);
    }
    // And where nothing listens: refused before connecting, not "cannot reach Temporal".
    const offline = await runCli(['answer', 'nssab-x', '--by', 'a@example.org', '--field', 'effectiveness'], nowhere);
    expect(offline.stderr).toBe('dispute: --choice is needed\n');
  }, 90_000);
});
