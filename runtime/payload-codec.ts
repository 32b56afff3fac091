import { fileURLToPath } from 'node:url';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { KeyRing } from './key-ring';

// Every Temporal payload the product writes (inputs, signals, updates, results, memo, summaries,
// failure messages) is the whole Payload message, serialised and sealed under the key ring, with
// the key's id in clear metadata so the right key opens it after a rotation.

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const text = (value: string) => new TextEncoder().encode(value);
const read = (value: Uint8Array | null | undefined) => (value ? new TextDecoder().decode(value) : undefined);

/** The key id a payload was sealed under; undefined for a payload in clear. */
export function payloadKeyId(payload: Payload): string | undefined {
  if (read(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return undefined;
  return read(payload.metadata?.[KEY_ID_METADATA]) ?? '';
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyRing: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const sealed = this.keyRing.seal(PayloadMessage.encode(payload).finish(), ENCRYPTED_ENCODING);
      return { metadata: { encoding: text(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text(sealed.keyId) }, data: sealed.data };
    });
  }

  /**
   * Payloads in clear pass through: disputes started before encryption, and signals an operator
   * sends from the Web UI as plain JSON, still read.
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const keyId = payloadKeyId(payload);
      if (keyId === undefined) return payload;
      const plain = this.keyRing.open({ keyId, data: payload.data ?? new Uint8Array() }, ENCRYPTED_ENCODING);
      return PayloadMessage.decode(plain);
    });
  }
}

export const failureConverterPath = fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));

/** The data converter every client and worker of the product uses: one line at each connection site. */
export function dataConverter(keyRing: KeyRing): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keyRing)], failureConverterPath };
}
