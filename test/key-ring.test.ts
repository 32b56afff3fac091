import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { KeyRing, KeyRingError, loadKeyRing } from '../runtime/key-ring';
import { EncryptionCodec, payloadKeyId } from '../runtime/payload-codec';

const key = () => randomBytes(32).toString('base64');

describe('the key ring', () => {
  it('seals under the first key, opens under any, and binds the context', () => {
    const one = `k1 ${key()}`;
    const two = `k2 ${key()}`;
    const before = KeyRing.parse(one, 'PAYLOAD_KEYS');
    const after = KeyRing.parse(`# rotated\n${two}\n\n${one}\n`, 'PAYLOAD_KEYS');
    const old = before.seal(Buffer.from('Pat Raiser'), 'ctx');
    expect(old.keyId).toBe('k1');
    expect(Buffer.from(old.data).includes(Buffer.from('Pat Raiser'))).toBe(false);
    expect(Buffer.from(after.open(old, 'ctx')).toString()).toBe('Pat Raiser');
    expect(after.seal(Buffer.from('x')).keyId).toBe('k2');
    expect(() => after.open(old, 'other')).toThrow(KeyRingError);
    expect(() => before.open(after.seal(Buffer.from('x')))).toThrow(/key 'k2', which is not in the key ring/);
    // A fresh IV every time: the same text never seals to the same bytes.
    expect(Buffer.from(before.seal(Buffer.from('same')).data).equals(Buffer.from(before.seal(Buffer.from('same')).data))).toBe(false);
  });

  it('seals text for a database column and says which key sealed it', () => {
    const ring = KeyRing.parse(`records-1 ${key()}`, 'PAYLOAD_KEYS');
    const sealed = ring.sealText('14 Acacia Avenue', 'person.address');
    expect(sealed).toMatch(/^records-1:[A-Za-z0-9_-]+$/);
    expect(KeyRing.keyIdOfText(sealed)).toBe('records-1');
    expect(ring.openText(sealed, 'person.address')).toBe('14 Acacia Avenue');
    const altered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => ring.openText(altered, 'person.address')).toThrow(/does not authenticate/);
  });

  it('refuses a missing or malformed key with a message naming the variable, never the key', () => {
    // Base64 holds '+' and '/': escaped, or a secret that starts with '+' is not a pattern at all (1 run in 64 failed so).
    const secret = randomBytes(16).toString('base64');
    expect(() => loadKeyRing({})).toThrow(/^PAYLOAD_KEYS: no payload keys/);
    expect(() => loadKeyRing({ PAYLOAD_KEYS: `k1 ${secret}` })).toThrow("PAYLOAD_KEYS: line 1: key 'k1' is 16 bytes; AES-256 needs 32");
    expect(() => loadKeyRing({ PAYLOAD_KEYS: `k1 ${secret}` })).not.toThrow(new RegExp(secret.slice(0, 8).replace(/[+/]/g, '\\$&')));
    expect(() => loadKeyRing({ PAYLOAD_KEYS: 'k1' })).toThrow("PAYLOAD_KEYS: line 1: expected '<key id> <base64 key>'");
    expect(() => loadKeyRing({ PAYLOAD_KEYS: 'k1 not*base64' })).toThrow("PAYLOAD_KEYS: line 1: key 'k1' is not base64");
    expect(() => loadKeyRing({ PAYLOAD_KEYS: `bad:id ${key()}` })).toThrow('PAYLOAD_KEYS: line 1: the key id must be');
    expect(() => loadKeyRing({ PAYLOAD_KEYS: `k1 ${key()}\nk1 ${key()}` })).toThrow("PAYLOAD_KEYS: line 2: key id 'k1' appears twice");
    expect(() => loadKeyRing({ PAYLOAD_KEYS: '# nothing\n' })).toThrow('PAYLOAD_KEYS: no keys');
    expect(() => loadKeyRing({ PAYLOAD_KEYS_FILE: '/nonexistent/keys' })).toThrow('PAYLOAD_KEYS_FILE: cannot read /nonexistent/keys (ENOENT)');
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    writeFileSync(join(dir, 'keys'), `file-1 ${key()}\n`);
    expect(loadKeyRing({ PAYLOAD_KEYS_FILE: join(dir, 'keys') }).currentKeyId).toBe('file-1');
    // The CLI beside `npm start` finds its local key; nothing else does.
    writeFileSync(join(dir, 'payload-keys'), `local-1 ${key()}\n`);
    const local = { TEMPORAL_DB_FILE: join(dir, 'temporal.sqlite') };
    expect(loadKeyRing(local, { local: true }).currentKeyId).toBe('local-1');
    expect(() => loadKeyRing(local)).toThrow(/^PAYLOAD_KEYS/);
  });
});

describe('the payload codec', () => {
  it('encrypts the whole payload, metadata included, and restores it exactly', async () => {
    const codec = new EncryptionCodec(KeyRing.parse(`k1 ${key()}`, 'PAYLOAD_KEYS'));
    const plain = defaultPayloadConverter.toPayload({ personReference: 'RMBC-000123', summary: 'Pat Raiser at 14 Acacia Avenue' });
    const [encoded] = await codec.encode([plain]);
    expect(payloadKeyId(encoded!)).toBe('k1');
    expect(Buffer.from(encoded!.data!).includes(Buffer.from('Acacia'))).toBe(false);
    expect(Buffer.from(encoded!.data!).includes(Buffer.from('json/plain'))).toBe(false);
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ personReference: 'RMBC-000123', summary: 'Pat Raiser at 14 Acacia Avenue' });
    // A payload in clear (a dispute from before encryption, a signal typed into the Web UI) passes.
    const [clear] = await codec.decode([plain]);
    expect(defaultPayloadConverter.fromPayload(clear!)).toEqual({ personReference: 'RMBC-000123', summary: 'Pat Raiser at 14 Acacia Avenue' });
  });
});
