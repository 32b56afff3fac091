import { describe, expect, it } from 'vitest';
import { Rejection, RejectionType } from '../../workflows/dispute/procedure';
import { drive, partyAt, T0, type Board } from './kit';

// The procedure's timescales, per board, without a server: the same instants the time-skipping
// tests prove end to end (test/workflow/<board>.test.ts), written out by hand from the calendar.
const utc = (instant: string) => new Date(instant).toISOString();

const nobodyDecides: { board: Board; entries: [number, string][]; overdue: string[] }[] = [
  {
    board: 'rotherham',
    entries: [[1, T0], [2, '2026-03-31T10:30+01:00'], [3, '2026-04-07T10:30+01:00'], [4, '2026-04-09T10:30+01:00']],
    overdue: ['2026-04-14T10:30+01:00', '2026-04-15T10:30+01:00'],
  },
  {
    board: 'cheshire',
    entries: [[1, T0], [2, '2026-03-30T00:00+01:00'], [3, '2026-04-05T00:00+01:00'], [4, '2026-04-12T00:00+01:00']],
    overdue: ['2026-04-10T00:00+01:00', '2026-04-17T00:00+01:00', '2026-04-20T00:00+01:00'],
  },
  {
    board: 'leeds',
    entries: [[1, T0], [2, '2026-04-07T10:30+01:00'], [3, '2026-04-14T10:30+01:00'], [4, '2026-04-21T10:30+01:00']],
    overdue: ['2026-04-28T10:30+01:00', '2026-04-29T10:30+01:00'],
  },
  {
    board: 'norfolk',
    entries: [[1, T0], [2, '2026-04-07T10:30+01:00'], [3, '2026-04-14T10:30+01:00'], [4, '2026-04-21T10:30+01:00']],
    overdue: ['2026-04-28T10:30+01:00', '2026-04-29T10:30+01:00'],
  },
  {
    board: 'northSomerset',
    entries: [[1, T0], [2, '2026-03-30T10:30+01:00'], [3, '2026-03-31T10:30+01:00'], [4, '2026-04-01T10:30+01:00']],
    overdue: ['2026-04-07T10:30+01:00', '2026-04-08T10:30+01:00'],
  },
];

describe.each(nobodyDecides)('$board: nobody decides', ({ board, entries, overdue }) => {
  it('enters each stage at its deadline, then sends overdue notices each working day', () => {
    const dispute = drive(board);
    dispute.until(Date.parse(overdue.at(-1)!) + 3_600_000);
    expect(dispute.entries()).toEqual(entries.map(([stage, at]) => [stage, utc(at)]));
    const notices = dispute.procedure.state.events.filter((event) => event.type === 'overdue');
    expect(notices.slice(0, overdue.length).map((event) => event.at)).toEqual(overdue.map(utc));
    expect(dispute.procedure.state.status).toBe('open');
  });

  it('escalates at once on "unresolved", and stays open at the last stage', () => {
    const dispute = drive(board);
    const agencies = dispute.start.parties.map((party) => party.agency.id);
    for (const stage of [1, 2, 3]) {
      dispute.hours(1);
      const accepted = dispute.send('recordOutcome', { stage, decision: 'unresolved', by: partyAt(agencies[1]!, stage, 'robin.other@' + agencies[1] + '.example.org'), reason: 'No agreement.' });
      expect(accepted.stage).toBe(stage + 1);
    }
  });
});

describe('refusals change nothing', () => {
  it.each([
    [{ stage: 2, decision: 'unresolved', by: 'robin.other@rotherham-nhs.example.org', reason: 'x' }, RejectionType.staleStage, /stage 2 is not current/],
    [{ stage: 1, decision: 'unresolved', by: 'someone@elsewhere.example.org', reason: 'x' }, RejectionType.notAParty, /not a party of stage 1/],
    [{ stage: 1, decision: 'resolved', by: 'robin.other@rotherham-nhs.example.org' }, RejectionType.invalidPayload, /agreedActions/],
  ])('%o is refused as %s', (payload, type, reason) => {
    const dispute = drive('rotherham');
    const before = JSON.stringify(dispute.procedure.state);
    let error: unknown;
    try {
      dispute.send('recordOutcome', payload);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Rejection);
    expect((error as Rejection).type).toBe(type);
    expect((error as Rejection).message).toMatch(reason);
    expect(JSON.stringify(dispute.procedure.state)).toBe(before);
  });
});

describe('imminent risk, per board', () => {
  it.each([
    ['rotherham', [3]],
    ['northSomerset', [2]],
    ['cheshire', [1]],
    ['leeds', [1]],
    ['norfolk', [1]],
  ] as [Board, number[]][])('%s: a dispute started at imminent risk starts at stage %o', (board, stages) => {
    const dispute = drive(board, { risk: 'imminent' });
    expect(dispute.entries().map(([stage]) => stage)).toEqual(stages);
  });
});
