import { describe, expect, it } from 'vitest';
import { renderEmail } from '../../activities/email/templates';
import { RejectionType } from '../../workflows/dispute/procedure';
import { boards, drive, officerOf, partyAt, refusal, tierOf, type Board } from './kit';

// The last stage is the board's (issue 11): who may record its outcome, what it is called and
// whether it binds, the representations, the panel and North Somerset's choice of route.

/** A dispute pressed to its last stage by "unresolved" at each stage below. */
function atLastStage(board: Board) {
  const dispute = drive(board, { category: 'abuse' });
  const [, other] = boards[board].agencies;
  for (const stage of [1, 2, 3]) {
    dispute.hours(1);
    dispute.send('recordOutcome', {
      stage,
      decision: 'unresolved',
      by: partyAt(other, stage, `robin.other@${other}.example.org`),
      reason: 'No agreement.',
      organisations: boards[board].agencies.map((agencyId) => ({ agencyId, decision: 'We stand by ours.', rationale: 'Our reasons.' })),
    });
  }
  expect(dispute.procedure.state.stage).toBe(4);
  return dispute;
}

const lastStage = [
  { board: 'rotherham', policy: 'rotherham-rsab', recorder: 'chair', names: /RSAB Independent Chair \(chair\.rotherham@board\.example\.org\), or the RSAB Board Manager .*, or a member of the panel/, wording: 'It is binding on all agencies concerned.', subject: 'decision at stage 4' },
  { board: 'cheshire', policy: 'cheshire-west-and-chester-lsab', recorder: 'chair', names: /Chair of the LSAB \(chair\.cwac@board\.example\.org\)/, wording: 'It is a recommendation, not a binding decision.', subject: 'recommendation at stage 4' },
  { board: 'leeds', policy: 'leeds-sab', recorder: 'chair', names: /Chair of Leeds Safeguarding Adults Board \(chair\.leeds@board\.example\.org\)/, wording: 'The board has recorded its decision on the professional difference.', subject: 'decision at stage 4' },
  { board: 'norfolk', policy: 'norfolk-nsab', recorder: 'chair', names: /NSAB Independent Chair \(chair\.norfolk@board\.example\.org\)/, wording: 'The board has recorded its decision on the professional difference.', subject: 'decision at stage 4' },
  { board: 'northSomerset', policy: 'north-somerset-nssab', recorder: 'qa-lead', names: /Quality Assurance Service Leader, North Somerset Council \(qa-lead\.nsomerset@board\.example\.org\)/, wording: 'It is final and binding on all organisations involved.', subject: 'decision at stage 4' },
] as const;

describe.each(lastStage)('$board: the last stage is the board’s', ({ board, policy, recorder, names, wording, subject }) => {
  it('a disputing agency may not record its outcome, and is told who may; nothing changes', () => {
    const dispute = atLastStage(board);
    const before = JSON.stringify(dispute.procedure.state);
    for (const agencyId of boards[board].agencies) {
      for (const by of dispute.procedure.snapshot().agencies.find((agency) => agency.id === agencyId)!.people) {
        const refused = refusal(() => dispute.send('recordOutcome', { stage: 4, decision: 'decided', by, agreedActions: 'We decide.' }));
        expect(refused.type).toBe(RejectionType.notAParty);
        expect(refused.message).toMatch(names);
      }
    }
    expect(JSON.stringify(dispute.procedure.state)).toBe(before);
  });

  it('the board’s officer records it; the email says what the policy says, and binding only where the document does', () => {
    const dispute = atLastStage(board);
    const accepted = dispute.send('recordOutcome', {
      stage: 4,
      decision: 'decided',
      by: officerOf(policy, recorder),
      agreedActions: 'A joint assessment within 5 working days.',
      rationale: 'The adult’s needs meet the threshold.',
      outstandingIssues: 'Funding, pursued by the commissioners.',
      nextSteps: 'Review the plan',
      nextStepsBy: '2026-05-01',
    });
    expect(accepted.status).toBe('decided');
    const [decided] = dispute.emails('decided');
    const email = renderEmail({ kind: 'decided', sequence: 1, recipients: [], facts: decided!.facts }, 'Reader');
    expect(email.subject).toContain(subject);
    expect(email.text).toContain(wording);
    if (!/binding/.test(wording)) expect(email.text).not.toMatch(/binding/i);
    expect(email.text).toContain('Rationale: The adult’s needs meet the threshold.');
    expect(email.text).toContain('Outstanding issues and how they will be pursued: Funding, pursued by the commissioners.');
    expect(email.text).toContain('Next steps: Review the plan (by 2026-05-01)');
    expect(decided!.to).toContain(officerOf(policy, recorder));
    expect(dispute.procedure.result().boardOutcome?.name).toBe(subject.split(' ')[0]);
  });

  it('the officer records it as the board’s outcome ("decided"), not as "resolved" or "unresolved"', () => {
    const dispute = atLastStage(board);
    for (const decision of ['resolved', 'unresolved']) {
      const refused = refusal(() => dispute.send('recordOutcome', { stage: 4, decision, by: officerOf(policy, recorder), agreedActions: 'x', reason: 'x' }));
      expect(refused.type).toBe(RejectionType.notAllowed);
    }
  });

  it('the parties are asked for representations, not the outcome; the officers who record it are asked for it', () => {
    const dispute = atLastStage(board);
    const entered = dispute.emails('stage-entered').filter((email) => email.stage === 4);
    expect(entered).toHaveLength(1);
    expect(entered[0]!.facts.asksForDecision).toBeUndefined();
    const asked = dispute.emails('officer-notice').filter((email) => email.stage === 4 && email.facts.asksForDecision);
    expect(asked.flatMap((email) => email.to)).toContain(officerOf(policy, recorder));
  });
});

