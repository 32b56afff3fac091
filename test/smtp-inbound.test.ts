import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { readCapped } from '../client/replies/smtp-inbound';

// The inbound SMTP server once took a 60 MB message into memory although it advertised SIZE
// 1048576. The reader keeps what fits and drops the rest as it streams, reading to the end so the
// SMTP dialogue can answer 552.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

describe('reading a message under the size limit', () => {
  it('a 60 MB message is read to its end and dropped, never held', async () => {
    // Each chunk is watched through a WeakRef, so what the reader keeps is counted exactly, whatever
    // else the process (other test files in the same worker) holds.
    const chunks: WeakRef<Buffer>[] = [];
    let produced = 0;
    let heldAtTheEnd = Number.POSITIVE_INFINITY;
    const message = Readable.from(
      (async function* () {
        for (let i = 0; i < 60 * 16; i++) {
          produced += 64 * 1024;
          const chunk = Buffer.alloc(64 * 1024, 0x78); // a new buffer each time, as the socket gives
          chunks.push(new WeakRef(chunk));
          yield chunk;
        }
        // Everything has been produced: whatever the reader kept is still reachable now. A WeakRef
        // keeps its target until the job ends, so count in a later one.
        await new Promise((resolve) => setImmediate(resolve));
        gc();
        heldAtTheEnd = chunks.filter((ref) => ref.deref() !== undefined).length * 64 * 1024;
      })(),
      { objectMode: false },
    );
    expect(await readCapped(message, MB)).toBeNull();
    expect(produced).toBe(60 * MB);
    expect(message.readableEnded).toBe(true);
    expect(heldAtTheEnd).toBeLessThan(4 * MB);
  });

  it('a message within the limit comes back whole', async () => {
    const parts = [Buffer.from('From: a@b.example\r\n\r\n'), Buffer.alloc(MB - 21, 0x79)];
    const raw = await readCapped(Readable.from(parts), MB);
    expect(raw?.length).toBe(MB);
    expect(raw?.equals(Buffer.concat(parts))).toBe(true);
    expect(await readCapped(Readable.from([Buffer.alloc(MB + 1)]), MB)).toBeNull();
  });
});
