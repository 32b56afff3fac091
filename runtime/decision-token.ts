import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { base32, unbase32 } from './base32';

// The tokens a decision email carries, in its Reply-To and its links (never its Message-ID): who was asked
// (dispute, stage, recipient) and until when, signed with the server's secret. Base32 in lower case,
// because mail systems may change the case of an address.

const DAY = 86_400_000;
const MAC_BYTES = 8;
const TAG_BYTES = 3;
/**
 * What a token is for, in its first byte (which the MAC covers): a token made for one thing is
 * malformed for any other, so a link answering a form's question can never record a decision.
 * Decision tokens keep the first format's byte, so those already sent still work. The Reply-To
 * carries a reply token, not the links' decision token: replies with Cc, and replies to all, keep the
 * Reply-To address in the thread, and a link needs nothing but its token.
 */
export type TokenPurpose = 'decision' | 'answer' | 'reply';
const versionOf: Record<TokenPurpose, number> = { decision: 1, answer: 2, reply: 3 };

export interface DecisionClaim {
  disputeId: string;
  stage: number;
  /** The address the email was sent to. */
  recipient: string;
  /** The last London-agnostic UTC day (days since 1970-01-01) on which the token is good. */
  expiresDay: number;
}

export type TokenReading =
  | { ok: true; claim: Omit<DecisionClaim, 'recipient'>; recipientTag: string; mac: Buffer; signed: Buffer }
  | { ok: false; reason: 'malformed' | 'forged' };

export type TokenCheck =
  | { ok: true; claim: DecisionClaim }
  | { ok: false; reason: 'malformed' | 'forged' | 'not-addressee' | 'expired'; claim?: Omit<DecisionClaim, 'recipient'> };

const tagOf = (recipient: string) => createHash('sha256').update(recipient.trim().toLowerCase()).digest().subarray(0, TAG_BYTES);

function macOf(secret: string, signed: Buffer, recipient: string): Buffer {
  return createHmac('sha256', secret).update(signed).update('\n').update(recipient.trim().toLowerCase()).digest().subarray(0, MAC_BYTES);
}

export function expiryDay(from: number, days: number): number {
  return Math.floor(from / DAY) + days;
}

export function signDecisionToken(secret: string, claim: DecisionClaim, purpose: TokenPurpose = 'decision'): string {
  const id = Buffer.from(claim.disputeId, 'utf8');
  if (id.length > 80) throw new RangeError('dispute id too long for a token');
  const signed = Buffer.concat([
    Buffer.from([versionOf[purpose], id.length]),
    id,
    Buffer.from([claim.stage & 0xff, (claim.expiresDay >>> 8) & 0xff, claim.expiresDay & 0xff]),
    tagOf(claim.recipient),
  ]);
  return base32(Buffer.concat([signed, macOf(secret, signed, claim.recipient)]));
}

/** Reads a token's claims without trusting them: the MAC is checked against a sender by `checkDecisionToken`. */
export function readDecisionToken(token: string, purpose: TokenPurpose = 'decision'): TokenReading {
  const bytes = unbase32(token);
  if (!bytes || bytes.length < 2 || bytes[0] !== versionOf[purpose]) return { ok: false, reason: 'malformed' };
  const idLength = bytes[1]!;
  const expected = 2 + idLength + 3 + TAG_BYTES + MAC_BYTES;
  if (bytes.length !== expected) return { ok: false, reason: 'malformed' };
  // The last character carries spare bits the bytes ignore: a token whose spare bits are not zero
  // was not written by us, so one changed character always shows as an alteration.
  if (base32(bytes) !== token.toLowerCase()) return { ok: false, reason: 'forged' };
  const disputeId = bytes.subarray(2, 2 + idLength).toString('utf8');
  if (!/^[a-z0-9-]{6,80}$/.test(disputeId)) return { ok: false, reason: 'malformed' };
  const at = 2 + idLength;
  const stage = bytes[at]!;
  const expiresDay = (bytes[at + 1]! << 8) | bytes[at + 2]!;
  const signed = bytes.subarray(0, at + 3 + TAG_BYTES);
  return {
    ok: true,
    claim: { disputeId, stage, expiresDay },
    recipientTag: bytes.subarray(at + 3, at + 3 + TAG_BYTES).toString('hex'),
    mac: bytes.subarray(at + 3 + TAG_BYTES),
    signed,
  };
}

/**
 * Checks a token for the person now using it (the reply's sender, or the address a link was sent
 * to): well-formed, signed by us for that person, and not expired.
 */
export function checkDecisionToken(secret: string, token: string, sender: string, now: number, purpose: TokenPurpose = 'decision'): TokenCheck {
  const reading = readDecisionToken(token, purpose);
  if (!reading.ok) return reading;
  if (tagOf(sender).toString('hex') !== reading.recipientTag) {
    // Either a different person, or an altered token: only the MAC can tell, and it needs the addressee.
    return { ok: false, reason: 'not-addressee', claim: reading.claim };
  }
  const mac = macOf(secret, reading.signed, sender);
  if (!timingSafeEqual(mac, reading.mac)) return { ok: false, reason: 'forged', claim: reading.claim };
  if (Math.floor(now / DAY) > reading.claim.expiresDay) return { ok: false, reason: 'expired', claim: reading.claim };
  return { ok: true, claim: { ...reading.claim, recipient: sender.trim().toLowerCase() } };
}

/**
 * A name for a token that may be shown where the token must not be (update IDs, which Temporal keeps
 * in clear in history): the same for the same token, and keyed, so the token can neither be
 * recovered from it nor a guess at the token tested against it.
 */
export function tokenReference(secret: string, token: string): string {
  return createHmac('sha256', secret).update('token-reference\n').update(token.toLowerCase()).digest('hex').slice(0, 32);
}

/**
 * What a reply address's token was made for. Emails sent before reply tokens carry the decision
 * token in their Reply-To: a reply to one is taken until it expires, since a reply needs the
 * sender's domain to vouch for the addressee anyway.
 */
function replyPurposeOf(token: string): TokenPurpose {
  return unbase32(token)?.[0] === versionOf.decision ? 'decision' : 'reply';
}

/** Checks a reply address's token for the reply's sender, as `checkDecisionToken` does. */
export function checkReplyToken(secret: string, token: string, sender: string, now: number): TokenCheck {
  return checkDecisionToken(secret, token, sender, now, replyPurposeOf(token));
}

/** Whether a reply address's token is one we could have issued to someone (the MAC needs the addressee, so not checked). */
export function plausibleReplyToken(token: string): boolean {
  return readDecisionToken(token, replyPurposeOf(token)).ok;
}

export interface ReplyAddressing {
  localPart: string;
  domain: string;
}

export function replyAddress(addressing: ReplyAddressing, token: string): string {
  return `${addressing.localPart}+${token}@${addressing.domain}`;
}

/** The token in one of our reply addresses, or null if the address is not one of ours. */
export function tokenFromAddress(addressing: ReplyAddressing, address: string): string | null {
  const match = /^([^+@\s]+)\+([a-z2-7]+)@([^@\s]+)$/i.exec(address.trim());
  if (!match || match[1]!.toLowerCase() !== addressing.localPart.toLowerCase() || match[3]!.toLowerCase() !== addressing.domain.toLowerCase()) return null;
  return match[2]!.toLowerCase();
}