describe('representations and the panel', () => {
  it.each(['rotherham', 'cheshire', 'norfolk', 'northSomerset'] as Board[])('%s: each party’s last-stage contact makes a written representation, sent to the panel', (board) => {
    const dispute = atLastStage(board);
    const [raising] = boards[board].agencies;
    const contact = dispute.procedure.snapshot().awaiting.find((party) => party.agencyId === raising)!.contacts[0]!.email;
    dispute.send('submitRepresentation', { by: contact, text: 'Our written representation.' });
    expect(dispute.procedure.state.events.at(-2)).toMatchObject({ type: 'representation', by: contact, agencyId: raising, text: 'Our written representation.' });
    const [sent] = dispute.emails('representation');
    const policy = boards[board].policy;
    const recorderId = board === 'northSomerset' ? 'qa-lead' : 'chair';
    expect(sent!.to).toContain(officerOf(policy, recorderId));
    expect(sent!.facts.decisionText).toBe('Our written representation.');
    expect(dispute.procedure.result().representations).toHaveLength(1);
    // Someone who is not a party's last-stage contact may not.
    expect(refusal(() => dispute.send('submitRepresentation', { by: `robin.other@${boards[board].agencies[1]}.example.org`, text: 'x' })).type).toBe(RejectionType.notAParty);
  });

  it('before the last stage a representation is refused', () => {
    const dispute = drive('rotherham');
    const refused = refusal(() => dispute.send('submitRepresentation', { by: 'robin.other@rotherham-nhs.example.org', text: 'x' }));
    expect(refused.type).toBe(RejectionType.notAllowed);
    expect(refused.message).toMatch(/written representations go to the board at stage 4; the dispute is at stage 1/);
  });

  it('Rotherham: the board manager records the panel; a panel member may then record the decision, a party still may not', () => {
    const dispute = atLastStage('rotherham');
    const members = [
      { name: 'Panel One', email: 'panel.one@rotherham-police.example.org' },
      { name: 'Panel Two', email: 'panel.two@rotherham-gp.example.org' },
      { name: 'Panel Three', email: 'panel.three@rotherham-vcs.example.org' },
    ];
    expect(refusal(() => dispute.send('convene', { by: tierOf('rotherham-nhs', 4)[0], members })).message).toMatch(/may not record the panel/);
    dispute.send('convene', { by: officerOf('rotherham-rsab', 'board-manager'), members });
    expect(dispute.emails('officer-notice').at(-1)).toMatchObject({ to: members.map((m) => m.email) });
    expect(dispute.emails('officer-notice').at(-1)!.facts.record?.name).toMatch(/Written account/);
    expect(dispute.send('recordOutcome', { stage: 4, decision: 'decided', by: members[1]!.email, agreedActions: 'The panel decides.' }).status).toBe('decided');
    expect(dispute.procedure.result().panel).toEqual({ route: null, members: members.map((m) => m.email) });
  });

  it('North Somerset: an agency’s board representative chooses mediation or a panel; nobody else, and nothing else', () => {
    const dispute = atLastStage('northSomerset');
    expect(refusal(() => dispute.send('convene', { by: 'pat.raiser@nsomerset-asc.example.org', route: 'mediation' })).message).toMatch(/nominated board representative does/);
    expect(refusal(() => dispute.send('convene', { by: 'board-rep@nsomerset-asc.example.org', route: 'arbitration' })).message).toMatch(/route: expected one of mediation, panel/);
    dispute.send('convene', { by: 'board-rep@nsomerset-asc.example.org', route: 'mediation', note: 'Both agencies agree to mediate.' });
    expect(dispute.procedure.state.events.filter((event) => event.type === 'convened')).toMatchObject([{ route: 'mediation', by: 'board-rep@nsomerset-asc.example.org' }]);
    expect(dispute.emails('convened')[0]!.facts.reason).toContain('Route: mediation.');
  });

  it('Cheshire West: no choice of route is offered', () => {
    const dispute = atLastStage('cheshire');
    expect(refusal(() => dispute.send('convene', { by: officerOf('cheshire-west-and-chester-lsab', 'chair'), route: 'panel' })).message).toMatch(/offers no choice of route/);
  });
});
