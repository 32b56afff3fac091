import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// A port from listen(0) lies in the kernel's ephemeral range, which is also where outgoing
// connections get their local port: between choosing it and a child process binding it, another
// test's connection can take it (CI: `npm start` failed with EADDRINUSE). Ports are therefore
// chosen below that range, where only a deliberate bind can land.
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const lowest = 10_000;
const highest = ephemeralLow() - 1;
const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port nobody is listening on right now, outside the range outgoing connections use. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = lowest + Math.floor(Math.random() * (highest - lowest + 1));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${lowest} and ${highest}`);
}
