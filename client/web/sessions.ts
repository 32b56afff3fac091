import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Person } from './people';

// Sessions kept in the server's memory, keyed by a random cookie value. Each carries its CSRF
// token; one without a person is a visitor's before sign-in (the sign-in form's own token is not
// kept here: ./sign-in-form). Idle expiry is given by the caller (a working day); sign-out deletes
// the session.

export interface Session {
  id: string;
  csrf: string;
  person: Person | null;
  expires: number;
  /** When it ends whatever its activity (SESSION_LIFETIME_MS after it began). */
  ends: number;
}

/**
 * A session ends 12 hours after sign-in however busy it is: a long working day at one sign-in, but
 * a session left open on a shared or lost device, or a copied cookie, stops working by the next
 * morning; signing in again costs an email.
 */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;

/**
 * Sessions held at once, least recently used dropped first (those people sign in again). The
 * anonymous (a cookieless visit's, holding only the sign-in form's token) have their own pool, so
 * any number of visits never pushes out a signed-in session; one dropped means reloading that form.
 * An anonymous session a sign-in link was sent for moves to a third pool: the link signs in only
 * that session, so a flood of visits must not drop it before the link is used. Links are issued a
 * few per address, so this pool fills only as fast as the directory's people ask.
 */
export const SESSION_LIMITS = { signedIn: 50_000, asking: 10_000, anonymous: 10_000 } as const;
export const SESSION_COOKIE = 'dispute_session';

export class Sessions {
  private readonly signedIn = new Map<string, Session>();
  private readonly asking = new Map<string, Session>();
  private readonly anonymous = new Map<string, Session>();

  constructor(
    /** When a session touched at `now` expires if left idle. */
    private readonly idleUntil: (now: number) => number,
    private readonly now: () => number = Date.now,
  ) {}

  create(person: Person | null): Session {
    const now = this.now();
    const session: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), person, expires: this.idleUntil(now), ends: now + SESSION_LIFETIME_MS };
    const [pool, limit] = person ? [this.signedIn, SESSION_LIMITS.signedIn] : [this.anonymous, SESSION_LIMITS.anonymous];
    admit(pool, session, limit);
    return session;
  }

  /** A sign-in link was sent for this anonymous session: it is kept apart from cookieless visits'. */
  asked(session: Session): void {
    if (session.person || !this.anonymous.delete(session.id)) return;
    admit(this.asking, session, SESSION_LIMITS.asking);
  }

  /** The live session with this id, its idle clock restarted; null if unknown or expired; 'lifetime' if a signed-in session has just reached its lifetime. */
  touch(id: string | undefined): Session | 'lifetime' | null {
    if (!id || id.length > 64) return null;
    const pool = [this.signedIn, this.asking, this.anonymous].find((held) => held.has(id));
    const session = pool?.get(id);
    if (!pool || !session) return null;
    const now = this.now();
    pool.delete(id);
    if (now > session.expires) return null;
    if (now > session.ends) return session.person ? 'lifetime' : null;
    session.expires = this.idleUntil(now);
    pool.set(id, session); // re-inserted: the map's order is least recently used first
    return session;
  }

  end(id: string): void {
    this.signedIn.delete(id);
    this.asking.delete(id);
    this.anonymous.delete(id);
  }
}

function admit(pool: Map<string, Session>, session: Session, limit: number): void {
  pool.set(session.id, session);
  while (pool.size > limit) pool.delete(pool.keys().next().value!);
}

export function csrfMatches(session: Session, sent: unknown): boolean {
  if (typeof sent !== 'string' || sent.length !== session.csrf.length) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(session.csrf));
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

export function sessionCookie(id: string, secure: boolean, clear = false): string {
  return [`${SESSION_COOKIE}=${clear ? '' : id}`, 'Path=/web', 'HttpOnly', 'SameSite=Lax', ...(secure ? ['Secure'] : []), ...(clear ? ['Max-Age=0'] : [])].join('; ');
}
