import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { buildDisputeStart, DisputeInputError, type NewDispute } from '../../client/disputes';
import { context, contactsAt, officer, twoAgencies, useDisputeKit } from '../support/disputes';
import { decide, expectRejected, plusHours, saveHistory, subjectHas, utc } from './scenarios';

// Issue 13, finding 1: `"concernAt": "1900-01-01T00:00:00Z"` (or 0000-01-01) was accepted and every
// workflow task then timed out, forever, slowing every other dispute; 9999-12-31 failed forever on
// a search attribute; a back-dated concern sent one overdue notice per working day missed at once.
const NOW = Date.parse('2026-11-23T10:00:00Z'); // Mon
const DAY = 86_400_000;

const kit = useDisputeKit();

const input = (concernAt: string): NewDispute => ({
  policy: 'rotherham-rsab',
  concernAt,
  category: 'neglect',
  risk: 'standard',
  agencies: twoAgencies('rotherham'),
  personReference: 'RMBC-000777',
  summary: 'A concern raised long after it arose.',
});

describe('the concern instant at the boundary', () => {
  it.each([
    ['1900-01-01T00:00:00Z', /more than 90 days ago/],
    ['0000-01-01T00:00:00Z', /more than 90 days ago/],
    ['9999-12-31T00:00:00Z', /in the future/],
    [new Date(NOW - 91 * DAY).toISOString(), /more than 90 days ago, the oldest concern RSAB's policy takes/],
    [new Date(NOW + 10 * 60_000).toISOString(), /in the future/],
  ])('%s is refused, naming concernAt', (concernAt, message) => {
    let error: unknown;
    try {
      buildDisputeStart(input(concernAt), context, { now: NOW });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DisputeInputError);
    expect((error as DisputeInputError).field).toBe('concernAt');
    expect((error as DisputeInputError).message).toMatch(/^concernAt: /);
    expect((error as DisputeInputError).message).toMatch(message);
  });

  it('takes a concern from 89 days ago, and one a little ahead of our clock (skew)', () => {
    for (const concernAt of [new Date(NOW - 89 * DAY).toISOString(), new Date(NOW + 2 * 60_000).toISOString()]) {
      expect(buildDisputeStart(input(concernAt), context, { now: NOW }).concernAt).toBe(concernAt);
    }
  });
});

describe('the workflow, given a start the boundary would refuse', () => {
  // A starter with Temporal access can skip the boundary: the workflow itself must fail such a
  // start at once, never retry its task.
  it.each([
    ['1900-01-01T00:00:00Z', /concernAt: expected an instant from 2000-01-01 to 2100-01-01/],
    ['0000-01-01T00:00:00Z', /concernAt: expected an instant from 2000-01-01 to 2100-01-01/],
    ['9999-12-31T00:00:00Z', /concernAt: expected an instant from 2000-01-01 to 2100-01-01/],
    // In range, but its deadlines are not: the calendar refuses, and the dispute fails for good.
    ['2099-12-31T00:00:00Z', /outside the calendar's range/],
  ])('%s fails the dispute, non-retryably, on its first task', async (concernAt, message) => {
    const start = { ...buildDisputeStart(input(new Date().toISOString()), context, { disputeId: `bounds-${Math.random().toString(36).slice(2, 10)}` }), concernAt };
    const began = Date.now();
    const handle = await kit.env.client.workflow.start('dispute', { taskQueue: kit.taskQueue, workflowId: start.disputeId, args: [start] });
    const error = await handle.result().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect(cause!.message).toMatch(message);
    expect(Date.now() - began).toBeLessThan(5_000); // a looping task times out after 5 s and retries forever
    const history = await handle.fetchHistory();
    const taskFailures = history.events?.filter((event) => event.workflowTaskFailedEventAttributes) ?? [];
    expect(taskFailures).toEqual([]);
  });
});

describe('an earlier review date', () => {
  it('of 9999-12-31 is refused, and the dispute is unchanged: no deadline a search attribute cannot hold', async () => {
    const concernAt = '2026-03-27T10:30:00Z';
    const dispute = await kit.start(input(concernAt));
    await dispute.at(plusHours(concernAt, 1));
    await expectRejected(decide(dispute, 1, 'unresolved', { reviewBy: '9999-12-31T00:00:00Z' }), 'InvalidPayload', /reviewBy: expected an instant before 2100-01-01/);
    const state = await dispute.state();
    expect(state.stage).toBe(1);
    expect(state.events.some((event) => event.type === 'outcome')).toBe(false);
  });
});

describe('a dispute started late', () => {
  // Rotherham: stage 4 concludes 10 working days after the concern (Mon 21 Sep 2026 10:30 BST), then
  // an overdue notice every working day at 10:30 London time. Registered 77 days later, it owes 45.
  const CONCERN = '2026-09-07T10:30:00+01:00'; // Mon
  const STARTED = '2026-11-23T10:00:00Z'; // Mon
  const LATEST_DUE = '2026-11-20T10:30:00Z'; // Fri, GMT
  const NEXT_DUE = '2026-11-23T10:30:00Z'; // Mon

  it('sends one overdue notice for the current moment and one reminder, never a backlog; then the usual cadence', async () => {
    const dispute = await kit.start(input(CONCERN), { startedAt: STARTED });
    await dispute.at(plusHours(STARTED, 0.25));
    const state = await dispute.state();
    expect(state.stage).toBe(4);
    const overdue = await dispute.events('overdue');
    expect(overdue.map((event) => [event.stage, event.at])).toEqual([[4, utc(LATEST_DUE)]]);
    expect((await dispute.events('reminder')).map((event) => event.stage)).toEqual([4]);
    const overdueMail = async (count: number) => {
      const deadline = Date.now() + 10_000;
      while (dispute.mail().filter(subjectHas('stage 4: overdue')).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return dispute.mail().filter(subjectHas('stage 4: overdue'));
    };
    const recipients = [...contactsAt('rotherham', 'asc', 4), ...contactsAt('rotherham', 'nhs', 4), officer('rotherham-rsab', 'chair'), officer('rotherham-rsab', 'board-manager')];
    const first = await overdueMail(recipients.length);
    expect(first.flatMap((mail) => mail.envelopeTo).sort()).toEqual([...new Set(recipients)].sort());
    // Every email of the catch-up: the stage entries, one reminder, one overdue notice; not 45 notices.
    expect(dispute.mail().length).toBeLessThan(30);

    await dispute.at(plusHours(NEXT_DUE, 1));
    expect((await dispute.events('overdue')).map((event) => event.at)).toEqual([utc(LATEST_DUE), utc(NEXT_DUE)]);
    expect(await overdueMail(2 * recipients.length)).toHaveLength(2 * recipients.length);
    await saveHistory(dispute, 'rotherham-started-late');
  });
});
