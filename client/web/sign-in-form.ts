import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// The sign-in form's CSRF token is not kept in a server session: anonymous sessions are a pool that
// enough visitors can turn over, and the person who opened the form must still be able to send it.
// Instead the browser holds a random value in a short-lived cookie, and the form carries an expiry
// and an HMAC of that value and expiry under a key derived from REPLY_SECRET. Another site can
// neither read the cookie nor make the MAC, so it cannot send the form in the visitor's name.

export const SIGN_IN_FORM_COOKIE = 'dispute_sign_in';
/** Long enough to open the form, look up the address and send it; short enough that a copied page soon stops working. */
export const SIGN_IN_FORM_TTL_MS = 60 * 60_000;

const VALUE = /^[A-Za-z0-9_-]{43}$/;
const TOKEN = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{43})$/;

export class SignInFormTokens {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    // A key of its own, so this MAC can never be replayed as a sign-in link's or a decision token's.
    this.key = createHmac('sha256', secret).update('dispute sign-in form v1').digest();
  }

  /** The form's token, for the browser's cookie value if it already has one (so two open tabs both work), or for a new one. */
  issue(held: string | undefined): { cookie: string; token: string } {
    const cookie = held && VALUE.test(held) ? held : randomBytes(32).toString('base64url');
    const expires = this.now() + SIGN_IN_FORM_TTL_MS;
    return { cookie, token: `${expires.toString(36)}.${this.mac(cookie, expires).toString('base64url')}` };
  }

  /** Whether `sent` was issued for this cookie value and has not expired; compared in constant time. */
  matches(cookie: string | undefined, sent: unknown): boolean {
    if (!cookie || !VALUE.test(cookie) || typeof sent !== 'string') return false;
    const parts = TOKEN.exec(sent);
    if (!parts) return false;
    const expires = parseInt(parts[1]!, 36);
    const given = Buffer.from(parts[2]!, 'base64url');
    if (given.length !== 32 || !timingSafeEqual(given, this.mac(cookie, expires))) return false;
    return this.now() <= expires;
  }

  private mac(cookie: string, expires: number): Buffer {
    return createHmac('sha256', this.key).update(`${cookie}\0${expires}`).digest();
  }
}

export function signInFormCookie(value: string, secure: boolean): string {
  return [`${SIGN_IN_FORM_COOKIE}=${value}`, 'Path=/web/sign-in', `Max-Age=${SIGN_IN_FORM_TTL_MS / 1000}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}
