import { describe, expect, it } from 'vitest';
import { renderEmail } from '../../activities/email/templates';
import { boards, drive, partyAt } from './kit';

// The board's-stage email tells each party how to send its written representation: by replying
// with REPRESENTATION on the first line, or through the link's form (issue 11).

describe('the stage-4 email asks each party for its representation by reply or link', () => {
  const dispute = drive('rotherham');
  const [, other] = boards.rotherham.agencies;
  for (const stage of [1, 2, 3]) {
    dispute.hours(1);
    dispute.send('recordOutcome', { stage, decision: 'unresolved', by: partyAt(other, stage, `robin.other@${other}.example.org`), reason: 'No agreement.' });
  }
  const [entered] = dispute.emails('stage-entered').filter((email) => email.stage === 4);
  const batch = { kind: 'stage-entered' as const, sequence: 1, recipients: [], facts: entered!.facts };

  it('with reply and link ways: REPRESENTATION on the first line, and the form’s address', () => {
    const ways = {
      replyTo: 'reply+tok@replies.example.org',
      links: { resolved: 'https://x/decisions/tok/resolved', unresolved: 'https://x/decisions/tok/unresolved', representation: 'https://x/decisions/tok/representation' },
    };
    const email = renderEmail(batch, 'Reader', ways);
    expect(email.subject).toContain('stage 4: your written representation');
    expect(email.text).toContain('reply to this email with REPRESENTATION on the first line and your representation below it');
    expect(email.text).toContain('open https://x/decisions/tok/representation and fill in the form');
    // The parties are not asked for the outcome: no RESOLVED/UNRESOLVED links.
    expect(email.text).not.toContain('/decisions/tok/resolved');
    expect(email.text).not.toMatch(/RESOLVED or UNRESOLVED/);
  });

  it('without reply settings, the API and CLI only', () => {
    const email = renderEmail(batch, 'Reader');
    expect(email.text).not.toContain('REPRESENTATION on the first line');
    expect(email.text).toContain('POST /disputes/<id>/representations');
  });
});
