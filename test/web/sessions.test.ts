import { describe, expect, it } from 'vitest';
import { SESSION_LIFETIME_MS, Sessions } from '../../client/web/sessions';

// The session store's two limits on a clock the test moves: idle (given by the caller) and the
// absolute lifetime, which only a signed-in session reports as such.

const person = { email: 'officer@board.example.org', name: 'An Officer', boards: ['rotherham-rsab'], agencies: [] };
const HOUR = 3_600_000;

describe('sessions', () => {
  it('an idle session ends at its idle limit; touching it restarts that clock', () => {
    let now = 0;
    const sessions = new Sessions((at) => at + HOUR, () => now);
    const session = sessions.create(person);
    now = HOUR - 1;
    expect(sessions.touch(session.id)).toBe(session);
    now = 2 * HOUR - 2;
    expect(sessions.touch(session.id)).toBe(session);
    now = 3 * HOUR;
    expect(sessions.touch(session.id)).toBeNull();
  });

  it('a signed-in session ends at its lifetime however often touched, saying so once; an anonymous one just ends', () => {
    let now = 0;
    const sessions = new Sessions((at) => at + HOUR, () => now);
    const signedIn = sessions.create(person);
    const anonymous = sessions.create(null);
    for (now = 0; now <= SESSION_LIFETIME_MS; now += HOUR / 2) {
      expect(sessions.touch(signedIn.id)).toBe(signedIn);
      expect(sessions.touch(anonymous.id)).toBe(anonymous);
    }
    now = SESSION_LIFETIME_MS + 1;
    expect(sessions.touch(signedIn.id)).toBe('lifetime');
    expect(sessions.touch(signedIn.id)).toBeNull();
    expect(sessions.touch(anonymous.id)).toBeNull();
  });
});
