import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { expect } from 'vitest';
import { recordOutcome } from '../../workflows/dispute/messages';
import type { DisputeEvent } from '../../workflows/dispute/model';
import type { CaughtMail } from '../support/smtp-sink';
import type { DisputeKit, RunningDispute } from '../support/disputes';
import type { NewDispute } from '../../client/disputes';

// Scenarios every policy goes through, driven by expected instants that each policy's test file
// writes out by hand.

const HOUR = 3_600_000;
export const plusHours = (instant: string, hours: number) => new Date(Date.parse(instant) + hours * HOUR).toISOString();
export const utc = (instant: string) => new Date(instant).toISOString();
/** Human actions happen at the test's chosen instant plus the milliseconds a real call takes. */
export const toMinute = (instant: string) => utc(instant).slice(0, 16);

export async function enteredStages(dispute: RunningDispute): Promise<[number, string][]> {
  return (await dispute.events('stage-entered')).map((event) => [event.stage, event.at]);
}

/** Waits (in real time) until the sink holds mail matching `match`, for at most 10 s. */
export async function mailMatching(dispute: RunningDispute, match: (mail: CaughtMail) => boolean, count = 1): Promise<CaughtMail[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = dispute.mail().filter(match);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const subjectHas = (text: string) => (mail: CaughtMail) => mail.subject.includes(text);

/** The recipients of mail whose subject includes `text`. */
export async function recipientsOf(dispute: RunningDispute, text: string, expected: number): Promise<string[]> {
  const mails = await mailMatching(dispute, subjectHas(text), expected);
  return mails.flatMap((mail) => mail.envelopeTo).sort();
}

export function partyOf(dispute: RunningDispute, stage: number): string {
  const party = dispute.start.parties[1]!;
  if (stage === 1) return party.practitioner.email;
  return party.agency.tiers.find((tier) => tier.stage === stage)!.contacts[0]!.email;
}

/** The board's officer who records the last stage's outcome, as the dispute's policy names. */
export function boardOfficer(dispute: RunningDispute): string {
  const { policy, officers } = dispute.start;
  return officers[policy.lastStage!.recordedBy.officers[0]!]!.email;
}

export async function decide(dispute: RunningDispute, stage: number, decision: 'resolved' | 'unresolved' | 'decided', extra: Record<string, unknown> = {}) {
  return dispute.handle.executeUpdate(recordOutcome, {
    args: [
      {
        stage,
        decision,
        by: typeof extra.by === 'string' ? extra.by : partyOf(dispute, stage),
        ...(decision === 'unresolved' ? { reason: `No agreement at stage ${stage}.` } : { agreedActions: `Agreed at stage ${stage}: review the care plan by Friday.` }),
        ...extra,
      },
    ],
  });
}

export interface TimelineExpectations {
  /** [stage, instant] of every stage entry when nobody decides. */
  entries: [number, string][];
  /** The first overdue notices at the last stage. */
  overdue: string[];
}

/** Nobody decides: every stage is entered exactly at its deadline; then overdue notices. */
export async function nobodyDecides(kit: DisputeKit, input: NewDispute, expected: TimelineExpectations): Promise<RunningDispute> {
  const dispute = await kit.start(input);
  const lastOverdue = expected.overdue[expected.overdue.length - 1]!;
  await dispute.at(plusHours(lastOverdue, 1));
  expect(await enteredStages(dispute)).toEqual(expected.entries.map(([stage, at]) => [stage, utc(at)]));
  expect((await dispute.events('overdue')).slice(0, expected.overdue.length).map((event) => event.at)).toEqual(expected.overdue.map(utc));
  expect((await dispute.state()).status).toBe('open');
  return dispute;
}

/**
 * Resolved at each stage: one dispute per stage, each resolved an hour after that stage is entered.
 * They run side by side on one clock.
 */
export async function resolvedAtEachStage(kit: DisputeKit, input: NewDispute, entries: [number, string][]) {
  const disputes = [];
  for (const _ of entries) disputes.push(await kit.start(input));
  for (const [index, [stage, at]] of entries.entries()) {
    const dispute = disputes[index]!;
    await dispute.at(plusHours(at, 1));
    const isLast = index === entries.length - 1;
    // The last stage's outcome is the board's, recorded by its officer.
    const accepted = await decide(dispute, stage, isLast ? 'decided' : 'resolved', { safetyMeasuresConfirmed: true, ...(isLast ? { by: boardOfficer(dispute) } : {}) });
    expect(accepted.status).toBe(isLast ? 'decided' : 'resolved');
  }
  // One at a time: concurrent result() calls unbalance the test server's time-skipping lock.
  const records = [];
  for (const dispute of disputes) records.push(await dispute.handle.result());
  records.forEach((record, index) => {
    const [stage, at] = entries[index]!;
    expect(record.outcome).toBe(index === entries.length - 1 ? 'decided' : 'resolved');
    expect(record.endedAtStage).toBe(stage);
    expect(toMinute(record.closedAt)).toBe(toMinute(plusHours(at, 1)));
    expect(record.agreedActions).toBe(`Agreed at stage ${stage}: review the care plan by Friday.`);
    expect(record.events.at(-1)?.type === 'closed' || record.events.some((e) => e.type === 'closed')).toBe(true);
  });
  return { disputes, records };
}

/** Unresolved pressed an hour into each stage: each next stage is entered at once. */
export async function unresolvedEarly(kit: DisputeKit, input: NewDispute, stages: number[]) {
  const dispute = await kit.start(input);
  const start = input.concernAt;
  for (const [index, stage] of stages.slice(0, -1).entries()) {
    await dispute.at(plusHours(start, index + 1));
    const accepted = await decide(dispute, stage, 'unresolved');
    expect(accepted.stage).toBe(stages[index + 1]);
  }
  const entries = (await enteredStages(dispute)).map(([stage, at]) => [stage, toMinute(at)]);
  expect(entries).toEqual(stages.map((stage, index) => [stage, toMinute(plusHours(start, index))]));
  return dispute;
}

/** Expects an update to be rejected with this failure type and a message matching `reason`. */
export async function expectRejected(promise: Promise<unknown>, type: string, reason: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause as { type?: string; message: string };
  expect(cause.type).toBe(type);
  expect(cause.message).toMatch(reason);
}

/**
 * Saves a dispute's history, for the replay test (`RECORD_HISTORIES=1` writes the fixtures). A
 * fixture already recorded is never overwritten: it stands for disputes running on older code.
 */
export async function saveHistory(dispute: RunningDispute, name: string): Promise<void> {
  const history = await dispute.handle.fetchHistory();
  const fixture = `test/fixtures/histories/${name}.history.bin`;
  const dir = process.env.RECORD_HISTORIES && !existsSync(fixture) ? 'test/fixtures/histories' : '.cache/histories';
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${name}.history.bin`, proto.temporal.api.history.v1.History.encode(history).finish());
}

export type { DisputeEvent };
