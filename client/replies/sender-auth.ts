import { isIP } from 'node:net';
import { authenticate, type Resolver } from 'mailauth';
import { getAlignment } from 'mailauth/lib/tools.js';

// Whether a reply really comes from the address in its From header: anyone can write that header,
// so a decision is taken only when the From domain vouches for the message (DKIM or SPF, aligned
// with it as DMARC requires), or when the council's own mail server, whose verdict we are told to
// trust, says it did (its Authentication-Results, for replies it forwards or files in a mailbox).

export interface SenderAuthSettings {
  /** authserv-ids whose Authentication-Results we believe (the council's inbound mail servers). */
  trustedAuthservIds: string[];
  /** SMTP clients (IP addresses) allowed to hand us such a verdict; mail read over IMAP was filed by the mailbox's own server. */
  trustedRelays: string[];
  /** DNS, for DKIM keys and SPF and DMARC records; the system resolver unless given. */
  resolver?: Resolver | undefined;
}

export interface ArrivedBy {
  /** How the message reached us: over SMTP from a client, or read from a mailbox. */
  via: 'smtp' | 'imap';
  clientIp?: string | undefined;
  helo?: string | undefined;
  envelopeFrom?: string | undefined;
}

export type SenderCheck = { ok: true; by: 'dmarc' | 'dkim' | 'spf' | 'authentication-results' } | { ok: false; why: string };

/** DNS could not answer now: the message should be tried again later, not refused. */
export class SenderCheckUnavailable extends Error {}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

export async function checkSender(settings: SenderAuthSettings, raw: Buffer, from: string, arrived: ArrivedBy): Promise<SenderCheck> {
  const vouched = trustedVerdict(settings, raw, from, arrived);
  if (vouched) return vouched;

  const ip = arrived.clientIp?.replace(/^::ffff:(?=\d+\.)/, '');
  const result = await authenticate(raw, {
    ...(ip && isIP(ip) ? { ip } : {}),
    ...(arrived.helo ? { helo: arrived.helo } : {}),
    ...(arrived.envelopeFrom ? { sender: arrived.envelopeFrom } : {}),
    ...(settings.resolver ? { resolver: settings.resolver } : {}),
    mta: 'disputes-inbound',
    disableArc: true,
    disableBimi: true,
  });
  const headerFrom = result.dkim.headerFrom ?? [];
  if (headerFrom.length !== 1 || headerFrom[0]!.toLowerCase() !== from) return { ok: false, why: 'it does not have exactly one From address' };

  const results = [result.dmarc ? result.dmarc.status.result : 'none', result.spf ? result.spf.status.result : 'none', ...(result.dkim.results ?? []).map((row) => row.status.result)];
  const fromDomain = domainOf(from);
  const dkimAligned = (result.dkim.results ?? []).some((row) => row.status.result === 'pass' && row.status.aligned);
  const spfAligned = result.spf !== false && result.spf.status.result === 'pass' && !!result.spf.domain && getAlignment(fromDomain, [result.spf.domain]) !== false;

  if (result.dmarc && result.dmarc.status.result === 'pass') return { ok: true, by: 'dmarc' };
  if (result.dmarc && result.dmarc.status.result === 'fail') return { ok: false, why: `DMARC fails for ${fromDomain}: neither DKIM nor SPF passed for that domain` };
  // No DMARC record for the domain: the same alignment test, made here.
  if (dkimAligned) return { ok: true, by: 'dkim' };
  if (spfAligned) return { ok: true, by: 'spf' };
  if (results.includes('temperror')) throw new SenderCheckUnavailable(`DNS did not answer while checking ${fromDomain}`);
  return { ok: false, why: `neither DKIM nor SPF passed for ${fromDomain}` };
}

/** The council server's verdict, when it is one we were told to trust and it reached us from where it should. */
function trustedVerdict(settings: SenderAuthSettings, raw: Buffer, from: string, arrived: ArrivedBy): SenderCheck | null {
  if (settings.trustedAuthservIds.length === 0) return null;
  const fromRelay = arrived.via === 'imap' || (arrived.clientIp !== undefined && settings.trustedRelays.includes(arrived.clientIp.replace(/^::ffff:(?=\d+\.)/, '')));
  if (!fromRelay) return null;
  const trusted = new Set(settings.trustedAuthservIds.map((id) => id.toLowerCase()));
  // RFC 8601 section 5: a server deletes verdicts under its own authserv-id that came from outside,
  // so from a trusted relay or mailbox the topmost one under a trusted id is that server's own.
  for (const header of headerFields(raw)) {
    if (header.name !== 'authentication-results') continue;
    const verdict = parseAuthenticationResults(header.value);
    if (!verdict || !trusted.has(verdict.authservId)) continue;
    const dmarc = verdict.results.find((row) => row.method === 'dmarc');
    if (dmarc?.result === 'pass' && dmarc.props['header.from']?.toLowerCase() === domainOf(from)) return { ok: true, by: 'authentication-results' };
    return { ok: false, why: `the mail server ${verdict.authservId} did not find it authentic (dmarc=${dmarc?.result ?? 'none'})` };
  }
  return null;
}

/** The message's header fields in order, unfolded, stopping at the body. */
function headerFields(raw: Buffer): { name: string; value: string }[] {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? Math.min(raw.length, 64 * 1024) : end).toString('utf8');
  const fields: { name: string; value: string }[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1]!.value += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
    }
  }
  return fields;
}

/** RFC 8601: `authserv-id [version]; method=result ptype.prop=value …; …`, comments dropped. */
export function parseAuthenticationResults(value: string): { authservId: string; results: { method: string; result: string; props: Record<string, string> }[] } | null {
  const plain = value.replace(/\([^()]*\)/g, ' ');
  const [idPart, ...rest] = plain.split(';');
  const authservId = idPart?.trim().split(/\s+/)[0]?.toLowerCase();
  if (!authservId) return null;
  const results = rest.flatMap((part) => {
    const words = part.trim().split(/\s+/).filter(Boolean);
    const head = /^([a-z0-9_-]+)=([a-z0-9_-]+)$/i.exec(words[0] ?? '');
    if (!head) return [];
    const props: Record<string, string> = {};
    for (const word of words.slice(1)) {
      const prop = /^([a-z0-9_-]+\.[a-z0-9_-]+)=(.+)$/i.exec(word);
      if (prop) props[prop[1]!.toLowerCase()] = prop[2]!.replace(/^"|"$/g, '');
    }
    return [{ method: head[1]!.toLowerCase(), result: head[2]!.toLowerCase(), props }];
  });
  return { authservId, results };
}
