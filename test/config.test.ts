import { describe, expect, it } from 'vitest';
import { imapSettings, inboundSmtpLimits, loadConfig, mailSettings, publicUrl, rateLimits } from '../runtime/config';

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
    [{ API_WRITES_PER_MINUTE: '0' }, /API_WRITES_PER_MINUTE: /],
    [{ API_READS_PER_MINUTE: 'lots' }, /API_READS_PER_MINUTE: /],
    [{ API_RATE_LIMIT_CALLERS: '5' }, /API_RATE_LIMIT_CALLERS: /],
    [{ API_TRUSTED_PROXIES: '10.0.0.1, proxy.example.org' }, /API_TRUSTED_PROXIES: expected IP addresses or CIDR ranges/],
    [{ API_TRUSTED_PROXIES: '10.0.0.0/33' }, /API_TRUSTED_PROXIES: /],
    [{ INBOUND_SMTP_MAX_CLIENTS: '-1' }, /INBOUND_SMTP_MAX_CLIENTS: /],
    [{ INBOUND_SMTP_MESSAGES_PER_MINUTE: '1.5' }, /INBOUND_SMTP_MESSAGES_PER_MINUTE: /],
    [{ INBOUND_SMTP_CONNECTIONS_PER_MINUTE: '0' }, /INBOUND_SMTP_CONNECTIONS_PER_MINUTE: /],
  ])('%j is refused, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(/^Invalid configuration in the environment: /);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('rate limits: defaults a real integrator or mail server does not reach, each one settable', () => {
    expect(rateLimits(loadConfig({}))).toEqual({ writes: 120, reads: 1200, windowMs: 60_000, callers: 10_000 });
    expect(rateLimits(loadConfig({ API_WRITES_PER_MINUTE: '10', API_READS_PER_MINUTE: '100', API_RATE_LIMIT_CALLERS: '500' }))).toEqual({ writes: 10, reads: 100, windowMs: 60_000, callers: 500 });
    expect(loadConfig({}).API_TRUSTED_PROXIES).toEqual([]);
    expect(loadConfig({ API_TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16,::1' }).API_TRUSTED_PROXIES).toEqual(['10.0.0.1', '192.168.0.0/16', '::1']);
    expect(inboundSmtpLimits(loadConfig({}))).toEqual({ maxClients: 50, maxClientsPerAddress: 10, connectionsPerMinute: 60, messagesPerConnection: 20, messagesPerMinute: 60, windowMs: 60_000, idleMs: 30_000, lifetimeMs: 300_000 });
    expect(inboundSmtpLimits(loadConfig({ INBOUND_SMTP_MAX_CLIENTS: '5', INBOUND_SMTP_MAX_CLIENTS_PER_ADDRESS: '2', INBOUND_SMTP_CONNECTIONS_PER_MINUTE: '7', INBOUND_SMTP_MESSAGES_PER_CONNECTION: '3', INBOUND_SMTP_MESSAGES_PER_MINUTE: '4', INBOUND_SMTP_IDLE_SECONDS: '5', INBOUND_SMTP_CONNECTION_SECONDS: '60' }))).toMatchObject({
      maxClients: 5,
      maxClientsPerAddress: 2,
      connectionsPerMinute: 7,
      messagesPerConnection: 3,
      messagesPerMinute: 4,
      idleMs: 5_000,
      lifetimeMs: 60_000,
    });
    expect(() => loadConfig({ INBOUND_SMTP_IDLE_SECONDS: '0' })).toThrow('INBOUND_SMTP_IDLE_SECONDS');
  });

  it('a reply secret turns on signed reply addresses and links; IMAP needs its credentials', () => {
    const config = loadConfig({ REPLY_SECRET: 'a-secret-of-enough-length', PUBLIC_URL: 'https://disputes.example.org', REPLY_DOMAIN: 'replies.example.org' });
    expect(mailSettings(config).decisions).toMatchObject({ addressing: { localPart: 'reply', domain: 'replies.example.org' }, linkBase: 'https://disputes.example.org' });
    expect(() => imapSettings(loadConfig({ IMAP_HOST: 'imap.example.org' }))).toThrow('IMAP_USER and IMAP_PASSWORD go with IMAP_HOST');
  });
});

describe('Temporal connection settings (@temporalio/envconfig)', () => {
  it('plain by default; TLS, mTLS files and an API key for a secured cluster or Temporal Cloud', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { temporalConnectOptions } = await import('../runtime/temporal-connection');
    const plain = temporalConnectOptions(loadConfig({}), { HOME: '/nonexistent' });
    expect(plain).toEqual({ address: '127.0.0.1:7233' });

    const dir = mkdtempSync(join(tmpdir(), 'mtls-'));
    writeFileSync(join(dir, 'client.pem'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const env = {
      HOME: '/nonexistent',
      TEMPORAL_ADDRESS: 'disputes.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'disputes.a1b2c',
      TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
      // docker-compose passes unset ones as empty: they must not count.
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: '',
    };
    const mtls = temporalConnectOptions(loadConfig(env), env);
    expect(mtls.address).toBe('disputes.a1b2c.tmprl.cloud:7233');
    const pair = (mtls.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } }).clientCertPair;
    expect([Buffer.from(pair!.crt).toString(), Buffer.from(pair!.key).toString()]).toEqual(['CERT', 'KEY']);

    const cloud = { HOME: '/nonexistent', TEMPORAL_ADDRESS: 'eu-west-2.aws.api.temporal.io:7233', TEMPORAL_API_KEY: 'an-api-key' };
    const keyed = temporalConnectOptions(loadConfig(cloud), cloud);
    expect(keyed.apiKey).toBe('an-api-key');
    expect(keyed.tls).toBeTruthy(); // an API key turns TLS on

    const broken = { HOME: '/nonexistent', TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'missing.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key') };
    expect(() => temporalConnectOptions(loadConfig(broken), broken)).toThrow(/^Invalid Temporal connection settings/);
  });

  it('LOG_LEVEL is one of pino’s levels', () => {
    expect(loadConfig({ LOG_LEVEL: 'debug' }).LOG_LEVEL).toBe('debug');
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: /);
  });

  it('a policy folder or file named in the environment must be there', () => {
    expect(() => loadConfig({ POLICY_DIR: '/nowhere' })).toThrow('POLICY_DIR: no folder at /nowhere');
    expect(() => loadConfig({ DIRECTORY_FILE: 'policies' })).toThrow('DIRECTORY_FILE: policies is not a file');
  });
});
