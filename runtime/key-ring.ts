import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './errors';

// The keys personal data is encrypted under: Temporal payloads now, the records store's personal
// fields later. AES-256-GCM, a fresh 96-bit IV per seal. The first key seals; every key opens, so a
// new key can go first while data sealed under the old one stays readable.

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KeyId = /^[A-Za-z0-9._-]{1,64}$/;

/** Bytes sealed under one key of the ring: `data` is IV ‖ ciphertext ‖ tag. */
export interface Sealed {
  keyId: string;
  data: Uint8Array;
}

export class KeyRingError extends Error {
  override name = 'KeyRingError';
}

export class KeyRing {
  private constructor(private readonly keys: Map<string, Buffer>) {}

  /**
   * Lines of `<id> <base64 key>` (32 bytes); blank lines and `#` comments are skipped. `origin`
   * names the variable or file in every message, and no message ever quotes a key.
   */
  static parse(text: string, origin: string): KeyRing {
    const keys = new Map<string, Buffer>();
    text.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const where = `${origin}: line ${index + 1}`;
      const parts = line.split(/\s+/);
      if (parts.length !== 2) throw new ConfigError(`${where}: expected '<key id> <base64 key>'`);
      const [id, encoded] = parts as [string, string];
      if (!KeyId.test(id)) throw new ConfigError(`${where}: the key id must be 1–64 letters, digits, '.', '_' or '-'`);
      if (keys.has(id)) throw new ConfigError(`${where}: key id '${id}' appears twice`);
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw new ConfigError(`${where}: key '${id}' is not base64`);
      const key = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
      if (key.length !== KEY_BYTES) throw new ConfigError(`${where}: key '${id}' is ${key.length} bytes; AES-256 needs ${KEY_BYTES} (openssl rand -base64 32)`);
      keys.set(id, key);
    });
    if (keys.size === 0) throw new ConfigError(`${origin}: no keys; expected lines of '<key id> <base64 key>'`);
    return new KeyRing(keys);
  }

  /** A line for PAYLOAD_KEYS holding a new random key. */
  static newLine(id: string): string {
    if (!KeyId.test(id)) throw new ConfigError(`key id '${id}': expected 1–64 letters, digits, '.', '_' or '-'`);
    return `${id} ${randomBytes(KEY_BYTES).toString('base64')}`;
  }

  /** The key that seals new data. */
  get currentKeyId(): string {
    return this.keys.keys().next().value as string;
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** `context` is bound into the tag (not stored): opening with another context fails. */
  seal(plain: Uint8Array, context = ''): Sealed {
    const keyId = this.currentKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(keyId)!, iv);
    cipher.setAAD(aad(keyId, context));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return { keyId, data: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  }

  open(sealed: Sealed, context = ''): Uint8Array {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new KeyRingError(`sealed under key '${sealed.keyId}', which is not in the key ring (keys: ${this.keyIds.join(', ')})`);
    if (sealed.data.length < IV_BYTES + TAG_BYTES) throw new KeyRingError(`sealed data under key '${sealed.keyId}' is truncated`);
    const data = Buffer.from(sealed.data);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(aad(sealed.keyId, context));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new KeyRingError(`sealed data under key '${sealed.keyId}' does not authenticate: altered, or sealed under another key of that id`);
    }
  }

  /** Text sealed into one string, `<key id>:<base64url>`, for a database column. */
  sealText(text: string, context = ''): string {
    const sealed = this.seal(Buffer.from(text, 'utf8'), context);
    return `${sealed.keyId}:${Buffer.from(sealed.data).toString('base64url')}`;
  }

  openText(sealedText: string, context = ''): string {
    const colon = sealedText.indexOf(':');
    if (colon < 1) throw new KeyRingError('sealed text: expected <key id>:<base64url>');
    return Buffer.from(this.open({ keyId: sealedText.slice(0, colon), data: Buffer.from(sealedText.slice(colon + 1), 'base64url') }, context)).toString('utf8');
  }

  /** Which key sealed this text, without opening it. */
  static keyIdOfText(sealedText: string): string | undefined {
    const colon = sealedText.indexOf(':');
    return colon > 0 ? sealedText.slice(0, colon) : undefined;
  }
}

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`dispute/v1\n${keyId}\n${context}`, 'utf8');
}

export interface KeySettings {
  PAYLOAD_KEYS?: string | undefined;
  PAYLOAD_KEYS_FILE?: string | undefined;
  TEMPORAL_DB_FILE?: string | undefined;
}

/** Where `npm start` keeps its local key, beside the dev server's data. */
export function localKeysFile(settings: KeySettings): string {
  return `${dirname(settings.TEMPORAL_DB_FILE ?? '.data/temporal.sqlite')}/payload-keys`;
}

/**
 * The key ring from `PAYLOAD_KEYS` (the lines themselves), else the file `PAYLOAD_KEYS_FILE` names.
 * With `local`, the key `npm start` made is used when neither is set (the CLI beside `npm start`).
 * Without any, start-up is refused with a message naming the variable.
 */
export function loadKeyRing(settings: KeySettings, options: { local?: boolean } = {}): KeyRing {
  if (settings.PAYLOAD_KEYS) return KeyRing.parse(settings.PAYLOAD_KEYS, 'PAYLOAD_KEYS');
  if (settings.PAYLOAD_KEYS_FILE) return KeyRing.parse(readKeysFile(settings.PAYLOAD_KEYS_FILE, 'PAYLOAD_KEYS_FILE'), `PAYLOAD_KEYS_FILE (${settings.PAYLOAD_KEYS_FILE})`);
  const local = localKeysFile(settings);
  if (options.local && existsSync(local)) return KeyRing.parse(readKeysFile(local, 'the local key file'), local);
  throw new ConfigError(
    "PAYLOAD_KEYS: no payload keys; set PAYLOAD_KEYS (or PAYLOAD_KEYS_FILE) to lines of '<key id> <base64 key>', the first encrypting; `npx dispute keys new` makes one",
  );
}

function readKeysFile(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}
