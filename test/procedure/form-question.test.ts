import { describe, expect, it } from 'vitest';
import { RejectionType } from '../../workflows/dispute/procedure';
import { formQuestion } from '../../workflows/dispute/record';
import { boards, drive, officerOf, partyAt, refusal, type Board } from './kit';

// North Somerset's Monitoring Form asks the raising practitioner how effective the procedure was,
// "after the issue has been resolved": by a link, and the completed form waits for the answer
// (at most 10 working days), then goes to the form's sendTo.

const RAISER = 'pat.raiser@nsomerset-asc.example.org';
const SEND_TO = ['board-rep@nsomerset-asc.example.org', 'board-rep@nsomerset-police.example.org', officerOf('north-somerset-nssab', 'qa-lead'), officerOf('north-somerset-nssab', 'board-manager')].sort();

/** Resolved an hour into stage `stage` (pressed there by "unresolved" an hour into each stage below). */
function resolvedAt(board: Board, stage: number) {
  const dispute = drive(board, { category: 'abuse' });
  const [, other] = boards[board].agencies;
  for (let current = 1; current < stage; current++) {
    dispute.hours(1);
    dispute.send('recordOutcome', { stage: current, decision: 'unresolved', by: partyAt(other, current, `robin.other@${other}.example.org`), reason: 'No agreement.' });
  }
  dispute.hours(1);
  if (stage === 4) {
    // The last stage's outcome is the board's, recorded by its officer.
    const { policy } = boards[board];
    dispute.send('recordOutcome', { stage, decision: 'decided', by: officerOf(policy, dispute.start.policy.lastStage!.recordedBy.officers[0]!), agreedActions: 'Decided.' });
  } else {
    dispute.send('recordOutcome', { stage, decision: 'resolved', by: partyAt(other, stage, `robin.other@${other}.example.org`), agreedActions: 'Agreed.', safetyMeasuresConfirmed: true });
  }
  return dispute;
}

const completedForms = (dispute: ReturnType<typeof drive>) => dispute.emails('officer-notice').filter((email) => email.facts.purpose?.startsWith('The completed Monitoring Form'));
const effectiveness = (email: { facts: { record?: { fields: { label: string; value: string }[] } } }) =>
  email.facts.record!.fields.find((field) => field.label.startsWith('Please note how effective'))!.value;

