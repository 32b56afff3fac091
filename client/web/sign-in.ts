import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Sign-in links: a random nonce and an expiry, signed with HMAC under the reply secret (as the
// decision links are), so an altered link is told apart from an old one. The address is not in the
// link: the server keeps nonce → address for the link's life, and forgets it when the link is used.
// A link signs in only the browser session that asked for it: otherwise someone could ask a link
// for their own address and send it on, and whoever pressed Continue would act in their name. The
// server keeps a keyed hash of the asking session's id, never the id itself.

const NONCE_BYTES = 16;
const MAC_BYTES = 16;
export const SIGN_IN_TTL_MS = 15 * 60_000;
/** Pending links held at once: beyond this the oldest are dropped (their links then read as used). */
const MAX_PENDING = 10_000;
const MAX_LINKS_PER_ADDRESS = 5;

export type Redemption = { ok: true; email: string } | { ok: false; reason: 'altered' | 'expired' | 'used' | 'elsewhere' };

export class SignInLinks {
  private readonly key: Buffer;
  private readonly pending = new Map<string, { email: string; expires: number; asker: Buffer }>();
  private readonly issued = new Map<string, number[]>();

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    // A key of its own, so a sign-in MAC can never be replayed as a decision token's.
    this.key = createHmac('sha256', secret).update('dispute sign-in link v1').digest();
  }

  /** A new link for the session `asker`, or null when this address has had its share for now (the page says the same either way). */
  issue(email: string, asker: string): string | null {
    const now = this.now();
    this.prune(now);
    const address = email.toLowerCase();
    // Nobody can fill a colleague's inbox with links: a few per address per link lifetime.
    const recent = (this.issued.get(address) ?? []).filter((at) => at > now - SIGN_IN_TTL_MS);
    if (recent.length >= MAX_LINKS_PER_ADDRESS) return null;
    this.issued.set(address, [...recent, now]);
    const body = Buffer.alloc(NONCE_BYTES + 6);
    randomBytes(NONCE_BYTES).copy(body);
    body.writeUIntBE(now + SIGN_IN_TTL_MS, NONCE_BYTES, 6);
    this.pending.set(body.subarray(0, NONCE_BYTES).toString('hex'), { email: email.toLowerCase(), expires: now + SIGN_IN_TTL_MS, asker: this.askerHash(asker) });
    while (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
    return Buffer.concat([body, this.mac(body)]).toString('base64url');
  }

  /** What the link says to the session `opener`, without using it up (the page a link opens only shows a button). */
  check(token: string, opener: string): Redemption {
    const body = this.verified(token);
    if (!body) return { ok: false, reason: 'altered' };
    if (this.now() > body.readUIntBE(NONCE_BYTES, 6)) return { ok: false, reason: 'expired' };
    const entry = this.pending.get(body.subarray(0, NONCE_BYTES).toString('hex'));
    if (!entry) return { ok: false, reason: 'used' };
    // Refused elsewhere, the link is left as it was: the browser that asked can still use it.
    return timingSafeEqual(entry.asker, this.askerHash(opener)) ? { ok: true, email: entry.email } : { ok: false, reason: 'elsewhere' };
  }

  /** Uses the link, in the session that asked for it only: a second use is refused. */
  redeem(token: string, opener: string): Redemption {
    const checked = this.check(token, opener);
    if (checked.ok) this.pending.delete(this.verified(token)!.subarray(0, NONCE_BYTES).toString('hex'));
    return checked;
  }

  private verified(token: string): Buffer | null {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== NONCE_BYTES + 6 + MAC_BYTES || bytes.toString('base64url') !== token) return null;
    const body = bytes.subarray(0, NONCE_BYTES + 6);
    return timingSafeEqual(this.mac(body), bytes.subarray(NONCE_BYTES + 6)) ? body : null;
  }

  private askerHash(session: string): Buffer {
    return createHmac('sha256', this.key).update('session\0').update(session).digest();
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, MAC_BYTES);
  }

  private prune(now: number): void {
    for (const [nonce, entry] of this.pending) if (entry.expires < now) this.pending.delete(nonce);
    for (const [address, times] of this.issued) if (times.every((at) => at <= now - SIGN_IN_TTL_MS)) this.issued.delete(address);
  }
}
