import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { checkSender, parseAuthenticationResults, SenderCheckUnavailable } from '../client/replies/sender-auth';
import { loadConfig, replySettings } from '../runtime/config';
import { testDomains } from './support/mail-dns';

// The sender check on its own, with real DKIM signatures over real messages and the DNS answers
// served through mailauth's resolver option: the cases the end-to-end tests do not reach.

const FROM = 'sam.lead@small-charity.example.net';

async function message(options: { dkim?: { domainName: string; keySelector: string; privateKey: string } } = {}): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, ...(options.dkim ? { dkim: options.dkim } : {}) });
  const info = await transport.sendMail({ from: FROM, to: 'reply+abc@replies.example.org', subject: 'Re', text: 'RESOLVED\nA visit on Friday.' });
  return info.message as Buffer;
}

const noTrust = { trustedAuthservIds: [], trustedRelays: [] };

describe('checking the sender', () => {
  it('a domain without DMARC: DKIM of the From domain passes; a signature of another domain does not', async () => {
    const dns = testDomains();
    const own = dns.dkimKey('small-charity.example.net');
    const other = dns.dkimKey('bulk-mailer.example.com');
    const settings = { ...noTrust, resolver: dns.resolver };
    expect(await checkSender(settings, await message({ dkim: own }), FROM, { via: 'imap' })).toEqual({ ok: true, by: 'dkim' });
    expect(await checkSender(settings, await message({ dkim: other }), FROM, { via: 'imap' })).toMatchObject({ ok: false, why: 'neither DKIM nor SPF passed for small-charity.example.net' });
    expect(await checkSender(settings, await message(), FROM, { via: 'smtp', clientIp: '127.0.0.1', envelopeFrom: FROM })).toMatchObject({ ok: false });
    dns.txt('small-charity.example.net', 'v=spf1 ip4:127.0.0.1 -all');
    expect(await checkSender(settings, await message(), FROM, { via: 'smtp', clientIp: '127.0.0.1', envelopeFrom: FROM })).toEqual({ ok: true, by: 'spf' });
  });

  it('DNS that cannot answer now is not a refusal: the reply is to be tried again', async () => {
    const dns = testDomains();
    const key = dns.dkimKey('small-charity.example.net');
    const failing = async () => {
      throw Object.assign(new Error('queryTxt ETIMEOUT'), { code: 'ETIMEOUT' });
    };
    await expect(checkSender({ ...noTrust, resolver: failing }, await message({ dkim: key }), FROM, { via: 'imap' })).rejects.toBeInstanceOf(SenderCheckUnavailable);
  });

  it('reads Authentication-Results as RFC 8601 writes them, comments and all', () => {
    expect(parseAuthenticationResults('mx.council.example.org 1; spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=nhs.example.org; dkim=pass header.d=nhs.example.org; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=NHS.example.org')).toEqual({
      authservId: 'mx.council.example.org',
      results: [
        { method: 'spf', result: 'pass', props: { 'smtp.mailfrom': 'nhs.example.org' } },
        { method: 'dkim', result: 'pass', props: { 'header.d': 'nhs.example.org' } },
        { method: 'dmarc', result: 'pass', props: { 'header.from': 'NHS.example.org' } },
      ],
    });
    expect(parseAuthenticationResults('   ')).toBeNull();
  });

  it('the trusted authserv-ids and relays come from the environment, as lists', () => {
    const config = loadConfig({ REPLY_SECRET: 'a-secret-of-enough-length', REPLY_TRUSTED_AUTHSERV_IDS: 'mx1.council.gov.uk, mx2.council.gov.uk', REPLY_TRUSTED_RELAYS: '192.0.2.1' });
    expect(replySettings(config)?.auth).toEqual({ trustedAuthservIds: ['mx1.council.gov.uk', 'mx2.council.gov.uk'], trustedRelays: ['192.0.2.1'] });
    expect(replySettings(loadConfig({ REPLY_SECRET: 'a-secret-of-enough-length' }))?.auth).toEqual(noTrust);
  });
});
