import { generateKeyPairSync } from 'node:crypto';

// The DNS answers a sender's domain publishes (DKIM keys, SPF, DMARC), served to mailauth through
// its `resolver` option, its documented seam for DNS; the keys are real and made here.

export interface TestDomains {
  resolver: (name: string, rrtype: string) => Promise<string[][]>;
  /** Publishes a TXT record. */
  txt(name: string, value: string): void;
  /** A DKIM key published as `<selector>._domainkey.<domain>`: sign with its private key. */
  dkimKey(domain: string, selector?: string): { domainName: string; keySelector: string; privateKey: string };
  /** A key other than the one the domain published, under its selector: what a forger signs with. */
  unpublishedKey(domain: string): { domainName: string; keySelector: string; privateKey: string };
}

const newKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

export function testDomains(): TestDomains {
  const records = new Map<string, string[]>();
  const txt = (name: string, value: string) => records.set(name.toLowerCase(), [...(records.get(name.toLowerCase()) ?? []), value]);
  return {
    txt,
    async resolver(name, rrtype) {
      const found = rrtype === 'TXT' ? records.get(name.toLowerCase()) : undefined;
      if (!found) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      // TXT answers come as lists of character-strings of at most 255 bytes.
      return found.map((value) => value.match(/.{1,255}/g) ?? ['']);
    },
    dkimKey(domain, selector = 'test') {
      const { publicKey, privateKey } = newKey();
      txt(`${selector}._domainkey.${domain}`, `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`);
      return { domainName: domain, keySelector: selector, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    },
    unpublishedKey(domain) {
      return { domainName: domain, keySelector: 'test', privateKey: newKey().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    },
  };
}
