import { describe, expect, it } from 'vitest';
import { raiseRisk } from '../../workflows/dispute/messages';
import { contactsAt, officer, twoAgencies, concernWith, useDisputeKit } from '../support/disputes';
import { decide, enteredStages, mailMatching, nobodyDecides, plusHours, recipientsOf, resolvedAtEachStage, saveHistory, toMinute, unresolvedEarly, utc } from './scenarios';

// North Somerset: cumulative from the outset — 1, 2, 3, 5 working days.
const BOARD = 'nsomerset';
const T0 = '2026-03-27T10:30:00Z'; // Fri, GMT; clocks go forward Sun 29 Mar; Easter 3–6 Apr

const ENTRIES: [number, string][] = [
  [1, T0],
  [2, '2026-03-30T10:30+01:00'], // 1 working day: Mon 30 Mar, same London clock time
  [3, '2026-03-31T10:30+01:00'], // 2 working days
  [4, '2026-04-01T10:30+01:00'], // 3 working days
];
const OVERDUE = ['2026-04-07T10:30+01:00', '2026-04-08T10:30+01:00']; // 5 working days (Thu 2, then Tue 7 after Easter), then daily

const kit = useDisputeKit();

const concern = concernWith({
  policy: 'north-somerset-nssab',
  concernAt: T0,
  category: 'self-neglect' as const,
  risk: 'standard' as const,
  agencies: twoAgencies(BOARD, 'asc', 'police'),
  personReference: 'NSC-44821',
  summary: 'Police and adult social care disagree on whether a welfare check is enough.',
});

describe('North Somerset', () => {
  it('nobody decides: each stage at its cumulative deadline; the Monitoring Form goes out at stages 3 and 4', async () => {
    const dispute = await nobodyDecides(kit, concern(), { entries: ENTRIES, overdue: OVERDUE });
    for (const stage of [2, 3, 4]) {
      const expected = [...contactsAt(BOARD, 'asc', stage), ...contactsAt(BOARD, 'police', stage)].sort();
      expect(await recipientsOf(dispute, `stage ${stage}: your decision is needed`, 2)).toEqual(expected);
    }
    const qaLead = officer('north-somerset-nssab', 'qa-lead');
    const forms = await mailMatching(dispute, (mail) => mail.envelopeTo.includes(qaLead) && mail.text.includes('Monitoring Form'), 2);
    expect(forms.map((mail) => mail.subject.match(/stage (\d)/)![1]).sort()).toEqual(['3', '4']);
    expect(forms[0]!.text).toContain('Stage at which resolution achieved');
    const representatives = await mailMatching(dispute, (mail) => mail.envelopeTo.includes('board-rep@nsomerset-police.example.org') && mail.text.includes('Monitoring Form'));
    expect(representatives.length).toBeGreaterThan(0);
    const [stage4] = await mailMatching(dispute, (mail) => mail.subject.includes('stage 4: your decision is needed'));
    expect(stage4!.text).toContain('Stage 4 must be concluded by Tue 7 Apr 2026 10:30 BST.');
    await saveHistory(dispute, 'north-somerset-nobody-decides');
  });

  it('resolved at each stage, the record carrying the Monitoring Form', async () => {
    const { records } = await resolvedAtEachStage(kit, concern(), ENTRIES);
    expect(records.map((record) => record.endedAtStage)).toEqual([1, 2, 3, 4]);
    const form = records[3]!.form!;
    expect(form.name).toBe('Monitoring Form');
    expect(form.fields.find((field) => field.id === 'stage-resolved')?.value).toBe('4');
    // Fri 10:30 GMT to Wed 11:30 BST: 5 days of real time exactly, the clock change having taken an hour.
    expect(form.fields.find((field) => field.id === 'time-taken')?.value).toBe('3.04 working days (5 calendar days)');
    expect(form.fields.find((field) => field.id === 'initiating-manager')?.value).toContain('Adult Social Care');
  });

  it('unresolved pressed early at each stage escalates at once', async () => {
    const dispute = await unresolvedEarly(kit, concern(), [1, 2, 3, 4]);
    expect((await dispute.state()).deadlines.concludeBy).toBe(utc(OVERDUE[0]!));
  });

  it('imminent risk at the start: stage 2 at once, or the stage the raiser chooses', async () => {
    const next = await kit.start(concern({ risk: 'imminent' }));
    const chosen = await kit.start(concern({ risk: 'imminent', startStage: 3 }));
    await next.at(plusHours(T0, 1));
    expect(await enteredStages(next)).toEqual([[2, utc(T0)]]);
    expect(await enteredStages(chosen)).toEqual([[3, utc(T0)]]);
    expect((await chosen.state()).deadlines.concludeBy).toBe(utc(ENTRIES[3]![1]));
  });

  it('imminent risk raised on an open dispute moves it to the next stage at once', async () => {
    const dispute = await kit.start(concern());
    await dispute.at(plusHours(T0, 1));
    await dispute.handle.executeUpdate(raiseRisk, { args: [{ risk: 'imminent', by: 'robin.other@nsomerset-police.example.org', reason: 'Threats of violence reported.' }] });
    expect((await enteredStages(dispute)).map(([stage, at]) => [stage, toMinute(at)])).toEqual([
      [1, toMinute(T0)],
      [2, toMinute(plusHours(T0, 1))],
    ]);
    await decide(dispute, 2, 'resolved');
    expect((await dispute.handle.result()).outcome).toBe('resolved');
  });
});
