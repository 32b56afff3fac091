import { describe, expect, it } from 'vitest';
import { readDecision } from '../client/replies/handler';
import { base32, unbase32 } from '../runtime/base32';
import { checkDecisionToken, checkReplyToken, expiryDay, plausibleReplyToken, readDecisionToken, replyAddress, signDecisionToken, tokenFromAddress } from '../runtime/decision-token';

const SECRET = 'unit-test-secret';
const NOW = Date.parse('2026-11-23T10:00:00Z');
const claim = { disputeId: 'leeds-sab-hm5my6qq2f', stage: 3, recipient: 'Morgan.Dunmore@leeds-asc.example.org', expiresDay: expiryDay(NOW, 30) };
const addressing = { localPart: 'reply', domain: 'replies.example.org' };

describe('decision tokens', () => {
  it('round-trip for the addressee, in any letter case, and fit in an address local part', () => {
    const token = signDecisionToken(SECRET, claim);
    expect(token).toMatch(/^[a-z2-7]+$/);
    expect(`reply+${token}`.length).toBeLessThanOrEqual(64);
    const address = replyAddress(addressing, token).toUpperCase();
    const found = tokenFromAddress(addressing, address)!;
    expect(checkDecisionToken(SECRET, found, 'morgan.dunmore@LEEDS-ASC.example.org', NOW)).toEqual({
      ok: true,
      claim: { disputeId: 'leeds-sab-hm5my6qq2f', stage: 3, recipient: 'morgan.dunmore@leeds-asc.example.org', expiresDay: claim.expiresDay },
    });
  });

  it('refuses another sender, another secret, an altered token and an expired one', () => {
    const token = signDecisionToken(SECRET, claim);
    expect(checkDecisionToken(SECRET, token, 'someone.else@leeds-asc.example.org', NOW)).toMatchObject({ ok: false, reason: 'not-addressee' });
    expect(checkDecisionToken('another-secret', token, claim.recipient, NOW)).toMatchObject({ ok: false, reason: 'forged' });
    const altered = `${token.slice(0, -4)}${token.at(-4) === 'a' ? 'b' : 'a'}${token.slice(-3)}`;
    expect(checkDecisionToken(SECRET, altered, claim.recipient, NOW)).toMatchObject({ ok: false, reason: 'forged' });
    expect(checkDecisionToken(SECRET, token.slice(0, -6), claim.recipient, NOW)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(checkDecisionToken(SECRET, token, claim.recipient, NOW + 31 * 86_400_000)).toMatchObject({ ok: false, reason: 'expired' });
    expect(tokenFromAddress(addressing, `other+${token}@replies.example.org`)).toBeNull();
    expect(tokenFromAddress(addressing, `reply+${token}@elsewhere.example.org`)).toBeNull();
  });
});

describe('a reply address’s token', () => {
  it('a reply token checks by reply only: as a link’s (decision) or an answer’s token it is malformed', () => {
    const token = signDecisionToken(SECRET, claim, 'reply');
    expect(`reply+${token}`.length).toBeLessThanOrEqual(64);
    expect(token).not.toBe(signDecisionToken(SECRET, claim, 'decision'));
    expect(checkReplyToken(SECRET, token, claim.recipient, NOW)).toMatchObject({ ok: true, claim: { disputeId: claim.disputeId, stage: 3 } });
    expect(plausibleReplyToken(token)).toBe(true);
    expect(checkDecisionToken(SECRET, token, claim.recipient, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(checkDecisionToken(SECRET, token, claim.recipient, NOW, 'answer')).toEqual({ ok: false, reason: 'malformed' });
    expect(checkReplyToken(SECRET, token, 'someone.else@leeds-asc.example.org', NOW)).toMatchObject({ ok: false, reason: 'not-addressee' });
    expect(checkReplyToken(SECRET, token, claim.recipient, NOW + 31 * 86_400_000)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('a decision token (the Reply-To of emails sent before reply tokens) still checks by reply until it expires; an answer token never does', () => {
    const decision = signDecisionToken(SECRET, claim);
    expect(plausibleReplyToken(decision)).toBe(true);
    expect(checkReplyToken(SECRET, decision, claim.recipient, NOW).ok).toBe(true);
    expect(checkReplyToken(SECRET, decision, claim.recipient, NOW + 31 * 86_400_000)).toMatchObject({ ok: false, reason: 'expired' });
    const answer = signDecisionToken(SECRET, claim, 'answer');
    expect(plausibleReplyToken(answer)).toBe(false);
    expect(checkReplyToken(SECRET, answer, claim.recipient, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('a decision token whose purpose byte is changed to a reply token’s is altered, not a reply token', () => {
    const decision = signDecisionToken(SECRET, claim);
    const bytes = unbase32(decision)!;
    bytes[0] = unbase32(signDecisionToken(SECRET, claim, 'reply'))![0]!;
    const relabelled = base32(bytes);
    expect(plausibleReplyToken(relabelled)).toBe(true); // well-formed: only the MAC tells
    expect(checkReplyToken(SECRET, relabelled, claim.recipient, NOW)).toMatchObject({ ok: false, reason: 'forged' });
  });
});

describe('the spare bits of a token’s last character', () => {
  it('a last character changed only in its spare bits is an alteration, not the same token', () => {
    const token = signDecisionToken(SECRET, claim);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    const spareBits = (token.length * 5) % 8;
    expect(spareBits).toBeGreaterThan(0); // this claim's token has some: the case the finding is about
    const last = alphabet.indexOf(token.at(-1)!);
    // Every other value of the spare bits decodes to the very same bytes.
    const twins = Array.from({ length: 2 ** spareBits - 1 }, (_, i) => `${token.slice(0, -1)}${alphabet[last ^ (i + 1)]}`);
    for (const twin of twins) {
      expect(unbase32(twin)).toEqual(unbase32(token));
      expect(readDecisionToken(twin)).toEqual({ ok: false, reason: 'forged' });
      expect(checkDecisionToken(SECRET, twin, claim.recipient, NOW)).toMatchObject({ ok: false, reason: 'forged' });
      expect(plausibleReplyToken(twin)).toBe(false);
    }
    expect(checkDecisionToken(SECRET, token.toUpperCase(), claim.recipient, NOW).ok).toBe(true);
  });
});

describe('reading a reply', () => {
  it.each([
    ['RESOLVED\nJoint visit Friday.', 'resolved', 'Joint visit Friday.'],
    ['resolved!\n\nJoint visit Friday.\n', 'resolved', 'Joint visit Friday.'],
    ['Unresolved - the trust will not agree.', 'unresolved', 'the trust will not agree.'],
    ['\n  UNRESOLVED.\nNo agreement.\n\nOn Mon, 23 Nov 2026 at 10:00, Disputes wrote:\n> RESOLVED\n> quoted', 'unresolved', 'No agreement.'],
    ['Resolved: plan agreed\n-- \nRobin Other\nWard manager', 'resolved', 'plan agreed'],
  ])('%j', (body, word, text) => {
    expect(readDecision(body)).toEqual({ word, text });
  });

  it('no decision word on the first line of the reply itself: none', () => {
    expect(readDecision('I think this is resolved now.').word).toBeNull();
    expect(readDecision('> RESOLVED\n> quoted only').word).toBeNull();
    expect(readDecision('Irresolvable.').word).toBeNull();
  });
});
