import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { disputeContext } from '../client/disputes';
import { simulate } from '../client/simulate';
import { loadConfig } from '../runtime/config';
import { KeyRing } from '../runtime/key-ring';
import { EncryptionCodec, failureConverterPath } from '../runtime/payload-codec';

// What payload encryption costs a dispute: the history's size and the full escalation's wall time
// (each stage to its deadline, decided an hour into stage 4, on the time-skipping server), with and
// without the codec; and the codec's own time for one dispute's start input.

export async function codecBench(): Promise<{ name: string; value: string }[]> {
  const context = disputeContext(loadConfig());
  const keyRing = KeyRing.parse(KeyRing.newLine('bench'), 'bench key');
  const rows = [];
  let plainBytes = 0;
  let sealedBytes = 0;
  let plainSeconds = 0;
  let sealedSeconds = 0;
  let codecMs = 0;
  let codecPayloads = 0;
  for (const policy of context.policies.list()) {
    const request = { policy: policy.id, concernAt: '2026-03-27T10:30:00Z', category: 'abuse' as const, risk: 'standard' as const, resolveAtStage: 4 };
    let started = performance.now();
    const plain = await simulate(request, context, {});
    const plainTime = (performance.now() - started) / 1000;
    const timed = new TimedCodec(new EncryptionCodec(keyRing));
    started = performance.now();
    const sealed = await simulate(request, context, { payloadCodecs: [timed], failureConverterPath });
    const sealedTime = (performance.now() - started) / 1000;
    codecMs += timed.ms;
    codecPayloads += timed.payloads;
    plainBytes += plain.historyBytes;
    sealedBytes += sealed.historyBytes;
    plainSeconds += plainTime;
    sealedSeconds += sealedTime;
    rows.push({
      name: `${policy.id}: history bytes / wall time`,
      value: `${kb(plain.historyBytes)} → ${kb(sealed.historyBytes)} (${percent(sealed.historyBytes, plain.historyBytes)}); ${plainTime.toFixed(1)} s → ${sealedTime.toFixed(1)} s; codec ${timed.ms.toFixed(1)} ms for ${timed.payloads} payloads`,
    });
  }
  rows.push({ name: 'codec time per dispute (worker and client)', value: `${(codecMs / context.policies.list().length).toFixed(1)} ms, ${Math.round(codecPayloads / context.policies.list().length)} payloads encoded or decoded` });
  rows.push({ name: 'all five policies', value: `${kb(plainBytes)} → ${kb(sealedBytes)} (${percent(sealedBytes, plainBytes)}); ${plainSeconds.toFixed(1)} s → ${sealedSeconds.toFixed(1)} s` });

  // The codec alone, on a real start input (the policy snapshot, agencies with their contacts).
  const start = context.policies.list()[0]!;
  const input = defaultPayloadConverter.toPayload({ policy: start, directory: context.directory.agencies.slice(0, 2), summary: 'x'.repeat(500) });
  const codec = new EncryptionCodec(keyRing);
  const rounds = 2_000;
  const began = performance.now();
  for (let i = 0; i < rounds; i++) await codec.decode(await codec.encode([input]));
  const micros = ((performance.now() - began) * 1000) / rounds;
  rows.push({ name: `codec encode + decode of a ${kb(input.data!.length)} payload`, value: `${micros.toFixed(0)} µs` });
  return rows;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const percent = (after: number, before: number) => `${after >= before ? '+' : ''}${(((after - before) / before) * 100).toFixed(1)}%`;

/** The encryption codec, with the time it spends counted. */
class TimedCodec implements PayloadCodec {
  ms = 0;
  payloads = 0;
  constructor(private readonly inner: PayloadCodec) {}
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return this.time(payloads.length, () => this.inner.encode(payloads));
  }
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return this.time(payloads.length, () => this.inner.decode(payloads));
  }
  private async time(count: number, run: () => Promise<Payload[]>): Promise<Payload[]> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.ms += performance.now() - started;
      this.payloads += count;
    }
  }
}
