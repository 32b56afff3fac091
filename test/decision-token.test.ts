import { describe, expect, it } from 'vitest';
import { readDecision } from '../client/replies/handler';
import { unbase32 } from '../runtime/base32';
import { checkDecisionToken, expiryDay, plausibleToken, readDecisionToken, replyAddress, signDecisionToken, tokenFromAddress } from '../runtime/decision-token';

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
      expect(plausibleToken(twin)).toBe(false);
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
