import { describe, expect, it } from 'vitest';
import { convene, RejectionType, submitRepresentation, withdraw } from '../../workflows/dispute/messages';
import { concernWith, contactsAt, officer, twoAgencies, useDisputeKit } from '../support/disputes';
import { boardOfficer, decide, expectRejected, mailMatching, plusHours, saveHistory, subjectHas } from './scenarios';

// The board's stage and the written records through the real workflow on the time-skipping server:
// who may record the last stage's outcome, what the emails call it, representations, the panel,
// the forms at the moments the documents name, and emails that wait for office hours.
const T0 = '2026-03-27T10:30:00Z'; // Fri, GMT

const kit = useDisputeKit();

const boards = {
  rotherham: concernWith({ policy: 'rotherham-rsab', concernAt: T0, category: 'neglect', risk: 'standard', agencies: twoAgencies('rotherham'), personReference: 'RMBC-1', summary: 'A disagreement about discharge.' }),
  cheshire: concernWith({ policy: 'cheshire-west-and-chester-lsab', concernAt: T0, category: 'neglect', risk: 'standard', agencies: twoAgencies('cwac', 'nhs', 'asc'), personReference: 'CWAC-1', summary: 'A disagreement about discharge.' }),
  norfolk: concernWith({ policy: 'norfolk-nsab', concernAt: T0, category: 'abuse', risk: 'standard', agencies: twoAgencies('norfolk', 'gp', 'asc'), personReference: 'NCC-1', summary: 'A disagreement about an enquiry.' }),
};

/** Presses "unresolved" an hour into each stage below the last. */
async function toLastStage(name: keyof typeof boards) {
  const dispute = await kit.start(boards[name]());
  for (const stage of [1, 2, 3]) {
    await dispute.at(plusHours(T0, stage));
    await decide(dispute, stage, 'unresolved');
  }
  return dispute;
}

describe('the last stage is the board’s', () => {
  it('Rotherham: a disputing agency’s director may not record the panel’s decision, and is told who may; the chair records it, binding', async () => {
    const dispute = await toLastStage('rotherham');
    const director = contactsAt('rotherham', 'nhs', 4)[0]!;
    await expectRejected(
      decide(dispute, 4, 'decided', { by: director }),
      RejectionType.notAParty,
      /may not record the outcome of stage 4: it is the board's decision, recorded by the RSAB Independent Chair \(chair\.rotherham@board\.example\.org\), or the RSAB Board Manager/,
    );
    // Each party's stage-4 contact makes a written representation, which goes to the panel.
    await dispute.handle.executeUpdate(submitRepresentation, { args: [{ by: director, text: 'The trust’s representation.' }] });
    const sent = await mailMatching(dispute, subjectHas('stage 4: written representation'), 2);
    expect(sent.flatMap((mail) => mail.envelopeTo).sort()).toEqual([officer('rotherham-rsab', 'board-manager'), officer('rotherham-rsab', 'chair')].sort());
    expect(sent[0]!.text).toContain('The trust’s representation.');
    const accepted = await decide(dispute, 4, 'decided', { by: boardOfficer(dispute), rationale: 'The care package must be in place before discharge.', nextSteps: 'Joint review', nextStepsBy: '2026-04-10' });
    expect(accepted.status).toBe('decided');
    const record = await dispute.handle.result();
    expect(record.boardOutcome).toEqual({ name: 'decision', effect: 'binding' });
    expect(record.representations).toMatchObject([{ agencyId: 'rotherham-nhs', by: director }]);
    const [decided] = await mailMatching(dispute, subjectHas('decision at stage 4'));
    expect(decided!.text).toContain('It is binding on all agencies concerned.');
    expect(decided!.text).toContain('Rationale: The care package must be in place before discharge.');
    expect(decided!.text).toContain('Next steps: Joint review (by 2026-04-10)');
    await saveHistory(dispute, 'rotherham-board-stage-decided');
  });

  it('Cheshire West: the chair’s outcome is a recommendation, and the emails never call it binding', async () => {
    const dispute = await toLastStage('cheshire');
    await expectRejected(decide(dispute, 4, 'decided', { by: 'pat.raiser@cwac-nhs.example.org' }), RejectionType.notAParty, /recorded by the Chair of the LSAB \(chair\.cwac@board\.example\.org\)/);
    await decide(dispute, 4, 'decided', { by: officer('cheshire-west-and-chester-lsab', 'chair') });
    const record = await dispute.handle.result();
    expect(record.boardOutcome).toEqual({ name: 'recommendation', effect: 'recommendation' });
    const mails = await mailMatching(dispute, subjectHas('recommendation at stage 4'), 4);
    expect(mails.length).toBeGreaterThan(0);
    for (const mail of mails) {
      expect(mail.text).toContain('It is a recommendation, not a binding decision.');
      expect(mail.text).not.toMatch(/binding on all/);
    }
  });

  it('Norfolk: a panel member recorded on the dispute may record the decision; the board representatives get the learning; a debrief is suggested; the stage-4 referral carries the written account', async () => {
    const dispute = await toLastStage('norfolk');
    const referral = await mailMatching(dispute, (mail) => mail.subject.includes('stage 4: notice to the board'), 2);
    expect(referral[0]!.text).toContain('Written account of the dispute and the attempts made to resolve it');
    expect(referral[0]!.text).toMatch(/Attempts to resolve it: stage 1, 2026-03-27: unresolved by/);
    const member = { name: 'Panel Member', email: 'panel.member@norfolk-police.example.org' };
    await expectRejected(decide(dispute, 4, 'decided', { by: member.email }), RejectionType.notAParty, /a member of the panel recorded on this dispute/);
    await dispute.handle.executeUpdate(convene, { args: [{ by: officer('norfolk-nsab', 'chair'), members: [member] }] });
    await decide(dispute, 4, 'decided', { by: member.email });
    const record = await dispute.handle.result();
    expect(record.outcome).toBe('decided');
    const [decided] = await mailMatching(dispute, subjectHas('decision at stage 4'));
    expect(decided!.text).not.toMatch(/binding/i);
    const learning = await mailMatching(dispute, (mail) => mail.text.includes('inform future learning'), 2);
    expect(learning.flatMap((mail) => mail.envelopeTo).sort()).toEqual(['board-rep@norfolk-asc.example.org', 'board-rep@norfolk-gp.example.org']);
    expect((await mailMatching(dispute, subjectHas('a debrief'))).length).toBeGreaterThan(0);
    await saveHistory(dispute, 'norfolk-board-stage-panel-decided');
  });
});

