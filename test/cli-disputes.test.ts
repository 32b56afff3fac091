import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevWorker, type DevWorker } from './support/dev-worker';
import { eventually } from './support/eventually';
import { runCli } from './support/processes';
import { lazyRecordsStore, type LazyRecordsStore } from '../records/lazy';
import { startPostgres, type TestPostgres } from './records/postgres';
import { testKeyRing } from './support/temporal';

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
