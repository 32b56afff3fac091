import { describe, expect, it } from 'vitest';
import { imapSettings, loadConfig, mailSettings, publicUrl } from '../runtime/config';

// The environment is a boundary like any other: a bad value stops start-up with the variable's name.
describe('configuration from the environment', () => {
  it('defaults to what npm start uses', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ TEMPORAL_ADDRESS: '127.0.0.1:7233', API_PORT: 3000, SMTP_PORT: 1025, INBOUND_SMTP_PORT: 2525, REPLY_DOMAIN: 'localhost' });
    expect(publicUrl(config)).toBe('http://127.0.0.1:3000');
    expect(mailSettings(config).decisions).toBeUndefined();
    expect(imapSettings(config)).toBeUndefined();
  });

  it.each([
    [{ SMTP_PORT: 'twenty-five' }, /SMTP_PORT: /],
    [{ API_PORT: '70000' }, /API_PORT: /],
    [{ SMTP_SECURE: 'yes' }, /SMTP_SECURE: /],
    [{ REPLY_SECRET: 'short' }, /REPLY_SECRET: expected at least 16 characters/],
    [{ PUBLIC_URL: 'disputes.example.org' }, /PUBLIC_URL: /],
    [{ REPLY_LOCAL_PART: 'reply+x' }, /REPLY_LOCAL_PART: /],
  ])('%j is refused, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(/^Invalid configuration in the environment: /);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('a reply secret turns on signed reply addresses and links; IMAP needs its credentials', () => {
    const config = loadConfig({ REPLY_SECRET: 'a-secret-of-enough-length', PUBLIC_URL: 'https://disputes.example.org', REPLY_DOMAIN: 'replies.example.org' });
    expect(mailSettings(config).decisions).toMatchObject({ addressing: { localPart: 'reply', domain: 'replies.example.org' }, linkBase: 'https://disputes.example.org' });
    expect(() => imapSettings(loadConfig({ IMAP_HOST: 'imap.example.org' }))).toThrow('IMAP_USER and IMAP_PASSWORD go with IMAP_HOST');
  });
});
