import { describe, expect, it } from 'vitest';
import { answerForm, raiseRisk, RejectionType } from '../../workflows/dispute/messages';
import { formQuestion } from '../../workflows/dispute/record';
import { contactsAt, officer, twoAgencies, concernWith, useDisputeKit } from '../support/disputes';
import { decide, enteredStages, expectRejected, mailMatching, nobodyDecides, plusHours, recipientsOf, resolvedAtEachStage, saveHistory, subjectHas, toMinute, unresolvedEarly, utc } from './scenarios';

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
  it('nobody decides: each stage at its cumulative deadline; line managers told at stage 1; stage 4 to each agency’s board representative, with the Monitoring Form to the QA lead', async () => {
    const dispute = await nobodyDecides(kit, concern(), { entries: ENTRIES, overdue: OVERDUE });
    for (const stage of [2, 3]) {
      const expected = [...contactsAt(BOARD, 'asc', stage), ...contactsAt(BOARD, 'police', stage)].sort();
      expect(await recipientsOf(dispute, `stage ${stage}: your decision is needed`, 2)).toEqual(expected);
    }
    // Stage 1 includes line manager to line manager within the working day.
    const lineManagers = await mailMatching(dispute, (mail) => mail.subject.includes('stage 1: notice to the board'), 2);
    expect(lineManagers.flatMap((mail) => mail.envelopeTo).sort()).toEqual([...contactsAt(BOARD, 'asc', 2), ...contactsAt(BOARD, 'police', 2)].sort());
    expect(lineManagers[0]!.text).toContain('line manager to line manager');
    // Stage 4 goes to each agency's nominated board representative, who is asked for a representation.
    expect(await recipientsOf(dispute, 'stage 4: your written representation', 2)).toEqual(['board-rep@nsomerset-asc.example.org', 'board-rep@nsomerset-police.example.org']);
    const qaLead = officer('north-somerset-nssab', 'qa-lead');
    const forms = await mailMatching(dispute, (mail) => mail.envelopeTo.includes(qaLead) && mail.text.includes('Monitoring Form'));
    expect(forms.map((mail) => mail.subject.match(/stage (\d)/)![1])).toEqual(['4']);
    expect(forms[0]!.text).toContain('contact must be made immediately');
    const [stage4] = await mailMatching(dispute, (mail) => mail.subject.includes('stage 4: your written representation'));
    expect(stage4!.text).toContain('Stage 4 must be concluded by Tue 7 Apr 2026 10:30 BST.');
    await saveHistory(dispute, 'north-somerset-board-stage-nobody-decides');
  });

  it('resolved at each stage: the completed Monitoring Form goes, after resolution, to each board representative, the QA lead and the board manager', async () => {
    const { disputes, records } = await resolvedAtEachStage(kit, concern(), ENTRIES);
    expect(records.map((record) => record.endedAtStage)).toEqual([1, 2, 3, 4]);
    const form = records[3]!.form!;
    expect(form.name).toBe('Monitoring Form');
    expect(form.fields.find((field) => field.id === 'stage-resolved')?.value).toBe('4');
    // Fri 10:30 GMT to Wed 11:30 BST: 5 days of real time exactly, the clock change having taken an hour.
    expect(form.fields.find((field) => field.id === 'time-taken')?.value).toBe('3.04 working days (5 calendar days)');
    expect(form.fields.find((field) => field.id === 'initiating-manager')?.value).toContain('Adult Social Care');
    const representatives = ['board-rep@nsomerset-asc.example.org', 'board-rep@nsomerset-police.example.org'];
    const sendTo = [...representatives, officer('north-somerset-nssab', 'qa-lead'), officer('north-somerset-nssab', 'board-manager')].sort();
    for (const [index, stage] of [[2, 3], [3, 4]] as const) {
      const completed = await mailMatching(disputes[index]!, (mail) => mail.text.includes('The completed Monitoring Form'), 4);
      expect(completed.flatMap((mail) => mail.envelopeTo).sort()).toEqual(sendTo);
      expect(completed[0]!.text).toContain(`- Stage at which Resolution achieved: ${stage}`);
      expect(completed[0]!.text).toMatch(/- Time taken to reach resolution \(no\. of Days\): \d/);
    }
    // Below stage 3 the form is not used.
    expect(disputes[1]!.mail().some((mail) => mail.text.includes('The completed Monitoring Form'))).toBe(false);
    // The general issues go to the board representatives for learning, and a debrief is suggested.
    expect((await mailMatching(disputes[0]!, (mail) => mail.text.includes('general safeguarding issues'), 2)).flatMap((mail) => mail.envelopeTo).sort()).toEqual(representatives);
    expect((await mailMatching(disputes[0]!, subjectHas('a debrief'), 2)).length).toBe(2);
    await saveHistory(disputes[3]!, 'north-somerset-board-stage-decided-at-4');
  });

  it('the effectiveness question: asked of the raising practitioner on resolution; the dispute is closed meanwhile; unanswered, the form goes after 10 working days saying so', async () => {
    const dispute = await kit.start(concern());
    for (const stage of [1, 2]) {
      await dispute.at(plusHours(ENTRIES[stage - 1]![1], 1));
      await decide(dispute, stage, 'unresolved');
    }
    await dispute.at(plusHours(ENTRIES[2]![1], 1)); // Tue 31 Mar 11:30 BST, at stage 3
    await decide(dispute, 3, 'resolved');
    const [asked] = await mailMatching(dispute, subjectHas('closed at stage 3: a question for the board’s form'));
    expect(asked!.envelopeTo).toEqual(['pat.raiser@nsomerset-asc.example.org']);
    expect(asked!.text).toContain('Please note how effective this policy was in resolving the issue');
    expect(asked!.text).toContain('Very effective; Effective; Partly effective; Not effective');
    // Closed while it waits: nothing reopens it, and the form has not gone yet.
    const state = await dispute.state();
    expect(state.status).toBe('resolved');
    const question = formQuestion(state, dispute.start.policy);
    expect(question).toMatchObject({ field: 'effectiveness', state: 'awaited' });
    expect(toMinute(question!.until)).toBe(toMinute('2026-04-16T11:30+01:00')); // 10 working days, over Easter
    expect(dispute.mail().some((mail) => mail.text.includes('The completed Monitoring Form'))).toBe(false);
    await expectRejected(
      dispute.handle.executeUpdate(answerForm, { args: [{ by: 'robin.other@nsomerset-police.example.org', field: 'effectiveness', choice: 'Effective' }] }),
      RejectionType.notAParty,
      /asked of the practitioner who raised the concern/,
    );
    const record = await dispute.handle.result();
    expect(record.outcome).toBe('resolved');
    expect(toMinute(record.closedAt)).toBe(toMinute(plusHours(ENTRIES[2]![1], 1)));
    expect(record.form!.fields.find((field) => field.id === 'effectiveness')!.value).toBe('not answered (asked of the raising practitioner on 2026-03-31; no answer by 2026-04-16)');
    const completed = await mailMatching(dispute, (mail) => mail.text.includes('The completed Monitoring Form'), 4);
    expect(completed.flatMap((mail) => mail.envelopeTo).sort()).toEqual(
      ['board-rep@nsomerset-asc.example.org', 'board-rep@nsomerset-police.example.org', officer('north-somerset-nssab', 'qa-lead'), officer('north-somerset-nssab', 'board-manager')].sort(),
    );
    expect(completed[0]!.text).toContain('not answered (asked of the raising practitioner on 2026-03-31');
    const unanswered = record.events.find((event) => event.type === 'question-unanswered')!;
    expect(toMinute(unanswered.at)).toBe(toMinute('2026-04-16T11:30+01:00'));
    await saveHistory(dispute, 'north-somerset-effectiveness-unanswered');
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
