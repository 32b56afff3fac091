import { describe, expect, it } from 'vitest';
import { noteLimits, noteShare } from '../../workflows/dispute/model';
import { RejectionType } from '../../workflows/dispute/procedure';
import { boards, drive, refusal } from './kit';

// Re-review finding R3: a dispute's notes were capped in all only, so one agency sending 50 notes of
// 4,000 characters filled the dispute's 200,000 and every other party's note was refused for the rest
// of the dispute. Each agency (and the board's officers together) has its own share; the dispute's
// total still bounds them all.

const [raising, other] = boards.rotherham.agencies;
const RAISER = `pat.raiser@${raising}.example.org`;
const OTHER = `robin.other@${other}.example.org`;
const full = 'n'.repeat(4000);

const notes = (dispute: ReturnType<typeof drive>) => dispute.procedure.state.notes;

describe('each agency has its own share of the dispute’s notes', () => {
  it('the review’s request (one agency, 50 notes of 4,000 characters) cannot fill the dispute: its own share runs out, and the other agency’s note is still taken', () => {
    const dispute = drive('rotherham');
    const answers = Array.from({ length: 50 }, (_, n) => {
      try {
        dispute.send('addNote', { by: RAISER, text: full });
        return 'taken';
      } catch (error) {
        return `refused at ${n}: ${(error as Error).message}`;
      }
    });
    const taken = Math.floor(noteShare.totalChars / full.length);
    expect(answers.filter((answer) => answer === 'taken')).toHaveLength(taken);
    expect(answers[taken]).toBe(
      `refused at ${taken}: text: Rotherham Council Adult Social Care has added ${taken} notes of ${taken * full.length} characters to this dispute; one agency may add at most ${noteShare.count} notes of ${noteShare.totalChars} characters in all`,
    );
    dispute.send('addNote', { by: OTHER, text: 'Our view: the night-time support is health-funded.' });
    expect(notes(dispute).at(-1)).toMatchObject({ by: OTHER, text: 'Our view: the night-time support is health-funded.' });
  });

  it(`the ${noteShare.count + 1}st short note of one agency is refused as LimitReached naming the limit, and nothing is recorded; another agency’s and a board officer’s are taken`, () => {
    const dispute = drive('rotherham');
    for (let n = 0; n < noteShare.count; n++) dispute.send('addNote', { by: RAISER, text: `Update ${n}.` });
    const events = dispute.procedure.state.events.length;
    const refused = refusal(() => dispute.send('addNote', { by: RAISER, text: 'One more.' }));
    expect(refused.type).toBe(RejectionType.limitReached);
    expect(refused.message).toMatch(new RegExp(`^text: .+ has added ${noteShare.count} notes of \\d+ characters to this dispute; one agency may add at most ${noteShare.count} notes of ${noteShare.totalChars} characters in all$`));
    expect(dispute.procedure.state.events).toHaveLength(events);
    dispute.send('addNote', { by: OTHER, text: 'Ours.' });
    const officer = Object.values(dispute.start.officers)[0]!.email;
    dispute.send('addNote', { by: officer, text: 'The board manager has the papers.' });
    expect(notes(dispute)).toHaveLength(noteShare.count + 2);
  });

  it('any of an agency’s people count against its share, and the board’s officers share one of their own', () => {
    const dispute = drive('rotherham');
    const [manager, chair] = Object.values(dispute.start.officers).map((officer) => officer.email);
    for (let n = 0; n < noteShare.count; n++) dispute.send('addNote', { by: n % 2 ? manager! : chair!, text: `Board note ${n}.` });
    const refused = refusal(() => dispute.send('addNote', { by: manager!, text: 'One more.' }));
    expect(refused.type).toBe(RejectionType.limitReached);
    expect(refused.message).toMatch(new RegExp(`^text: the board's officers have added ${noteShare.count} notes of \\d+ characters to this dispute; the board's officers may add at most ${noteShare.count} notes`));
    dispute.send('addNote', { by: RAISER, text: 'Still ours to add.' });
    // The raising agency's stage-2 manager is one of its people: the share is the agency's, not the person's.
    dispute.hours(1);
    dispute.send('recordOutcome', { stage: 1, decision: 'unresolved', by: OTHER, reason: 'No agreement.' });
    const managerOfRaiser = dispute.procedure.snapshot().awaiting.find((party) => party.agencyId === raising)!.contacts[0]!.email;
    for (let n = 1; n < noteShare.count; n++) dispute.send('addNote', { by: n % 2 ? RAISER : managerOfRaiser, text: `Update ${n}.` });
    expect(refusal(() => dispute.send('addNote', { by: managerOfRaiser, text: 'One more.' })).message).toMatch(/^text: Rotherham Council Adult Social Care has added 50 notes/);
  });

  it('the dispute’s total still bounds all the shares together', () => {
    const agencies = ['rotherham-asc', 'rotherham-nhs', 'rotherham-police', 'rotherham-gp'];
    const dispute = drive('rotherham', { agencies: agencies.map((agencyId) => ({ agencyId, practitioner: { name: 'Pat Person', email: `pat.person@${agencyId}.example.org` } })) });
    const authors = [...agencies.map((agencyId) => `pat.person@${agencyId}.example.org`), Object.values(dispute.start.officers)[0]!.email];
    // Four agencies and the board: together their shares pass the total.
    expect(authors.length * noteShare.count).toBeGreaterThan(noteLimits.count);
    for (let n = 0; n < noteLimits.count; n++) dispute.send('addNote', { by: authors[Math.floor(n / noteShare.count)]!, text: `Note ${n}.` });
    const refused = refusal(() => dispute.send('addNote', { by: authors.at(-1)!, text: 'One more.' }));
    expect(refused.message).toMatch(/^text: the dispute's notes are full \(200 notes/);
  });

  it('the shares are far above honest use, and three agencies’ and the board’s fit within the dispute’s total', () => {
    // Honest use: a few notes a stage from each of an agency's people; a note a working day for a ten-week dispute is 50.
    expect(noteShare.count).toBeGreaterThanOrEqual(50);
    expect(noteShare.totalChars).toBeGreaterThanOrEqual(noteShare.count * 1000);
    // Three agencies and the board fit in the total: in almost every dispute no one is ever refused by the total while within its share.
    expect(4 * noteShare.count).toBeLessThanOrEqual(noteLimits.count);
    expect(4 * noteShare.totalChars).toBeLessThanOrEqual(noteLimits.totalChars);
  });

  it('a dispute that took more before the shares (the rule answers no) keeps taking them, asking only when the share would refuse', () => {
    const dispute = drive('rotherham');
    let asked = 0;
    Object.defineProperty(dispute.procedure, 'rules', { value: { ...dispute.procedure.rules, noteShares: () => (asked++, false) } });
    for (let n = 0; n < noteShare.count; n++) dispute.send('addNote', { by: RAISER, text: `Update ${n}.` });
    expect(asked).toBe(0);
    dispute.send('addNote', { by: RAISER, text: 'Taken as before.' });
    dispute.send('addNote', { by: RAISER, text: 'And again.' });
    expect(asked).toBe(2);
    expect(notes(dispute)).toHaveLength(noteShare.count + 2);
  });
});