describe('written records and forms', () => {
  it('Rotherham: from stage 2 the Record of Escalation goes to every party’s people; the record carries each decision’s written record', async () => {
    const dispute = await kit.start(boards.rotherham());
    await dispute.at(plusHours(T0, 1));
    await decide(dispute, 1, 'unresolved', { rationale: 'The ward says the package is not needed.', outstandingIssues: 'Who funds it, pursued at stage 2.' });
    const copies = await mailMatching(dispute, subjectHas('stage 2: record for every agency'), 6);
    const everyone = ['pat.raiser@rotherham-asc.example.org', 'robin.other@rotherham-nhs.example.org', ...contactsAt('rotherham', 'asc', 2), ...contactsAt('rotherham', 'nhs', 2)].sort();
    expect(copies.flatMap((mail) => mail.envelopeTo).sort()).toEqual(everyone);
    expect(copies[0]!.text).toContain('Record of Escalation, Challenge and Conflict Resolution');
    expect(copies[0]!.text).toContain('- Summary of reason for dispute – include views of all agencies: A disagreement about discharge.');
    await decide(dispute, 2, 'resolved');
    const record = await dispute.handle.result();
    expect(record.decisions[0]!.record).toEqual({ rationale: 'The ward says the package is not needed.', outstandingIssues: 'Who funds it, pursued at stage 2.' });
  });

  it('withdrawal: the officers told of the dispute are told it is withdrawn', async () => {
    const dispute = await kit.start(boards.rotherham({ risk: 'imminent' }));
    await dispute.at(plusHours(T0, 1));
    await dispute.handle.executeUpdate(withdraw, { args: [{ by: 'pat.raiser@rotherham-asc.example.org', reason: 'Resolved outside the procedure.' }] });
    const told = await mailMatching(dispute, subjectHas('withdrawn'), 5);
    expect(told.flatMap((mail) => mail.envelopeTo)).toContain(officer('rotherham-rsab', 'board-manager'));
  });
});

describe('office hours', () => {
  it('Cheshire West: a stage entered at midnight asks for a decision at 09:00 on the next working day; the deadline does not move', async () => {
    const dispute = await kit.start(boards.cheshire());
    // Stage 2's latest start is the end of day 3: Mon 30 Mar 00:00 BST. Its email waits for 09:00.
    await dispute.at('2026-03-30T08:30:00+01:00');
    expect(dispute.mail().some((mail) => mail.subject.includes('stage 2: your decision is needed'))).toBe(false);
    const state = await dispute.state();
    expect(state.stage).toBe(2);
    expect(state.deadlines.concludeBy).toBe(new Date('2026-04-05T00:00:00+01:00').toISOString());
    await dispute.at('2026-03-30T09:05:00+01:00');
    const [asked] = await mailMatching(dispute, subjectHas('stage 2: your decision is needed'));
    expect(asked).toBeDefined();
    // Stage 1's 24-hour reminder fell on Saturday; by Monday 09:00 stage 1 is over, so it is not sent.
    expect(dispute.mail().some((mail) => mail.subject.includes('stage 1: reminder'))).toBe(false);
    expect(await dispute.events('email-cancelled')).toEqual([expect.objectContaining({ kind: 'reminder', stage: 1, reason: 'the dispute has moved on to stage 2' })]);
  });

  it('an email held for office hours is not sent once its question is answered: the dispute withdrawn overnight', async () => {
    const dispute = await kit.start(boards.cheshire());
    await dispute.at('2026-03-30T01:00:00+01:00'); // stage 2 entered at midnight; its email waits for 09:00
    await dispute.handle.executeUpdate(withdraw, { args: [{ by: 'pat.raiser@cwac-nhs.example.org', reason: 'Resolved between the agencies overnight.' }] });
    await dispute.handle.result();
    expect(dispute.mail().some((mail) => mail.subject.includes('stage 2: your decision is needed'))).toBe(false);
    expect(await dispute.events('email-cancelled')).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'stage-entered', stage: 2, reason: 'the dispute is closed (withdrawn)' })]),
    );
    await saveHistory(dispute, 'cheshire-west-held-email-cancelled');
  });
});