describe('North Somerset: the effectiveness question', () => {
  it('on resolution at stage 3 the raising practitioner is asked, by a link email; the dispute is closed, the form waits', () => {
    const dispute = resolvedAt('northSomerset', 3);
    expect(dispute.procedure.state.status).toBe('resolved');
    const [asked] = dispute.emails('question');
    expect(asked!.to).toEqual([RAISER]);
    expect(asked!.facts.question).toEqual({
      field: 'effectiveness',
      label: expect.stringMatching(/^Please note how effective this policy was/),
      choices: ['Very effective', 'Effective', 'Partly effective', 'Not effective'],
      until: expect.any(String),
    });
    // Resolved Fri 27 Mar 13:30 GMT; 10 working days on, over Easter (3–6 Apr): Tue 14 Apr 13:30 BST.
    expect(asked!.facts.question!.until).toBe('2026-04-14T12:30:00.000Z');
    expect(dispute.procedure.awaitingAnswer()).toBe(true);
    expect(dispute.procedure.nextWake()).toBe(Date.parse('2026-04-14T12:30:00.000Z'));
    expect(completedForms(dispute)).toEqual([]);
    expect(formQuestion(dispute.procedure.snapshot(), dispute.start.policy)).toMatchObject({ field: 'effectiveness', to: RAISER, state: 'awaited', choices: expect.arrayContaining(['Effective']) });
    // Nothing else may be sent to the closed dispute.
    expect(refusal(() => dispute.send('addNote', { by: RAISER, text: 'x' })).type).toBe(RejectionType.closed);
  });

  it('only the raising practitioner answers, with a choice the policy offers, once; the completed form then goes to sendTo with the answer', () => {
    const dispute = resolvedAt('northSomerset', 3);
    const other = refusal(() => dispute.send('answerForm', { by: 'robin.other@nsomerset-police.example.org', field: 'effectiveness', choice: 'Effective' }));
    expect(other.type).toBe(RejectionType.notAParty);
    expect(other.message).toMatch(/asked of the practitioner who raised the concern/);
    expect(refusal(() => dispute.send('answerForm', { by: RAISER, field: 'effectiveness', choice: 'Brilliant' })).message).toMatch(/choice: expected one of Very effective, Effective/);
    expect(refusal(() => dispute.send('answerForm', { by: RAISER, field: 'effectiveness', choice: 'Effective', extra: 1 })).type).toBe(RejectionType.invalidPayload);
    expect(refusal(() => dispute.send('answerForm', { by: RAISER, field: 'effectiveness', choice: 'Effective', comment: 'x'.repeat(2001) })).message).toMatch(/^comment/);
    dispute.hours(2);
    dispute.send('answerForm', { by: RAISER, field: 'effectiveness', choice: 'partly effective', comment: 'Stage 2 took too long to arrange.' });
    const [form] = completedForms(dispute);
    expect(form!.to.sort()).toEqual(SEND_TO);
    expect(effectiveness(form!)).toBe('Partly effective — Stage 2 took too long to arrange. (the raising practitioner, 2026-03-27)');
    expect(dispute.procedure.awaitingAnswer()).toBe(false);
    expect(dispute.procedure.nextWake()).toBeNull();
    const second = refusal(() => dispute.send('answerForm', { by: RAISER, field: 'effectiveness', choice: 'Effective' }));
    expect(second.type).toBe(RejectionType.notAllowed);
    expect(second.message).toMatch(/already been answered/);
    const record = dispute.procedure.result();
    expect(record.outcome).toBe('resolved');
    expect(record.form!.fields.find((field) => field.id === 'effectiveness')!.value).toMatch(/^Partly effective/);
    expect(record.events.map((event) => event.type)).toEqual(expect.arrayContaining(['closed', 'question-asked', 'question-answered']));
  });

  it('unanswered after 10 working days: the form goes, saying so', () => {
    const dispute = resolvedAt('northSomerset', 4);
    dispute.until('2026-04-30T12:00:00Z');
    const [form] = completedForms(dispute);
    expect(form!.to.sort()).toEqual(SEND_TO);
    expect(form!.at).toBe(dispute.procedure.state.question!.until);
    expect(effectiveness(form!)).toMatch(/^not answered \(asked of the raising practitioner on 2026-03-27; no answer by 2026-04-14\)$/);
    expect(refusal(() => dispute.send('answerForm', { by: RAISER, field: 'effectiveness', choice: 'Effective' })).type).toBe(RejectionType.closed);
    expect(dispute.procedure.state.events.some((event) => event.type === 'question-unanswered')).toBe(true);
  });

  it('asked at 22:00, the question waits for office hours; answering before the dispute closes is refused', () => {
    const dispute = drive('northSomerset', { concernAt: '2026-03-27T10:30:00Z' });
    expect(refusal(() => dispute.send('answerForm', { by: RAISER, field: 'effectiveness', choice: 'Effective' })).message).toMatch(/still open/);
    for (const stage of [1, 2]) {
      dispute.hours(1);
      dispute.send('recordOutcome', { stage, decision: 'unresolved', by: partyAt('nsomerset-police', stage, 'robin.other@nsomerset-police.example.org'), reason: 'No agreement.' });
    }
    dispute.until('2026-03-30T21:00:00Z'); // Mon 22:00 BST, at stage 3
    dispute.send('recordOutcome', { stage: 3, decision: 'resolved', by: partyAt('nsomerset-police', 3, ''), agreedActions: 'Agreed.' });
    const [asked] = dispute.emails('question');
    expect(asked!.notBefore).toBe(Date.parse('2026-03-31T08:00:00Z')); // Tue 09:00 BST
  });

  it.each(['rotherham', 'cheshire', 'leeds', 'norfolk'] as const)('%s asks no question: its form (if any) goes as before', (board) => {
    const dispute = resolvedAt(board, 3);
    expect(dispute.emails('question')).toEqual([]);
    expect(dispute.procedure.awaitingAnswer()).toBe(false);
  });

  it('below stage 3 the Monitoring Form is not used, so nothing is asked', () => {
    expect(resolvedAt('northSomerset', 2).emails('question')).toEqual([]);
  });
});
